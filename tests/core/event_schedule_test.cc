#include "server/core/event_schedule.h"

#include "gtest/gtest.h"

namespace anteroom::core {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

Event At(absl::Duration prequeue, absl::Duration start, absl::Duration end) {
  Event e;
  e.prequeue_start = kNow + prequeue;
  e.start = kNow + start;
  e.end = kNow + end;
  return e;
}

TEST(EventScheduleTest, EventsGetIdsInTurnAreKeptByStartAndMustNotOverlap) {
  EventSchedule schedule;
  const RoomSettings room;
  auto later = schedule.Add(At(absl::Hours(5), absl::Hours(6), absl::Hours(7)), kNow, room);
  auto sooner = schedule.Add(At(absl::Hours(1), absl::Hours(2), absl::Hours(3)), kNow, room);
  ASSERT_TRUE(later.ok() && sooner.ok());
  EXPECT_EQ(later->id, "e1");
  EXPECT_EQ(sooner->id, "e2");
  EXPECT_EQ(schedule.events()[0].id, "e2") << "by start";
  auto overlapping = schedule.Add(At(absl::Hours(2), absl::Hours(3), absl::Hours(4)), kNow, room);
  EXPECT_EQ(overlapping.status().code(), absl::StatusCode::kFailedPrecondition);
  schedule.Remove("e2");
  EXPECT_EQ(schedule.Find("e2"), nullptr);
  EXPECT_EQ(schedule.Add(At(absl::Hours(1), absl::Hours(2), absl::Hours(3)), kNow, room)->id, "e3")
      << "ids are never reused";
}

TEST(EventScheduleTest, PrequeueDueStartInForceAndEndFollowTheClock) {
  EventSchedule schedule;
  RoomSettings room;
  room.max_active_sessions = 10;
  Event e = At(absl::Hours(1), absl::Hours(2), absl::Hours(3));
  e.overrides.max_active_sessions = 500;
  ASSERT_TRUE(schedule.Add(e, kNow, room).ok());

  EXPECT_EQ(schedule.OpenPrequeue(kNow), nullptr);
  EXPECT_NE(schedule.OpenPrequeue(kNow + absl::Hours(1)), nullptr);
  EXPECT_EQ(schedule.NextDue(kNow + absl::Hours(1)), nullptr);
  Event* due = schedule.NextDue(kNow + absl::Hours(2));
  ASSERT_NE(due, nullptr);
  EXPECT_EQ(schedule.InForce(room, kNow + absl::Hours(2)).max_active_sessions, 10)
      << "overrides only once the event has started";
  due->started = true;  // the room placed its pre-queue
  EXPECT_EQ(schedule.NextDue(kNow + absl::Hours(2)), nullptr);
  EXPECT_EQ(schedule.OpenPrequeue(kNow + absl::Hours(2)), nullptr);
  EXPECT_EQ(schedule.InForce(room, kNow + absl::Hours(2)).max_active_sessions, 500);
  EXPECT_TRUE(schedule.RemoveEnded(kNow + absl::Hours(2)).empty());
  EXPECT_EQ(schedule.RemoveEnded(kNow + absl::Hours(3)), std::vector<std::string>{"e1"});
  EXPECT_EQ(schedule.InForce(room, kNow + absl::Hours(3)).max_active_sessions, 10);
  EXPECT_TRUE(schedule.events().empty());
}

TEST(EventScheduleTest, EndedEventsAreNamedWhenRemovedAndLaterOnesStay) {
  EventSchedule schedule;
  const RoomSettings room;
  ASSERT_TRUE(schedule.Add(At(absl::Hours(1), absl::Hours(2), absl::Hours(3)), kNow, room).ok());
  ASSERT_TRUE(schedule.Add(At(absl::Hours(4), absl::Hours(5), absl::Hours(6)), kNow, room).ok());
  for (const char* id : {"e1", "e2"}) schedule.Find(id)->started = true;
  EXPECT_EQ(schedule.RemoveEnded(kNow + absl::Hours(4)), std::vector<std::string>{"e1"});
  ASSERT_EQ(schedule.events().size(), 1u);
  EXPECT_EQ(schedule.events()[0].id, "e2");
}

TEST(EventScheduleTest, RestoredEventsAreOrderedAndNewIdsFollowTheRestoredCounter) {
  EventSchedule schedule;
  Event b = At(absl::Hours(3), absl::Hours(4), absl::Hours(5));
  b.id = "e4";
  Event a = At(absl::Hours(1), absl::Hours(2), absl::Hours(3) - absl::Seconds(1));
  a.id = "e3";
  schedule.Restore(b);
  schedule.Restore(a);
  schedule.RestoreNextNumber(5);
  EXPECT_EQ(schedule.events()[0].id, "e3");
  auto next =
      schedule.Add(At(absl::Hours(6), absl::Hours(7), absl::Hours(8)), kNow, RoomSettings());
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->id, "e5");
}

}  // namespace
}  // namespace anteroom::core
