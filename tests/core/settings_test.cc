#include "server/core/settings.h"

#include "gtest/gtest.h"

namespace anteroom::core {
namespace {

TEST(SettingsTest, ValidationNamesTheField) {
  RoomSettings s;
  EXPECT_TRUE(ValidateSettings(s).ok());
  s.max_active_sessions = 0;
  absl::Status status = ValidateSettings(s);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("settings.max_active_sessions"), absl::string_view::npos);
  s = RoomSettings();
  s.session_ttl = absl::Milliseconds(10);
  EXPECT_NE(ValidateSettings(s).message().find("settings.session_ttl"), absl::string_view::npos);
  s = RoomSettings();
  s.place_hold = absl::Seconds(5);
  EXPECT_NE(ValidateSettings(s).message().find("settings.place_hold"), absl::string_view::npos);
  s = RoomSettings();
  s.arrival_ttl = absl::Seconds(5);
  EXPECT_NE(ValidateSettings(s).message().find("settings.arrival_ttl"), absl::string_view::npos);
}

TEST(SettingsTest, ChallengeWorkIsOffOrInRangeAndRisesLinearlyToItsMaximum) {
  RoomSettings s;
  EXPECT_EQ(ChallengeWork(s, 1'000'000), 0) << "off by default";
  s.challenge_work = 999;
  EXPECT_NE(ValidateSettings(s).message().find("settings.challenge_work "),
            absl::string_view::npos);
  s.challenge_work = 100'000'001;
  EXPECT_NE(ValidateSettings(s).message().find("settings.challenge_work "),
            absl::string_view::npos);
  s.challenge_work = 1'000;
  EXPECT_TRUE(ValidateSettings(s).ok());
  EXPECT_EQ(ChallengeWork(s, 0), 1'000);
  EXPECT_EQ(ChallengeWork(s, 50'000), 1'000) << "no maximum: no rise";
  s.challenge_work_max = 999;
  EXPECT_NE(ValidateSettings(s).message().find("settings.challenge_work_max"),
            absl::string_view::npos);
  s.challenge_work_max = 101'000;
  s.challenge_work_full_at = 0;
  EXPECT_NE(ValidateSettings(s).message().find("settings.challenge_work_full_at"),
            absl::string_view::npos);
  s.challenge_work_full_at = 100;
  EXPECT_TRUE(ValidateSettings(s).ok());
  EXPECT_EQ(ChallengeWork(s, 0), 1'000);
  EXPECT_EQ(ChallengeWork(s, 50), 51'000);
  EXPECT_EQ(ChallengeWork(s, 100), 101'000);
  EXPECT_EQ(ChallengeWork(s, 10'000'000), 101'000);
}

}  // namespace
}  // namespace anteroom::core
