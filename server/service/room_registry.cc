#include "server/service/room_registry.h"

#include "absl/strings/str_cat.h"
#include "server/service/records.h"

namespace anteroom::service {

void RoomRegistry::Adopt(std::vector<std::unique_ptr<core::Room>> rooms) {
  base::MutexLock lock(&mu_);
  for (auto& room : rooms) {
    const std::string id = room->id();
    rooms_[id] = std::make_shared<DurableRoom>(std::move(room), epochs_++, deps_);
  }
}

std::shared_ptr<DurableRoom> RoomRegistry::Find(const std::string& id) const {
  base::MutexLock lock(&mu_);
  auto it = rooms_.find(id);
  return it == rooms_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<DurableRoom>> RoomRegistry::All() const {
  base::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<DurableRoom>> all;
  all.reserve(rooms_.size());
  for (const auto& [id, room] : rooms_) all.push_back(room);
  return all;
}

absl::StatusOr<std::shared_ptr<DurableRoom>> RoomRegistry::Create(
    const std::string& id, const core::RoomSettings& settings, absl::Time created_at) {
  {
    base::MutexLock lock(&mu_);
    if (rooms_.contains(id) || busy_.contains(id)) {
      return absl::AlreadyExistsError(absl::StrCat("room '", id, "' already exists"));
    }
    busy_.insert(id);
  }
  auto room = std::make_unique<core::Room>(id, settings, created_at, deps_.random);
  storage::WriteBatch batch;
  AppendRoomRemoval(id, &batch);
  batch.Put(storage::Table::kRooms, id, EncodeRoomRecord(*room));
  const uint64_t epoch = epochs_++;
  absl::Status written = deps_.committer->SubmitAndWait(id, epoch, std::move(batch));
  base::MutexLock lock(&mu_);
  busy_.erase(id);
  if (!written.ok()) return written;
  auto durable = std::make_shared<DurableRoom>(std::move(room), epoch, deps_);
  rooms_.emplace(id, durable);
  return durable;
}

absl::Status RoomRegistry::Delete(const std::string& id) {
  std::shared_ptr<DurableRoom> room;
  {
    base::MutexLock lock(&mu_);
    auto it = rooms_.find(id);
    if (it == rooms_.end() || busy_.contains(id)) return RoomNotFound(id);
    room = it->second;
    busy_.insert(id);
  }
  const uint64_t epoch = room->MarkDeleted();
  storage::WriteBatch batch;
  AppendRoomRemoval(id, &batch);
  // No lock is held while waiting: the committer's callbacks take the room's.
  absl::Status written = deps_.committer->SubmitAndWait(id, epoch, std::move(batch));
  if (!written.ok()) room->Undelete();
  base::MutexLock lock(&mu_);
  busy_.erase(id);
  if (!written.ok()) return written;
  rooms_.erase(id);
  deps_.metrics->RemoveRoom(id);
  return absl::OkStatus();
}

}  // namespace anteroom::service
