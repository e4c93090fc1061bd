// Replays the routing fuzzer's corpus (tests/client/fuzz_corpus/) through its harness, and
// the spellings that once walked past a room.

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/client/gate/routes_fuzz_harness.h"

namespace anteroom::gate {
namespace {

TEST(RoutesFuzzCorpusTest, EveryInputIsRoutedAsEveryServerWouldServeIt) {
  int inputs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ANTEROOM_ROUTES_FUZZ_CORPUS)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    EXPECT_EQ(CheckRouting(bytes.str()), "") << entry.path();
    ++inputs;
  }
  EXPECT_GE(inputs, 20);
}

}  // namespace
}  // namespace anteroom::gate
