#include "server/core/outflow.h"

#include "gtest/gtest.h"

namespace anteroom::core {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

RoomSettings Rate(int64_t per_minute, int64_t max_active = 100,
                  absl::Duration ttl = absl::Minutes(5)) {
  RoomSettings s;
  s.admissions_per_minute = per_minute;
  s.max_active_sessions = max_active;
  s.session_ttl = ttl;
  return s;
}

TEST(OutflowTest, TheBucketHoldsOneSecondsWorthAndRefillsAtTheRate) {
  const RoomSettings s = Rate(600);  // 10 a second
  Outflow outflow(kStart, s.admissions_per_minute);
  int taken = 0;
  while (outflow.TakeToken(kStart, s)) ++taken;
  EXPECT_EQ(taken, 10) << "a burst of one second's worth";
  EXPECT_FALSE(outflow.TakeToken(kStart + absl::Milliseconds(50), s));
  EXPECT_TRUE(outflow.TakeToken(kStart + absl::Milliseconds(100), s));
  taken = 0;
  while (outflow.TakeToken(kStart + absl::Minutes(1), s)) ++taken;
  EXPECT_EQ(taken, 10) << "a long pause refills no more than the burst";
}

TEST(OutflowTest, ASlowRateStillAdmitsOneAndALoweredRateTakesEffectAtOnce) {
  Outflow outflow(kStart, 60);
  EXPECT_TRUE(outflow.TakeToken(kStart, Rate(60)));
  EXPECT_FALSE(outflow.TakeToken(kStart, Rate(60)));
  EXPECT_TRUE(outflow.TakeToken(kStart + absl::Seconds(1), Rate(60)));

  Outflow fast(kStart, 6000);  // a bucket of 100
  EXPECT_TRUE(fast.TakeToken(kStart, Rate(60)));
  EXPECT_FALSE(fast.TakeToken(kStart, Rate(60))) << "lowered to 1 a second: the burst shrinks";
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(fast.TakeToken(kStart, Rate(0))) << "unlimited";
}

TEST(OutflowTest, EstimatesUseTheConfiguredBoundUntilEnoughAdmissionsWereSeen) {
  Outflow outflow(kStart, 0);
  // 10 slots turning over every 100 s: 0.1 a second.
  const RoomSettings s = Rate(0, 10, absl::Seconds(100));
  EXPECT_DOUBLE_EQ(outflow.PerSecond(kStart, s), 0.1);
  EXPECT_DOUBLE_EQ(outflow.PerSecond(kStart, Rate(3, 10, absl::Seconds(100))), 0.05)
      << "the rate bounds it";
  for (int i = 1; i <= 4; ++i) outflow.RecordAdmission(kStart + absl::Seconds(i));
  EXPECT_EQ(outflow.ObservedPerSecond(kStart + absl::Seconds(5)), 0) << "4 are too few";
  for (int i = 5; i <= 60; ++i) outflow.RecordAdmission(kStart + absl::Seconds(i));
  const absl::Time minute = kStart + absl::Seconds(60);
  EXPECT_DOUBLE_EQ(outflow.ObservedPerSecond(minute), 1.0) << "60 in the last minute";
  EXPECT_DOUBLE_EQ(outflow.PerSecond(minute, s), 1.0);
  EXPECT_DOUBLE_EQ(outflow.PerSecond(minute, Rate(30)), 0.5)
      << "never more optimistic than the configured rate";
  EXPECT_EQ(outflow.ObservedPerSecond(kStart + absl::Minutes(3)), 0) << "the window moved on";
}

TEST(OutflowTest, AFifoEstimateIsThePositionOverTheOutflowWithAHeadOfLineHint) {
  Outflow outflow(kStart, 0);
  const RoomSettings s = Rate(60, 1000, absl::Minutes(5));  // 1 a second
  Outflow::Estimate e = outflow.ForPosition(30, 100, kStart, s);
  EXPECT_EQ(e.wait, absl::Seconds(30));
  EXPECT_EQ(e.wait_max, absl::Seconds(30));
  EXPECT_FALSE(e.unknown);
  EXPECT_EQ(e.poll_after, absl::Seconds(15)) << "half the wait";
  EXPECT_EQ(outflow.ForPosition(1, 100, kStart, s).poll_after, Outflow::kMinPollAfter);
  EXPECT_EQ(outflow.ForPosition(5, 100, kStart, Rate(6, 1000)).poll_after, absl::Seconds(10))
      << "a 50 s wait, but at most 2 s a place near the front";
  EXPECT_EQ(outflow.ForPosition(1000, 2000, kStart, s).poll_after, Outflow::kMaxPollAfter);
}

TEST(OutflowTest, ARandomEstimateIsARangeOverEveryoneWaiting) {
  Outflow outflow(kStart, 0);
  RoomSettings s = Rate(60, 1000);
  s.queueing_method = QueueingMethod::kRandom;
  const Outflow::Estimate e = outflow.ForPosition(1, 99, kStart, s);
  EXPECT_EQ(e.wait, absl::Seconds(50));
  EXPECT_EQ(e.wait_max, absl::Seconds(99));
  EXPECT_EQ(e.poll_after, absl::Seconds(20)) << "no head of the line in a lottery";
}

TEST(OutflowTest, APausedRoomHasNoOutflowAndNoEstimate) {
  Outflow outflow(kStart, 0);
  RoomSettings s = Rate(60);
  s.queue_all = true;
  for (int i = 0; i < 30; ++i) outflow.RecordAdmission(kStart + absl::Seconds(i));
  EXPECT_EQ(outflow.PerSecond(kStart + absl::Seconds(30), s), 0);
  const Outflow::Estimate e = outflow.ForPosition(40, 50, kStart + absl::Seconds(30), s);
  EXPECT_TRUE(e.unknown);
  EXPECT_EQ(e.wait, absl::ZeroDuration());
  EXPECT_EQ(e.poll_after, Outflow::kMaxPollAfter);
  EXPECT_EQ(outflow.ForPosition(1, 50, kStart, s).poll_after, Outflow::kMinPollAfter)
      << "the head still learns of a resumption within 2 s";
}

}  // namespace
}  // namespace anteroom::core
