// Replays the service fuzzer's corpus (tests/service/fuzz_corpus/) through the same harness.

#include <filesystem>
#include <fstream>
#include <iterator>

#include "gtest/gtest.h"
#include "tests/service/service_fuzz_harness.h"

namespace anteroom::service {
namespace {

TEST(ServiceFuzzCorpusTest, EveryCorpusInputIsAnsweredCleanly) {
  ServiceFuzzHarness harness;
  int replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ANTEROOM_SERVICE_FUZZ_CORPUS)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(harness.Run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), "")
        << entry.path();
    ++replayed;
  }
  EXPECT_GE(replayed, 15) << "a seed per RPC at least";
}

}  // namespace
}  // namespace anteroom::service
