#include "server/service/challenges.h"

#include "gtest/gtest.h"
#include "server/service/client_key.h"
#include "storage/memory_store.h"
#include "tests/testing/challenge_solver.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::service {
namespace {

using testing::SolveChallenge;

class ChallengesTest : public ::testing::Test {
 protected:
  std::array<uint8_t, 32> Key(uint8_t fill) {
    std::array<uint8_t, 32> key;
    key.fill(fill);
    return key;
  }

  testing::SeededRandom random_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  Challenges challenges_{Key(1)};
};

TEST_F(ChallengesTest, ASolutionProvesWorkForItsVisitorInItsRoomUntilItExpires) {
  const v1::Challenge c = challenges_.Issue("shop", "visitor-1", 2'000, now_, &random_);
  EXPECT_EQ(c.algorithm(), "SHA-256");
  EXPECT_EQ(c.max_number(), 2'000u);
  EXPECT_EQ(c.challenge().size(), 64u);
  EXPECT_NE(c.salt().find("?expires=1800000600"), std::string::npos) << c.salt();
  const v1::Solution s = SolveChallenge(c);
  EXPECT_TRUE(challenges_.Verify("shop", "visitor-1", s, now_));
  EXPECT_TRUE(challenges_.Verify("shop", "visitor-1", s, now_ + Challenges::kLifetime));

  EXPECT_FALSE(challenges_.Verify("shop", "visitor-2", s, now_)) << "another visitor's";
  EXPECT_FALSE(challenges_.Verify("hall", "visitor-1", s, now_)) << "another room's";
  EXPECT_FALSE(
      challenges_.Verify("shop", "visitor-1", s, now_ + Challenges::kLifetime + absl::Seconds(1)))
      << "expired";
  EXPECT_FALSE(Challenges(Key(2)).Verify("shop", "visitor-1", s, now_)) << "another key's";
  v1::Solution wrong = s;
  wrong.set_number(s.number() + 1);
  EXPECT_FALSE(challenges_.Verify("shop", "visitor-1", wrong, now_)) << "a wrong number";
  wrong = s;
  wrong.set_algorithm("SHA-1");
  EXPECT_FALSE(challenges_.Verify("shop", "visitor-1", wrong, now_));
}

TEST_F(ChallengesTest, EveryCharacterChangedOrCutIsRefused) {
  const v1::Solution s =
      SolveChallenge(challenges_.Issue("shop", "visitor-1", 1'000, now_, &random_));
  for (int f = 0; f < 3; ++f) {
    auto get = [&](v1::Solution& x) -> std::string* {
      return f == 0 ? x.mutable_salt() : f == 1 ? x.mutable_challenge() : x.mutable_signature();
    };
    v1::Solution copy = s;
    const std::string original = *get(copy);
    for (size_t i = 0; i < original.size(); ++i) {
      for (char c : {'0', '9', 'a', 'f', 'z'}) {
        if (original[i] == c) continue;
        v1::Solution forged = s;
        (*get(forged))[i] = c;
        EXPECT_FALSE(challenges_.Verify("shop", "visitor-1", forged, now_))
            << "field " << f << " char " << i << " -> " << c;
      }
      v1::Solution cut = s;
      get(cut)->resize(i);
      EXPECT_FALSE(challenges_.Verify("shop", "visitor-1", cut, now_)) << "cut at " << i;
    }
  }
  // A later expiry written into the salt breaks the signature.
  v1::Solution extended = s;
  const size_t at = extended.salt().rfind('=');
  extended.set_salt(extended.salt().substr(0, at + 1) + "9999999999");
  EXPECT_FALSE(challenges_.Verify("shop", "visitor-1", extended, now_));
}

TEST_F(ChallengesTest, TheSecretNumberIsSpreadOverTheWholeRange) {
  uint64_t low = 0, high = 0;
  for (int i = 0; i < 200; ++i) {
    const uint64_t n =
        SolveChallenge(challenges_.Issue("shop", "v", 1'000, now_, &random_)).number();
    ASSERT_LE(n, 1'000u);
    (n < 500 ? low : high) += 1;
  }
  EXPECT_GT(low, 60u);
  EXPECT_GT(high, 60u);
}

TEST(ClientKeyDeriveTest, DerivedKeysDifferByLabelAndAreStableForAStore) {
  storage::MemoryStore store;
  testing::SeededRandom random(1);
  const ClientKeyer keyer = ClientKeyer::LoadOrCreate(&store, &random).value();
  EXPECT_NE(keyer.DeriveKey("challenge"), keyer.DeriveKey("other"));
  EXPECT_EQ(keyer.DeriveKey("challenge"),
            ClientKeyer::LoadOrCreate(&store, &random).value().DeriveKey("challenge"));
}

}  // namespace
}  // namespace anteroom::service
