#pragma once

#include <cstdint>
#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/base/random.h"
#include "server/core/settings.h"

namespace anteroom::core {

// Where a visitor stands (see anteroom.v1.VisitorState).
enum class VisitorState { kAdmitted, kQueued, kPreQueued, kRejected, kExpired };

// What the gateway is told about one visitor.
struct VisitorView {
  VisitorState state = VisitorState::kExpired;
  std::string ticket;    // set while queued, and kept once admitted from the queue
  std::string session;   // set when admitted
  int64_t position = 0;  // 1 = next; 0 when not queued
  absl::Duration estimated_wait = absl::ZeroDuration();
  absl::Duration poll_after = absl::ZeroDuration();
  absl::Time lease_expires_at = absl::InfinitePast();  // set when admitted
  std::string reason;                                  // for kRejected / kExpired
};

// A waiting visitor's place. `seq` orders the queue: smaller is earlier.
struct Ticket {
  std::string token;
  std::string client_id;
  uint64_t seq = 0;
  absl::Time enqueued_at;
};

// An admitted visitor's lease on one slot.
struct Session {
  std::string token;
  std::string client_id;
  std::string origin_ticket;  // empty when admitted at once, without queueing
  absl::Time admitted_at;
  absl::Time expires_at;
};

// Everything one operation changed, for the caller to persist atomically before it
// acknowledges the operation. Operations only append.
struct Changes {
  std::vector<Ticket> put_tickets;
  std::vector<uint64_t> erased_ticket_seqs;
  std::vector<Session> put_sessions;
  std::vector<std::string> erased_sessions;
  int64_t admitted = 0;  // admissions made (at once or from the queue)

  bool empty() const {
    return put_tickets.empty() && erased_ticket_seqs.empty() && put_sessions.empty() &&
           erased_sessions.empty() && admitted == 0;
  }
};

// A room's live figures.
struct RoomStats {
  int64_t queue_depth = 0;
  int64_t active_sessions = 0;
  int64_t admitted_total = 0;
  absl::Duration estimated_wait = absl::ZeroDuration();  // for a visitor arriving now
};

// The waiting-room state machine for one room: a concurrency budget of active sessions with
// leases, and a FIFO queue with exact positions.
//
// Guarantees: active sessions never exceed max_active_sessions (a lowered limit admits
// nobody until the count falls below it); queued visitors are admitted strictly in arrival
// order; a slot freed by Leave goes to the head of the queue within the same operation, and
// one freed by lease expiry within the next Tick; Admit is idempotent per client_id.
//
// Pure logic: every call takes the current time and nothing inside reads a clock, sleeps or
// does I/O. Mutating calls append to `changes` what must be persisted.
//
// Not thread-safe: the owner serialises calls (one lock per room).
class Room {
 public:
  // `settings` must have passed ValidateSettings. `tokens` must outlive the room.
  Room(std::string id, RoomSettings settings, absl::Time created_at, base::TokenSource* tokens);

  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& id() const { return id_; }
  const RoomSettings& settings() const { return settings_; }
  absl::Time created_at() const { return created_at_; }

  // Replaces the settings (already validated); effective at once, e.g. a larger budget
  // admits waiting visitors immediately.
  void UpdateSettings(const RoomSettings& settings, absl::Time now, Changes* changes);

  // A visitor arrives: admitted at once when a slot is free and nobody waits, else queued.
  // A client_id that already holds a place or a session gets that back.
  VisitorView Admit(absl::string_view client_id, absl::Time now, Changes* changes);

  // Read-only view of a ticket: queued with its position, admitted with its session, or
  // expired when unknown or ended.
  VisitorView Poll(absl::string_view ticket, absl::Time now) const;

  // Renews a live session's lease to now + session_ttl; expired or unknown sessions answer
  // kExpired.
  VisitorView Heartbeat(absl::string_view session, absl::Time now, Changes* changes);

  // Ends a ticket (queued or admitted) or a session. Returns false if it was not live.
  bool Leave(absl::string_view token, absl::Time now, Changes* changes);

  // Expires lapsed leases and fills free slots from the head of the queue.
  void Tick(absl::Time now, Changes* changes);

  RoomStats Stats() const;

  // Restoring persisted state, before any other call. Duplicates are refused.
  absl::Status RestoreTicket(Ticket ticket);
  absl::Status RestoreSession(Session session);
  void RestoreAdmittedTotal(int64_t total) { admitted_total_ = total; }

 private:
  // seq -> ticket token, with O(log n) rank queries for exact positions.
  using OrderIndex =
      __gnu_pbds::tree<uint64_t, const std::string*, std::less<uint64_t>, __gnu_pbds::rb_tree_tag,
                       __gnu_pbds::tree_order_statistics_node_update>;

  int64_t active_sessions() const { return static_cast<int64_t>(sessions_.size()); }
  bool HasFreeSlot() const { return active_sessions() < settings_.max_active_sessions; }

  void ExpireLeases(absl::Time now, Changes* changes);
  void FillFreeSlots(absl::Time now, Changes* changes);
  // Creates a session (and its client index entry); returns it.
  const Session& StartSession(std::string client_id, std::string origin_ticket, absl::Time now,
                              Changes* changes);
  void EndSession(const std::string& token, Changes* changes);
  void RemoveTicket(const std::string& token, Changes* changes);

  VisitorView QueuedView(const Ticket& ticket) const;
  VisitorView AdmittedView(const Session& session) const;
  static VisitorView ExpiredView(std::string reason);
  // Estimated time until a visitor at `position` is admitted.
  absl::Duration EstimateWait(int64_t position) const;

  const std::string id_;
  RoomSettings settings_;
  const absl::Time created_at_;
  base::TokenSource* const tokens_;

  absl::node_hash_map<std::string, Ticket> tickets_;  // waiting tickets by token
  OrderIndex order_;                                  // the queue, by seq
  uint64_t next_seq_ = 1;
  absl::node_hash_map<std::string, Session> sessions_;              // by session token
  std::set<std::pair<absl::Time, std::string>> leases_;             // (expires_at, token)
  absl::flat_hash_map<std::string, std::string> by_client_;         // client_id -> ticket/session
  absl::flat_hash_map<std::string, std::string> admitted_tickets_;  // ticket -> session
  int64_t admitted_total_ = 0;
};

}  // namespace anteroom::core
