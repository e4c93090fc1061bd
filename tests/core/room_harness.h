#pragma once

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "server/core/room.h"
#include "tests/testing/room_driver.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::core {

// Drives one Room through an operation sequence (from a seeded generator or fuzzer bytes)
// and checks PRODUCT.md's invariants 1-4 after every step:
//   1. active sessions never exceed the limit (unless it was just lowered); admissions in
//      any minute never exceed the rate plus one second of burst;
//   2. FIFO: queued visitors are admitted in arrival order;
//   3. (pre-queue shuffle: tested in event_test.cc);
//   4. work conservation: no free slot while someone waits, unless the rate or queue-all
//      holds the line; positions are exactly 1..n;
// and that the Changes reported are exactly what a restart needs (a room restored from the
// persisted image answers like the live one).
class RoomHarness {
 public:
  using FailFn = std::function<void(const std::string&)>;

  RoomHarness(uint8_t config, FailFn fail) : fail_(std::move(fail)) {
    settings_.max_active_sessions = 1 + config % 4;
    settings_.session_ttl = absl::Seconds(30 + (config >> 2) % 4 * 15);
    settings_.admissions_per_minute = (config & 0x10) ? 30 : 0;
    settings_.place_hold = (config & 0x20) ? absl::Seconds(60) : absl::ZeroDuration();
    settings_.arrival_ttl = (config & 0x40) ? absl::Seconds(40) : absl::ZeroDuration();
    room_ = std::make_unique<Room>("prop", settings_, now_, &random_);
  }

  void Step(uint8_t op, uint8_t arg) {
    Changes changes;
    switch (op % 9) {
      case 0:
      case 1: {
        // One arrival in eight comes with a priority entry.
        AdmitOptions options;
        if (op % 9 == 1 && arg >= 224) options.entry = Entry::kPriority;
        const std::string client = "c" + std::to_string(arg % 64);
        VisitorView v = room_->Admit(testing::Key(client), 0, now_, &changes, options);
        if (!v.ticket.empty()) {
          tickets_.push_back(v.ticket);
          client_of_ticket_[v.ticket] = client;
        }
        if (!v.session.empty()) sessions_.push_back(v.session);
        break;
      }
      case 2:
        if (!sessions_.empty()) {
          testing::HeartbeatToken(*room_, sessions_[arg % sessions_.size()], now_, &changes);
        }
        break;
      case 3:
        if (!sessions_.empty())
          testing::LeaveToken(*room_, sessions_[arg % sessions_.size()], now_, &changes);
        break;
      case 4:
        if (!tickets_.empty())
          testing::LeaveToken(*room_, tickets_[arg % tickets_.size()], now_, &changes);
        break;
      case 5:
      case 6:
        // Everyone still waiting refreshes except every third ticket (they may abandon).
        for (size_t i = 0; i < tickets_.size(); ++i) {
          if (i % 3 != arg % 3) {
            VisitorView v = testing::PollToken(*room_, tickets_[i], now_);
            if (!v.session.empty()) sessions_.push_back(v.session);
          }
        }
        now_ += absl::Seconds(1 + arg % 20);
        room_->Tick(now_, &changes);
        break;
      case 7:
        settings_.max_active_sessions = 1 + arg % 4;
        room_->UpdateSettings(settings_, now_, &changes);
        break;
      case 8:
        now_ += absl::Milliseconds(arg * 10);
        room_->Tick(now_, &changes);
        break;
    }
    Apply(changes);
    Check(changes);
  }

  // Restores a room from the persisted image and compares it with the live one.
  void CheckRestart() {
    SeededRandom_ other;
    Room restored("prop", settings_, now_, &other);
    for (const auto& [seq, t] : tickets_image_) {
      if (!restored.RestoreTicket(t, now_).ok()) return fail_("ticket restore failed");
    }
    for (auto [id, s] : sessions_image_) {
      // As the record stores it: the lease as last persisted (see Session::persisted_until).
      s.expires_at = std::max(s.expires_at, s.persisted_until);
      if (!restored.RestoreSession(s).ok()) return fail_("session restore failed");
    }
    restored.FinishRestore();
    for (const std::string& t : tickets_) {
      const wire::ParsedToken p = testing::Parse(t);
      const VisitorView a = room_->View(p.id, p.secret, now_);
      const VisitorView b = restored.View(p.id, p.secret, now_);
      if (a.state != b.state || a.position != b.position || a.session != b.session) {
        return fail_(absl::StrCat("restored room disagrees on ", t, ": state ",
                                  static_cast<int>(a.state), " vs ", static_cast<int>(b.state),
                                  ", position ", a.position, " vs ", b.position, ", session ",
                                  a.session, " vs ", b.session, " (", a.reason, "/", b.reason, ")",
                                  DescribeSession(a.session)));
      }
    }
    if (room_->Stats(now_).active_sessions != restored.Stats(now_).active_sessions) {
      return fail_("restored room has a different number of sessions");
    }
    // A visitor who comes back after the restart is given the place they hold, not a new one.
    for (const auto& [ticket, client] : client_of_ticket_) {
      const wire::ParsedToken p = testing::Parse(ticket);
      const VisitorView held = room_->View(p.id, p.secret, now_);
      if (held.state != VisitorState::kQueued && held.state != VisitorState::kAdmitted) continue;
      Changes ignored;
      const VisitorView again = restored.Admit(testing::Key(client), 0, now_, &ignored);
      if (held.state == VisitorState::kQueued ? again.ticket != ticket
                                              : again.session != held.session) {
        return fail_(absl::StrCat("after the restart ", client, " was not given back ", ticket,
                                  " (state ", static_cast<int>(held.state), ")"));
      }
    }
  }

 private:
  using SeededRandom_ = testing::SeededRandom;

  std::string DescribeSession(const std::string& token) {
    if (token.empty()) return "";
    const wire::ParsedToken p = testing::Parse(token);
    auto it = sessions_image_.find(p.id);
    if (it == sessions_image_.end()) return absl::StrCat(" [session ", p.id, " not persisted]");
    return absl::StrCat(" [persisted session ", p.id, " origin ", it->second.origin_ticket,
                        " expires ", absl::FormatTime(it->second.expires_at), " until ",
                        absl::FormatTime(it->second.persisted_until), " now ",
                        absl::FormatTime(now_), "]");
  }

  void Apply(const Changes& c) {
    for (const Ticket& t : c.put_tickets) {
      tickets_image_[t.seq] = t;
      if (t.priority) priority_tickets_.insert(t.id);
    }
    for (const Session& s : c.put_sessions) sessions_image_[s.id] = s;
    for (uint64_t seq : c.erased_ticket_seqs) tickets_image_.erase(seq);
    for (uint64_t id : c.erased_sessions) sessions_image_.erase(id);
  }

  void Check(const Changes& changes) {
    const RoomStats stats = room_->Stats(now_);
    // Invariant 1: the cap (a lowered limit admits nobody until the count falls below it).
    if (changes.admitted > 0 && stats.active_sessions > settings_.max_active_sessions) {
      return fail_(absl::StrCat("cap exceeded: ", stats.active_sessions, " > ",
                                settings_.max_active_sessions));
    }
    // Invariant 1: the rate, over any 60 s window, beyond a burst of one second's worth.
    for (int64_t i = 0; i < changes.admitted; ++i) admissions_.push_back(now_);
    while (!admissions_.empty() && admissions_.front() <= now_ - absl::Seconds(60)) {
      admissions_.pop_front();
    }
    if (settings_.admissions_per_minute > 0 &&
        static_cast<int64_t>(admissions_.size()) >
            settings_.admissions_per_minute +
                std::max<int64_t>(1, settings_.admissions_per_minute / 60)) {
      return fail_(absl::StrCat("rate exceeded: ", admissions_.size(), " admissions in a minute"));
    }
    // Invariant 2: FIFO among queued visitors, in each lane (positions below check that the
    // priority lane goes first).
    for (const Session& s : changes.put_sessions) {
      if (s.origin_ticket != 0 && s.admitted_at == now_ && !seen_sessions_.contains(s.id)) {
        uint64_t& last = priority_tickets_.contains(s.origin_ticket) ? last_admitted_priority_
                                                                     : last_admitted_ticket_;
        if (s.origin_ticket <= last) {
          return fail_(
              absl::StrCat("FIFO violated: ticket ", s.origin_ticket, " admitted after ", last));
        }
        last = s.origin_ticket;
      }
      seen_sessions_.insert(s.id);
    }
    // Invariant 4: work conservation (the rate may hold the line; nothing else may).
    if (stats.active_sessions < stats.max_active_sessions && stats.queue_depth > 0 &&
        settings_.admissions_per_minute == 0) {
      return fail_("a free slot while someone waits");
    }
    // Positions are exactly 1..n, the priority lane first, each lane in arrival order; the
    // image matches the live room.
    int64_t expected = 1;
    for (bool priority : {true, false}) {
      for (const auto& [seq, t] : tickets_image_) {
        if (t.priority != priority) continue;
        const VisitorView v = room_->View(t.id, t.secret, now_);
        if (v.state != VisitorState::kQueued || v.position != expected) {
          return fail_(absl::StrCat("position ", v.position, " where ", expected, " was expected",
                                    priority ? " (priority lane)" : ""));
        }
        ++expected;
      }
    }
    if (static_cast<int64_t>(tickets_image_.size()) != stats.queue_depth) {
      return fail_(absl::StrCat("persisted tickets ", tickets_image_.size(), " != queue depth ",
                                stats.queue_depth));
    }
    if (static_cast<int64_t>(sessions_image_.size()) != stats.active_sessions) {
      return fail_("persisted sessions != active sessions");
    }
  }

  FailFn fail_;
  RoomSettings settings_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  testing::SeededRandom random_;
  std::unique_ptr<Room> room_;
  std::vector<std::string> tickets_, sessions_;
  std::map<std::string, std::string> client_of_ticket_;  // ticket token -> client id
  std::map<uint64_t, Ticket> tickets_image_;
  std::map<uint64_t, Session> sessions_image_;
  std::deque<absl::Time> admissions_;
  absl::flat_hash_set<uint64_t> seen_sessions_;
  uint64_t last_admitted_ticket_ = 0;
  uint64_t last_admitted_priority_ = 0;
  absl::flat_hash_set<uint64_t> priority_tickets_;  // ids of priority places ever made
};

}  // namespace anteroom::core
