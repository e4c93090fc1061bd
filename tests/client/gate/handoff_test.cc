// The handoff from /check to /wait: a page's state as a query string, and back.

#include "client/gate/handoff.h"

#include "gtest/gtest.h"

namespace anteroom::gate {
namespace {

TEST(HandoffTest, RoundTripsAndRefusesGarbage) {
  PageState s;
  s.kind = PageState::Kind::kPrequeue;
  s.room = "r";
  s.position = 3;
  s.start_position = 9;
  s.estimated_wait = absl::Seconds(70);
  s.refresh_after = absl::Seconds(5);
  s.event_starts_at = absl::FromUnixSeconds(1'800'000'000);
  s.reason = "a & b";
  s.wait_unknown = true;
  auto back = DecodeHandoff(EncodeHandoff(s));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->kind, s.kind);
  EXPECT_EQ(back->position, 3u);
  EXPECT_EQ(back->start_position, 9u);
  EXPECT_EQ(back->estimated_wait, absl::Seconds(70));
  EXPECT_EQ(back->event_starts_at, s.event_starts_at);
  EXPECT_EQ(back->reason, "a & b");
  EXPECT_TRUE(back->wait_unknown);
  s.kind = PageState::Kind::kChallenge;
  s.challenge = {"0a1b?expires=1800000600", std::string(64, 'c'), std::string(64, 'd'), 5000, ""};
  back = DecodeHandoff(EncodeHandoff(s));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->challenge.salt, s.challenge.salt);
  EXPECT_EQ(back->challenge.challenge, s.challenge.challenge);
  EXPECT_EQ(back->challenge.signature, s.challenge.signature);
  EXPECT_EQ(back->challenge.max_number, 5000u);
  EXPECT_FALSE(DecodeHandoff("").has_value());
  EXPECT_FALSE(DecodeHandoff("position=1").has_value());
  EXPECT_FALSE(DecodeHandoff("state=waiting&position=-1").has_value());
}

}  // namespace
}  // namespace anteroom::gate
