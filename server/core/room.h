#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/base/random.h"
#include "server/core/rank_index.h"
#include "server/core/settings.h"
#include "server/core/token.h"

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
enum class VisitorState { kAdmitted, kQueued, kPreQueued, kRejected, kExpired };

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
};

// The persisted form of a waiting visitor's place. `seq` orders the queue (smaller is
// earlier); `id` is what the token names (equal to seq unless the pre-queue shuffle gave the
// ticket a new place).
struct Ticket {
  uint64_t id = 0;
  uint64_t seq = 0;
  Secret secret{};
  ClientKey client;
  absl::Time enqueued_at;
  bool prequeued = false;
};

// The persisted form of an admitted visitor's lease on one slot (or, when `revoked`, the
// memory that it was revoked, kept until `expires_at`).
struct Session {
  uint64_t id = 0;
  Secret secret{};
  ClientKey client;
  uint64_t origin_ticket = 0;  // 0 when admitted at once, without queueing
  Secret origin_secret{};
  absl::Time admitted_at;
  absl::Time expires_at;
  // The lease end last persisted, never earlier than expires_at: renewals are written only
  // when they pass it, and then one session TTL beyond, so a restart never shortens a lease
  // (it may lengthen a renewable one by up to a TTL) while most heartbeats write nothing. A
  // fixed lease (no renewal) is persisted as it is.
  absl::Time persisted_until;
  bool arrived = false;  // has sent a Heartbeat
  bool revoked = false;
};

// Everything one operation changed, for the caller to persist atomically before it
// acknowledges the operation. Operations only append. A record erased by an operation is
// gone at its end even if the same operation wrote it first.
struct Changes {
  std::vector<Ticket> put_tickets;
  std::vector<uint64_t> erased_ticket_seqs;
  std::vector<Session> put_sessions;
  std::vector<uint64_t> erased_sessions;
  bool room_dirty = false;  // settings, events or counters changed: rewrite the room record
  // What happened, for metrics.
  int64_t admitted = 0;
  int64_t abandoned = 0;
  int64_t expired = 0;
  int64_t no_shows = 0;
  int64_t revoked = 0;
  int64_t rejected_queue_full = 0;          // max_queue_length reached
  int64_t rejected_room_full = 0;           // REJECT rooms with no free slot
  std::vector<double> waited_seconds;       // per admission from the queue: time since enqueue
  std::vector<std::string> events_started;  // "<id> started: …" (for the log)
  std::vector<std::string> events_ended;

  bool empty() const {
    return put_tickets.empty() && erased_ticket_seqs.empty() && put_sessions.empty() &&
           erased_sessions.empty() && !room_dirty;
  }
};

// A room's live figures.
struct RoomStats {
  int64_t queue_depth = 0;     // queued, live
  int64_t prequeue_depth = 0;  // waiting for an event to open
  int64_t active_sessions = 0;
  int64_t max_active_sessions = 0;  // in force now (events included)
  int64_t admitted_total = 0;
  double observed_admissions_per_minute = 0;
  absl::Duration estimated_wait = absl::ZeroDuration();  // for a visitor arriving now
  bool estimated_wait_unknown = false;                   // nobody is being admitted (queue_all)
};

// The waiting-room state machine for one room.
//
// Guarantees (tested in tests/core):
// - Active sessions never exceed max_active_sessions (a lowered limit admits nobody until
//   the count falls below it); admissions never exceed admissions_per_minute beyond a burst
//   of one second's worth.
// - FIFO: queued visitors are admitted in arrival order; RANDOM: each free slot goes to a
//   uniformly random live waiting visitor.
// - Work conservation: a slot freed by Leave or revocation is filled in the same operation;
//   one freed by expiry, a no-show, or a refilled rate budget within the next Tick.
// - Abandoned places (no Poll within place_hold) and no-shows (no Heartbeat within
//   arrival_ttl) are removed, so positions count only live visitors ahead.
// - Events: during the pre-queue arrivals are pre-queued; at start the pre-queue joins the
//   queue, shuffled with the injected random source if asked, ahead of later arrivals,
//   exactly once (the `started` flag is persisted with the new places).
// - Admit is idempotent per ClientKey.
//
// Scale: a position look-up is O(log n); admission work does not depend on queue length;
// a waiting visitor costs about 150 bytes (see docs in README "Scale").
//
// Pure logic: every call takes the current time; nothing inside reads a clock, sleeps or
// does I/O. Mutating calls append to `changes` what must be persisted. Poll changes only
// what need not be persisted (when the visitor was last seen).
//
// Not thread-safe: the owner serialises calls (one lock per room).
class Room {
 public:
  // `settings` must have passed ValidateSettings. `random` must outlive the room.
  Room(std::string id, RoomSettings settings, absl::Time created_at, base::RandomSource* random);

  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& id() const { return id_; }
  // The room's own settings (events may override some of them for a while).
  const RoomSettings& settings() const { return settings_; }
  // The settings in force at `now`: the room's, with a running event's overrides.
  RoomSettings EffectiveSettings(absl::Time now) const;
  absl::Time created_at() const { return created_at_; }
  const std::vector<Event>& events() const { return events_; }
  uint64_t next_event_number() const { return next_event_number_; }

  // Replaces the settings (already validated); effective at once.
  void UpdateSettings(const RoomSettings& settings, absl::Time now, Changes* changes);

  // Schedules an event; assigns its id. INVALID_ARGUMENT / FAILED_PRECONDITION name the
  // problem (see ValidateEvent).
  absl::StatusOr<Event> AddEvent(Event event, absl::Time now, Changes* changes);
  // Cancels a scheduled or running event. A cancelled pre-queue joins the queue at once in
  // arrival order. NOT_FOUND for an unknown id.
  absl::Status CancelEvent(absl::string_view event_id, absl::Time now, Changes* changes);

  // A visitor arrives: admitted at once, queued, pre-queued or rejected. A visitor that
  // already holds a place or a session gets that back.
  VisitorView Admit(const ClientKey& client, absl::Time now, Changes* changes);
  // A waiting visitor's refresh: marks them seen (their place hold restarts) and reports.
  VisitorView Poll(uint64_t ticket_id, const Secret& secret, absl::Time now);
  // What Poll would report, without counting as a refresh.
  VisitorView View(uint64_t ticket_id, const Secret& secret, absl::Time now) const;
  // Renews a live session's lease (or, without renewal, only confirms arrival).
  VisitorView Heartbeat(uint64_t session_id, const Secret& secret, absl::Time now,
                        Changes* changes);
  // Ends a ticket (waiting or admitted) or a session. False if it was not live.
  bool Leave(TokenKind kind, uint64_t id, const Secret& secret, absl::Time now, Changes* changes);
  // An operator ends a session: the slot frees at once and the visitor's next Heartbeat
  // answers "revoked". False if it was not live.
  bool Revoke(uint64_t session_id, const Secret& secret, absl::Time now, Changes* changes);

  // Starts and ends events, expires leases, no-shows and abandoned places, and fills free
  // slots. Call it periodically (the admission tick).
  void Tick(absl::Time now, Changes* changes);

  RoomStats Stats(absl::Time now) const;
  // Approximate bytes of memory held by the room's structures.
  size_t MemoryBytes() const;

  // Credits time the server was down: every lease is extended by `downtime`, so it is not
  // charged against anyone (place holds restart at restore anyway).
  void CreditDowntime(absl::Duration downtime, Changes* changes);

  // Restoring persisted state, before any other call; tickets in ascending seq order.
  // Visitors restored are treated as seen at `now` (downtime does not cost a place).
  absl::Status RestoreTicket(const Ticket& ticket, absl::Time now);
  absl::Status RestoreSession(const Session& session);
  void RestoreEvent(const Event& event) { events_.push_back(event); }
  void RestoreCounters(int64_t admitted_total, uint64_t next_event_number);
  int64_t admitted_total() const { return admitted_total_; }

 private:
  enum class SlotState : uint8_t { kEmpty, kQueued, kPreQueued };
  // A waiting visitor in memory (80 bytes).
  struct Slot {
    Secret secret;
    ClientKey client;
    uint64_t id = 0;
    uint64_t prev = 0;  // place-hold list, by seq; 0 = none
    uint64_t next = 0;
    int64_t last_seen_us = 0;
    int64_t enqueued_us = 0;
    SlotState state = SlotState::kEmpty;
  };

  // Slots by seq in chunks of 256 consecutive seqs, allocated on first use and freed when
  // their last visitor leaves: dense like an array while the queue drains in order, without
  // an array's cost for the gaps RANDOM admissions and departures leave behind.
  class SlotTable {
   public:
    Slot* Find(uint64_t seq);
    const Slot* Find(uint64_t seq) const;
    // `seq` must not be present.
    Slot& Insert(uint64_t seq, const Slot& slot);
    void Erase(uint64_t seq);
    size_t MemoryBytes() const;

   private:
    static constexpr uint64_t kChunkSlots = 256;
    struct Chunk {
      std::array<Slot, kChunkSlots> slots;
      int live = 0;
    };
    uint64_t base_chunk_ = 0;  // chunk number of chunks_[0]
    std::deque<std::unique_ptr<Chunk>> chunks_;
  };
  static constexpr uint64_t kSessionPlace = uint64_t{1} << 63;

  int64_t active_sessions() const { return static_cast<int64_t>(sessions_.size()); }
  int64_t waiting() const { return queue_.size() + prequeue_count_; }
  uint64_t SeqOf(uint64_t ticket_id) const;
  Secret NewSecret();
  const Event* PrequeueEvent(absl::Time now) const;

  void AdvanceEvents(absl::Time now, Changes* changes);
  void StartEvent(Event& event, absl::Time now, Changes* changes);
  void ExpireLeases(absl::Time now, Changes* changes);
  void ForgetRevoked(absl::Time now, Changes* changes);
  void ExpireAbandoned(absl::Time now, const RoomSettings& s, Changes* changes);
  void FillFreeSlots(absl::Time now, const RoomSettings& s, Changes* changes);
  bool TakeAdmissionToken(absl::Time now, const RoomSettings& s);
  void RecordAdmission(absl::Time now);
  double ObservedAdmissionsPerSecond(absl::Time now) const;

  uint64_t Enqueue(const ClientKey& client, bool prequeued, absl::Time now, Changes* changes);
  void AdmitTicket(uint64_t seq, absl::Time now, const RoomSettings& s, Changes* changes);
  const Session& StartSession(const ClientKey& client, uint64_t origin_ticket,
                              const Secret& origin_secret, absl::Time now, const RoomSettings& s,
                              Changes* changes);
  void EndSession(uint64_t id, absl::Time now, bool revoke, Changes* changes);
  void RemoveTicket(uint64_t seq, Changes* changes);
  void LinkTail(uint64_t seq, Slot& slot);
  void Unlink(Slot& slot);
  Ticket ToTicket(uint64_t seq, const Slot& slot) const;

  VisitorView QueuedView(uint64_t seq, const Slot& slot, absl::Time now) const;
  // `event` is the pre-queue's event, or null in the instant between its start and the tick.
  VisitorView PrequeuedView(const Slot& slot, const Event* event) const;
  VisitorView AdmittedView(const Session& session) const;
  static VisitorView ExpiredView(std::string reason);
  static VisitorView RejectedView(std::string reason);
  static VisitorView QueueFull(Changes* changes);
  // Admissions per second to base estimates on: observed outflow, else the configured bound;
  // 0 while nobody is admitted (queue_all), when no estimate can be given.
  double OutflowPerSecond(absl::Time now, const RoomSettings& s) const;
  static absl::Duration PollAfter(absl::Duration wait);

  const std::string id_;
  RoomSettings settings_;
  const absl::Time created_at_;
  base::RandomSource* const random_;

  // Waiting visitors.
  SlotTable slots_;                                // by seq
  absl::flat_hash_map<uint64_t, uint64_t> remap_;  // ticket id -> seq, after a shuffle
  RankIndex queue_;                                // queued seqs (not pre-queued)
  std::vector<uint64_t> prequeue_;                 // pre-queued seqs (some may have left)
  int64_t prequeue_count_ = 0;
  uint64_t lru_head_ = 0;  // least recently seen queued visitor
  uint64_t lru_tail_ = 0;
  uint64_t next_seq_ = 1;  // also the next ticket id

  // Admitted visitors.
  absl::flat_hash_map<uint64_t, Session> sessions_;
  std::set<std::pair<absl::Time, uint64_t>> leases_;  // (expires_at, session id)
  absl::flat_hash_map<uint64_t, Session> revoked_;
  std::set<std::pair<absl::Time, uint64_t>> revoked_until_;
  absl::flat_hash_map<uint64_t, uint64_t> admitted_tickets_;  // ticket id -> session id
  uint64_t next_session_id_ = 1;

  absl::flat_hash_map<ClientKey, uint64_t> clients_;  // ticket id, or session id | kSessionPlace

  std::vector<Event> events_;  // by start
  uint64_t next_event_number_ = 1;

  // Outflow: a token bucket for admissions_per_minute, and a one-minute window of
  // admissions per second for estimates.
  double bucket_ = 1;
  absl::Time bucket_at_;
  std::array<int32_t, 60> per_second_{};
  int64_t window_second_ = 0;  // Unix second of the newest entry of per_second_
  absl::Time observing_since_;
  int64_t admitted_total_ = 0;
};

}  // namespace anteroom::core
