#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "wire/token.h"

// The values the room core deals in: who a visitor is, what a visitor is told, the
// persisted forms of a place and a session, what one operation changed, and a room's
// figures. Plain data; the parts of a room (server/core/*.h) and its owner pass them around.
namespace anteroom::core {

// A visitor's identity for idempotent Admit: 128 bits the caller derives from the gateway's
// client_id with a keyed hash, so raw client ids are never kept.
struct ClientKey {
  uint64_t hi = 0;
  uint64_t lo = 0;
  friend bool operator==(const ClientKey&, const ClientKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const ClientKey& k) {
    return H::combine(std::move(h), k.hi, k.lo);
  }
};

// Where a visitor stands (see anteroom.v1.VisitorState).
enum class VisitorState { kAdmitted, kQueued, kPreQueued, kRejected, kExpired, kChallenged };

// What the gateway is told about one visitor.
struct VisitorView {
  VisitorState state = VisitorState::kExpired;
  std::string ticket;    // set while waiting, and kept once admitted from the queue
  std::string session;   // set when admitted
  int64_t position = 0;  // 1 = next; 0 when not queued
  absl::Duration estimated_wait = absl::ZeroDuration();
  absl::Duration estimated_wait_max = absl::ZeroDuration();  // upper end of the range
  // Nobody is being admitted (the room is paused with queue_all), so no wait can be told;
  // the estimates are then zero and mean nothing.
  bool wait_unknown = false;
  absl::Duration poll_after = absl::ZeroDuration();
  absl::Time lease_expires_at = absl::InfinitePast();  // set when admitted
  absl::Time event_starts_at = absl::InfinitePast();   // set when pre-queued
  std::string reason;                                  // for kRejected / kExpired
  // For kChallenged: the work of the proof the newcomer must bring (see ChallengeWork).
  int64_t challenge_work = 0;
};

// The persisted form of a waiting visitor's place. `seq` orders the queue (smaller is
// earlier); `id` is what the token names (equal to seq unless the pre-queue shuffle gave the
// ticket a new place).
struct Ticket {
  uint64_t id = 0;
  uint64_t seq = 0;
  wire::Secret secret{};
  ClientKey client;
  absl::Time enqueued_at;
  bool prequeued = false;
  uint64_t source = 0;    // the visitor's source (48 bits), 0 for none
  bool shadow = false;    // over a per-source limit: never admitted
  bool priority = false;  // in the priority lane (an operator's priority entry)
};

// How a newcomer comes in. kRegular: as anyone. With an operator's entry token:
// kPriority, a place in the priority lane, ahead of everyone waiting without one; kBypass,
// admitted at once, whatever the queue and the count (see Room::Admit).
enum class Entry { kRegular, kPriority, kBypass };

struct AdmitOptions {
  // The newcomer brought a valid proof of work (see RoomSettings::challenge_work).
  bool proved_work = false;
  Entry entry = Entry::kRegular;
};

// The persisted form of an admitted visitor's lease on one slot (or, when `revoked`, the
// memory that it was revoked, kept until `expires_at`).
struct Session {
  uint64_t id = 0;
  wire::Secret secret{};
  ClientKey client;
  uint64_t origin_ticket = 0;  // 0 when admitted at once, without queueing
  wire::Secret origin_secret{};
  absl::Time admitted_at;
  absl::Time expires_at;
  // The lease end last persisted, never earlier than expires_at: renewals are written only
  // when they pass it, and then one session TTL beyond, so a restart never shortens a lease
  // (it may lengthen a renewable one by up to a TTL) while most heartbeats write nothing. A
  // fixed lease (no renewal) is persisted as it is.
  absl::Time persisted_until;
  bool arrived = false;  // has sent a Heartbeat
  bool revoked = false;
  uint64_t source = 0;  // the visitor's source (48 bits), 0 for none
};

// Everything one operation changed, for the caller to persist atomically before it
// acknowledges the operation. Operations only append. A record erased by an operation is
// gone at its end even if the same operation wrote it first.
struct Changes {
  std::vector<Ticket> put_tickets;
  std::vector<uint64_t> erased_ticket_seqs;
  std::vector<Session> put_sessions;
  std::vector<uint64_t> erased_sessions;
  // Settings or events changed: rewrite the room record. (Admissions change only the
  // admission counter, which `admitted` says moved.)
  bool room_dirty = false;
  // What happened, for metrics (and `admitted` for the admission counter).
  int64_t admitted = 0;
  int64_t abandoned = 0;
  int64_t expired = 0;
  int64_t no_shows = 0;
  int64_t revoked = 0;
  int64_t rejected_queue_full = 0;          // max_queue_length reached
  int64_t rejected_room_full = 0;           // REJECT rooms with no free slot
  int64_t rejected_source_limit = 0;        // over a per-source limit (rejected, not shadowed)
  std::vector<double> waited_seconds;       // per admission from the queue: time since enqueue
  std::vector<std::string> events_started;  // "<id> started: …" (for the log)
  std::vector<std::string> events_ended;

  bool empty() const {
    return put_tickets.empty() && erased_ticket_seqs.empty() && put_sessions.empty() &&
           erased_sessions.empty() && !room_dirty;  // an admission always puts a session
  }
};

// A room's live figures.
struct RoomStats {
  int64_t queue_depth = 0;     // queued, live
  int64_t prequeue_depth = 0;  // waiting for an event to open
  int64_t shadow_depth = 0;    // in the shadow queue (over a per-source limit)
  int64_t priority_depth = 0;  // of queue_depth, in the priority lane
  int64_t active_sessions = 0;
  int64_t max_active_sessions = 0;  // in force now (events included)
  int64_t admitted_total = 0;
  double observed_admissions_per_minute = 0;
  absl::Duration estimated_wait = absl::ZeroDuration();  // for a visitor arriving now
  bool estimated_wait_unknown = false;                   // nobody is being admitted (queue_all)
};

}  // namespace anteroom::core
