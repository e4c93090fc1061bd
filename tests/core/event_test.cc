// Events: pre-queue, shuffle at start (fair, exactly once, across restarts), overrides.

#include <cmath>
#include <map>

#include "gtest/gtest.h"
#include "server/core/room.h"
#include "tests/testing/room_driver.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::core {
namespace {

using testing::Key;
using testing::PollToken;
using testing::SeededRandom;

// What the store would hold: tickets, sessions and the room record's events.
struct Image {
  std::map<uint64_t, Ticket> tickets;
  std::map<uint64_t, Session> sessions;
  std::vector<Event> events;

  void Apply(const Changes& c, const Room& room) {
    for (const Ticket& t : c.put_tickets) tickets[t.seq] = t;
    for (const Session& s : c.put_sessions) sessions[s.id] = s;
    for (uint64_t seq : c.erased_ticket_seqs) tickets.erase(seq);
    for (uint64_t id : c.erased_sessions) sessions.erase(id);
    if (c.room_dirty) events = room.events();
  }

  std::unique_ptr<Room> Restore(const RoomSettings& settings, absl::Time now,
                                base::RandomSource* random) const {
    auto room = std::make_unique<Room>("ev", settings, now, random);
    for (const Event& e : events) room->RestoreEvent(e);
    for (const auto& [seq, t] : tickets) EXPECT_TRUE(room->RestoreTicket(t, now).ok());
    for (const auto& [id, s] : sessions) EXPECT_TRUE(room->RestoreSession(s).ok());
    room->FinishRestore();
    return room;
  }
};

class EventTest : public ::testing::Test {
 protected:
  static constexpr absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

  RoomSettings Settings(int64_t max_active = 1) {
    RoomSettings s;
    s.max_active_sessions = max_active;
    s.session_ttl = absl::Hours(24);  // nobody leaves during these tests
    return s;
  }

  Event PrequeueEvent(bool shuffle = true) {
    Event e;
    e.prequeue_start = kT0 + absl::Minutes(10);
    e.start = kT0 + absl::Minutes(20);
    e.end = kT0 + absl::Minutes(80);
    e.shuffle_at_start = shuffle;
    return e;
  }

  // Admits `n` visitors during the pre-queue of `room`; returns their tickets in arrival
  // order.
  std::vector<std::string> Prequeue(Room& room, int n, absl::Time at, Image* image = nullptr) {
    std::vector<std::string> tickets;
    for (int i = 0; i < n; ++i) {
      Changes c;
      VisitorView v = room.Admit(Key("pre" + std::to_string(i)), at, &c);
      EXPECT_EQ(v.state, VisitorState::kPreQueued);
      tickets.push_back(v.ticket);
      if (image) image->Apply(c, room);
    }
    return tickets;
  }

  SeededRandom random_{7};
};

TEST_F(EventTest, PrequeueThenStartPlacesItAheadOfLaterArrivals) {
  Room room("ev", Settings(1), kT0, &random_);
  Changes c;
  ASSERT_TRUE(room.AddEvent(PrequeueEvent(), kT0, &c).ok());
  const VisitorView holder = room.Admit(Key("holder"), kT0, &c);
  ASSERT_EQ(holder.state, VisitorState::kAdmitted) << "before the pre-queue: normal rules";
  const VisitorView early = room.Admit(Key("early"), kT0 + absl::Minutes(1), &c);
  ASSERT_EQ(early.state, VisitorState::kQueued);

  const absl::Time during = kT0 + absl::Minutes(15);
  const std::vector<std::string> pre = Prequeue(room, 5, during);
  const VisitorView v = PollToken(room, pre[0], during);
  EXPECT_EQ(v.state, VisitorState::kPreQueued);
  EXPECT_EQ(v.event_starts_at, kT0 + absl::Minutes(20));
  EXPECT_EQ(room.Stats(during).prequeue_depth, 5);

  const absl::Time start = kT0 + absl::Minutes(20);
  room.Tick(start, &c);
  const VisitorView late = room.Admit(Key("late"), start, &c);
  EXPECT_EQ(PollToken(room, early.ticket, start).position, 1) << "queued before the pre-queue";
  std::set<int64_t> positions;
  for (const std::string& t : pre) positions.insert(PollToken(room, t, start).position);
  EXPECT_EQ(positions, (std::set<int64_t>{2, 3, 4, 5, 6}));
  EXPECT_EQ(late.position, 7) << "later arrivals only after the pre-queue";
  EXPECT_TRUE(room.events()[0].started);
}

TEST_F(EventTest, ShuffleIsUniformAndUncorrelatedWithArrival) {
  constexpr int kVisitors = 8;
  constexpr int kTrials = 4000;
  int counts[kVisitors][kVisitors] = {};
  double correlation_sum = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    Room room("ev", Settings(1), kT0, &random_);
    Changes c;
    ASSERT_TRUE(room.AddEvent(PrequeueEvent(), kT0, &c).ok());
    const std::vector<std::string> pre = Prequeue(room, kVisitors, kT0 + absl::Minutes(15));
    const absl::Time start = kT0 + absl::Minutes(20);
    room.Tick(start, &c);
    // The first slot goes at once; the rest are queued: position 0 = admitted.
    double sum_d2 = 0;
    for (int i = 0; i < kVisitors; ++i) {
      const VisitorView v = PollToken(room, pre[i], start);
      const int place = v.state == VisitorState::kAdmitted ? 0 : static_cast<int>(v.position);
      ASSERT_LT(place, kVisitors);
      ++counts[i][place];
      sum_d2 += (i - place) * (i - place);
    }
    correlation_sum += 1 - 6 * sum_d2 / (kVisitors * (kVisitors * kVisitors - 1.0));  // Spearman
  }
  double chi2 = 0;
  const double expected = static_cast<double>(kTrials) / kVisitors;
  for (auto& row : counts) {
    for (int n : row) chi2 += (n - expected) * (n - expected) / expected;
  }
  // 49 degrees of freedom; critical value at p = 0.001 is 85.35.
  EXPECT_LT(chi2, 85.35) << "arrival -> place is not uniform";
  EXPECT_LT(std::abs(correlation_sum / kTrials), 0.05) << "place correlates with arrival";
}

TEST_F(EventTest, WithoutShuffleThePrequeueKeepsArrivalOrder) {
  Room room("ev", Settings(1), kT0, &random_);
  Changes c;
  ASSERT_TRUE(room.AddEvent(PrequeueEvent(/*shuffle=*/false), kT0, &c).ok());
  room.Admit(Key("holder"), kT0, &c);
  const std::vector<std::string> pre = Prequeue(room, 4, kT0 + absl::Minutes(15));
  room.Tick(kT0 + absl::Minutes(20), &c);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(PollToken(room, pre[i], kT0 + absl::Minutes(20)).position, i + 1);
}

TEST_F(EventTest, OverridesApplyFromStartToEnd) {
  Room room("ev", Settings(1), kT0, &random_);
  Changes c;
  Event e = PrequeueEvent();
  e.overrides.max_active_sessions = 3;
  ASSERT_TRUE(room.AddEvent(e, kT0, &c).ok());
  EXPECT_EQ(room.Stats(kT0).max_active_sessions, 1);
  room.Tick(kT0 + absl::Minutes(20), &c);
  EXPECT_EQ(room.Stats(kT0 + absl::Minutes(20)).max_active_sessions, 3);
  room.Tick(kT0 + absl::Minutes(80), &c);
  EXPECT_EQ(room.Stats(kT0 + absl::Minutes(80)).max_active_sessions, 1);
  EXPECT_TRUE(room.events().empty()) << "an ended event is removed";
}

TEST_F(EventTest, OverlappingEventsAreRefusedAndBadTimesNamed) {
  Room room("ev", Settings(1), kT0, &random_);
  Changes c;
  ASSERT_TRUE(room.AddEvent(PrequeueEvent(), kT0, &c).ok());
  Event overlap = PrequeueEvent();
  overlap.prequeue_start = kT0 + absl::Minutes(70);
  overlap.start = kT0 + absl::Minutes(90);
  overlap.end = kT0 + absl::Minutes(100);
  EXPECT_EQ(room.AddEvent(overlap, kT0, &c).status().code(), absl::StatusCode::kFailedPrecondition);
  Event backwards = PrequeueEvent();
  backwards.start = kT0 + absl::Hours(5);
  backwards.end = kT0 + absl::Hours(4);
  backwards.prequeue_start = backwards.start;
  absl::Status s = room.AddEvent(backwards, kT0, &c).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("event.end"), absl::string_view::npos);
  // A pre-queue "from now" that reaches the room a moment late opens at once; one long past
  // is refused as a likely typo.
  Event late = PrequeueEvent();
  late.start = kT0 + absl::Hours(6);
  late.end = kT0 + absl::Hours(7);
  late.prequeue_start = kT0 - absl::Seconds(2);
  Room fresh("ev2", Settings(1), kT0, &random_);
  EXPECT_TRUE(fresh.AddEvent(late, kT0, &c).ok());
  Event typo = PrequeueEvent();
  typo.start = kT0 + absl::Hours(8);
  typo.end = kT0 + absl::Hours(9);
  typo.prequeue_start = kT0 - absl::Hours(1);
  s = fresh.AddEvent(typo, kT0, &c).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("event.prequeue_start"), absl::string_view::npos);
}

TEST_F(EventTest, CancellingDuringThePrequeueQueuesEveryoneInArrivalOrder) {
  Room room("ev", Settings(1), kT0, &random_);
  Changes c;
  absl::StatusOr<Event> e = room.AddEvent(PrequeueEvent(), kT0, &c);
  ASSERT_TRUE(e.ok());
  room.Admit(Key("holder"), kT0, &c);
  const absl::Time during = kT0 + absl::Minutes(15);
  const std::vector<std::string> pre = Prequeue(room, 3, during);
  ASSERT_TRUE(room.CancelEvent(e->id, during, &c).ok());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(PollToken(room, pre[i], during).position, i + 1);
  EXPECT_EQ(room.CancelEvent(e->id, during, &c).code(), absl::StatusCode::kNotFound);
}

TEST_F(EventTest, RestartDuringThePrequeueShufflesOnceAtStart) {
  Image image;
  RoomSettings settings = Settings(1);
  Room room("ev", settings, kT0, &random_);
  Changes c;
  ASSERT_TRUE(room.AddEvent(PrequeueEvent(), kT0, &c).ok());
  image.Apply(c, room);
  const std::vector<std::string> pre = Prequeue(room, 20, kT0 + absl::Minutes(15), &image);

  // Crash during the pre-queue; restart; the start passes while it runs.
  SeededRandom other(99);
  std::unique_ptr<Room> restored = image.Restore(settings, kT0 + absl::Minutes(16), &other);
  for (const std::string& t : pre) {
    EXPECT_EQ(PollToken(*restored, t, kT0 + absl::Minutes(16)).state, VisitorState::kPreQueued);
  }
  Changes start;
  restored->Tick(kT0 + absl::Minutes(20), &start);
  image.Apply(start, *restored);
  std::set<int64_t> positions;
  for (const std::string& t : pre) {
    const VisitorView v = PollToken(*restored, t, kT0 + absl::Minutes(20));
    positions.insert(v.state == VisitorState::kAdmitted ? 0 : v.position);
  }
  EXPECT_EQ(positions.size(), 20u) << "everyone placed, nobody twice";

  // Crash at the start instant, after the shuffle was persisted: a second restart must not
  // shuffle again.
  std::map<std::string, int64_t> before;
  for (const std::string& t : pre)
    before[t] = PollToken(*restored, t, kT0 + absl::Minutes(20)).position;
  SeededRandom third(1234);
  std::unique_ptr<Room> again = image.Restore(settings, kT0 + absl::Minutes(20), &third);
  Changes none;
  again->Tick(kT0 + absl::Minutes(20), &none);
  EXPECT_TRUE(none.events_started.empty()) << "the shuffle happened exactly once";
  for (const std::string& t : pre) {
    EXPECT_EQ(PollToken(*again, t, kT0 + absl::Minutes(20)).position, before[t]);
  }
}

}  // namespace
}  // namespace anteroom::core
