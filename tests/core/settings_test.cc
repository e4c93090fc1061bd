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

}  // namespace
}  // namespace anteroom::core
