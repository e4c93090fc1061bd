#include "server/core/room.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace anteroom::core {
namespace {

// The refresh hint: about half the remaining wait, between 2 s near the front and the
// customary 20 s refresh of a waiting-room page.
constexpr absl::Duration kMinPollAfter = absl::Seconds(2);
constexpr absl::Duration kMaxPollAfter = absl::Seconds(20);
// Bounds on the work of one operation, so one tick never stalls a room: the rest is done by
// the next tick (100 ms later).
constexpr int kMaxAdmissionsPerOperation = 50'000;
constexpr int kMaxRemovalsPerOperation = 50'000;
// Observed outflow is trusted for estimates once this many admissions are in the window.
constexpr int kMinObservedAdmissions = 5;

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

}  // namespace

Room::Room(std::string id, RoomSettings settings, absl::Time created_at, base::RandomSource* random)
    : id_(std::move(id)),
      settings_(settings),
      created_at_(created_at),
      random_(random),
      bucket_at_(created_at),
      observing_since_(created_at) {
  bucket_ = std::max(1.0, static_cast<double>(settings_.admissions_per_minute) / 60.0);
}

RoomSettings Room::EffectiveSettings(absl::Time now) const {
  for (const Event& e : events_) {
    if (e.started && e.start <= now && now < e.end) return ApplyOverrides(settings_, e.overrides);
  }
  return settings_;
}

const Event* Room::PrequeueEvent(absl::Time now) const {
  for (const Event& e : events_) {
    if (!e.started && e.prequeue_start <= now && now < e.start) return &e;
  }
  return nullptr;
}

uint64_t Room::SeqOf(uint64_t ticket_id) const {
  auto it = remap_.find(ticket_id);
  return it == remap_.end() ? ticket_id : it->second;
}

Secret Room::NewSecret() {
  Secret s;
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
  if (event.prequeue_start == absl::Time()) event.prequeue_start = event.start;
  if (absl::Status s = ValidateEvent(event, now, settings_, events_); !s.ok()) return s;
  event.id = absl::StrCat("e", next_event_number_++);
  event.started = false;
  events_.push_back(event);
  std::sort(events_.begin(), events_.end(),
            [](const Event& a, const Event& b) { return a.start < b.start; });
  changes->room_dirty = true;
  Tick(now, changes);
  return event;
}

absl::Status Room::CancelEvent(absl::string_view event_id, absl::Time now, Changes* changes) {
  Tick(now, changes);
  auto it = std::find_if(events_.begin(), events_.end(),
                         [&](const Event& e) { return e.id == event_id; });
  if (it == events_.end()) {
    return absl::NotFoundError(absl::StrCat("event '", event_id, "' not found in room ", id_));
  }
  if (!it->started) {
    // Nobody loses a place: the pre-queue joins the queue in arrival order.
    it->shuffle_at_start = false;
    StartEvent(*it, now, changes);
  }
  events_.erase(it);
  changes->room_dirty = true;
  Tick(now, changes);
  return absl::OkStatus();
}

void Room::AdvanceEvents(absl::Time now, Changes* changes) {
  for (Event& e : events_) {
    if (!e.started && now >= e.start) StartEvent(e, now, changes);
  }
  const auto ended = std::remove_if(events_.begin(), events_.end(),
                                    [&](const Event& e) { return e.started && now >= e.end; });
  for (auto it = ended; it != events_.end(); ++it) changes->events_ended.push_back(it->id);
  if (ended != events_.end()) changes->room_dirty = true;
  events_.erase(ended, events_.end());
}

void Room::StartEvent(Event& event, absl::Time now, Changes* changes) {
  std::vector<uint64_t> order;
  order.reserve(static_cast<size_t>(prequeue_count_));
  for (uint64_t seq : prequeue_) {
    const Slot* slot = slots_.Find(seq);
    if (slot != nullptr && slot->state == SlotState::kPreQueued) order.push_back(seq);
  }
  if (event.shuffle_at_start) {
    // Fisher-Yates with the injected (in production: cryptographic) random source: every
    // order is equally likely, and arrival time inside the pre-queue buys nothing.
    for (size_t i = order.size(); i > 1; --i) {
      std::swap(order[i - 1], order[random_->Uniform(i)]);
    }
  }
  // The pre-queue takes the next places: behind those already queued before the pre-queue
  // opened, ahead of everyone arriving from now on.
  for (uint64_t old_seq : order) {
    Slot slot = *slots_.Find(old_seq);
    slots_.Erase(old_seq);
    changes->erased_ticket_seqs.push_back(old_seq);
    const uint64_t seq = next_seq_++;
    slot.state = SlotState::kQueued;
    slot.last_seen_us = Micros(now);
    if (slot.id != seq) remap_[slot.id] = seq;
    Slot& placed = slots_.Insert(seq, slot);
    queue_.PushBack(seq);
    LinkTail(seq, placed);
    changes->put_tickets.push_back(ToTicket(seq, placed));
  }
  prequeue_.clear();
  prequeue_count_ = 0;
  event.started = true;
  changes->room_dirty = true;
  changes->events_started.push_back(absl::StrCat(
      event.id, " started: ", order.size(), " pre-queued visitors placed ",
      event.shuffle_at_start ? "in a random order (CSPRNG shuffle)" : "in arrival order"));
}

// --- Visitors ---

VisitorView Room::QueueFull(Changes* changes) {
  ++changes->rejected_queue_full;
  return RejectedView("queue full");
}

VisitorView Room::Admit(const ClientKey& client, absl::Time now, Changes* changes) {
  Tick(now, changes);
  if (auto it = clients_.find(client); it != clients_.end()) {
    if (it->second & kSessionPlace) {
      return AdmittedView(sessions_.find(it->second & ~kSessionPlace)->second);
    }
    const uint64_t seq = SeqOf(it->second);
    const Slot& slot = *slots_.Find(seq);
    if (slot.state == SlotState::kPreQueued) return PrequeuedView(slot, PrequeueEvent(now));
    return QueuedView(seq, slot, now);
  }
  const RoomSettings s = EffectiveSettings(now);
  const bool queue_full = s.max_queue_length > 0 && waiting() >= s.max_queue_length;
  if (const Event* event = PrequeueEvent(now)) {
    if (queue_full) return QueueFull(changes);
    return PrequeuedView(*slots_.Find(Enqueue(client, true, now, changes)), event);
  }
  if (s.queueing_method == QueueingMethod::kPassthrough) {
    return AdmittedView(StartSession(client, 0, Secret{}, now, s, changes));
  }
  if (!s.queue_all && queue_.empty() && active_sessions() < s.max_active_sessions &&
      TakeAdmissionToken(now, s)) {
    return AdmittedView(StartSession(client, 0, Secret{}, now, s, changes));
  }
  if (s.queueing_method == QueueingMethod::kReject && !s.queue_all) {
    ++changes->rejected_room_full;
    return RejectedView("the room is full; try again later");
  }
  if (queue_full) return QueueFull(changes);
  const uint64_t seq = Enqueue(client, false, now, changes);
  return QueuedView(seq, *slots_.Find(seq), now);
}

VisitorView Room::Poll(uint64_t ticket_id, const Secret& secret, absl::Time now) {
  VisitorView view = View(ticket_id, secret, now);
  if (view.state == VisitorState::kQueued) {
    // A refresh of a live place restarts its place hold.
    const uint64_t seq = SeqOf(ticket_id);
    Slot& slot = *slots_.Find(seq);
    slot.last_seen_us = Micros(now);
    Unlink(slot);
    LinkTail(seq, slot);
  }
  return view;
}

VisitorView Room::View(uint64_t ticket_id, const Secret& secret, absl::Time now) const {
  const uint64_t seq = SeqOf(ticket_id);
  if (const Slot* found = slots_.Find(seq);
      found != nullptr && found->id == ticket_id && SecretsEqual(found->secret, secret)) {
    const Slot& slot = *found;
    if (slot.state == SlotState::kPreQueued) return PrequeuedView(slot, PrequeueEvent(now));
    const RoomSettings s = EffectiveSettings(now);
    if (s.place_hold > absl::ZeroDuration() &&
        FromMicros(slot.last_seen_us) + s.place_hold <= now) {
      return ExpiredView("place released: no refresh within the place hold");
    }
    return QueuedView(seq, slot, now);
  }
  if (auto a = admitted_tickets_.find(ticket_id); a != admitted_tickets_.end()) {
    const Session& session = sessions_.find(a->second)->second;
    if (SecretsEqual(session.origin_secret, secret) && session.expires_at > now) {
      return AdmittedView(session);
    }
  }
  return ExpiredView("unknown or expired ticket");
}

VisitorView Room::Heartbeat(uint64_t session_id, const Secret& secret, absl::Time now,
                            Changes* changes) {
  Tick(now, changes);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || !SecretsEqual(it->second.secret, secret)) {
    if (auto r = revoked_.find(session_id);
        r != revoked_.end() && SecretsEqual(r->second.secret, secret)) {
      return ExpiredView("session revoked");
    }
    return ExpiredView("unknown or expired session");
  }
  Session& session = it->second;
  const RoomSettings s = EffectiveSettings(now);
  const absl::Time old_expiry = session.expires_at;
  const bool first_heartbeat = !session.arrived;
  if (s.session_renewal) {
    session.expires_at = now + s.session_ttl;
  } else if (first_heartbeat) {
    // One fixed session from admission; the arrival TTL no longer applies.
    session.expires_at = session.admitted_at + s.session_ttl;
  }
  session.arrived = true;
  if (session.expires_at != old_expiry) {
    leases_.erase({old_expiry, session_id});
    leases_.insert({session.expires_at, session_id});
  }
  if (first_heartbeat || session.expires_at > session.persisted_until) {
    // A renewable lease is written a TTL ahead, so that most renewals write nothing; a fixed
    // one never moves and is written as it is.
    session.persisted_until =
        session.expires_at + (s.session_renewal ? s.session_ttl : absl::ZeroDuration());
    changes->put_sessions.push_back(session);
  }
  return AdmittedView(session);
}

bool Room::Leave(TokenKind kind, uint64_t id, const Secret& secret, absl::Time now,
                 Changes* changes) {
  Tick(now, changes);
  bool ended = false;
  if (kind == TokenKind::kTicket) {
    const uint64_t seq = SeqOf(id);
    if (const Slot* slot = slots_.Find(seq);
        slot != nullptr && slot->id == id && SecretsEqual(slot->secret, secret)) {
      RemoveTicket(seq, changes);
      ended = true;
    } else if (auto a = admitted_tickets_.find(id); a != admitted_tickets_.end()) {
      if (SecretsEqual(sessions_.find(a->second)->second.origin_secret, secret)) {
        EndSession(a->second, now, /*revoke=*/false, changes);
        ended = true;
      }
    }
  } else if (auto s = sessions_.find(id);
             s != sessions_.end() && SecretsEqual(s->second.secret, secret)) {
    EndSession(id, now, /*revoke=*/false, changes);
    ended = true;
  }
  FillFreeSlots(now, EffectiveSettings(now), changes);
  return ended;
}

bool Room::Revoke(uint64_t session_id, const Secret& secret, absl::Time now, Changes* changes) {
  Tick(now, changes);
  auto s = sessions_.find(session_id);
  if (s == sessions_.end() || !SecretsEqual(s->second.secret, secret)) return false;
  EndSession(session_id, now, /*revoke=*/true, changes);
  ++changes->revoked;
  FillFreeSlots(now, EffectiveSettings(now), changes);
  return true;
}

void Room::Tick(absl::Time now, Changes* changes) {
  AdvanceEvents(now, changes);
  ExpireLeases(now, changes);
  ForgetRevoked(now, changes);
  const RoomSettings s = EffectiveSettings(now);
  ExpireAbandoned(now, s, changes);
  FillFreeSlots(now, s, changes);
}

// --- Departures ---

void Room::ExpireLeases(absl::Time now, Changes* changes) {
  while (!leases_.empty() && leases_.begin()->first <= now) {
    const uint64_t id = leases_.begin()->second;
    if (sessions_.find(id)->second.arrived) {
      ++changes->expired;
    } else {
      ++changes->no_shows;
    }
    EndSession(id, now, /*revoke=*/false, changes);
  }
}

void Room::ForgetRevoked(absl::Time now, Changes* changes) {
  while (!revoked_until_.empty() && revoked_until_.begin()->first <= now) {
    const uint64_t id = revoked_until_.begin()->second;
    revoked_until_.erase(revoked_until_.begin());
    revoked_.erase(id);
    changes->erased_sessions.push_back(id);
  }
}

void Room::ExpireAbandoned(absl::Time now, const RoomSettings& s, Changes* changes) {
  if (s.place_hold <= absl::ZeroDuration()) return;
  const int64_t cutoff = Micros(now - s.place_hold);
  for (int n = 0; n < kMaxRemovalsPerOperation && lru_head_ != 0; ++n) {
    if (slots_.Find(lru_head_)->last_seen_us > cutoff) break;
    RemoveTicket(lru_head_, changes);
    ++changes->abandoned;
  }
}

void Room::EndSession(uint64_t id, absl::Time now, bool revoke, Changes* changes) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session session = std::move(it->second);
  sessions_.erase(it);
  leases_.erase({session.expires_at, id});
  if (auto c = clients_.find(session.client);
      c != clients_.end() && c->second == (id | kSessionPlace)) {
    clients_.erase(c);
  }
  if (session.origin_ticket != 0) admitted_tickets_.erase(session.origin_ticket);
  if (revoke) {
    // Remember the revocation until the lease would have ended, so the visitor is told.
    session.revoked = true;
    session.expires_at = std::max(session.expires_at, now + absl::Seconds(1));
    revoked_until_.insert({session.expires_at, id});
    changes->put_sessions.push_back(session);
    revoked_.emplace(id, std::move(session));
  } else {
    changes->erased_sessions.push_back(id);
  }
}

void Room::RemoveTicket(uint64_t seq, Changes* changes) {
  Slot* found = slots_.Find(seq);
  if (found == nullptr) return;
  Slot& slot = *found;
  if (slot.state == SlotState::kQueued) {
    queue_.Remove(seq);
    Unlink(slot);
  } else {
    --prequeue_count_;
  }
  if (auto c = clients_.find(slot.client); c != clients_.end() && c->second == slot.id) {
    clients_.erase(c);
  }
  if (slot.id != seq) remap_.erase(slot.id);
  changes->erased_ticket_seqs.push_back(seq);
  slots_.Erase(seq);
}

// --- Admissions ---

uint64_t Room::Enqueue(const ClientKey& client, bool prequeued, absl::Time now, Changes* changes) {
  const uint64_t seq = next_seq_++;
  Slot& slot = slots_.Insert(seq, Slot{NewSecret(), client, seq, 0, 0, Micros(now), Micros(now),
                                       prequeued ? SlotState::kPreQueued : SlotState::kQueued});
  if (prequeued) {
    prequeue_.push_back(seq);
    ++prequeue_count_;
  } else {
    queue_.PushBack(seq);
    LinkTail(seq, slot);
  }
  clients_[client] = seq;
  changes->put_tickets.push_back(ToTicket(seq, slot));
  return seq;
}

void Room::FillFreeSlots(absl::Time now, const RoomSettings& s, Changes* changes) {
  if (s.queue_all) return;
  const bool passthrough = s.queueing_method == QueueingMethod::kPassthrough;
  for (int n = 0; n < kMaxAdmissionsPerOperation && !queue_.empty(); ++n) {
    if (!passthrough &&
        (active_sessions() >= s.max_active_sessions || !TakeAdmissionToken(now, s))) {
      return;
    }
    const uint64_t seq = s.queueing_method == QueueingMethod::kRandom
                             ? queue_.Select(static_cast<int64_t>(
                                   random_->Uniform(static_cast<uint64_t>(queue_.size()))))
                             : *queue_.First();
    AdmitTicket(seq, now, s, changes);
  }
}

bool Room::TakeAdmissionToken(absl::Time now, const RoomSettings& s) {
  if (s.admissions_per_minute <= 0) return true;
  const double per_second = static_cast<double>(s.admissions_per_minute) / 60.0;
  const double capacity = std::max(1.0, per_second);  // a burst of one second's worth
  if (now > bucket_at_) {
    bucket_ = std::min(capacity, bucket_ + absl::ToDoubleSeconds(now - bucket_at_) * per_second);
    bucket_at_ = now;
  }
  bucket_ = std::min(bucket_, capacity);  // the rate may have been lowered
  if (bucket_ < 1.0) return false;
  bucket_ -= 1.0;
  return true;
}

void Room::AdmitTicket(uint64_t seq, absl::Time now, const RoomSettings& s, Changes* changes) {
  const Slot slot = *slots_.Find(seq);
  RemoveTicket(seq, changes);
  const Session& session = StartSession(slot.client, slot.id, slot.secret, now, s, changes);
  admitted_tickets_[slot.id] = session.id;
  RecordAdmission(now);  // outflow from the queue, the basis of estimates
  changes->waited_seconds.push_back(absl::ToDoubleSeconds(now - FromMicros(slot.enqueued_us)));
}

const Session& Room::StartSession(const ClientKey& client, uint64_t origin_ticket,
                                  const Secret& origin_secret, absl::Time now,
                                  const RoomSettings& s, Changes* changes) {
  const uint64_t id = next_session_id_++;
  const absl::Duration first_lease =
      s.arrival_ttl > absl::ZeroDuration() ? std::min(s.arrival_ttl, s.session_ttl) : s.session_ttl;
  Session& session =
      sessions_
          .emplace(id, Session{id, NewSecret(), client, origin_ticket, origin_secret, now,
                               now + first_lease, now + first_lease,
                               /*arrived=*/s.arrival_ttl <= absl::ZeroDuration(), false})
          .first->second;
  leases_.insert({session.expires_at, id});
  clients_[client] = id | kSessionPlace;
  ++admitted_total_;
  ++changes->admitted;
  changes->room_dirty = true;  // admitted_total
  changes->put_sessions.push_back(session);
  return session;
}

// --- Estimates ---

void Room::RecordAdmission(absl::Time now) {
  const int64_t second = absl::ToUnixSeconds(now);
  if (second > window_second_) {
    const int64_t shift = std::min<int64_t>(second - window_second_, 60);
    for (int64_t i = 1; i <= shift; ++i) per_second_[(window_second_ + i) % 60] = 0;
    window_second_ = second;
  }
  if (second > window_second_ - 60) ++per_second_[second % 60];
}

double Room::ObservedAdmissionsPerSecond(absl::Time now) const {
  const int64_t second = absl::ToUnixSeconds(now);
  int64_t count = 0;
  for (int64_t s = second - 59; s <= second; ++s) {
    if (s > window_second_ - 60 && s <= window_second_) count += per_second_[s % 60];
  }
  if (count < kMinObservedAdmissions) return 0;
  // Over the whole minute once observed that long; a young room's few seconds would make
  // one burst look like a rate.
  const double span = std::clamp(absl::ToDoubleSeconds(now - observing_since_), 10.0, 60.0);
  return static_cast<double>(count) / span;
}

double Room::OutflowPerSecond(absl::Time now, const RoomSettings& s) const {
  // Paused: what flowed out before says nothing about when anyone will be let in.
  if (s.queue_all) return 0;
  // Configured bound: the rate, and the budget turning over once per session TTL (every
  // session held for its full lease, the slowest the budget can free slots).
  double configured =
      static_cast<double>(s.max_active_sessions) / absl::ToDoubleSeconds(s.session_ttl);
  if (s.admissions_per_minute > 0) {
    configured = std::min(configured, static_cast<double>(s.admissions_per_minute) / 60.0);
  }
  const double observed = ObservedAdmissionsPerSecond(now);
  if (observed <= 0) return configured;
  // Observed outflow, never more optimistic than the configured rate allows.
  return s.admissions_per_minute > 0
             ? std::min(observed, static_cast<double>(s.admissions_per_minute) / 60.0)
             : observed;
}

absl::Duration Room::PollAfter(absl::Duration wait) {
  return std::clamp(wait / 2, kMinPollAfter, kMaxPollAfter);
}

RoomStats Room::Stats(absl::Time now) const {
  const RoomSettings s = EffectiveSettings(now);
  RoomStats stats;
  stats.queue_depth = queue_.size();
  stats.prequeue_depth = prequeue_count_;
  stats.active_sessions = active_sessions();
  stats.max_active_sessions = s.max_active_sessions;
  stats.admitted_total = admitted_total_;
  stats.observed_admissions_per_minute = ObservedAdmissionsPerSecond(now) * 60.0;
  if (!(queue_.empty() && active_sessions() < s.max_active_sessions && !s.queue_all)) {
    const double outflow = OutflowPerSecond(now, s);
    if (outflow > 0) {
      stats.estimated_wait = absl::Seconds(static_cast<double>(queue_.size() + 1) / outflow);
    } else {
      stats.estimated_wait_unknown = true;
    }
  }
  return stats;
}

size_t Room::MemoryBytes() const {
  auto map_bytes = [](const auto& m) {
    using Value = typename std::decay_t<decltype(m)>::value_type;
    return m.capacity() * (sizeof(Value) + 1);
  };
  return slots_.MemoryBytes() + map_bytes(remap_) + map_bytes(clients_) + map_bytes(sessions_) +
         map_bytes(admitted_tickets_) + queue_.MemoryBytes() +
         prequeue_.capacity() * sizeof(uint64_t) + leases_.size() * 64;
}

// --- Slot table ---

Room::Slot* Room::SlotTable::Find(uint64_t seq) {
  return const_cast<Slot*>(static_cast<const SlotTable*>(this)->Find(seq));
}

const Room::Slot* Room::SlotTable::Find(uint64_t seq) const {
  const uint64_t chunk = seq / kChunkSlots;
  if (chunk < base_chunk_ || chunk - base_chunk_ >= chunks_.size()) return nullptr;
  const Chunk* c = chunks_[chunk - base_chunk_].get();
  if (c == nullptr) return nullptr;
  const Slot& slot = c->slots[seq % kChunkSlots];
  return slot.state == SlotState::kEmpty ? nullptr : &slot;
}

Room::Slot& Room::SlotTable::Insert(uint64_t seq, const Slot& slot) {
  const uint64_t chunk = seq / kChunkSlots;
  if (chunks_.empty()) base_chunk_ = chunk;
  while (chunk < base_chunk_) {  // restoring out of order, or a remapped ticket
    chunks_.emplace_front();
    --base_chunk_;
  }
  while (chunk - base_chunk_ >= chunks_.size()) chunks_.emplace_back();
  std::unique_ptr<Chunk>& c = chunks_[chunk - base_chunk_];
  if (c == nullptr) c = std::make_unique<Chunk>();
  ++c->live;
  Slot& placed = c->slots[seq % kChunkSlots];
  placed = slot;
  return placed;
}

void Room::SlotTable::Erase(uint64_t seq) {
  const uint64_t chunk = seq / kChunkSlots;
  std::unique_ptr<Chunk>& c = chunks_[chunk - base_chunk_];
  c->slots[seq % kChunkSlots].state = SlotState::kEmpty;
  if (--c->live == 0) c.reset();
  while (!chunks_.empty() && chunks_.front() == nullptr) {
    chunks_.pop_front();
    ++base_chunk_;
  }
  while (!chunks_.empty() && chunks_.back() == nullptr) chunks_.pop_back();
}

size_t Room::SlotTable::MemoryBytes() const {
  size_t bytes = chunks_.size() * sizeof(std::unique_ptr<Chunk>);
  for (const auto& c : chunks_) {
    if (c) bytes += sizeof(Chunk);
  }
  return bytes;
}

// --- Views ---

VisitorView Room::QueuedView(uint64_t seq, const Slot& slot, absl::Time now) const {
  const RoomSettings s = EffectiveSettings(now);
  VisitorView view;
  view.state = VisitorState::kQueued;
  view.ticket = MakeToken(TokenKind::kTicket, id_, slot.id, slot.secret);
  view.position = queue_.Rank(seq) + 1;
  const double outflow = OutflowPerSecond(now, s);
  if (outflow <= 0) {
    view.wait_unknown = true;  // paused: resumed only by an operator, at a time nobody knows
  } else if (s.queueing_method == QueueingMethod::kRandom) {
    // Each admission picks uniformly among the n waiting: on average after half of them,
    // at worst after all of them (ignoring later arrivals, who share the odds).
    const double n = static_cast<double>(queue_.size());
    view.estimated_wait = absl::Seconds((n + 1) / 2 / outflow);
    view.estimated_wait_max = absl::Seconds(n / outflow);
  } else {
    view.estimated_wait = absl::Seconds(static_cast<double>(view.position) / outflow);
    view.estimated_wait_max = view.estimated_wait;
  }
  view.poll_after = view.wait_unknown ? kMaxPollAfter : PollAfter(view.estimated_wait);
  if (s.queueing_method != QueueingMethod::kRandom) {
    // The estimate is an average; the next slot may free at any moment. The head of the line
    // polls often (2 s per position, up to the usual hint), so it learns of its turn soon
    // after it comes.
    view.poll_after =
        std::min(view.poll_after, kMinPollAfter * static_cast<int64_t>(view.position));
  }
  return view;
}

VisitorView Room::PrequeuedView(const Slot& slot, const Event* event) const {
  VisitorView view;
  view.state = VisitorState::kPreQueued;
  view.ticket = MakeToken(TokenKind::kTicket, id_, slot.id, slot.secret);
  if (event != nullptr) {
    view.event_starts_at = event->start;
    view.poll_after = kMaxPollAfter;
  } else {
    // The event has started but the tick that places the pre-queue has not run yet.
    view.poll_after = kMinPollAfter;
  }
  return view;
}

VisitorView Room::AdmittedView(const Session& session) const {
  VisitorView view;
  view.state = VisitorState::kAdmitted;
  if (session.origin_ticket != 0) {
    view.ticket = MakeToken(TokenKind::kTicket, id_, session.origin_ticket, session.origin_secret);
  }
  view.session = MakeToken(TokenKind::kSession, id_, session.id, session.secret);
  view.lease_expires_at = session.expires_at;
  // Heartbeat well inside the lease so one lost call does not end the session.
  view.poll_after = std::clamp((session.expires_at - session.admitted_at) / 3, absl::Seconds(1),
                               absl::Minutes(1));
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
  view.poll_after = kMaxPollAfter;
  return view;
}

// --- Persistence ---

void Room::LinkTail(uint64_t seq, Slot& slot) {
  slot.prev = lru_tail_;
  slot.next = 0;
  if (lru_tail_ != 0) {
    slots_.Find(lru_tail_)->next = seq;
  } else {
    lru_head_ = seq;
  }
  lru_tail_ = seq;
}

void Room::Unlink(Slot& slot) {
  if (slot.prev != 0) {
    slots_.Find(slot.prev)->next = slot.next;
  } else {
    lru_head_ = slot.next;
  }
  if (slot.next != 0) {
    slots_.Find(slot.next)->prev = slot.prev;
  } else {
    lru_tail_ = slot.prev;
  }
  slot.prev = slot.next = 0;
}

Ticket Room::ToTicket(uint64_t seq, const Slot& slot) const {
  return Ticket{slot.id,
                seq,
                slot.secret,
                slot.client,
                FromMicros(slot.enqueued_us),
                slot.state == SlotState::kPreQueued};
}

absl::Status Room::RestoreTicket(const Ticket& t, absl::Time now) {
  if (slots_.Find(t.seq) != nullptr) {
    return absl::DataLossError(absl::StrCat("room ", id_, ": duplicate ticket seq ", t.seq));
  }
  Slot& slot =
      slots_.Insert(t.seq, Slot{t.secret, t.client, t.id, 0, 0, Micros(now), Micros(t.enqueued_at),
                                t.prequeued ? SlotState::kPreQueued : SlotState::kQueued});
  if (t.id != t.seq) remap_[t.id] = t.seq;
  if (t.prequeued) {
    prequeue_.push_back(t.seq);
    ++prequeue_count_;
  } else {
    queue_.PushBack(t.seq);
    LinkTail(t.seq, slot);
  }
  clients_[t.client] = t.id;
  next_seq_ = std::max({next_seq_, t.seq + 1, t.id + 1});
  return absl::OkStatus();
}

absl::Status Room::RestoreSession(const Session& s) {
  if (sessions_.contains(s.id) || revoked_.contains(s.id)) {
    return absl::DataLossError(absl::StrCat("room ", id_, ": duplicate session ", s.id));
  }
  next_session_id_ = std::max(next_session_id_, s.id + 1);
  if (s.revoked) {
    revoked_until_.insert({s.expires_at, s.id});
    revoked_.emplace(s.id, s);
    return absl::OkStatus();
  }
  sessions_.emplace(s.id, s);
  leases_.insert({s.expires_at, s.id});
  clients_[s.client] = s.id | kSessionPlace;
  if (s.origin_ticket != 0) {
    admitted_tickets_[s.origin_ticket] = s.id;
    next_seq_ = std::max(next_seq_, s.origin_ticket + 1);
  }
  return absl::OkStatus();
}

void Room::CreditDowntime(absl::Duration downtime, Changes* changes) {
  if (downtime <= absl::ZeroDuration()) return;
  std::set<std::pair<absl::Time, uint64_t>> shifted;
  for (auto& [id, session] : sessions_) {
    session.expires_at += downtime;
    session.persisted_until = std::max(session.persisted_until + downtime, session.expires_at);
    shifted.insert({session.expires_at, id});
    changes->put_sessions.push_back(session);
  }
  leases_ = std::move(shifted);
}

void Room::RestoreCounters(int64_t admitted_total, uint64_t next_event_number) {
  admitted_total_ = admitted_total;
  next_event_number_ = std::max(next_event_number_, next_event_number);
}

}  // namespace anteroom::core
