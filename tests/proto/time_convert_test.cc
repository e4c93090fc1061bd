#include "proto/time_convert.h"

#include "gtest/gtest.h"

namespace anteroom {
namespace {

google::protobuf::Timestamp Timestamp(int64_t seconds, int32_t nanos) {
  google::protobuf::Timestamp t;
  t.set_seconds(seconds);
  t.set_nanos(nanos);
  return t;
}

google::protobuf::Duration Duration(int64_t seconds, int32_t nanos) {
  google::protobuf::Duration d;
  d.set_seconds(seconds);
  d.set_nanos(nanos);
  return d;
}

TEST(TimeConvertTest, TimesGoToTheMicrosecondBelowWithNonNegativeNanos) {
  const absl::Time t = absl::FromUnixSeconds(1'700'000'000) + absl::Nanoseconds(123'456'789);
  const google::protobuf::Timestamp p = ToProtoTime(t);
  EXPECT_EQ(p.seconds(), 1'700'000'000);
  EXPECT_EQ(p.nanos(), 123'456'000);
  EXPECT_EQ(FromProtoTime(p), absl::FromUnixSeconds(1'700'000'000) + absl::Microseconds(123'456));
  // Before 1970: the second below, and nanos counted up from it.
  const google::protobuf::Timestamp before = ToProtoTime(absl::FromUnixMillis(-1'500));
  EXPECT_EQ(before.seconds(), -2);
  EXPECT_EQ(before.nanos(), 500'000'000);
  EXPECT_TRUE(IsValidTimestamp(before));
  EXPECT_EQ(FromProtoTime(before), absl::FromUnixMillis(-1'500));
}

TEST(TimeConvertTest, DurationsKeepNanosecondsAndTheSignOfSeconds) {
  const google::protobuf::Duration p = ToProtoDuration(absl::Milliseconds(1'500));
  EXPECT_EQ(p.seconds(), 1);
  EXPECT_EQ(p.nanos(), 500'000'000);
  const google::protobuf::Duration negative = ToProtoDuration(-absl::Milliseconds(1'500));
  EXPECT_EQ(negative.seconds(), -1);
  EXPECT_EQ(negative.nanos(), -500'000'000);
  EXPECT_TRUE(IsValidDuration(negative));
  EXPECT_EQ(FromProtoDuration(negative), -absl::Milliseconds(1'500));
  EXPECT_EQ(FromProtoDuration(ToProtoDuration(absl::Nanoseconds(7))), absl::Nanoseconds(7));
}

TEST(TimeConvertTest, ValidityFollowsTheWellKnownTypesRules) {
  EXPECT_TRUE(IsValidTimestamp(Timestamp(0, 0)));
  EXPECT_TRUE(IsValidTimestamp(Timestamp(5, 999'999'999)));
  EXPECT_FALSE(IsValidTimestamp(Timestamp(5, -1)));
  EXPECT_FALSE(IsValidTimestamp(Timestamp(5, 1'000'000'000)));
  EXPECT_TRUE(IsValidDuration(Duration(0, -999'999'999)));
  EXPECT_TRUE(IsValidDuration(Duration(0, 999'999'999)));
  EXPECT_FALSE(IsValidDuration(Duration(0, 1'000'000'000)));
  EXPECT_FALSE(IsValidDuration(Duration(0, -1'000'000'000)));
  EXPECT_FALSE(IsValidDuration(Duration(1, -1))) << "signs differ";
  EXPECT_FALSE(IsValidDuration(Duration(-1, 1))) << "signs differ";
}

}  // namespace
}  // namespace anteroom
