#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/random.h"
#include "server/core/event_schedule.h"
#include "server/core/lease_table.h"
#include "server/core/outflow.h"
#include "server/core/room_types.h"
#include "server/core/settings.h"
#include "server/core/source_limits.h"
#include "server/core/waiting_line.h"
#include "wire/token.h"

namespace anteroom::core {

// The waiting-room state machine for one room: the admission policy over its parts, the
// WaitingLine (places), the LeaseTable (sessions), the Outflow (rate and estimates) and the
// EventSchedule.
//
// Guarantees (tests/core; each enforced where the comment says):
// - Active sessions never exceed max_active_sessions (a lowered limit admits nobody until
//   the count falls below it), except by the sessions of bypass entries, which an operator's
//   token admits whatever the count [Room::FillFreeSlots, Room::Admit]; admissions never exceed
//   admissions_per_minute beyond a burst of one second's worth [Outflow::TakeToken].
// - FIFO: queued visitors are admitted in arrival order; RANDOM: each free slot goes to a
//   uniformly random live waiting visitor [Room::FillFreeSlots over WaitingLine order].
//   The priority lane (operators' priority entries) goes first, in arrival order.
// - Work conservation: a slot freed by Leave or revocation is filled in the same operation;
//   one freed by expiry, a no-show, or a refilled rate budget within the next Tick
//   [Room::Leave, Room::Revoke, Room::Tick].
// - Abandoned places (no Poll within place_hold) and no-shows (no Heartbeat within
//   arrival_ttl) are removed, so positions count only live visitors ahead
//   [Room::ExpireAbandoned, Room::ExpireLeases; Room::View hides a lapsed place at once].
// - Events: during the pre-queue arrivals are pre-queued; at start the pre-queue joins the
//   queue, shuffled with the injected random source if asked, ahead of later arrivals,
//   exactly once (the `started` flag is persisted with the new places)
//   [Room::StartEvent, WaitingLine::PlacePrequeue].
// - Admit is idempotent per ClientKey: one place or session per visitor [Room::clients_,
//   Room::Assign].
// - Per source, live places never exceed max_places_per_source and new places stay within
//   new_places_per_source_per_minute; a shadow place never reaches the front
//   [SourceLimits, Room::Admit; WaitingLine keeps shadow places out of the queue].
//
// Scale: a position look-up is O(log n); admission work does not depend on queue length;
// a waiting visitor costs under 100 bytes (README "Scale").
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
  RoomSettings EffectiveSettings(absl::Time now) const { return schedule_.InForce(settings_, now); }
  absl::Time created_at() const { return created_at_; }
  const std::vector<Event>& events() const { return schedule_.events(); }
  uint64_t next_event_number() const { return schedule_.next_event_number(); }

  // Replaces the settings (already validated); effective at once.
  void UpdateSettings(const RoomSettings& settings, absl::Time now, Changes* changes);

  // Schedules an event; assigns its id. INVALID_ARGUMENT / FAILED_PRECONDITION name the
  // problem (see ValidateEvent).
  absl::StatusOr<Event> AddEvent(Event event, absl::Time now, Changes* changes);
  // Cancels a scheduled or running event. A cancelled pre-queue joins the queue at once in
  // arrival order. NOT_FOUND for an unknown id.
  absl::Status CancelEvent(absl::string_view event_id, absl::Time now, Changes* changes);

  // A visitor arrives (from `source`, 0 for none): admitted at once, queued, pre-queued or
  // rejected; over a per-source limit, rejected or shadow-queued. A visitor that already
  // holds a place or a session gets that back. In a room that asks for a proof of work
  // (challenge_work), a newcomer without `proved_work` is challenged instead: nothing is
  // taken, and the view says the work to prove.
  VisitorView Admit(const ClientKey& client, SourceKey source, absl::Time now, Changes* changes,
                    AdmitOptions options = {});
  VisitorView Admit(const ClientKey& client, absl::Time now, Changes* changes) {
    return Admit(client, 0, now, changes);
  }
  // A waiting visitor's refresh: marks them seen (their place hold restarts) and reports.
  VisitorView Poll(uint64_t ticket_id, const wire::Secret& secret, absl::Time now);
  // What Poll would report, without counting as a refresh.
  VisitorView View(uint64_t ticket_id, const wire::Secret& secret, absl::Time now) const;
  // Renews a live session's lease (or, without renewal, only confirms arrival).
  VisitorView Heartbeat(uint64_t session_id, const wire::Secret& secret, absl::Time now,
                        Changes* changes);
  // Ends a ticket (waiting or admitted) or a session. False if it was not live.
  bool Leave(wire::TokenKind kind, uint64_t id, const wire::Secret& secret, absl::Time now,
             Changes* changes);
  // An operator ends a session: the slot frees at once and the visitor's next Heartbeat
  // answers "revoked". False if it was not live.
  bool Revoke(uint64_t session_id, const wire::Secret& secret, absl::Time now, Changes* changes);

  // Starts and ends events, expires leases, no-shows and abandoned places, and fills free
  // slots. Call it periodically (the admission tick).
  void Tick(absl::Time now, Changes* changes);

  RoomStats Stats(absl::Time now) const;
  // Approximate bytes of memory held by the room's structures.
  size_t MemoryBytes() const;

  // Credits time the server was down: every lease is extended by `downtime`, so it is not
  // charged against anyone (place holds restart at restore anyway).
  void CreditDowntime(absl::Duration downtime, Changes* changes) {
    leases_.CreditDowntime(downtime, changes);
  }

  // Restoring persisted state, before any other call: tickets in ascending seq order and
  // sessions, then FinishRestore once. Visitors restored are treated as seen at `now`
  // (downtime does not cost a place).
  absl::Status RestoreTicket(const Ticket& ticket, absl::Time now);
  absl::Status RestoreSession(const Session& session);
  // Indexes every restored place by visitor, in one pass sized up front (growing the index
  // a place at a time re-reads every place it holds at each doubling).
  void FinishRestore();
  void RestoreEvent(const Event& event) { schedule_.Restore(event); }
  void RestoreCounters(int64_t admitted_total, uint64_t next_event_number);
  int64_t admitted_total() const { return admitted_total_; }

 private:
  // A place: a ticket id, or a session id with this bit set.
  static constexpr uint64_t kSessionPlace = uint64_t{1} << 63;

  // The index of places by visitor keeps only the place: its ClientKey is read from the
  // place itself (its Slot or Session), so a waiting visitor's 16-byte key is held once.
  // Every place in the index must therefore be live: a place leaves the index before its
  // Slot or Session goes [Room::Forget].
  struct PlaceHash {
    using is_transparent = void;
    const Room* room;
    size_t operator()(const ClientKey& client) const { return absl::Hash<ClientKey>{}(client); }
    size_t operator()(uint64_t place) const { return (*this)(room->ClientAt(place)); }
  };
  struct PlaceEq {
    using is_transparent = void;
    const Room* room;
    bool operator()(uint64_t a, uint64_t b) const { return a == b; }
    bool operator()(const ClientKey& client, uint64_t place) const {
      return room->ClientAt(place) == client;
    }
    bool operator()(uint64_t place, const ClientKey& client) const {
      return (*this)(client, place);
    }
  };
  // The visitor holding `place`, which must be live.
  const ClientKey& ClientAt(uint64_t place) const;
  // `client`'s place, or 0 when they hold none.
  uint64_t PlaceOf(const ClientKey& client) const;
  // `place` (live) becomes its visitor's place, replacing any they held.
  void Assign(uint64_t place);
  // `place` (still live) leaves the index if it is its visitor's place.
  void Forget(uint64_t place);

  wire::Secret NewSecret();
  void AdvanceEvents(absl::Time now, Changes* changes);
  void StartEvent(Event& event, absl::Time now, Changes* changes);
  void ExpireLeases(absl::Time now, Changes* changes);
  void ExpireAbandoned(absl::Time now, const RoomSettings& s, Changes* changes);
  // Whether a newcomer goes in at once (nobody waits, a slot and a rate token are free, or
  // PASSTHROUGH); takes the rate token when it does.
  bool AdmitsAtOnce(absl::Time now, const RoomSettings& s);
  void FillFreeSlots(absl::Time now, const RoomSettings& s, Changes* changes);

  uint64_t Enqueue(const ClientKey& client, SourceKey source, SlotState state, absl::Time now,
                   Changes* changes);
  void AdmitTicket(uint64_t seq, absl::Time now, const RoomSettings& s, Changes* changes);
  const Session& StartSession(const ClientKey& client, SourceKey source, uint64_t origin_ticket,
                              const wire::Secret& origin_secret, absl::Time now,
                              const RoomSettings& s, Changes* changes);
  void EndSession(uint64_t id, absl::Time now, bool revoke, Changes* changes);
  // What every ended session leaves: its source's place. Its index entry went before.
  void SessionEnded(const Session& session, absl::Time now);
  void RemoveTicket(uint64_t seq, absl::Time now, Changes* changes);

  VisitorView QueuedView(uint64_t seq, absl::Time now) const;
  // At the back of the line, wherever that is now: a shadow place never moves up.
  VisitorView ShadowView(uint64_t seq, absl::Time now) const;
  // A queued place's view at `position` of `queued` waiting, with its estimated wait.
  VisitorView WaitView(uint64_t seq, int64_t position, int64_t queued, absl::Time now) const;
  // The view of the waiting place at `seq` (queued, pre-queued or shadow).
  VisitorView WaitingView(uint64_t seq, absl::Time now) const;
  // `event` is the pre-queue's event, or null in the instant between its start and the tick.
  VisitorView PrequeuedView(uint64_t seq, const Event* event) const;
  VisitorView AdmittedView(const Session& session, absl::Time now) const;
  static VisitorView ExpiredView(std::string reason);
  static VisitorView RejectedView(std::string reason);
  static VisitorView QueueFull(Changes* changes);

  const std::string id_;
  RoomSettings settings_;
  const absl::Time created_at_;
  base::RandomSource* const random_;

  WaitingLine line_;
  LeaseTable leases_;
  Outflow outflow_;
  EventSchedule schedule_;
  SourceLimits limits_;
  int64_t admitted_total_ = 0;
  // One place per visitor (a ticket id, or a session id | kSessionPlace), found by their
  // ClientKey. Changed only through Assign and Forget, which keep one place per visitor: a
  // second one could outlive its Slot or Session, and a rehash would read it. Declared
  // last, so it is destroyed first, before the line and the leases it reads.
  absl::flat_hash_set<uint64_t, PlaceHash, PlaceEq> clients_{0, PlaceHash{this}, PlaceEq{this}};
};

}  // namespace anteroom::core
