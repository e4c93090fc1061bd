#include "client/gate/cookies.h"

#include "gtest/gtest.h"

namespace anteroom::gate {
namespace {

TEST(CookieJarTest, FindsEachCookieOnceSplitAndTheFirstOfARepeatedName) {
  CookieJar jar("a=1; anteroom_shop=t.shop.x~3;b=;  anteroom_shop=second ; junk; c=x=y");
  EXPECT_EQ(jar.Get("a"), "1");
  EXPECT_EQ(jar.Get("anteroom_shop"), "t.shop.x~3");
  EXPECT_EQ(jar.Get("b"), "");
  EXPECT_EQ(jar.Get("c"), "x=y") << "only the first '=' splits";
  EXPECT_EQ(jar.Get("junk"), "") << "a part without '=' is no cookie";
  EXPECT_EQ(jar.Get("missing"), "");
  EXPECT_EQ(CookieJar().Get("a"), "");
}

TEST(CookieJarTest, CopiesAndMovesKeepTheirOwnText) {
  auto jar = std::make_unique<CookieJar>("s=1; t=22");  // short: kept inside the string
  CookieJar copy = *jar;
  CookieJar moved = std::move(*jar);
  jar.reset();
  EXPECT_EQ(copy.Get("t"), "22");
  EXPECT_EQ(moved.Get("s"), "1");
  std::vector<CookieJar> jars;
  for (int i = 0; i < 20; ++i) jars.emplace_back("k=" + std::to_string(i));  // reallocations
  for (int i = 0; i < 20; ++i) EXPECT_EQ(jars[i].Get("k"), std::to_string(i));
}

TEST(VisitorCookieTest, ATicketCarriesThePositionFirstSeenAndAnythingElseIsKeptAside) {
  const std::string ticket =
      wire::MakeToken(wire::TokenKind::kTicket, "shop", 42, wire::Secret{1, 2});
  VisitorCookie waiting = ReadVisitorCookie(ticket + "~17", "shop");
  ASSERT_TRUE(waiting.token);
  EXPECT_EQ(waiting.token->id(), 42u);
  EXPECT_EQ(waiting.start_position, 17u);
  EXPECT_EQ(ReadVisitorCookie(ticket, "shop").start_position, 0u) << "not recorded";
  EXPECT_EQ(ReadVisitorCookie(ticket + "~x", "shop").start_position, 0u) << "unreadable";

  VisitorCookie other_room = ReadVisitorCookie(ticket + "~17", "hall");
  EXPECT_FALSE(other_room.token) << "a token of another room's is not this room's";
  EXPECT_EQ(other_room.other, ticket + "~17");
  VisitorCookie newcomer = ReadVisitorCookie("v.abc.sig", "shop");
  EXPECT_FALSE(newcomer.token);
  EXPECT_EQ(newcomer.other, "v.abc.sig");
}

TEST(CookieNamesTest, NoRoomsCookieIsAnotherRoomsOrTheGatesOwn) {
  EXPECT_EQ(RoomCookieName("shop", ""), "anteroom_shop");
  EXPECT_EQ(RoomCookieName("shop", "arrived"), "anteroom_shop.arrived");
  EXPECT_EQ(EntryCookieName("shop"), "anteroom-entry_shop");
  EXPECT_EQ(SolutionCookieName("shop"), "anteroom-pow_shop");
  // "shop_x" is a valid room id: its cookie still differs from any of shop's.
  EXPECT_NE(RoomCookieName("shop_x", ""), RoomCookieName("shop", "x"));
}

TEST(CookiePolicyTest, SecureFollowsThePolicyAndSameSiteNone) {
  CookiePolicy lax;
  EXPECT_EQ(lax.Set("anteroom_shop", "v", /*tls=*/false),
            "anteroom_shop=v; Path=/; HttpOnly; SameSite=Lax");
  EXPECT_EQ(lax.Set("anteroom_shop", "v", /*tls=*/true),
            "anteroom_shop=v; Path=/; HttpOnly; SameSite=Lax; Secure");
  EXPECT_EQ(lax.Set("anteroom_shop", "", false),
            "anteroom_shop=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
      << "an empty value clears the cookie";
  CookiePolicy none{"None", "never"};
  EXPECT_EQ(none.Attributes(false), "; Path=/; HttpOnly; SameSite=None; Secure")
      << "browsers drop SameSite=None without Secure";
  CookiePolicy always{"Strict", "always"};
  EXPECT_EQ(always.Attributes(false), "; Path=/; HttpOnly; SameSite=Strict; Secure");
  CookiePolicy never{"Lax", "never"};
  EXPECT_EQ(never.Attributes(true), "; Path=/; HttpOnly; SameSite=Lax");
}

}  // namespace
}  // namespace anteroom::gate
