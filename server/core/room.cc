#include "server/core/room.h"

#include <algorithm>

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

}  // namespace anteroom::core
