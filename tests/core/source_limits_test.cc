#include "server/core/source_limits.h"

#include "gtest/gtest.h"

namespace anteroom::core {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

RoomSettings Limits(int64_t places, int64_t per_minute) {
  RoomSettings s;
  s.max_places_per_source = places;
  s.new_places_per_source_per_minute = per_minute;
  return s;
}

TEST(SourceLimitsTest, WithoutLimitsOrWithoutASourceEveryoneIsAllowed) {
  SourceLimits limits;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(limits.Allows(7, kNow, RoomSettings()));
    limits.Took(7, kNow, RoomSettings());
    ASSERT_TRUE(limits.Allows(0, kNow, Limits(1, 1)));
    limits.Took(0, kNow, Limits(1, 1));
  }
  EXPECT_EQ(limits.LivePlaces(7), 100);
  EXPECT_EQ(limits.LivePlaces(0), 0) << "no source, nothing counted";
}

TEST(SourceLimitsTest, LivePlacesAreCappedAndAReleasedOneCanBeTakenAgain) {
  SourceLimits limits;
  const RoomSettings s = Limits(3, 0);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(limits.Allows(7, kNow, s));
    limits.Took(7, kNow, s);
  }
  EXPECT_FALSE(limits.Allows(7, kNow, s));
  EXPECT_TRUE(limits.Allows(8, kNow, s)) << "another network is not held back";
  limits.Released(7, kNow);
  EXPECT_TRUE(limits.Allows(7, kNow, s));
}

TEST(SourceLimitsTest, NewPlacesPerMinuteAreATokenBucketOfAMinutesWorth) {
  SourceLimits limits;
  const RoomSettings s = Limits(0, 2);
  limits.Took(7, kNow, s);
  limits.Took(7, kNow, s);
  EXPECT_FALSE(limits.Allows(7, kNow, s)) << "2 a minute, both taken";
  limits.Released(7, kNow);
  limits.Released(7, kNow);
  EXPECT_FALSE(limits.Allows(7, kNow + absl::Seconds(29), s)) << "leaving gives no new token";
  EXPECT_TRUE(limits.Allows(7, kNow + absl::Seconds(30), s)) << "one refilled in half a minute";
}

TEST(SourceLimitsTest, ASourceHoldingNothingIsForgottenAMinuteLater) {
  SourceLimits limits;
  const RoomSettings s = Limits(5, 5);
  limits.Took(7, kNow, s);
  limits.Released(7, kNow);
  limits.ForgetIdle(kNow + absl::Seconds(59));
  EXPECT_EQ(limits.sources(), 1u);
  limits.ForgetIdle(kNow + absl::Minutes(1));
  EXPECT_EQ(limits.sources(), 0u);
  limits.Restored(9);
  EXPECT_EQ(limits.LivePlaces(9), 1) << "restored places count without a token";
}

}  // namespace
}  // namespace anteroom::core
