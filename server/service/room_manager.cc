#include "server/service/room_manager.h"

#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "anteroom/storage/v1/records.pb.h"
#include "server/base/log.h"
#include "server/service/convert.h"
#include "server/service/records.h"

namespace anteroom::service {
namespace {

// Meta key: when the server was last known alive (Unix microseconds, decimal).
constexpr absl::string_view kAliveKey = "alive_at_us";

absl::Status RoomNotFound(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("room '", id, "' does not exist"));
}

}  // namespace

RoomManager::RoomManager(storage::Store* store, Committer* committer, base::Clock* clock,
                         base::RandomSource* random, const ClientKeyer* keyer, Metrics* metrics)
    : store_(store),
      committer_(committer),
      clock_(clock),
      random_(random),
      keyer_(keyer),
      metrics_(metrics) {}

absl::Status RoomManager::Load() {
  // Time the server was down is not charged against anyone's lease.
  const absl::Time now = clock_->Now();
  absl::Duration downtime = absl::ZeroDuration();
  absl::StatusOr<std::optional<std::string>> alive = store_->Get(storage::Table::kMeta, kAliveKey);
  if (!alive.ok()) return alive.status();
  int64_t alive_us = 0;
  if (alive->has_value() && absl::SimpleAtoi(**alive, &alive_us)) {
    downtime = std::max(absl::ZeroDuration(), now - absl::FromUnixMicros(alive_us));
  }
  storage::WriteBatch credit;
  credit.Put(storage::Table::kMeta, std::string(kAliveKey), absl::StrCat(absl::ToUnixMicros(now)));
  int64_t credited_sessions = 0;

  std::map<std::string, std::shared_ptr<Entry>> loaded;
  absl::Status s =
      store_->Scan(storage::Table::kRooms, "", [&](absl::string_view key, absl::string_view value) {
        absl::StatusOr<std::unique_ptr<core::Room>> room = LoadRoom(key, value);
        if (!room.ok()) return room.status();
        core::Changes changes;
        (*room)->CreditDowntime(downtime, &changes);
        credited_sessions += static_cast<int64_t>(changes.put_sessions.size());
        AppendChanges(key, changes, &credit);
        auto entry = std::make_shared<Entry>(std::move(*room), metrics_->ForRoom(std::string(key)));
        base::MutexLock lock(&entry->mu);
        entry->epoch = next_epoch_++;
        UpdateGauges(*entry);
        const core::RoomStats stats = entry->room->Stats(clock_->Now());
        ANTEROOM_LOG(kInfo, "loaded room %s: %d waiting, %d pre-queued, %d active sessions",
                     std::string(key), stats.queue_depth, stats.prequeue_depth,
                     stats.active_sessions);
        loaded.emplace(std::string(key), std::move(entry));
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  // The credited leases and the new alive mark in one write: a crash now cannot credit the
  // same downtime twice.
  if (absl::Status written = store_->Write(credit); !written.ok()) return written;
  if (downtime > absl::ZeroDuration()) {
    ANTEROOM_LOG(kInfo, "down for %s: credited to %d session leases",
                 absl::FormatDuration(downtime), credited_sessions);
  }
  alive_recorded_us_ = absl::ToUnixMicros(now);
  base::MutexLock lock(&mu_);
  rooms_ = std::move(loaded);
  return absl::OkStatus();
}

void RoomManager::RecordAlive() {
  const int64_t now_us = absl::ToUnixMicros(clock_->Now());
  alive_recorded_us_ = now_us;
  storage::WriteBatch batch;
  batch.Put(storage::Table::kMeta, std::string(kAliveKey), absl::StrCat(now_us));
  committer_->Submit("", next_epoch_++, std::move(batch), [](const absl::Status&) {});
}

absl::StatusOr<std::unique_ptr<core::Room>> RoomManager::LoadRoom(absl::string_view id,
                                                                  absl::string_view record_bytes) {
  absl::StatusOr<storage::v1::RoomRecord> record =
      ParseRecord<storage::v1::RoomRecord>(record_bytes, absl::StrCat("room ", id));
  if (!record.ok()) return record.status();
  core::RoomSettings settings;
  if (absl::Status s = ApplySettingsPatch(record->settings(), &settings); !s.ok()) return s;
  const absl::Time now = clock_->Now();
  auto room = std::make_unique<core::Room>(std::string(id), settings,
                                           absl::FromUnixMicros(record->create_time_us()), random_);
  room->RestoreCounters(static_cast<int64_t>(record->admitted_total()),
                        record->next_event_number());
  for (const storage::v1::EventRecord& e : record->events()) {
    absl::StatusOr<core::SettingsOverrides> overrides = OverridesFromProto(e.overrides());
    if (!overrides.ok()) return overrides.status();
    core::Event event;
    event.id = e.id();
    event.prequeue_start = absl::FromUnixMicros(e.prequeue_start_us());
    event.start = absl::FromUnixMicros(e.start_us());
    event.end = absl::FromUnixMicros(e.end_us());
    event.shuffle_at_start = e.shuffle_at_start();
    event.overrides = *overrides;
    event.started = e.started();
    room->RestoreEvent(event);
  }
  const std::string prefix = RoomPrefix(id);
  // Large queues take seconds to load: say how far it has got.
  constexpr int64_t kProgressEvery = 1'000'000;
  int64_t loaded = 0;
  const base::Stopwatch stopwatch;
  storage::v1::TicketRecord r;
  absl::Status s = store_->Scan(
      storage::Table::kTickets, prefix, [&](absl::string_view, absl::string_view value) {
        if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          return absl::DataLossError(absl::StrCat("unreadable ticket record in room ", id));
        }
        absl::StatusOr<core::Ticket> t = FromRecord(r);
        if (!t.ok()) return t.status();
        if (++loaded % kProgressEvery == 0) {
          ANTEROOM_LOG(kInfo, "room %s: %d waiting visitors loaded (%.1f s)", std::string(id),
                       loaded, stopwatch.ElapsedSeconds());
        }
        return room->RestoreTicket(*t, now);
      });
  if (!s.ok()) return s;
  s = store_->Scan(
      storage::Table::kSessions, prefix, [&](absl::string_view, absl::string_view value) {
        auto r =
            ParseRecord<storage::v1::SessionRecord>(value, absl::StrCat("session of room ", id));
        if (!r.ok()) return r.status();
        absl::StatusOr<core::Session> session = FromRecord(*r);
        if (!session.ok()) return session.status();
        return room->RestoreSession(*session);
      });
  if (!s.ok()) return s;
  return room;
}

std::string RoomManager::EncodeRoomRecord(const core::Room& room) {
  storage::v1::RoomRecord record;
  record.set_id(room.id());
  *record.mutable_settings() = ToProto(room.settings());
  record.set_create_time_us(absl::ToUnixMicros(room.created_at()));
  record.set_admitted_total(static_cast<uint64_t>(room.admitted_total()));
  record.set_next_event_number(room.next_event_number());
  for (const core::Event& e : room.events()) {
    storage::v1::EventRecord* r = record.add_events();
    r->set_id(e.id);
    r->set_prequeue_start_us(absl::ToUnixMicros(e.prequeue_start));
    r->set_start_us(absl::ToUnixMicros(e.start));
    r->set_end_us(absl::ToUnixMicros(e.end));
    r->set_shuffle_at_start(e.shuffle_at_start);
    *r->mutable_overrides() = ToProto(e.overrides);
    r->set_started(e.started);
  }
  return record.SerializeAsString();
}

RoomInfo RoomManager::InfoOf(const core::Room& room) {
  return RoomInfo{room.id(), room.settings(), room.created_at()};
}

std::shared_ptr<RoomManager::Entry> RoomManager::Find(const std::string& id) {
  base::MutexLock lock(&mu_);
  auto it = rooms_.find(id);
  return it == rooms_.end() ? nullptr : it->second;
}

template <typename T>
void RoomManager::WithRoom(
    const std::string& id,
    absl::FunctionRef<absl::StatusOr<T>(core::Room&, absl::Time, core::Changes*)> fn,
    Callback<T> done) {
  std::shared_ptr<Entry> entry = Find(id);
  if (!entry) return done(RoomNotFound(id));
  std::function<void(const absl::Status&)> answer;
  {
    base::MutexLock lock(&entry->mu);
    if (entry->deleted) {
      answer = [&done, id](const absl::Status&) { done(RoomNotFound(id)); };
    } else {
      core::Changes changes;
      absl::StatusOr<T> result = fn(*entry->room, clock_->Now(), &changes);
      const uint64_t wait_for = Submit(entry, changes);
      answer = [done = std::move(done), result = std::move(result)](const absl::Status& written) {
        if (written.ok()) {
          done(std::move(result));
        } else {
          done(written);
        }
      };
      if (wait_for > entry->durable) {
        entry->waiters.emplace_back(wait_for, std::move(answer));
        return;
      }
    }
  }
  answer(absl::OkStatus());
}

uint64_t RoomManager::Submit(const std::shared_ptr<Entry>& entry, const core::Changes& changes) {
  // Rejections change nothing to persist: count them now.
  if (changes.rejected_queue_full > 0) {
    entry->series.rejected_queue_full->Increment(static_cast<double>(changes.rejected_queue_full));
  }
  if (changes.rejected_room_full > 0) {
    entry->series.rejected_room_full->Increment(static_cast<double>(changes.rejected_room_full));
  }
  if (changes.empty()) return entry->applied;  // still wait for what this call saw
  // Gauges follow changes here (not on every Poll); TickAll refreshes them as time passes.
  UpdateGauges(*entry);
  const uint64_t seq = ++entry->applied;
  storage::WriteBatch batch;
  AppendChanges(entry->room->id(), changes, &batch);
  if (changes.room_dirty) {
    batch.Put(storage::Table::kRooms, entry->room->id(), EncodeRoomRecord(*entry->room));
  }
  // What the metrics and the log need once the write is known to have succeeded.
  core::Changes summary;
  summary.admitted = changes.admitted;
  summary.abandoned = changes.abandoned;
  summary.expired = changes.expired;
  summary.no_shows = changes.no_shows;
  summary.revoked = changes.revoked;
  summary.waited_seconds = changes.waited_seconds;
  summary.events_started = changes.events_started;
  summary.events_ended = changes.events_ended;
  const uint64_t epoch = entry->epoch;
  committer_->Submit(entry->room->id(), epoch, std::move(batch),
                     [this, entry, seq, epoch, summary = std::move(summary)](
                         const absl::Status& s) { OnWritten(entry, seq, epoch, summary, s); });
  return seq;
}

void RoomManager::OnWritten(const std::shared_ptr<Entry>& entry, uint64_t seq, uint64_t epoch,
                            const core::Changes& summary, const absl::Status& status) {
  std::vector<std::function<void(const absl::Status&)>> ready;
  absl::Status outcome = absl::OkStatus();
  {
    base::MutexLock lock(&entry->mu);
    // A write from before a reload: its waiters were answered at the reload.
    if (epoch != entry->epoch) return;
    const std::string& room = entry->room->id();
    if (status.ok()) {
      entry->durable = std::max(entry->durable, seq);
      const Metrics::RoomSeries& m = entry->series;
      if (summary.admitted > 0) m.admissions->Increment(static_cast<double>(summary.admitted));
      if (summary.abandoned > 0) m.abandoned->Increment(static_cast<double>(summary.abandoned));
      if (summary.expired > 0) m.expired->Increment(static_cast<double>(summary.expired));
      if (summary.no_shows > 0) m.no_shows->Increment(static_cast<double>(summary.no_shows));
      if (summary.revoked > 0) m.revoked->Increment(static_cast<double>(summary.revoked));
      for (double waited : summary.waited_seconds) m.wait->Observe(waited);
      for (const std::string& line : summary.events_started) {
        ANTEROOM_LOG(kInfo, "room %s: event %s", room, line);
      }
      for (const std::string& id : summary.events_ended) {
        ANTEROOM_LOG(kInfo, "room %s: event %s ended", room, id);
      }
      while (!entry->waiters.empty() && entry->waiters.front().first <= entry->durable) {
        ready.push_back(std::move(entry->waiters.front().second));
        entry->waiters.pop_front();
      }
    } else {
      ANTEROOM_LOG(kError, "room %s: storage write failed, reloading the room: %s", room,
                   status.ToString());
      outcome = absl::UnavailableError(
          absl::StrCat("storage unavailable, nothing was changed: ", status.message()));
      for (auto& waiter : entry->waiters) ready.push_back(std::move(waiter.second));
      entry->waiters.clear();
      ReloadLocked(*entry);
    }
  }
  for (auto& answer : ready) answer(outcome);
}

void RoomManager::ReloadLocked(Entry& entry) {
  // Memory goes back to what is persisted, so nothing unacknowledged survives; later writes
  // go under a new epoch, and the committer drops those still queued under the old one.
  const std::string id = entry.room->id();
  absl::StatusOr<std::optional<std::string>> bytes = store_->Get(storage::Table::kRooms, id);
  absl::Status reload = bytes.status();
  if (bytes.ok() && bytes->has_value()) {
    absl::StatusOr<std::unique_ptr<core::Room>> reloaded = LoadRoom(id, **bytes);
    reload = reloaded.status();
    if (reloaded.ok()) entry.room = std::move(*reloaded);
  }
  if (!reload.ok()) {
    ANTEROOM_LOG(kError, "room %s: reload failed, keeping memory as is: %s", id, reload.ToString());
  }
  entry.epoch = next_epoch_++;
  entry.applied = entry.durable;
  UpdateGauges(entry);
}

void RoomManager::UpdateGauges(Entry& entry) {
  const core::RoomStats stats = entry.room->Stats(clock_->Now());
  entry.series.queue_depth->Set(static_cast<double>(stats.queue_depth));
  entry.series.prequeue_depth->Set(static_cast<double>(stats.prequeue_depth));
  entry.series.active_sessions->Set(static_cast<double>(stats.active_sessions));
  // NaN while paused: no wait can be told, and 0 would read as "no wait".
  entry.series.estimated_wait->Set(stats.estimated_wait_unknown
                                       ? std::numeric_limits<double>::quiet_NaN()
                                       : absl::ToDoubleSeconds(stats.estimated_wait));
}

absl::StatusOr<RoomInfo> RoomManager::CreateRoom(const std::string& id,
                                                 const core::RoomSettings& settings) {
  if (absl::Status s = core::ValidateRoomId(id, "room"); !s.ok()) return s;
  if (absl::Status s = core::ValidateSettings(settings); !s.ok()) return s;
  base::MutexLock lock(&mu_);
  if (rooms_.contains(id)) {
    return absl::AlreadyExistsError(absl::StrCat("room '", id, "' already exists"));
  }
  auto room = std::make_unique<core::Room>(id, settings, clock_->Now(), random_);
  storage::WriteBatch batch;
  // A new room starts clean even if a crash interrupted an earlier delete of the same name.
  batch.DeleteRange(storage::Table::kTickets, RoomPrefix(id), RoomPrefixEnd(id));
  batch.DeleteRange(storage::Table::kSessions, RoomPrefix(id), RoomPrefixEnd(id));
  batch.Put(storage::Table::kRooms, id, EncodeRoomRecord(*room));
  // Waiting under the map lock is safe: committer callbacks never take it.
  const uint64_t epoch = next_epoch_++;
  if (absl::Status s = committer_->SubmitAndWait(id, epoch, std::move(batch)); !s.ok()) return s;
  RoomInfo info = InfoOf(*room);
  auto entry = std::make_shared<Entry>(std::move(room), metrics_->ForRoom(id));
  {
    base::MutexLock entry_lock(&entry->mu);
    entry->epoch = epoch;
    UpdateGauges(*entry);
  }
  rooms_.emplace(id, std::move(entry));
  ANTEROOM_LOG(kInfo, "room %s created: max_active_sessions=%d session_ttl=%s", id,
               settings.max_active_sessions, absl::FormatDuration(settings.session_ttl));
  return info;
}

void RoomManager::UpdateRoom(const std::string& id,
                             std::function<absl::Status(core::RoomSettings*)> mutate,
                             Callback<RoomInfo> done) {
  WithRoom<RoomInfo>(
      id,
      [&](core::Room& room, absl::Time now, core::Changes* changes) -> absl::StatusOr<RoomInfo> {
        core::RoomSettings settings = room.settings();
        if (absl::Status s = mutate(&settings); !s.ok()) return s;
        if (absl::Status s = core::ValidateSettings(settings); !s.ok()) return s;
        room.UpdateSettings(settings, now, changes);
        ANTEROOM_LOG(kInfo,
                     "room %s updated: max_active_sessions=%d admissions_per_minute=%d "
                     "session_ttl=%s queue_all=%s",
                     id, settings.max_active_sessions, settings.admissions_per_minute,
                     absl::FormatDuration(settings.session_ttl),
                     settings.queue_all ? "true" : "false");
        return InfoOf(room);
      },
      std::move(done));
}

absl::StatusOr<RoomInfo> RoomManager::GetRoom(const std::string& id) {
  std::shared_ptr<Entry> entry = Find(id);
  if (!entry) return RoomNotFound(id);
  base::MutexLock lock(&entry->mu);
  if (entry->deleted) return RoomNotFound(id);
  return InfoOf(*entry->room);
}

std::vector<RoomInfo> RoomManager::ListRooms() {
  std::vector<std::shared_ptr<Entry>> entries;
  {
    base::MutexLock lock(&mu_);
    for (const auto& [id, entry] : rooms_) entries.push_back(entry);
  }
  std::vector<RoomInfo> out;
  for (const auto& entry : entries) {
    base::MutexLock lock(&entry->mu);
    if (!entry->deleted) out.push_back(InfoOf(*entry->room));
  }
  return out;
}

absl::Status RoomManager::DeleteRoom(const std::string& id) {
  base::MutexLock lock(&mu_);
  auto it = rooms_.find(id);
  if (it == rooms_.end()) return RoomNotFound(id);
  std::shared_ptr<Entry> entry = it->second;
  uint64_t epoch;
  {
    base::MutexLock entry_lock(&entry->mu);
    entry->deleted = true;
    epoch = entry->epoch;
  }
  storage::WriteBatch batch;
  batch.DeleteRange(storage::Table::kTickets, RoomPrefix(id), RoomPrefixEnd(id));
  batch.DeleteRange(storage::Table::kSessions, RoomPrefix(id), RoomPrefixEnd(id));
  batch.Delete(storage::Table::kRooms, id);
  // The room lock is released before waiting (the committer's callbacks take it); the map
  // lock keeps the name from being reused meanwhile.
  if (absl::Status s = committer_->SubmitAndWait(id, epoch, std::move(batch)); !s.ok()) {
    base::MutexLock entry_lock(&entry->mu);
    entry->deleted = false;
    ReloadLocked(*entry);
    return s;
  }
  rooms_.erase(it);
  metrics_->RemoveRoom(id);
  ANTEROOM_LOG(kInfo, "room %s deleted", id);
  return absl::OkStatus();
}

absl::StatusOr<core::RoomStats> RoomManager::GetRoomStatus(const std::string& id) {
  std::shared_ptr<Entry> entry = Find(id);
  if (!entry) return RoomNotFound(id);
  base::MutexLock lock(&entry->mu);
  if (entry->deleted) return RoomNotFound(id);
  return entry->room->Stats(clock_->Now());
}

void RoomManager::CreateEvent(const std::string& room, core::Event event,
                              Callback<core::Event> done) {
  WithRoom<core::Event>(
      room,
      [&](core::Room& r, absl::Time now, core::Changes* changes) {
        absl::StatusOr<core::Event> created = r.AddEvent(event, now, changes);
        if (created.ok()) {
          ANTEROOM_LOG(kInfo, "room %s: event %s scheduled: pre-queue %s, start %s, end %s%s", room,
                       created->id, absl::FormatTime(created->prequeue_start),
                       absl::FormatTime(created->start), absl::FormatTime(created->end),
                       created->shuffle_at_start ? ", shuffled at start" : "");
        }
        return created;
      },
      std::move(done));
}

absl::StatusOr<std::vector<core::Event>> RoomManager::ListEvents(const std::string& room) {
  std::shared_ptr<Entry> entry = Find(room);
  if (!entry) return RoomNotFound(room);
  base::MutexLock lock(&entry->mu);
  if (entry->deleted) return RoomNotFound(room);
  return entry->room->events();
}

void RoomManager::CancelEvent(const std::string& room, const std::string& event_id,
                              Callback<bool> done) {
  WithRoom<bool>(
      room,
      [&](core::Room& r, absl::Time now, core::Changes* changes) -> absl::StatusOr<bool> {
        if (absl::Status s = r.CancelEvent(event_id, now, changes); !s.ok()) return s;
        ANTEROOM_LOG(kInfo, "room %s: event %s cancelled", room, event_id);
        return true;
      },
      std::move(done));
}

void RoomManager::RevokeSession(const core::ParsedToken& session, Callback<bool> done) {
  WithRoom<bool>(
      std::string(session.room),
      [&](core::Room& r, absl::Time now, core::Changes* changes) -> absl::StatusOr<bool> {
        const bool revoked = r.Revoke(session.id, session.secret, now, changes);
        if (revoked) ANTEROOM_LOG(kInfo, "room %s: session %d revoked", r.id(), session.id);
        return revoked;
      },
      std::move(done));
}

void RoomManager::Admit(const std::string& room, absl::string_view client_id,
                        Callback<core::VisitorView> done) {
  const core::ClientKey key = keyer_->Of(client_id);
  WithRoom<core::VisitorView>(
      room,
      [&](core::Room& r, absl::Time now, core::Changes* changes)
          -> absl::StatusOr<core::VisitorView> { return r.Admit(key, now, changes); },
      std::move(done));
}

void RoomManager::Poll(const core::ParsedToken& ticket, Callback<core::VisitorView> done) {
  // Poll writes nothing (when a visitor was last seen is not persisted: a restart treats
  // everyone as seen at start-up), but it answers only once what it reports is durable.
  WithRoom<core::VisitorView>(
      std::string(ticket.room),
      [&](core::Room& r, absl::Time now, core::Changes*) -> absl::StatusOr<core::VisitorView> {
        return r.Poll(ticket.id, ticket.secret, now);
      },
      std::move(done));
}

void RoomManager::Heartbeat(const core::ParsedToken& session, Callback<core::VisitorView> done) {
  WithRoom<core::VisitorView>(
      std::string(session.room),
      [&](core::Room& r, absl::Time now,
          core::Changes* changes) -> absl::StatusOr<core::VisitorView> {
        return r.Heartbeat(session.id, session.secret, now, changes);
      },
      std::move(done));
}

void RoomManager::Leave(const core::ParsedToken& token, Callback<bool> done) {
  WithRoom<bool>(
      std::string(token.room),
      [&](core::Room& r, absl::Time now, core::Changes* changes) -> absl::StatusOr<bool> {
        return r.Leave(token.kind, token.id, token.secret, now, changes);
      },
      std::move(done));
}

void RoomManager::TickAll() {
  if (absl::ToUnixMicros(clock_->Now()) - alive_recorded_us_ >= 1'000'000) {
    RecordAlive();
    metrics_->SetStorageBytes(static_cast<double>(store_->ApproximateBytes()));
  }
  std::vector<std::shared_ptr<Entry>> entries;
  {
    base::MutexLock lock(&mu_);
    for (const auto& [id, entry] : rooms_) entries.push_back(entry);
  }
  for (const auto& entry : entries) {
    base::MutexLock lock(&entry->mu);
    if (entry->deleted) continue;
    core::Changes changes;
    entry->room->Tick(clock_->Now(), &changes);
    // A failed write is logged and rolled back in OnWritten; the next tick tries again.
    Submit(entry, changes);
    // The estimated wait moves with time even when nothing changed.
    if (changes.empty()) UpdateGauges(*entry);
  }
}

}  // namespace anteroom::service
