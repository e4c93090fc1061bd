#include "server/service/room_manager.h"

#include "absl/strings/str_cat.h"
#include "anteroom/storage/v1/records.pb.h"
#include "server/base/log.h"
#include "server/service/convert.h"
#include "server/service/records.h"

namespace anteroom::service {
namespace {

absl::Status RoomNotFound(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("room '", id, "' does not exist"));
}

}  // namespace

RoomManager::RoomManager(storage::Store* store, base::Clock* clock, base::TokenSource* tokens,
                         Metrics* metrics)
    : store_(store), clock_(clock), tokens_(tokens), metrics_(metrics) {}

absl::Status RoomManager::Load() {
  std::map<std::string, std::shared_ptr<Entry>> loaded;
  absl::Status s =
      store_->Scan(storage::Table::kRooms, "", [&](absl::string_view key, absl::string_view value) {
        absl::StatusOr<std::unique_ptr<core::Room>> room = LoadRoom(key, value);
        if (!room.ok()) return room.status();
        auto entry = std::make_shared<Entry>(std::move(*room), metrics_->ForRoom(std::string(key)));
        base::MutexLock lock(&entry->mu);
        entry->persisted_admitted_total = entry->room->Stats().admitted_total;
        UpdateGauges(*entry);
        loaded.emplace(std::string(key), std::move(entry));
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  for (auto& [id, entry] : loaded) {
    base::MutexLock lock(&entry->mu);
    const core::RoomStats stats = entry->room->Stats();
    ANTEROOM_LOG(kInfo, "loaded room %s: %d waiting, %d active sessions", id, stats.queue_depth,
                 stats.active_sessions);
  }
  base::MutexLock lock(&mu_);
  rooms_ = std::move(loaded);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<core::Room>> RoomManager::LoadRoom(absl::string_view id,
                                                                  absl::string_view record_bytes) {
  absl::StatusOr<storage::v1::RoomRecord> record =
      ParseRecord<storage::v1::RoomRecord>(record_bytes, absl::StrCat("room ", id));
  if (!record.ok()) return record.status();
  core::RoomSettings settings;
  if (absl::Status s = ApplySettingsPatch(record->settings(), &settings); !s.ok()) return s;
  auto room = std::make_unique<core::Room>(std::string(id), settings,
                                           absl::FromUnixMicros(record->create_time_us()), tokens_);
  room->RestoreAdmittedTotal(static_cast<int64_t>(record->admitted_total()));
  const std::string prefix = RoomPrefix(id);
  absl::Status s = store_->Scan(
      storage::Table::kTickets, prefix, [&](absl::string_view, absl::string_view value) {
        auto t = ParseRecord<storage::v1::TicketRecord>(value, absl::StrCat("ticket of room ", id));
        if (!t.ok()) return t.status();
        return room->RestoreTicket(FromRecord(*t));
      });
  if (!s.ok()) return s;
  s = store_->Scan(
      storage::Table::kSessions, prefix, [&](absl::string_view, absl::string_view value) {
        auto r =
            ParseRecord<storage::v1::SessionRecord>(value, absl::StrCat("session of room ", id));
        if (!r.ok()) return r.status();
        return room->RestoreSession(FromRecord(*r));
      });
  if (!s.ok()) return s;
  return room;
}

std::string RoomManager::EncodeRoomRecord(const core::Room& room, int64_t admitted_total) const {
  storage::v1::RoomRecord record;
  record.set_id(room.id());
  *record.mutable_settings() = ToProto(room.settings());
  record.set_create_time_us(absl::ToUnixMicros(room.created_at()));
  record.set_admitted_total(static_cast<uint64_t>(admitted_total));
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

absl::Status RoomManager::Commit(Entry& entry, const core::Changes& changes,
                                 bool write_room_record) {
  core::Room& room = *entry.room;
  const int64_t admitted_total = room.Stats().admitted_total;
  if (!changes.empty() || write_room_record) {
    storage::WriteBatch batch;
    AppendChanges(room.id(), changes, &batch);
    if (write_room_record || admitted_total != entry.persisted_admitted_total) {
      batch.Put(storage::Table::kRooms, room.id(), EncodeRoomRecord(room, admitted_total));
    }
    absl::Status s = store_->Write(batch);
    if (!s.ok()) {
      ANTEROOM_LOG(kError, "room %s: storage write failed, reloading the room: %s", room.id(),
                   s.ToString());
      // Roll memory back to what is persisted, so nothing unacknowledged survives.
      absl::StatusOr<std::optional<std::string>> bytes =
          store_->Get(storage::Table::kRooms, room.id());
      if (bytes.ok() && bytes->has_value()) {
        absl::StatusOr<std::unique_ptr<core::Room>> reloaded = LoadRoom(room.id(), **bytes);
        if (reloaded.ok()) {
          entry.room = std::move(*reloaded);
          entry.persisted_admitted_total = entry.room->Stats().admitted_total;
        } else {
          ANTEROOM_LOG(kError, "room %s: reload failed: %s", entry.room->id(),
                       reloaded.status().ToString());
        }
      }
      UpdateGauges(entry);
      return absl::UnavailableError(
          absl::StrCat("storage unavailable, nothing was changed: ", s.message()));
    }
    entry.persisted_admitted_total = admitted_total;
    if (changes.admitted > 0) entry.series.admissions->Increment(changes.admitted);
  }
  UpdateGauges(entry);
  return absl::OkStatus();
}

void RoomManager::UpdateGauges(Entry& entry) {
  const core::RoomStats stats = entry.room->Stats();
  entry.series.queue_depth->Set(static_cast<double>(stats.queue_depth));
  entry.series.active_sessions->Set(static_cast<double>(stats.active_sessions));
}

absl::StatusOr<RoomInfo> RoomManager::CreateRoom(const std::string& id,
                                                 const core::RoomSettings& settings) {
  if (absl::Status s = core::ValidateRoomId(id, "room"); !s.ok()) return s;
  if (absl::Status s = core::ValidateSettings(settings); !s.ok()) return s;
  base::MutexLock lock(&mu_);
  if (rooms_.contains(id)) {
    return absl::AlreadyExistsError(absl::StrCat("room '", id, "' already exists"));
  }
  auto room = std::make_unique<core::Room>(id, settings, clock_->Now(), tokens_);
  storage::WriteBatch batch;
  batch.Put(storage::Table::kRooms, id, EncodeRoomRecord(*room, 0));
  if (absl::Status s = store_->Write(batch); !s.ok()) return s;
  RoomInfo info = InfoOf(*room);
  auto entry = std::make_shared<Entry>(std::move(room), metrics_->ForRoom(id));
  {
    base::MutexLock entry_lock(&entry->mu);
    UpdateGauges(*entry);
  }
  rooms_.emplace(id, std::move(entry));
  ANTEROOM_LOG(kInfo, "room %s created: max_active_sessions=%d session_ttl=%s", id,
               settings.max_active_sessions, absl::FormatDuration(settings.session_ttl));
  return info;
}

absl::StatusOr<RoomInfo> RoomManager::UpdateRoom(
    const std::string& id, const std::function<absl::Status(core::RoomSettings*)>& mutate) {
  std::shared_ptr<Entry> entry = Find(id);
  if (!entry) return RoomNotFound(id);
  base::MutexLock lock(&entry->mu);
  if (entry->deleted) return RoomNotFound(id);
  core::RoomSettings settings = entry->room->settings();
  if (absl::Status s = mutate(&settings); !s.ok()) return s;
  if (absl::Status s = core::ValidateSettings(settings); !s.ok()) return s;
  core::Changes changes;
  entry->room->UpdateSettings(settings, clock_->Now(), &changes);
  // On failure Commit reloads the room, which also restores the persisted settings.
  if (absl::Status s = Commit(*entry, changes, /*write_room_record=*/true); !s.ok()) return s;
  ANTEROOM_LOG(kInfo, "room %s updated: max_active_sessions=%d session_ttl=%s", id,
               settings.max_active_sessions, absl::FormatDuration(settings.session_ttl));
  return InfoOf(*entry->room);
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
  base::MutexLock entry_lock(&entry->mu);
  storage::WriteBatch batch;
  std::string end = id;
  end.push_back('\1');  // every key of the room sorts before "<id> 0x01"
  batch.DeleteRange(storage::Table::kTickets, RoomPrefix(id), end);
  batch.DeleteRange(storage::Table::kSessions, RoomPrefix(id), end);
  batch.Delete(storage::Table::kRooms, id);
  if (absl::Status s = store_->Write(batch); !s.ok()) return s;
  entry->deleted = true;
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
  return entry->room->Stats();
}

absl::StatusOr<core::VisitorView> RoomManager::Admit(const std::string& room,
                                                     absl::string_view client_id) {
  std::shared_ptr<Entry> entry = Find(room);
  if (!entry) return RoomNotFound(room);
  base::MutexLock lock(&entry->mu);
  if (entry->deleted) return RoomNotFound(room);
  core::Changes changes;
  core::VisitorView view = entry->room->Admit(client_id, clock_->Now(), &changes);
  if (absl::Status s = Commit(*entry, changes, /*write_room_record=*/false); !s.ok()) return s;
  return view;
}

absl::StatusOr<core::VisitorView> RoomManager::Poll(const std::string& room,
                                                    absl::string_view ticket) {
  std::shared_ptr<Entry> entry = Find(room);
  if (!entry) return RoomNotFound(room);
  base::MutexLock lock(&entry->mu);
  if (entry->deleted) return RoomNotFound(room);
  return entry->room->Poll(ticket, clock_->Now());
}

absl::StatusOr<core::VisitorView> RoomManager::Heartbeat(const std::string& room,
                                                         absl::string_view session) {
  std::shared_ptr<Entry> entry = Find(room);
  if (!entry) return RoomNotFound(room);
  base::MutexLock lock(&entry->mu);
  if (entry->deleted) return RoomNotFound(room);
  core::Changes changes;
  core::VisitorView view = entry->room->Heartbeat(session, clock_->Now(), &changes);
  if (absl::Status s = Commit(*entry, changes, /*write_room_record=*/false); !s.ok()) return s;
  return view;
}

absl::StatusOr<bool> RoomManager::Leave(const std::string& room, absl::string_view token) {
  std::shared_ptr<Entry> entry = Find(room);
  if (!entry) return RoomNotFound(room);
  base::MutexLock lock(&entry->mu);
  if (entry->deleted) return RoomNotFound(room);
  core::Changes changes;
  const bool ended = entry->room->Leave(token, clock_->Now(), &changes);
  if (absl::Status s = Commit(*entry, changes, /*write_room_record=*/false); !s.ok()) return s;
  return ended;
}

void RoomManager::TickAll() {
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
    // A failure is logged and rolled back by Commit; the next tick tries again.
    (void)Commit(*entry, changes, /*write_room_record=*/false);
  }
}

}  // namespace anteroom::service
