#include "wire/token.h"

#include <string>

#include "gtest/gtest.h"

namespace anteroom::wire {
namespace {

TEST(TokenTest, RoundTripsAndRejectsMalformedTokens) {
  const Secret secret{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  const std::string token = MakeToken(TokenKind::kSession, "shop", 42, secret);
  std::optional<ParsedToken> parsed = ParseToken(token);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->kind, TokenKind::kSession);
  EXPECT_EQ(parsed->room, "shop");
  EXPECT_EQ(parsed->id, 42u);
  EXPECT_TRUE(SecretsEqual(parsed->secret, secret));
  EXPECT_FALSE(ParseToken("t.shop.short"));
  EXPECT_FALSE(ParseToken("x" + token.substr(1)));
  EXPECT_FALSE(ParseToken("s.Shop" + token.substr(6)));
  EXPECT_FALSE(ParseToken(token.substr(0, token.size() - 1) + "="));
}

TEST(TokenTest, ATokenParsedOnceKeepsItsTextAndParts) {
  const Secret secret{7, 9};
  const std::string text = MakeToken(TokenKind::kTicket, "vaccines", 1234, secret);
  std::optional<Token> token = Token::Parse(text);
  ASSERT_TRUE(token);
  EXPECT_EQ(token->text(), text);
  EXPECT_EQ(token->kind(), TokenKind::kTicket);
  EXPECT_EQ(token->room(), "vaccines");
  EXPECT_EQ(token->id(), 1234u);
  EXPECT_TRUE(SecretsEqual(token->secret(), secret));
  const ParsedToken parsed = token->parsed();
  EXPECT_EQ(parsed.room, "vaccines");
  EXPECT_EQ(parsed.id, 1234u);
  // A copy's room still points into its own text.
  Token copy = *token;
  token.reset();
  EXPECT_EQ(copy.room(), "vaccines");
  EXPECT_FALSE(Token::Parse(""));
  EXPECT_FALSE(Token::Parse(text.substr(0, text.size() - 2)));
  EXPECT_FALSE(Token::Parse("s.vaccines"));
}

TEST(RoomIdTest, NamesTheFieldAndAcceptsOnlyTheDocumentedCharacters) {
  EXPECT_FALSE(ValidateRoomId("", "room").ok());
  EXPECT_FALSE(ValidateRoomId("-x", "room").ok());
  EXPECT_FALSE(ValidateRoomId(std::string(64, 'a'), "room").ok());
  EXPECT_TRUE(ValidateRoomId("vaccine-booking_2", "room").ok());
  EXPECT_NE(ValidateRoomId("A", "X-Anteroom-Room header").message().find("X-Anteroom-Room header"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace anteroom::wire
