#include "client/gate/visitor.h"

#include <set>

#include "gtest/gtest.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::gate {
namespace {

wire::Signer SignerOf(char c) { return *wire::Signer::FromKeys({std::string(32, c)}); }

TEST(VisitorIdTest, FreshIdsAreUnguessableAndUrlSafe) {
  base::SecureRandom random;
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(NewVisitorId(&random));
  EXPECT_EQ(ids.size(), 1000u);
  const std::string id = *ids.begin();
  EXPECT_EQ(id.size(), 22u) << "128 bits, base64url without padding";
  EXPECT_EQ(
      id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos)
      << id;
}

TEST(VisitorIdTest, AnIdComesBackOnlyFromItsRoomUnderTheGatesKeys) {
  const wire::Signer signer = SignerOf('a');
  const std::string cookie = SignedVisitorCookie(signer, "shop", "abc");
  EXPECT_EQ(cookie.substr(0, 6), "v.abc.");
  EXPECT_EQ(SignedVisitorId(signer, "shop", cookie), "abc");
  EXPECT_EQ(SignedVisitorId(signer, "hall", cookie), "") << "signed for another room";
  EXPECT_EQ(SignedVisitorId(SignerOf('b'), "shop", cookie), "") << "other keys";
  EXPECT_EQ(SignedVisitorId(signer, "shop", "v.abd" + cookie.substr(5)), "") << "id changed";
  EXPECT_EQ(SignedVisitorId(signer, "shop", "abc"), "");
  EXPECT_EQ(SignedVisitorId(signer, "shop", "v.abc"), "");
  EXPECT_EQ(SignedVisitorId(signer, "shop", "v.." + cookie.substr(6)), "") << "empty id";
}

TEST(NetworkSourceTest, OneSourcePerNetworkAndTheAddressGoesNoFurther) {
  const wire::Signer signer = SignerOf('a');
  const std::string a = NetworkSource(signer, "203.0.113.7", 24, 64);
  EXPECT_EQ(a.size(), 22u);
  EXPECT_EQ(a.find("203"), std::string::npos);
  EXPECT_EQ(NetworkSource(signer, "203.0.113.250", 24, 64), a) << "same /24";
  EXPECT_NE(NetworkSource(signer, "203.0.114.7", 24, 64), a) << "another /24";
  EXPECT_EQ(NetworkSource(signer, "::ffff:203.0.113.9", 24, 64), a) << "IPv4-mapped is IPv4";
  EXPECT_NE(NetworkSource(signer, "203.0.113.7", 32, 64), a) << "the prefix length counts";
  const std::string v6 = NetworkSource(signer, "2001:db8:1:2::1", 24, 64);
  EXPECT_EQ(NetworkSource(signer, "2001:db8:1:2:ffff::9", 24, 64), v6) << "same /64";
  EXPECT_NE(NetworkSource(signer, "2001:db8:1:3::1", 24, 64), v6);
  EXPECT_NE(NetworkSource(SignerOf('b'), "203.0.113.7", 24, 64), a) << "keyed";
  EXPECT_EQ(NetworkSource(signer, "", 24, 64), "");
  EXPECT_EQ(NetworkSource(signer, "unix:/run/x.sock", 24, 64), "");
}

TEST(SolutionTest, OnlyTheShapeIsReadHere) {
  std::optional<v1::Solution> s = ParseSolution("salt.challenge.sig.12345");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->algorithm(), "SHA-256");
  EXPECT_EQ(s->salt(), "salt");
  EXPECT_EQ(s->challenge(), "challenge");
  EXPECT_EQ(s->signature(), "sig");
  EXPECT_EQ(s->number(), 12345u);
  EXPECT_FALSE(ParseSolution(""));
  EXPECT_FALSE(ParseSolution("salt.challenge.sig"));
  EXPECT_FALSE(ParseSolution("salt.challenge.sig.-1"));
  EXPECT_FALSE(ParseSolution("salt.challenge.sig.1.2"));
  EXPECT_FALSE(ParseSolution(std::string(129, 's') + ".c.s.1")) << "longer than Anteroom allows";
}

TEST(RandomSignerTest, EachGateWithoutKeysSignsWithItsOwn) {
  testing::SeededRandom one(1), two(2);
  auto a = RandomSigner(&one);
  auto b = RandomSigner(&two);
  EXPECT_TRUE(a->Verify("m", a->Sign("m")));
  EXPECT_FALSE(b->Verify("m", a->Sign("m")));
}

}  // namespace
}  // namespace anteroom::gate
