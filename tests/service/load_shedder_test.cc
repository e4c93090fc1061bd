// The load shedder alone: which lane gives way first, and that a late call does nothing.

#include "server/service/load_shedder.h"

#include "gtest/gtest.h"

namespace anteroom::service {
namespace {

using Clock = std::chrono::system_clock;

const Clock::time_point kNow = Clock::time_point() + std::chrono::hours(1000);
const Clock::time_point kLater = kNow + std::chrono::seconds(1);

TEST(LoadShedderTest, NewcomersGiveWayAtHalfTheBoundAndVisitorsAtAllOfIt) {
  LoadShedder shedder(4, [] { return kNow; });
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
  LoadShedder shedder(4, [] { return kNow; });
  const absl::Status late = shedder.Enter(CallLane::kVisitor, kNow);
  EXPECT_EQ(late.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(ShedReason(late), "deadline");
  EXPECT_EQ(shedder.in_flight(), 0);
  EXPECT_EQ(shedder.Enter(CallLane::kNewcomer, kNow - std::chrono::seconds(1)).code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(shedder.Enter(CallLane::kNewcomer, Clock::time_point::max()).ok())
      << "no deadline at all";
}

TEST(LoadShedderTest, ABoundOfOneStillLetsANewcomerInAndZeroMeansNoBound) {
  LoadShedder one(1, [] { return kNow; });
  EXPECT_TRUE(one.Enter(CallLane::kNewcomer, kLater).ok());
  EXPECT_FALSE(one.Enter(CallLane::kVisitor, kLater).ok());
  LoadShedder unbounded(0, [] { return kNow; });
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(unbounded.Enter(CallLane::kNewcomer, kLater).ok());
  EXPECT_EQ(unbounded.in_flight(), 10000);
}

}  // namespace
}  // namespace anteroom::service
