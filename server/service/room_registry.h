#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "base/mutex.h"
#include "server/core/room.h"
#include "server/core/settings.h"
#include "server/service/durable_room.h"

namespace anteroom::service {

// The rooms of one server, by name. Creating and deleting a room write through the committer
// and wait for it (they are rare), but not under the registry's lock: the name is reserved
// meanwhile, so lookups, other rooms and the ticker never wait on that write.
//
// Thread-safe.
class RoomRegistry {
 public:
  // The registry numbers epochs itself: `deps.epochs` is ignored.
  explicit RoomRegistry(const DurableRoom::Deps& deps) : deps_(deps) { deps_.epochs = &epochs_; }

  // Takes the rooms read from the store at start-up.
  void Adopt(std::vector<std::unique_ptr<core::Room>> rooms);

  // The room `id`, or null (also while it is being created).
  std::shared_ptr<DurableRoom> Find(const std::string& id) const;
  // Every room, by name.
  std::vector<std::shared_ptr<DurableRoom>> All() const;

  // A new room created at `created_at`, written (clean, even if a crash interrupted an
  // earlier delete of the same name) before it is served. ALREADY_EXISTS for a taken name,
  // or one being created or deleted.
  absl::StatusOr<std::shared_ptr<DurableRoom>> Create(const std::string& id,
                                                      const core::RoomSettings& settings,
                                                      absl::Time created_at);
  // Removes the room with everything it holds; calls on it answer NOT_FOUND from the start.
  // NOT_FOUND for an unknown room. On a failed write the room stays, as persisted.
  absl::Status Delete(const std::string& id);

  // An epoch for a write that belongs to no room (the alive mark).
  uint64_t NextEpoch() { return epochs_++; }

 private:
  DurableRoom::Deps deps_;  // its epochs point at epochs_
  std::atomic<uint64_t> epochs_{1};
  mutable base::Mutex mu_;
  std::map<std::string, std::shared_ptr<DurableRoom>> rooms_ ABSL_GUARDED_BY(mu_);
  // Names whose create or delete is being written.
  absl::flat_hash_set<std::string> busy_ ABSL_GUARDED_BY(mu_);
};

}  // namespace anteroom::service
