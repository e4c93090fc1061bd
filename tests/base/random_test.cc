#include "base/random.h"

#include <array>
#include <set>
#include <string>

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

// Bytes 0, 1, 2, ...: what Hex makes of known bytes.
class CountingRandom final : public RandomSource {
 public:
  void Fill(void* buffer, size_t size) override {
    auto* bytes = static_cast<uint8_t*>(buffer);
    for (size_t i = 0; i < size; ++i) bytes[i] = next_++;
  }

 private:
  uint8_t next_ = 0;
};

TEST(RandomTest, HexSpellsTheDrawnBytesInLowercase) {
  CountingRandom counting;
  EXPECT_EQ(counting.Hex(3), "000102");
  EXPECT_EQ(counting.Hex(0), "");
  std::string many = counting.Hex(250);
  EXPECT_EQ(many.size(), 500u);
  EXPECT_EQ(many.substr(many.size() - 4), "fbfc") << "bytes 251 and 252";
  SecureRandom random;
  const std::string key = random.Hex(32);
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos) << key;
  EXPECT_NE(key, random.Hex(32));
}

}  // namespace
}  // namespace anteroom::base
