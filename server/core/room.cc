#include "server/core/room.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"

namespace anteroom::core {
namespace {

// Bounds on the work of one operation, so one tick never stalls a room: the rest is done by
// the next tick (100 ms later).
constexpr int kMaxAdmissionsPerOperation = 50'000;
constexpr int kMaxRemovalsPerOperation = 50'000;

}  // namespace

Room::Room(std::string id, RoomSettings settings, absl::Time created_at, base::RandomSource* random)
    : id_(std::move(id)),
      settings_(settings),
      created_at_(created_at),
      random_(random),
      outflow_(created_at, settings.admissions_per_minute) {}

wire::Secret Room::NewSecret() {
  wire::Secret s;
  random_->Fill(s.data(), sizeof(s));
  return s;
}

// --- Settings and events ---

void Room::UpdateSettings(const RoomSettings& settings, absl::Time now, Changes* changes) {
  settings_ = settings;
  changes->room_dirty = true;
  Tick(now, changes);
}

absl::StatusOr<Event> Room::AddEvent(Event event, absl::Time now, Changes* changes) {
  Tick(now, changes);
  absl::StatusOr<Event> added = schedule_.Add(std::move(event), now, settings_);
  if (!added.ok()) return added.status();
  changes->room_dirty = true;
  Tick(now, changes);
  return added;
}

absl::Status Room::CancelEvent(absl::string_view event_id, absl::Time now, Changes* changes) {
  Tick(now, changes);
  Event* event = schedule_.Find(event_id);
  if (event == nullptr) {
    return absl::NotFoundError(absl::StrCat("event '", event_id, "' not found in room ", id_));
  }
  if (!event->started) {
    // Nobody loses a place: the pre-queue joins the queue in arrival order.
    event->shuffle_at_start = false;
    StartEvent(*event, now, changes);
  }
  schedule_.Remove(event_id);
  changes->room_dirty = true;
  Tick(now, changes);
  return absl::OkStatus();
}

void Room::AdvanceEvents(absl::Time now, Changes* changes) {
  while (Event* due = schedule_.NextDue(now)) StartEvent(*due, now, changes);
  for (std::string& id : schedule_.RemoveEnded(now)) {
    changes->events_ended.push_back(std::move(id));
    changes->room_dirty = true;
  }
}

void Room::StartEvent(Event& event, absl::Time now, Changes* changes) {
  // Written in the same batch as the new places, so the pre-queue is placed exactly once.
  const int64_t placed = line_.PlacePrequeue(event.shuffle_at_start, random_, now, changes);
  event.started = true;
  changes->room_dirty = true;
  changes->events_started.push_back(absl::StrCat(
      event.id, " started: ", placed, " pre-queued visitors placed ",
      event.shuffle_at_start ? "in a random order (CSPRNG shuffle)" : "in arrival order"));
}

// --- Visitors ---

VisitorView Room::Admit(const ClientKey& client, SourceKey source, absl::Time now, Changes* changes,
                        AdmitOptions options) {
  Tick(now, changes);
  if (const uint64_t place = PlaceOf(client); place != 0) {
    if (place & kSessionPlace) return AdmittedView(*leases_.Live(place & ~kSessionPlace), now);
    return WaitingView(line_.SeqOf(place), now);
  }
  const RoomSettings s = EffectiveSettings(now);
  // An operator's entry token vouches for its holder: no proof of work, no per-source
  // limit, no full queue; its places carry no source, so they count against none. Bypass:
  // in at once, whatever the line and the count. Priority: in at once as anyone would be,
  // else ahead of everyone waiting without priority (a pre-queue too), behind those with it.
  if (options.entry != Entry::kRegular) {
    if (options.entry == Entry::kBypass || AdmitsAtOnce(now, s)) {
      return AdmittedView(StartSession(client, 0, 0, wire::Secret{}, now, s, changes), now);
    }
    return QueuedView(Enqueue(client, 0, SlotState::kPriority, now, changes), now);
  }
  if (const int64_t work = ChallengeWork(s, line_.waiting()); work > 0 && !options.proved_work) {
    VisitorView view;
    view.state = VisitorState::kChallenged;
    view.challenge_work = work;
    return view;
  }
  if (!limits_.Allows(source, now, s)) {
    if (s.over_source_limit == SourceLimitAction::kShadow) {
      return ShadowView(Enqueue(client, source, SlotState::kShadow, now, changes), now);
    }
    ++changes->rejected_source_limit;
    return RejectedView("too many places from your network; try again later");
  }
  const bool queue_full = s.max_queue_length > 0 && line_.waiting() >= s.max_queue_length;
  if (const Event* event = schedule_.OpenPrequeue(now)) {
    if (queue_full) return QueueFull(changes);
    limits_.Took(source, now, s);
    return PrequeuedView(Enqueue(client, source, SlotState::kPreQueued, now, changes), event);
  }
  if (AdmitsAtOnce(now, s)) {
    limits_.Took(source, now, s);
    return AdmittedView(StartSession(client, source, 0, wire::Secret{}, now, s, changes), now);
  }
  if (s.queueing_method == QueueingMethod::kReject && !s.queue_all) {
    ++changes->rejected_room_full;
    return RejectedView("the room is full; try again later");
  }
  if (queue_full) return QueueFull(changes);
  limits_.Took(source, now, s);
  return QueuedView(Enqueue(client, source, SlotState::kQueued, now, changes), now);
}

bool Room::AdmitsAtOnce(absl::Time now, const RoomSettings& s) {
  return s.queueing_method == QueueingMethod::kPassthrough ||
         (!s.queue_all && line_.queued() == 0 && leases_.active() < s.max_active_sessions &&
          outflow_.TakeToken(now, s));
}

VisitorView Room::Poll(uint64_t ticket_id, const wire::Secret& secret, absl::Time now) {
  VisitorView view = View(ticket_id, secret, now);
  // A refresh of a live place (a shadow one too) restarts its place hold.
  if (view.state == VisitorState::kQueued) line_.MarkSeen(line_.SeqOf(ticket_id), now);
  return view;
}

VisitorView Room::View(uint64_t ticket_id, const wire::Secret& secret, absl::Time now) const {
  if (const Slot* slot = line_.Find(ticket_id, secret)) {
    if (slot->state != SlotState::kPreQueued &&
        WaitingLine::HoldLapsed(*slot, EffectiveSettings(now).place_hold, now)) {
      return ExpiredView("place released: no refresh within the place hold");
    }
    return WaitingView(line_.SeqOf(ticket_id), now);
  }
  if (const Session* session = leases_.FromTicket(ticket_id, secret, now)) {
    return AdmittedView(*session, now);
  }
  return ExpiredView("unknown or expired ticket");
}

VisitorView Room::Heartbeat(uint64_t session_id, const wire::Secret& secret, absl::Time now,
                            Changes* changes) {
  Tick(now, changes);
  if (leases_.Find(session_id, secret) == nullptr) {
    return ExpiredView(leases_.WasRevoked(session_id, secret) ? "session revoked"
                                                              : "unknown or expired session");
  }
  const RoomSettings s = EffectiveSettings(now);
  return AdmittedView(leases_.Renew(session_id, now, s.session_ttl, s.session_renewal, changes),
                      now);
}

bool Room::Leave(wire::TokenKind kind, uint64_t id, const wire::Secret& secret, absl::Time now,
                 Changes* changes) {
  Tick(now, changes);
  bool ended = false;
  if (kind == wire::TokenKind::kTicket) {
    if (line_.Find(id, secret) != nullptr) {
      RemoveTicket(line_.SeqOf(id), now, changes);
      ended = true;
    } else if (const uint64_t session = leases_.SessionOfTicket(id, secret); session != 0) {
      EndSession(session, now, /*revoke=*/false, changes);
      ended = true;
    }
  } else if (leases_.Find(id, secret) != nullptr) {
    EndSession(id, now, /*revoke=*/false, changes);
    ended = true;
  }
  FillFreeSlots(now, EffectiveSettings(now), changes);
  return ended;
}

bool Room::Revoke(uint64_t session_id, const wire::Secret& secret, absl::Time now,
                  Changes* changes) {
  Tick(now, changes);
  if (leases_.Find(session_id, secret) == nullptr) return false;
  EndSession(session_id, now, /*revoke=*/true, changes);
  ++changes->revoked;
  FillFreeSlots(now, EffectiveSettings(now), changes);
  return true;
}

void Room::Tick(absl::Time now, Changes* changes) {
  AdvanceEvents(now, changes);
  ExpireLeases(now, changes);
  leases_.ForgetRevoked(now, changes);
  const RoomSettings s = EffectiveSettings(now);
  ExpireAbandoned(now, s, changes);
  FillFreeSlots(now, s, changes);
  limits_.ForgetIdle(now);
}

// --- Departures ---

void Room::ExpireLeases(absl::Time now, Changes* changes) {
  while (std::optional<uint64_t> id = leases_.FirstLapsed(now)) {
    Forget(*id | kSessionPlace);
    const std::optional<Session> ended = leases_.End(*id, now, /*revoke=*/false, changes);
    ++(ended->arrived ? changes->expired : changes->no_shows);
    SessionEnded(*ended, now);
  }
}

void Room::ExpireAbandoned(absl::Time now, const RoomSettings& s, Changes* changes) {
  if (s.place_hold <= absl::ZeroDuration()) return;
  for (int n = 0; n < kMaxRemovalsPerOperation; ++n) {
    const uint64_t seq = line_.LeastRecentlySeen();
    if (seq == 0 || !WaitingLine::HoldLapsed(*line_.FindSeq(seq), s.place_hold, now)) break;
    RemoveTicket(seq, now, changes);
    ++changes->abandoned;
  }
}

void Room::EndSession(uint64_t id, absl::Time now, bool revoke, Changes* changes) {
  if (leases_.Live(id) != nullptr) Forget(id | kSessionPlace);
  if (std::optional<Session> ended = leases_.End(id, now, revoke, changes)) {
    SessionEnded(*ended, now);
  }
}

void Room::SessionEnded(const Session& session, absl::Time now) {
  limits_.Released(session.source, now);
}

void Room::RemoveTicket(uint64_t seq, absl::Time now, Changes* changes) {
  Forget(line_.FindSeq(seq)->id);
  const Slot removed = line_.Remove(seq, changes);
  if (removed.state != SlotState::kShadow) limits_.Released(removed.source(), now);
}

// --- The index of places by visitor ---

const ClientKey& Room::ClientAt(uint64_t place) const {
  if (place & kSessionPlace) return leases_.Live(place & ~kSessionPlace)->client;
  return line_.FindSeq(line_.SeqOf(place))->client;
}

uint64_t Room::PlaceOf(const ClientKey& client) const {
  const auto it = clients_.find(client);
  return it == clients_.end() ? 0 : *it;
}

void Room::Assign(uint64_t place) {
  if (auto it = clients_.find(ClientAt(place)); it != clients_.end()) clients_.erase(it);
  clients_.insert(place);
}

void Room::Forget(uint64_t place) {
  if (auto it = clients_.find(ClientAt(place)); it != clients_.end() && *it == place) {
    clients_.erase(it);
  }
}

// --- Admissions ---

uint64_t Room::Enqueue(const ClientKey& client, SourceKey source, SlotState state, absl::Time now,
                       Changes* changes) {
  const uint64_t seq = line_.Enqueue(client, NewSecret(), source, state, now, changes);
  Assign(line_.FindSeq(seq)->id);
  return seq;
}

void Room::FillFreeSlots(absl::Time now, const RoomSettings& s, Changes* changes) {
  if (s.queue_all) return;
  const bool passthrough = s.queueing_method == QueueingMethod::kPassthrough;
  for (int n = 0; n < kMaxAdmissionsPerOperation && line_.queued() > 0; ++n) {
    if (!passthrough &&
        (leases_.active() >= s.max_active_sessions || !outflow_.TakeToken(now, s))) {
      return;
    }
    // RANDOM draws among those without priority once the priority lane is empty.
    const uint64_t seq =
        s.queueing_method == QueueingMethod::kRandom && line_.in_priority_lane() == 0
            ? line_.AtPosition(
                  static_cast<int64_t>(random_->Uniform(static_cast<uint64_t>(line_.queued()))))
            : line_.Head();
    AdmitTicket(seq, now, s, changes);
  }
}

void Room::AdmitTicket(uint64_t seq, absl::Time now, const RoomSettings& s, Changes* changes) {
  // The visitor's place becomes their session: their source holds as many places as before.
  Forget(line_.FindSeq(seq)->id);
  const Slot slot = line_.Remove(seq, changes);
  StartSession(slot.client, slot.source(), slot.id, slot.secret, now, s, changes);
  outflow_.RecordAdmission(now);  // outflow from the queue, the basis of estimates
  changes->waited_seconds.push_back(
      absl::ToDoubleSeconds(now - absl::FromUnixMicros(slot.enqueued_us)));
}

const Session& Room::StartSession(const ClientKey& client, SourceKey source, uint64_t origin_ticket,
                                  const wire::Secret& origin_secret, absl::Time now,
                                  const RoomSettings& s, Changes* changes) {
  const bool awaits_arrival = s.arrival_ttl > absl::ZeroDuration();
  const absl::Duration first_lease =
      awaits_arrival ? std::min(s.arrival_ttl, s.session_ttl) : s.session_ttl;
  const Session& session =
      leases_.Start(client, NewSecret(), source, origin_ticket, origin_secret, now, first_lease,
                    /*arrived=*/!awaits_arrival, changes);
  Assign(session.id | kSessionPlace);
  ++admitted_total_;
  ++changes->admitted;
  return session;
}

// --- Views ---

VisitorView Room::QueueFull(Changes* changes) {
  ++changes->rejected_queue_full;
  return RejectedView("queue full");
}

VisitorView Room::QueuedView(uint64_t seq, absl::Time now) const {
  const Slot& slot = *line_.FindSeq(seq);
  VisitorView view;
  view.state = VisitorState::kQueued;
  view.ticket = wire::MakeToken(wire::TokenKind::kTicket, id_, slot.id, slot.secret);
  view.position = line_.Position(seq);
  const Outflow::Estimate e =
      outflow_.ForPosition(view.position, line_.queued(), now, EffectiveSettings(now));
  view.estimated_wait = e.wait;
  view.estimated_wait_max = e.wait_max;
  view.wait_unknown = e.unknown;
  view.poll_after = e.poll_after;
  return view;
}

VisitorView Room::ShadowView(uint64_t seq, absl::Time now) const {
  const Slot& slot = *line_.FindSeq(seq);
  VisitorView view;
  view.state = VisitorState::kQueued;
  view.ticket = wire::MakeToken(wire::TokenKind::kTicket, id_, slot.id, slot.secret);
  view.position = line_.queued() + 1;
  const Outflow::Estimate e =
      outflow_.ForPosition(view.position, line_.queued() + 1, now, EffectiveSettings(now));
  view.estimated_wait = e.wait;
  view.estimated_wait_max = e.wait_max;
  view.wait_unknown = e.unknown;
  view.poll_after = e.poll_after;
  return view;
}

VisitorView Room::WaitingView(uint64_t seq, absl::Time now) const {
  switch (line_.FindSeq(seq)->state) {
    case SlotState::kPreQueued:
      return PrequeuedView(seq, schedule_.OpenPrequeue(now));
    case SlotState::kShadow:
      return ShadowView(seq, now);
    default:
      return QueuedView(seq, now);
  }
}

VisitorView Room::PrequeuedView(uint64_t seq, const Event* event) const {
  const Slot& slot = *line_.FindSeq(seq);
  VisitorView view;
  view.state = VisitorState::kPreQueued;
  view.ticket = wire::MakeToken(wire::TokenKind::kTicket, id_, slot.id, slot.secret);
  if (event != nullptr) {
    view.event_starts_at = event->start;
    view.poll_after = Outflow::kMaxPollAfter;
  } else {
    // The event has started but the tick that places the pre-queue has not run yet.
    view.poll_after = Outflow::kMinPollAfter;
  }
  return view;
}

VisitorView Room::AdmittedView(const Session& session, absl::Time now) const {
  VisitorView view;
  view.state = VisitorState::kAdmitted;
  if (session.origin_ticket != 0) {
    view.ticket = wire::MakeToken(wire::TokenKind::kTicket, id_, session.origin_ticket,
                                  session.origin_secret);
  }
  view.session = wire::MakeToken(wire::TokenKind::kSession, id_, session.id, session.secret);
  view.lease_expires_at = session.expires_at;
  // Heartbeat well inside what is left of the lease, so one lost call does not end the
  // session. (Not a third of the time since admission: renewals push the lease's end on, and
  // that share would grow until the next heartbeat came after the lease had ended.)
  view.poll_after = std::clamp((session.expires_at - now) / 3, absl::Seconds(1), absl::Minutes(1));
  return view;
}

VisitorView Room::ExpiredView(std::string reason) {
  VisitorView view;
  view.state = VisitorState::kExpired;
  view.reason = std::move(reason);
  return view;
}

VisitorView Room::RejectedView(std::string reason) {
  VisitorView view;
  view.state = VisitorState::kRejected;
  view.reason = std::move(reason);
  view.poll_after = Outflow::kMaxPollAfter;
  return view;
}

RoomStats Room::Stats(absl::Time now) const {
  const RoomSettings s = EffectiveSettings(now);
  RoomStats stats;
  stats.queue_depth = line_.queued();
  stats.prequeue_depth = line_.prequeued();
  stats.shadow_depth = line_.shadowed();
  stats.priority_depth = line_.in_priority_lane();
  stats.active_sessions = leases_.active();
  stats.max_active_sessions = s.max_active_sessions;
  stats.admitted_total = admitted_total_;
  stats.observed_admissions_per_minute = outflow_.ObservedPerSecond(now) * 60.0;
  // A visitor arriving now waits unless they would be admitted at once.
  if (!(line_.queued() == 0 && leases_.active() < s.max_active_sessions && !s.queue_all)) {
    const double outflow = outflow_.PerSecond(now, s);
    if (outflow > 0) {
      stats.estimated_wait = absl::Seconds(static_cast<double>(line_.queued() + 1) / outflow);
    } else {
      stats.estimated_wait_unknown = true;
    }
  }
  return stats;
}

size_t Room::MemoryBytes() const {
  return line_.MemoryBytes() + leases_.MemoryBytes() + clients_.capacity() * (sizeof(uint64_t) + 1);
}

// --- Restore ---

absl::Status Room::RestoreTicket(const Ticket& t, absl::Time now) {
  // A place is found by its id (FinishRestore indexes it): an id no place can have would be
  // read as a session's, or as none. A ticket keeps its id or moves behind it (a shuffle).
  if (t.seq == 0 || t.id == 0 || t.id > t.seq || (t.seq & kSessionPlace) != 0) {
    return absl::DataLossError(
        absl::StrCat("room ", id_, ": ticket at seq ", t.seq, " has an impossible id ", t.id));
  }
  if (absl::Status s = line_.Restore(t, now); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("room ", id_, ": ", s.message()));
  }
  if (!t.shadow) limits_.Restored(t.source);
  return absl::OkStatus();
}

absl::Status Room::RestoreSession(const Session& s) {
  if (s.id == 0 || (s.id & kSessionPlace) != 0) {
    return absl::DataLossError(absl::StrCat("room ", id_, ": impossible session id ", s.id));
  }
  if (absl::Status restored = leases_.Restore(s); !restored.ok()) {
    return absl::Status(restored.code(), absl::StrCat("room ", id_, ": ", restored.message()));
  }
  if (s.revoked) return absl::OkStatus();
  limits_.Restored(s.source);
  if (s.origin_ticket != 0) line_.ReserveTicketId(s.origin_ticket);
  return absl::OkStatus();
}

void Room::FinishRestore() {
  clients_.reserve(static_cast<size_t>(line_.waiting() + line_.shadowed() + leases_.active()));
  // Places come in seq order, not index order, and the index is far larger than the caches:
  // each place's spot is prefetched kAhead places before it is filled.
  constexpr size_t kAhead = 16;
  std::array<uint64_t, kAhead> pending{};
  size_t seen = 0;
  const auto index = [&](uint64_t place) {
    clients_.prefetch(ClientAt(place));
    if (seen >= kAhead) Assign(pending[seen % kAhead]);
    pending[seen++ % kAhead] = place;
  };
  // Sessions after places: a visitor found with both keeps the session, as Admit would.
  line_.ForEachTicket(index);
  leases_.ForEachLive([&](uint64_t session_id) { index(session_id | kSessionPlace); });
  for (size_t i = seen > kAhead ? seen - kAhead : 0; i < seen; ++i) Assign(pending[i % kAhead]);
}

void Room::RestoreCounters(int64_t admitted_total, uint64_t next_event_number) {
  admitted_total_ = admitted_total;
  schedule_.RestoreNextNumber(next_event_number);
}

}  // namespace anteroom::core
