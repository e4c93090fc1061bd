// The load shedder alone: which lane gives way first, and that a late call does nothing.

#include "server/service/load_shedder.h"

#include <chrono>

#include "gtest/gtest.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::service {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const absl::Time kLater = kNow + absl::Seconds(1);

TEST(LoadShedderTest, NewcomersGiveWayAtHalfTheBoundAndVisitorsAtAllOfIt) {
  testing::SimulatedClock clock(kNow);
  LoadShedder shedder(4, &clock);
  EXPECT_TRUE(shedder.Enter(CallLane::kNewcomer, kLater).ok());
  EXPECT_TRUE(shedder.Enter(CallLane::kNewcomer, kLater).ok());
  const absl::Status refused = shedder.Enter(CallLane::kNewcomer, kLater);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.message().find("overloaded"), absl::string_view::npos) << refused;
  EXPECT_EQ(ShedReason(refused), "overload");
  EXPECT_EQ(shedder.in_flight(), 2) << "a refused call is not counted in";
  // Those already in line and on the site still get through, up to the bound.
  EXPECT_TRUE(shedder.Enter(CallLane::kVisitor, kLater).ok());
  EXPECT_TRUE(shedder.Enter(CallLane::kVisitor, kLater).ok());
  EXPECT_EQ(shedder.Enter(CallLane::kVisitor, kLater).code(), absl::StatusCode::kResourceExhausted);
  // An answered call makes room again.
  shedder.Exit();
  shedder.Exit();
  shedder.Exit();
  EXPECT_EQ(shedder.in_flight(), 1);
  EXPECT_TRUE(shedder.Enter(CallLane::kNewcomer, kLater).ok());
}

TEST(LoadShedderTest, ACallWhoseDeadlinePassedDoesNothing) {
  testing::SimulatedClock clock(kNow);
  LoadShedder shedder(4, &clock);
  const absl::Status late = shedder.Enter(CallLane::kVisitor, kNow);
  EXPECT_EQ(late.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(ShedReason(late), "deadline");
  EXPECT_EQ(shedder.in_flight(), 0);
  EXPECT_EQ(shedder.Enter(CallLane::kNewcomer, kNow - absl::Seconds(1)).code(),
            absl::StatusCode::kDeadlineExceeded);
  // gRPC's "no deadline" (the largest time point) is one that never passes.
  EXPECT_TRUE(shedder
                  .Enter(CallLane::kNewcomer,
                         absl::FromChrono(std::chrono::system_clock::time_point::max()))
                  .ok())
      << "no deadline at all";
  // The deadline is read on the shedder's clock, as it moves.
  EXPECT_TRUE(shedder.Enter(CallLane::kNewcomer, kLater).ok());
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(shedder.Enter(CallLane::kNewcomer, kLater).code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(LoadShedderTest, ABoundOfOneStillLetsANewcomerInAndZeroMeansNoBound) {
  testing::SimulatedClock clock(kNow);
  LoadShedder one(1, &clock);
  EXPECT_TRUE(one.Enter(CallLane::kNewcomer, kLater).ok());
  EXPECT_FALSE(one.Enter(CallLane::kVisitor, kLater).ok());
  LoadShedder unbounded(0, &clock);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(unbounded.Enter(CallLane::kNewcomer, kLater).ok());
  EXPECT_EQ(unbounded.in_flight(), 10000);
}

}  // namespace
}  // namespace anteroom::service
