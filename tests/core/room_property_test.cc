// Random operation sequences on a simulated clock, invariants checked after every step
// (see room_harness.h), and the fuzzer corpus replayed as an ordinary test.

#include <filesystem>
#include <fstream>
#include <random>

#include "gtest/gtest.h"
#include "tests/core/room_harness.h"

namespace anteroom::core {
namespace {

TEST(RoomPropertyTest, RandomOperationSequencesKeepTheInvariants) {
  for (uint32_t seed = 1; seed <= 64; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    std::mt19937 rng(seed);
    bool failed = false;
    RoomHarness harness(static_cast<uint8_t>(rng()), [&](const std::string& what) {
      failed = true;
      ADD_FAILURE() << what;
    });
    for (int step = 0; step < 300 && !failed; ++step) {
      harness.Step(static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()));
    }
    if (!failed) harness.CheckRestart();
  }
}

// Every file of the fuzzer's corpus, replayed through the same harness the fuzzer uses.
TEST(RoomFuzzCorpusTest, ReplaysEveryCorpusFile) {
  const std::filesystem::path dir = ANTEROOM_FUZZ_CORPUS_DIR;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().filename().string());
    if (bytes.empty()) continue;
    RoomHarness harness(static_cast<uint8_t>(bytes[0]),
                        [](const std::string& what) { ADD_FAILURE() << what; });
    for (size_t i = 1; i + 1 < bytes.size(); i += 2) {
      harness.Step(static_cast<uint8_t>(bytes[i]), static_cast<uint8_t>(bytes[i + 1]));
    }
    harness.CheckRestart();
    ++files;
  }
  EXPECT_GT(files, 0) << "no corpus in " << dir;
}

}  // namespace
}  // namespace anteroom::core
