#include "base/random.h"

#include <array>
#include <set>

#include "gtest/gtest.h"

namespace anteroom::base {
namespace {

TEST(RandomTest, TheKernelsSourceFillsEveryByteAndNeverRepeats) {
  SecureRandom random;
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(random.Next64());
  EXPECT_EQ(seen.size(), 1000u) << "64 random bits do not collide in a thousand draws";
  std::array<uint8_t, 33> buffer{};  // an odd size
  random.Fill(buffer.data(), buffer.size());
  int zeros = 0;
  for (uint8_t b : buffer) zeros += b == 0;
  EXPECT_LT(zeros, 8);
}

TEST(RandomTest, UniformStaysInRangeAndReachesEveryValue) {
  SecureRandom random;
  std::array<int, 7> counts{};
  for (int i = 0; i < 7000; ++i) {
    const uint64_t v = random.Uniform(7);
    ASSERT_LT(v, 7u);
    ++counts[v];
  }
  for (int c : counts) EXPECT_GT(c, 700) << "each of 7 values about 1,000 times";
  EXPECT_EQ(random.Uniform(1), 0u);
}

}  // namespace
}  // namespace anteroom::base
