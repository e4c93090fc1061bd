#include "server/core/room.h"

#include <map>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/testing/room_driver.h"
#include "tests/testing/sim_clock.h"
#include "wire/token.h"

namespace anteroom::core {
namespace {

using testing::HeartbeatToken;
using testing::Key;
using testing::LeaveToken;
using testing::PollToken;
using testing::SeededRandom;

RoomSettings Settings(int64_t max_active, absl::Duration ttl = absl::Minutes(5)) {
  RoomSettings s;
  s.max_active_sessions = max_active;
  s.session_ttl = ttl;
  return s;
}

class RoomTest : public ::testing::Test {
 protected:
  VisitorView Admit(Room& room, const std::string& client) {
    return room.Admit(Key(client), now_, &changes_);
  }
  VisitorView Poll(Room& room, const std::string& ticket) { return PollToken(room, ticket, now_); }
  VisitorView Heartbeat(Room& room, const std::string& session) {
    return HeartbeatToken(room, session, now_, &changes_);
  }
  bool Leave(Room& room, const std::string& token) {
    return LeaveToken(room, token, now_, &changes_);
  }

  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  SeededRandom random_;
  Changes changes_;
};

TEST_F(RoomTest, AdmitsUntilFullThenQueuesWithExactPositions) {
  Room room("shop", Settings(2), now_, &random_);
  EXPECT_EQ(Admit(room, "a").state, VisitorState::kAdmitted);
  EXPECT_EQ(Admit(room, "b").state, VisitorState::kAdmitted);
  for (int i = 1; i <= 3; ++i) {
    VisitorView v = Admit(room, "q" + std::to_string(i));
    EXPECT_EQ(v.state, VisitorState::kQueued);
    EXPECT_EQ(v.position, i);
    EXPECT_GT(v.estimated_wait, absl::ZeroDuration());
  }
  RoomStats stats = room.Stats(now_);
  EXPECT_EQ(stats.active_sessions, 2);
  EXPECT_EQ(stats.queue_depth, 3);
  EXPECT_EQ(stats.admitted_total, 2);
}

TEST_F(RoomTest, AdmitIsIdempotentPerClient) {
  Room room("shop", Settings(1), now_, &random_);
  const VisitorView first = Admit(room, "a");
  EXPECT_EQ(Admit(room, "a").session, first.session);
  const VisitorView queued = Admit(room, "b");
  EXPECT_EQ(Admit(room, "b").ticket, queued.ticket);
  EXPECT_EQ(room.Stats(now_).queue_depth, 1);
}

TEST_F(RoomTest, TokensCannotBeForgedFromOneAnother) {
  Room room("shop", Settings(1), now_, &random_);
  Admit(room, "a");
  const VisitorView b = Admit(room, "b");
  wire::ParsedToken t = testing::Parse(b.ticket);
  EXPECT_EQ(room.Poll(t.id, t.secret, now_).state, VisitorState::kQueued);
  wire::Secret wrong = t.secret;
  wrong[1] ^= 1;
  EXPECT_EQ(room.Poll(t.id, wrong, now_).state, VisitorState::kExpired) << "one bit off";
  EXPECT_EQ(room.Poll(t.id + 1, t.secret, now_).state, VisitorState::kExpired);
  EXPECT_FALSE(room.Leave(wire::TokenKind::kTicket, t.id, wrong, now_, &changes_));
  EXPECT_EQ(room.Stats(now_).queue_depth, 1);
}

TEST_F(RoomTest, LeaveOfASessionAdmitsTheHeadAtOnce) {
  Room room("shop", Settings(1), now_, &random_);
  const VisitorView a = Admit(room, "a");
  const VisitorView b = Admit(room, "b");
  const VisitorView c = Admit(room, "c");
  EXPECT_TRUE(Leave(room, a.session));
  const VisitorView b_now = Poll(room, b.ticket);
  EXPECT_EQ(b_now.state, VisitorState::kAdmitted);
  EXPECT_EQ(b_now.ticket, b.ticket);
  EXPECT_EQ(Poll(room, c.ticket).position, 1);
  EXPECT_FALSE(Leave(room, a.session)) << "a second Leave ends nothing";
  EXPECT_EQ(Heartbeat(room, a.session).state, VisitorState::kExpired);
}

TEST_F(RoomTest, LeaveOfAQueuedTicketMovesEveryoneBehindUp) {
  Room room("shop", Settings(1), now_, &random_);
  Admit(room, "a");
  const VisitorView b = Admit(room, "b");
  const VisitorView c = Admit(room, "c");
  EXPECT_TRUE(Leave(room, b.ticket));
  EXPECT_EQ(Poll(room, b.ticket).state, VisitorState::kExpired);
  EXPECT_EQ(Poll(room, c.ticket).position, 1);
}

TEST_F(RoomTest, LeaseExpiresAfterTtlUnlessRenewed) {
  Room room("shop", Settings(1, absl::Seconds(30)), now_, &random_);
  const VisitorView a = Admit(room, "a");
  const VisitorView b = Admit(room, "b");
  now_ += absl::Seconds(20);
  EXPECT_EQ(Heartbeat(room, a.session).lease_expires_at, now_ + absl::Seconds(30));
  now_ += absl::Seconds(29);
  room.Tick(now_, &changes_);
  EXPECT_EQ(Poll(room, b.ticket).state, VisitorState::kQueued);
  now_ += absl::Seconds(1);
  room.Tick(now_, &changes_);
  EXPECT_EQ(Heartbeat(room, a.session).state, VisitorState::kExpired);
  EXPECT_EQ(Poll(room, b.ticket).state, VisitorState::kAdmitted);
}

TEST_F(RoomTest, HeartbeatsArePersistedCoarselyAndNeverShortenThePersistedLease) {
  Room room("shop", Settings(1, absl::Seconds(90)), now_, &random_);
  const VisitorView a = Admit(room, "a");
  int writes = 0;
  absl::Time persisted = absl::InfinitePast();
  for (int i = 0; i < 30; ++i) {  // a heartbeat every 30 s for 15 minutes
    now_ += absl::Seconds(30);
    Changes changes;
    const VisitorView v = HeartbeatToken(room, a.session, now_, &changes);
    ASSERT_EQ(v.state, VisitorState::kAdmitted);
    for (const Session& s : changes.put_sessions) {
      ++writes;
      persisted = std::max(s.expires_at, s.persisted_until);
    }
    ASSERT_GE(persisted, v.lease_expires_at) << "a crash now would shorten the lease";
  }
  EXPECT_LE(writes, 11) << "about one write per session TTL, not one per heartbeat";
}

TEST_F(RoomTest, AVisitorWhoHeartbeatsWhenToldKeepsItsSessionForAsLongAsItStays) {
  // A short lease, renewed again and again: the hint must stay well inside what is left of
  // the lease however old the session gets.
  const absl::Duration ttl = absl::Seconds(30);
  Room room("shop", Settings(1, ttl), now_, &random_);
  const VisitorView a = Admit(room, "a");
  absl::Duration next = a.poll_after;
  for (int i = 0; i < 200; ++i) {
    ASSERT_LE(next, ttl / 3) << "heartbeat " << i;
    now_ += next;
    room.Tick(now_, &changes_);
    const VisitorView v = Heartbeat(room, a.session);
    ASSERT_EQ(v.state, VisitorState::kAdmitted) << "lost after " << now_ - a.lease_expires_at;
    next = v.poll_after;
  }
}

TEST_F(RoomTest, DowntimeIsCreditedToEveryLease) {
  Room room("shop", Settings(2, absl::Seconds(60)), now_, &random_);
  const VisitorView a = Admit(room, "a");
  Changes changes;
  room.CreditDowntime(absl::Minutes(5), &changes);
  EXPECT_EQ(changes.put_sessions.size(), 1u);
  now_ += absl::Minutes(5) + absl::Seconds(59);
  room.Tick(now_, &changes_);
  EXPECT_EQ(Heartbeat(room, a.session).state, VisitorState::kAdmitted);
}

TEST_F(RoomTest, WithoutRenewalASessionIsOneFixedLease) {
  RoomSettings s = Settings(1, absl::Seconds(60));
  s.session_renewal = false;
  Room room("shop", s, now_, &random_);
  const VisitorView a = Admit(room, "a");
  now_ += absl::Seconds(50);
  EXPECT_EQ(Heartbeat(room, a.session).lease_expires_at, a.lease_expires_at);
  now_ += absl::Seconds(10);
  room.Tick(now_, &changes_);
  EXPECT_EQ(Heartbeat(room, a.session).state, VisitorState::kExpired);
}

TEST_F(RoomTest, WithoutRenewalTheFixedLeaseIsPersistedAsItIs) {
  RoomSettings s = Settings(1, absl::Seconds(60));
  s.session_renewal = false;
  s.arrival_ttl = absl::Seconds(30);
  Room room("shop", s, now_, &random_);
  const absl::Time admitted_at = now_;
  const VisitorView a = Admit(room, "a");
  now_ += absl::Seconds(10);
  Changes changes;
  const VisitorView arrived = HeartbeatToken(room, a.session, now_, &changes);
  ASSERT_EQ(arrived.lease_expires_at, admitted_at + absl::Seconds(60));
  ASSERT_EQ(changes.put_sessions.size(), 1u);  // the arrival is written
  const Session& written = changes.put_sessions[0];
  // A restart restores the lease the record holds: still the fixed one, not a TTL longer.
  EXPECT_EQ(std::max(written.expires_at, written.persisted_until), arrived.lease_expires_at);
}

TEST_F(RoomTest, NoShowsLoseTheSlotAfterTheArrivalTtl) {
  RoomSettings s = Settings(1);
  s.arrival_ttl = absl::Seconds(60);
  Room room("shop", s, now_, &random_);
  Admit(room, "no-show");
  const VisitorView b = Admit(room, "b");
  now_ += absl::Seconds(60);
  Changes changes;
  room.Tick(now_, &changes);
  EXPECT_EQ(changes.no_shows, 1);
  const VisitorView b_in = Poll(room, b.ticket);
  ASSERT_EQ(b_in.state, VisitorState::kAdmitted);
  // b shows up: the lease becomes the full session TTL.
  now_ += absl::Seconds(30);
  EXPECT_EQ(Heartbeat(room, b_in.session).lease_expires_at, now_ + absl::Minutes(5));
  now_ += absl::Seconds(90);
  room.Tick(now_, &changes_);
  EXPECT_EQ(Heartbeat(room, b_in.session).state, VisitorState::kAdmitted);
}

TEST_F(RoomTest, AbandonedPlacesAreDroppedAndNotCountedInPositions) {
  RoomSettings s = Settings(1, absl::Hours(1));
  s.place_hold = absl::Minutes(5);
  Room room("shop", s, now_, &random_);
  Admit(room, "a");
  const VisitorView gone = Admit(room, "gone");
  const VisitorView stays = Admit(room, "stays");
  ASSERT_EQ(Poll(room, stays.ticket).position, 2);
  for (int i = 0; i < 20; ++i) {
    now_ += absl::Seconds(20);
    Poll(room, stays.ticket);
    room.Tick(now_, &changes_);
  }
  EXPECT_EQ(Poll(room, gone.ticket).state, VisitorState::kExpired);
  EXPECT_EQ(Poll(room, stays.ticket).position, 1);
  EXPECT_EQ(room.Stats(now_).queue_depth, 1);
}

TEST_F(RoomTest, AdmissionsPerMinuteIsATokenBucketWithOneSecondOfBurst) {
  RoomSettings s = Settings(1000);
  s.admissions_per_minute = 120;  // 2 per second, burst 2
  Room room("shop", s, now_, &random_);
  int admitted = 0;
  for (int i = 0; i < 10; ++i) {
    if (Admit(room, "v" + std::to_string(i)).state == VisitorState::kAdmitted) ++admitted;
  }
  EXPECT_EQ(admitted, 2) << "burst of one second's worth";
  now_ += absl::Milliseconds(500);
  Changes changes;
  room.Tick(now_, &changes);
  EXPECT_EQ(changes.admitted, 1);
  now_ += absl::Seconds(2);
  changes = Changes();
  room.Tick(now_, &changes);
  EXPECT_EQ(changes.admitted, 2) << "refill is capped at the burst";
}

TEST_F(RoomTest, RaisingTheLimitAdmitsAtOnceAndLoweringItEvictsNobody) {
  Room room("shop", Settings(1), now_, &random_);
  Admit(room, "a");
  const VisitorView b = Admit(room, "b");
  const VisitorView c = Admit(room, "c");
  room.UpdateSettings(Settings(3), now_, &changes_);
  EXPECT_EQ(Poll(room, b.ticket).state, VisitorState::kAdmitted);
  EXPECT_EQ(Poll(room, c.ticket).state, VisitorState::kAdmitted);
  room.UpdateSettings(Settings(1), now_, &changes_);
  EXPECT_EQ(room.Stats(now_).active_sessions, 3);
  const VisitorView d = Admit(room, "d");
  EXPECT_EQ(d.state, VisitorState::kQueued);
  Leave(room, Poll(room, b.ticket).session);
  EXPECT_EQ(Poll(room, d.ticket).state, VisitorState::kQueued) << "still 2 active > 1";
}

TEST_F(RoomTest, QueueAllAdmitsNobodyAndMaxQueueLengthRejects) {
  RoomSettings s = Settings(5);
  s.queue_all = true;
  s.max_queue_length = 2;
  Room room("shop", s, now_, &random_);
  EXPECT_EQ(Admit(room, "a").state, VisitorState::kQueued);
  EXPECT_EQ(Admit(room, "b").state, VisitorState::kQueued);
  const VisitorView c = Admit(room, "c");
  EXPECT_EQ(c.state, VisitorState::kRejected);
  EXPECT_EQ(c.reason, "queue full");
  s.queue_all = false;
  room.UpdateSettings(s, now_, &changes_);
  EXPECT_EQ(room.Stats(now_).active_sessions, 2) << "resuming admits the queue at once";
}

TEST_F(RoomTest, APausedRoomTellsNoWaitSinceNobodyIsAdmittedUntilItResumes) {
  RoomSettings s = Settings(5);
  s.admissions_per_minute = 60;
  Room room("shop", s, now_, &random_);
  Admit(room, "early");  // admitted: the room has an outflow to go by
  s.queue_all = true;
  room.UpdateSettings(s, now_, &changes_);
  std::vector<std::string> tickets;
  for (int i = 1; i <= 3; ++i) {
    const VisitorView v = Admit(room, "q" + std::to_string(i));
    ASSERT_EQ(v.state, VisitorState::kQueued);
    EXPECT_EQ(v.position, i);
    EXPECT_TRUE(v.wait_unknown) << "position " << i;
    EXPECT_EQ(v.estimated_wait, absl::ZeroDuration());
    EXPECT_EQ(v.estimated_wait_max, absl::ZeroDuration());
    EXPECT_GT(v.poll_after, absl::ZeroDuration());
    tickets.push_back(v.ticket);
  }
  EXPECT_TRUE(Poll(room, tickets[2]).wait_unknown);
  EXPECT_TRUE(room.Stats(now_).estimated_wait_unknown);
  EXPECT_EQ(room.Stats(now_).estimated_wait, absl::ZeroDuration());

  // Resumed: estimates again.
  s.queue_all = false;
  room.UpdateSettings(s, now_, &changes_);
  now_ += absl::Seconds(10);
  room.Tick(now_, &changes_);
  VisitorView resumed = Poll(room, tickets[2]);
  ASSERT_EQ(resumed.state, VisitorState::kQueued);
  EXPECT_FALSE(resumed.wait_unknown);
  EXPECT_GT(resumed.estimated_wait, absl::ZeroDuration());
  EXPECT_FALSE(room.Stats(now_).estimated_wait_unknown);
}

TEST_F(RoomTest, RejectMethodHasNoQueue) {
  RoomSettings s = Settings(1);
  s.queueing_method = QueueingMethod::kReject;
  Room room("shop", s, now_, &random_);
  const VisitorView a = Admit(room, "a");
  EXPECT_EQ(a.state, VisitorState::kAdmitted);
  const VisitorView b = Admit(room, "b");
  EXPECT_EQ(b.state, VisitorState::kRejected);
  EXPECT_TRUE(b.ticket.empty());
  Leave(room, a.session);
  EXPECT_EQ(Admit(room, "b").state, VisitorState::kAdmitted);
}

TEST_F(RoomTest, PassthroughAdmitsEveryoneAndCounts) {
  RoomSettings s = Settings(1);
  s.queueing_method = QueueingMethod::kPassthrough;
  Room room("shop", s, now_, &random_);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(Admit(room, std::to_string(i)).state, VisitorState::kAdmitted);
  EXPECT_EQ(room.Stats(now_).active_sessions, 5);
}

TEST_F(RoomTest, RandomGivesEachFreeSlotToAUniformlyRandomWaitingVisitor) {
  // 6 visitors wait; one slot frees at a time. Over many trials each is first equally often.
  std::map<int, int> firsts;
  const int kTrials = 3000;
  for (int trial = 0; trial < kTrials; ++trial) {
    RoomSettings s = Settings(1);
    s.queueing_method = QueueingMethod::kRandom;
    Room room("r", s, now_, &random_);
    const VisitorView holder = Admit(room, "holder");
    std::vector<std::string> tickets;
    for (int i = 0; i < 6; ++i) tickets.push_back(Admit(room, std::to_string(i)).ticket);
    Leave(room, holder.session);
    for (int i = 0; i < 6; ++i) {
      if (Poll(room, tickets[i]).state == VisitorState::kAdmitted) ++firsts[i];
    }
  }
  double chi2 = 0;
  const double expected = kTrials / 6.0;
  for (int i = 0; i < 6; ++i) chi2 += (firsts[i] - expected) * (firsts[i] - expected) / expected;
  EXPECT_LT(chi2, 20.5) << "chi-square, 5 degrees of freedom, p = 0.001";
}

TEST_F(RoomTest, RandomReportsAWaitRange) {
  RoomSettings s = Settings(1);
  s.queueing_method = QueueingMethod::kRandom;
  Room room("r", s, now_, &random_);
  Admit(room, "holder");
  VisitorView v;
  for (int i = 0; i < 10; ++i) v = Admit(room, std::to_string(i));
  EXPECT_LT(v.estimated_wait, v.estimated_wait_max);
}

TEST_F(RoomTest, RevokedSessionFreesTheSlotAndIsToldSo) {
  Room room("shop", Settings(1), now_, &random_);
  const VisitorView a = Admit(room, "a");
  const VisitorView b = Admit(room, "b");
  const wire::ParsedToken t = testing::Parse(a.session);
  EXPECT_TRUE(room.Revoke(t.id, t.secret, now_, &changes_));
  EXPECT_EQ(Poll(room, b.ticket).state, VisitorState::kAdmitted);
  const VisitorView told = Heartbeat(room, a.session);
  EXPECT_EQ(told.state, VisitorState::kExpired);
  EXPECT_EQ(told.reason, "session revoked");
}

TEST_F(RoomTest, EstimatedWaitFollowsTheObservedOutflow) {
  Room room("shop", Settings(10, absl::Minutes(10)), now_, &random_);
  std::vector<VisitorView> in;
  for (int i = 0; i < 10; ++i) in.push_back(Admit(room, "in" + std::to_string(i)));
  const VisitorView waiting = Admit(room, "waiting");
  // Configured bound (nothing has left the queue yet): 10 slots per 10 minutes = 1 per
  // minute, the admissions at once not counting as outflow.
  EXPECT_EQ(waiting.estimated_wait, absl::Minutes(1));
  // Visitors actually leave every 2 s: the estimate follows.
  for (int i = 0; i < 9; ++i) {
    now_ += absl::Seconds(2);
    Leave(room, in[i].session);
    Admit(room, "more" + std::to_string(i));
  }
  const VisitorView later = Admit(room, "later");
  EXPECT_LT(later.estimated_wait, absl::Seconds(later.position * 5)) << later.position;
}

TEST_F(RoomTest, TheHeadOfTheLinePollsOftenSinceASlotMayFreeAnyMoment) {
  Room room("shop", Settings(1, absl::Minutes(10)), now_, &random_);
  Admit(room, "in");
  std::vector<VisitorView> line;
  for (int i = 0; i < 20; ++i) line.push_back(Admit(room, "q" + std::to_string(i)));
  EXPECT_GT(line[0].estimated_wait, absl::Minutes(5));  // the average says: minutes
  EXPECT_EQ(line[0].poll_after, absl::Seconds(2));      // but the next is told to look soon
  EXPECT_EQ(line[2].poll_after, absl::Seconds(6));
  EXPECT_EQ(line[19].poll_after, absl::Seconds(20));  // far back: the usual hint
}

TEST_F(RoomTest, APerSourceCapRejectsTheExcessAndAPlaceBackFreesTheCap) {
  RoomSettings s = Settings(1);
  s.max_places_per_source = 2;
  Room room("shop", s, now_, &random_);
  const SourceKey bot = 7, honest = 8;
  const VisitorView first = room.Admit(Key("b1"), bot, now_, &changes_);
  EXPECT_EQ(first.state, VisitorState::kAdmitted);
  EXPECT_EQ(room.Admit(Key("b2"), bot, now_, &changes_).state, VisitorState::kQueued);
  const VisitorView over = room.Admit(Key("b3"), bot, now_, &changes_);
  EXPECT_EQ(over.state, VisitorState::kRejected);
  EXPECT_EQ(over.reason, "too many places from your network; try again later");
  EXPECT_EQ(changes_.rejected_source_limit, 1);
  EXPECT_EQ(room.Admit(Key("h1"), honest, now_, &changes_).position, 2) << "others still queue";
  EXPECT_EQ(room.Admit(Key("b2"), bot, now_, &changes_).position, 1) << "a retry is no new place";

  // The admitted one leaves: a place back (b2, admitted from the queue in its stead, is
  // the same place it held).
  Leave(room, first.session);
  EXPECT_EQ(room.Admit(Key("b4"), bot, now_, &changes_).state, VisitorState::kQueued);
  EXPECT_EQ(room.Admit(Key("b5"), bot, now_, &changes_).state, VisitorState::kRejected);
  // b2's session lapses: another place back.
  now_ += absl::Minutes(6);
  room.Tick(now_, &changes_);
  EXPECT_NE(room.Admit(Key("b5"), bot, now_, &changes_).state, VisitorState::kRejected);
}

TEST_F(RoomTest, NewPlacesPerSourceAreRateLimited) {
  RoomSettings s = Settings(100);
  s.new_places_per_source_per_minute = 3;
  Room room("shop", s, now_, &random_);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(room.Admit(Key("v" + std::to_string(i)), 7, now_, &changes_).state,
              VisitorState::kAdmitted);
  EXPECT_EQ(room.Admit(Key("v3"), 7, now_, &changes_).state, VisitorState::kRejected);
  now_ += absl::Seconds(20);
  EXPECT_EQ(room.Admit(Key("v3"), 7, now_, &changes_).state, VisitorState::kAdmitted);
}

TEST_F(RoomTest, AShadowPlaceLooksQueuedButNeverReachesTheFront) {
  RoomSettings s = Settings(1);
  s.max_places_per_source = 1;
  s.over_source_limit = SourceLimitAction::kShadow;
  s.place_hold = absl::Minutes(1);
  Room room("shop", s, now_, &random_);
  const VisitorView in = room.Admit(Key("b1"), 7, now_, &changes_);
  const VisitorView shadow = room.Admit(Key("b2"), 7, now_, &changes_);
  EXPECT_EQ(shadow.state, VisitorState::kQueued);
  EXPECT_EQ(shadow.position, 1) << "at the back of an empty line";
  EXPECT_EQ(changes_.rejected_source_limit, 0) << "not told it was turned away";
  const VisitorView honest = room.Admit(Key("h1"), 8, now_, &changes_);
  EXPECT_EQ(honest.position, 1) << "a shadow place takes no one's position";
  EXPECT_EQ(Poll(room, shadow.ticket).position, 2) << "always behind the real line";
  EXPECT_EQ(room.Stats(now_).shadow_depth, 1);
  EXPECT_EQ(room.Stats(now_).queue_depth, 1);

  Leave(room, in.session);
  EXPECT_EQ(Poll(room, honest.ticket).state, VisitorState::kAdmitted) << "the honest one goes in";
  for (int i = 0; i < 10; ++i) {
    now_ += absl::Seconds(20);
    EXPECT_EQ(Poll(room, shadow.ticket).state, VisitorState::kQueued) << "never admitted";
    Leave(room, Poll(room, honest.ticket).session);  // slots keep freeing
    room.Tick(now_, &changes_);
  }
  now_ += absl::Minutes(2);  // stops polling: the place hold drops it like any other
  room.Tick(now_, &changes_);
  EXPECT_EQ(Poll(room, shadow.ticket).state, VisitorState::kExpired);
  EXPECT_EQ(room.Stats(now_).shadow_depth, 0);
}

TEST_F(RoomTest, PlacesPerSourceAreCountedAgainAfterARestore) {
  RoomSettings s = Settings(1);
  s.max_places_per_source = 2;
  Room room("shop", s, now_, &random_);
  Changes all;
  room.Admit(Key("a"), 7, now_, &all);
  room.Admit(Key("b"), 7, now_, &all);
  Room restored("shop", s, now_, &random_);
  for (const Ticket& t : all.put_tickets) ASSERT_TRUE(restored.RestoreTicket(t, now_).ok());
  for (const Session& session : all.put_sessions)
    ASSERT_TRUE(restored.RestoreSession(session).ok());
  restored.FinishRestore();
  EXPECT_EQ(restored.Admit(Key("c"), 7, now_, &changes_).state, VisitorState::kRejected);
}

TEST_F(RoomTest, ARecordWithAnIdNoPlaceCanHaveIsRefusedAtRestore) {
  Room room("shop", Settings(1), now_, &random_);
  Changes all;
  room.Admit(Key("a"), now_, &all);  // a session
  room.Admit(Key("b"), now_, &all);  // a ticket
  ASSERT_EQ(all.put_tickets.size(), 1u);
  ASSERT_EQ(all.put_sessions.size(), 1u);
  const auto refused = [&](const absl::Status& s) {
    return s.code() == absl::StatusCode::kDataLoss && absl::StrContains(s.message(), "room shop");
  };
  for (const uint64_t id : {uint64_t{0}, all.put_tickets[0].seq + 1, uint64_t{1} << 63}) {
    Ticket t = all.put_tickets[0];
    t.id = id;
    Room restored("shop", Settings(1), now_, &random_);
    EXPECT_TRUE(refused(restored.RestoreTicket(t, now_))) << id;
  }
  for (const uint64_t id : {uint64_t{0}, (uint64_t{1} << 63) | 5}) {
    Session session = all.put_sessions[0];
    session.id = id;
    Room restored("shop", Settings(1), now_, &random_);
    EXPECT_TRUE(refused(restored.RestoreSession(session))) << id;
  }
  // The records as written restore.
  Room restored("shop", Settings(1), now_, &random_);
  EXPECT_TRUE(restored.RestoreTicket(all.put_tickets[0], now_).ok());
  EXPECT_TRUE(restored.RestoreSession(all.put_sessions[0]).ok());
  restored.FinishRestore();
  EXPECT_EQ(restored.Admit(Key("b"), now_, &changes_).position, 1);
}

TEST_F(RoomTest, ANewcomerIsChallengedFirstAndTheChallengeTakesNothing) {
  RoomSettings s = Settings(1);
  s.challenge_work = 50'000;
  s.max_places_per_source = 1;
  Room room("shop", s, now_, &random_);
  for (int i = 0; i < 5; ++i) {  // however often asked: nothing held, nothing counted
    const VisitorView asked = room.Admit(Key("a"), 7, now_, &changes_);
    EXPECT_EQ(asked.state, VisitorState::kChallenged);
    EXPECT_EQ(asked.challenge_work, 50'000);
    EXPECT_TRUE(asked.ticket.empty());
    EXPECT_TRUE(asked.session.empty());
  }
  EXPECT_EQ(room.Stats(now_).active_sessions, 0);
  EXPECT_EQ(changes_.rejected_source_limit, 0) << "unproved newcomers do not use the source's cap";

  const VisitorView in = room.Admit(Key("a"), 7, now_, &changes_, {.proved_work = true});
  EXPECT_EQ(in.state, VisitorState::kAdmitted);
  // Whoever holds a place or a session is not asked again.
  EXPECT_EQ(room.Admit(Key("a"), 7, now_, &changes_).session, in.session);
  const VisitorView queued = room.Admit(Key("b"), 8, now_, &changes_, {.proved_work = true});
  EXPECT_EQ(queued.state, VisitorState::kQueued);
  EXPECT_EQ(room.Admit(Key("b"), 8, now_, &changes_).ticket, queued.ticket);
  // The source cap still applies to proved newcomers.
  EXPECT_EQ(room.Admit(Key("c"), 7, now_, &changes_, {.proved_work = true}).state,
            VisitorState::kRejected);
}

TEST_F(RoomTest, TheChallengeGrowsWithTheLineUpToItsMaximum) {
  RoomSettings s = Settings(1);
  s.challenge_work = 10'000;
  s.challenge_work_max = 110'000;
  s.challenge_work_full_at = 10;
  Room room("shop", s, now_, &random_);
  room.Admit(Key("in"), 0, now_, &changes_, {.proved_work = true});
  for (int waiting = 0; waiting < 12; ++waiting) {
    EXPECT_EQ(room.Admit(Key("new"), 0, now_, &changes_).challenge_work,
              std::min(110'000, 10'000 + 10'000 * waiting))
        << waiting << " waiting";
    room.Admit(Key("w" + std::to_string(waiting)), 0, now_, &changes_, {.proved_work = true});
  }
  // Off again: everyone is placed at once.
  s.challenge_work = 0;
  s.challenge_work_max = 0;
  room.UpdateSettings(s, now_, &changes_);
  EXPECT_EQ(room.Admit(Key("new"), 0, now_, &changes_).state, VisitorState::kQueued);
}

TEST_F(RoomTest, ThePriorityLaneGoesFirstInArrivalOrderAndSurvivesARestore) {
  RoomSettings s = Settings(1);
  s.max_queue_length = 2;
  s.challenge_work = 1'000;
  Room room("shop", s, now_, &random_);
  const AdmitOptions proved{.proved_work = true};
  const AdmitOptions priority{.entry = Entry::kPriority};
  const VisitorView in = room.Admit(Key("in"), 0, now_, &changes_, proved);
  const VisitorView a = room.Admit(Key("a"), 0, now_, &changes_, proved);
  const VisitorView b = room.Admit(Key("b"), 0, now_, &changes_, proved);
  EXPECT_EQ(room.Admit(Key("c"), 0, now_, &changes_, proved).state, VisitorState::kRejected)
      << "the queue is full for everyone else";
  // Priority: no challenge, not refused for a full queue, ahead of a and b.
  const VisitorView p1 = room.Admit(Key("p1"), 0, now_, &changes_, priority);
  const VisitorView p2 = room.Admit(Key("p2"), 0, now_, &changes_, priority);
  ASSERT_EQ(p1.state, VisitorState::kQueued);
  EXPECT_EQ(p1.position, 1);
  EXPECT_EQ(p2.position, 2);
  EXPECT_EQ(Poll(room, a.ticket).position, 3);
  EXPECT_EQ(Poll(room, b.ticket).position, 4);
  EXPECT_EQ(room.Stats(now_).queue_depth, 4);
  EXPECT_EQ(room.Stats(now_).priority_depth, 2);

  // Restored from what was persisted: the same line.
  Room restored("shop", s, now_, &random_);
  for (const Ticket& t : changes_.put_tickets) {
    if (std::find(changes_.erased_ticket_seqs.begin(), changes_.erased_ticket_seqs.end(), t.seq) ==
        changes_.erased_ticket_seqs.end()) {
      ASSERT_TRUE(restored.RestoreTicket(t, now_).ok());
    }
  }
  restored.FinishRestore();
  for (Room* r : {&room, &restored}) {
    EXPECT_EQ(Poll(*r, p2.ticket).position, 2);
    EXPECT_EQ(Poll(*r, a.ticket).position, 3);
  }
  // Slots go to the priority lane first, then the queue in order.
  Leave(room, in.session);
  EXPECT_EQ(Poll(room, p1.ticket).state, VisitorState::kAdmitted);
  EXPECT_EQ(Poll(room, a.ticket).position, 2);
  Leave(room, Poll(room, p1.ticket).session);
  EXPECT_EQ(Poll(room, p2.ticket).state, VisitorState::kAdmitted);
  Leave(room, Poll(room, p2.ticket).session);
  EXPECT_EQ(Poll(room, a.ticket).state, VisitorState::kAdmitted);
}

TEST_F(RoomTest, ABypassGoesInAtOnceEvenWhenFullAndTheRoomAdmitsNobodyElseUntilBelowTheCap) {
  Room room("shop", Settings(1), now_, &random_);
  const VisitorView in = room.Admit(Key("in"), 0, now_, &changes_);
  const VisitorView waiting = room.Admit(Key("w"), 0, now_, &changes_);
  ASSERT_EQ(waiting.state, VisitorState::kQueued);
  const VisitorView staff = room.Admit(Key("staff"), 7, now_, &changes_, {.entry = Entry::kBypass});
  EXPECT_EQ(staff.state, VisitorState::kAdmitted);
  EXPECT_EQ(room.Stats(now_).active_sessions, 2) << "counted: the site's load is real";
  Leave(room, in.session);
  EXPECT_EQ(Poll(room, waiting.ticket).state, VisitorState::kQueued)
      << "still at the cap: nobody else goes in";
  Leave(room, staff.session);
  EXPECT_EQ(Poll(room, waiting.ticket).state, VisitorState::kAdmitted);
}

}  // namespace
}  // namespace anteroom::core
