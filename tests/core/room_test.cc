#include "server/core/room.h"

#include <map>
#include <random>

#include "gtest/gtest.h"
#include "server/core/token.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::core {
namespace {

using testing::CountingTokenSource;

class RoomTest : public ::testing::Test {
 protected:
  RoomSettings Settings(int64_t max_active, absl::Duration ttl = absl::Minutes(5)) {
    RoomSettings s;
    s.max_active_sessions = max_active;
    s.session_ttl = ttl;
    return s;
  }

  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  CountingTokenSource tokens_;
  Changes changes_;
};

TEST_F(RoomTest, AdmitsUntilFullThenQueuesWithExactPositions) {
  Room room("shop", Settings(2), now_, &tokens_);
  EXPECT_EQ(room.Admit("a", now_, &changes_).state, VisitorState::kAdmitted);
  EXPECT_EQ(room.Admit("b", now_, &changes_).state, VisitorState::kAdmitted);
  for (int i = 1; i <= 3; ++i) {
    VisitorView v = room.Admit("q" + std::to_string(i), now_, &changes_);
    EXPECT_EQ(v.state, VisitorState::kQueued);
    EXPECT_EQ(v.position, i);
    EXPECT_FALSE(v.ticket.empty());
    EXPECT_GT(v.estimated_wait, absl::ZeroDuration());
  }
  RoomStats stats = room.Stats();
  EXPECT_EQ(stats.active_sessions, 2);
  EXPECT_EQ(stats.queue_depth, 3);
  EXPECT_EQ(stats.admitted_total, 2);
}

TEST_F(RoomTest, AdmitIsIdempotentPerClientId) {
  Room room("shop", Settings(1), now_, &tokens_);
  const VisitorView first = room.Admit("a", now_, &changes_);
  EXPECT_EQ(room.Admit("a", now_, &changes_).session, first.session);
  const VisitorView queued = room.Admit("b", now_, &changes_);
  const VisitorView retry = room.Admit("b", now_, &changes_);
  EXPECT_EQ(retry.ticket, queued.ticket);
  EXPECT_EQ(retry.position, 1);
  EXPECT_EQ(room.Stats().queue_depth, 1);
  EXPECT_EQ(room.Stats().active_sessions, 1);
}

TEST_F(RoomTest, LeaveOfASessionAdmitsTheHeadAtOnce) {
  Room room("shop", Settings(1), now_, &tokens_);
  const VisitorView a = room.Admit("a", now_, &changes_);
  const VisitorView b = room.Admit("b", now_, &changes_);
  const VisitorView c = room.Admit("c", now_, &changes_);
  ASSERT_EQ(b.position, 1);
  ASSERT_EQ(c.position, 2);
  EXPECT_TRUE(room.Leave(a.session, now_, &changes_));
  const VisitorView b_now = room.Poll(b.ticket, now_);
  EXPECT_EQ(b_now.state, VisitorState::kAdmitted);
  EXPECT_FALSE(b_now.session.empty());
  EXPECT_EQ(b_now.ticket, b.ticket);
  EXPECT_EQ(room.Poll(c.ticket, now_).position, 1);
  EXPECT_FALSE(room.Leave(a.session, now_, &changes_)) << "a second Leave ends nothing";
  EXPECT_EQ(room.Heartbeat(a.session, now_, &changes_).state, VisitorState::kExpired);
}

TEST_F(RoomTest, LeaveOfAQueuedTicketMovesEveryoneBehindUp) {
  Room room("shop", Settings(1), now_, &tokens_);
  room.Admit("a", now_, &changes_);
  const VisitorView b = room.Admit("b", now_, &changes_);
  const VisitorView c = room.Admit("c", now_, &changes_);
  EXPECT_TRUE(room.Leave(b.ticket, now_, &changes_));
  EXPECT_EQ(room.Poll(b.ticket, now_).state, VisitorState::kExpired);
  EXPECT_EQ(room.Poll(c.ticket, now_).position, 1);
  EXPECT_EQ(room.Stats().active_sessions, 1) << "leaving the queue frees no slot";
}

TEST_F(RoomTest, LeaseExpiresAfterTtlUnlessRenewed) {
  Room room("shop", Settings(1, absl::Seconds(30)), now_, &tokens_);
  const VisitorView a = room.Admit("a", now_, &changes_);
  const VisitorView b = room.Admit("b", now_, &changes_);
  now_ += absl::Seconds(20);
  const VisitorView renewed = room.Heartbeat(a.session, now_, &changes_);
  EXPECT_EQ(renewed.state, VisitorState::kAdmitted);
  EXPECT_EQ(renewed.lease_expires_at, now_ + absl::Seconds(30));
  now_ += absl::Seconds(29);
  room.Tick(now_, &changes_);
  EXPECT_EQ(room.Poll(b.ticket, now_).state, VisitorState::kQueued);
  now_ += absl::Seconds(1);
  room.Tick(now_, &changes_);
  EXPECT_EQ(room.Heartbeat(a.session, now_, &changes_).state, VisitorState::kExpired);
  EXPECT_EQ(room.Poll(b.ticket, now_).state, VisitorState::kAdmitted);
}

TEST_F(RoomTest, PollOfAnAdmittedTicketWhoseLeaseLapsedIsExpiredEvenBeforeTheTick) {
  Room room("shop", Settings(1, absl::Seconds(10)), now_, &tokens_);
  room.Admit("a", now_, &changes_);
  const VisitorView b = room.Admit("b", now_, &changes_);
  room.Leave(room.Admit("a", now_, &changes_).session, now_, &changes_);
  ASSERT_EQ(room.Poll(b.ticket, now_).state, VisitorState::kAdmitted);
  EXPECT_EQ(room.Poll(b.ticket, now_ + absl::Seconds(10)).state, VisitorState::kExpired);
}

TEST_F(RoomTest, RaisingTheLimitAdmitsAtOnceAndLoweringItEvictsNobody) {
  Room room("shop", Settings(1), now_, &tokens_);
  room.Admit("a", now_, &changes_);
  const VisitorView b = room.Admit("b", now_, &changes_);
  const VisitorView c = room.Admit("c", now_, &changes_);
  room.UpdateSettings(Settings(3), now_, &changes_);
  EXPECT_EQ(room.Poll(b.ticket, now_).state, VisitorState::kAdmitted);
  EXPECT_EQ(room.Poll(c.ticket, now_).state, VisitorState::kAdmitted);
  room.UpdateSettings(Settings(1), now_, &changes_);
  EXPECT_EQ(room.Stats().active_sessions, 3);
  const VisitorView d = room.Admit("d", now_, &changes_);
  EXPECT_EQ(d.state, VisitorState::kQueued);
  room.Leave(room.Poll(b.ticket, now_).session, now_, &changes_);
  EXPECT_EQ(room.Poll(d.ticket, now_).state, VisitorState::kQueued) << "still 2 active > 1";
}

TEST_F(RoomTest, TokensNameTheirRoomAndKind) {
  Room room("shop", Settings(1), now_, &tokens_);
  const VisitorView a = room.Admit("a", now_, &changes_);
  const VisitorView b = room.Admit("b", now_, &changes_);
  auto session = ParseToken(a.session);
  auto ticket = ParseToken(b.ticket);
  ASSERT_TRUE(session && ticket);
  EXPECT_EQ(session->kind, TokenKind::kSession);
  EXPECT_EQ(ticket->kind, TokenKind::kTicket);
  EXPECT_EQ(session->room, "shop");
  EXPECT_FALSE(ParseToken("t.shop.short"));
  EXPECT_FALSE(ParseToken("x.shop.AAAAAAAAAAAAAAAAAAAAAA"));
  EXPECT_FALSE(ParseToken("t.Shop.AAAAAAAAAAAAAAAAAAAAAA"));
  EXPECT_FALSE(ParseToken("t.shop.AAAAAAAAAAAAAAAAAAAAA="));
  EXPECT_TRUE(ParseToken("t.shop.AAAAAAAAAAAAAAAAAAAAAA"));
}

TEST(SettingsTest, ValidationNamesTheFieldAndRefusesWhatIsNotImplemented) {
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
  s.queueing_method = QueueingMethod::kRandom;
  status = ValidateSettings(s);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(status.message().find("settings.queueing_method"), absl::string_view::npos);
  s = RoomSettings();
  s.admissions_per_minute = 60;
  EXPECT_EQ(ValidateSettings(s).code(), absl::StatusCode::kUnimplemented);
  EXPECT_FALSE(ValidateRoomId("", "room").ok());
  EXPECT_FALSE(ValidateRoomId("-x", "room").ok());
  EXPECT_FALSE(ValidateRoomId(std::string(64, 'a'), "room").ok());
  EXPECT_TRUE(ValidateRoomId("vaccine-booking_2", "room").ok());
}

// A persisted image of a room built only from the Changes it reported: what the store would
// hold. Restoring a room from it must give the same room.
struct PersistedImage {
  std::map<uint64_t, Ticket> tickets;
  std::map<std::string, Session> sessions;

  void Apply(const Changes& c) {
    for (const Ticket& t : c.put_tickets) tickets[t.seq] = t;
    for (const Session& s : c.put_sessions) sessions[s.token] = s;
    for (uint64_t seq : c.erased_ticket_seqs) tickets.erase(seq);
    for (const std::string& token : c.erased_sessions) sessions.erase(token);
  }
};

// Random operation sequences on a simulated clock, checking after every step:
//  - active sessions never exceed the limit;
//  - FIFO: visitors are admitted from the queue in arrival order, nobody overtakes;
//  - work conservation: no free slot while someone waits (after each operation);
//  - positions are exactly 1..n in arrival order;
//  - the changes reported are exactly what a restart needs (restored room == live room).
TEST(RoomPropertyTest, RandomOperationsKeepTheInvariants) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    std::mt19937 rng(seed);
    CountingTokenSource tokens;
    absl::Time now = absl::FromUnixSeconds(1'800'000'000);
    RoomSettings settings;
    settings.max_active_sessions = 1 + static_cast<int64_t>(rng() % 4);
    settings.session_ttl = absl::Seconds(5 + rng() % 20);
    Room room("prop", settings, now, &tokens);
    PersistedImage image;
    std::vector<std::string> tickets, sessions;
    uint64_t last_admitted_seq = 0;
    std::map<std::string, uint64_t> seq_of_ticket;

    for (int step = 0; step < 400; ++step) {
      Changes changes;
      switch (rng() % 7) {
        case 0:
        case 1: {
          VisitorView v = room.Admit("c" + std::to_string(rng() % 60), now, &changes);
          if (!v.ticket.empty()) tickets.push_back(v.ticket);
          if (!v.session.empty()) sessions.push_back(v.session);
          break;
        }
        case 2:
          if (!sessions.empty()) {
            room.Heartbeat(sessions[rng() % sessions.size()], now, &changes);
          }
          break;
        case 3:
          if (!sessions.empty()) room.Leave(sessions[rng() % sessions.size()], now, &changes);
          break;
        case 4:
          if (!tickets.empty()) room.Leave(tickets[rng() % tickets.size()], now, &changes);
          break;
        case 5:
          now += absl::Seconds(rng() % 10);
          room.Tick(now, &changes);
          break;
        case 6:
          settings.max_active_sessions = 1 + static_cast<int64_t>(rng() % 4);
          room.UpdateSettings(settings, now, &changes);
          break;
      }
      image.Apply(changes);
      for (const Ticket& t : changes.put_tickets) seq_of_ticket[t.token] = t.seq;
      for (const Session& s : changes.put_sessions) {
        if (!s.origin_ticket.empty() && s.admitted_at == now &&
            std::find(sessions.begin(), sessions.end(), s.token) == sessions.end()) {
          const uint64_t seq = seq_of_ticket[s.origin_ticket];
          ASSERT_GT(seq, last_admitted_seq) << "FIFO violated: a later arrival was admitted first";
          last_admitted_seq = seq;
          sessions.push_back(s.token);
        }
      }

      const RoomStats stats = room.Stats();
      // Invariant 1 holds whenever the limit was not lowered below the current count.
      if (changes.admitted > 0) {
        ASSERT_LE(stats.active_sessions, settings.max_active_sessions);
      }
      if (stats.active_sessions < settings.max_active_sessions) {
        ASSERT_EQ(stats.queue_depth, 0) << "a free slot while someone waits";
      }
      int64_t expected_position = 1;
      for (const auto& [seq, t] : image.tickets) {
        const VisitorView v = room.Poll(t.token, now);
        ASSERT_EQ(v.state, VisitorState::kQueued);
        ASSERT_EQ(v.position, expected_position++);
      }
      ASSERT_EQ(static_cast<int64_t>(image.tickets.size()), stats.queue_depth);
      ASSERT_EQ(static_cast<int64_t>(image.sessions.size()), stats.active_sessions);
    }

    // Restart: a room restored from the persisted image answers as the live one.
    Room restored("prop", settings, now, &tokens);
    for (const auto& [seq, t] : image.tickets) ASSERT_TRUE(restored.RestoreTicket(t).ok());
    for (const auto& [token, s] : image.sessions) ASSERT_TRUE(restored.RestoreSession(s).ok());
    for (const std::string& t : tickets) {
      const VisitorView a = room.Poll(t, now), b = restored.Poll(t, now);
      ASSERT_EQ(a.state, b.state);
      ASSERT_EQ(a.position, b.position);
      ASSERT_EQ(a.session, b.session);
    }
  }
}

}  // namespace
}  // namespace anteroom::core
