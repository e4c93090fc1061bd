#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/random.h"
#include "server/core/room.h"
#include "storage/store.h"

namespace anteroom::service {

// Reads room `id` back from `store` as of `now`: its record (`record_bytes`, as read from the
// rooms table), its places in queue order (each counted as seen at `now`) and its sessions.
// Large queues log their progress every million places. DATA_LOSS names what could not be
// read.
absl::StatusOr<std::unique_ptr<core::Room>> LoadRoom(storage::Store* store, absl::string_view id,
                                                     absl::string_view record_bytes, absl::Time now,
                                                     base::RandomSource* random);
// The same, reading the record too; NOT_FOUND when the room is not in the store.
absl::StatusOr<std::unique_ptr<core::Room>> LoadRoom(storage::Store* store, absl::string_view id,
                                                     absl::Time now, base::RandomSource* random);

// What a starting server finds in its store.
struct Recovered {
  std::vector<std::unique_ptr<core::Room>> rooms;
  // Since the last alive mark: credited to every lease.
  absl::Duration downtime = absl::ZeroDuration();
  int64_t credited_sessions = 0;
};

// Loads every room and credits the time the server was down (since the store's last alive
// mark) to every session lease, so that downtime is charged to nobody. The credited leases
// and a new alive mark are written in one batch, so a crash cannot credit the same downtime
// twice. Call once, before serving. The batch goes through `write` (the server's commit
// path); null: written to `store` itself.
using WriteFn = std::function<absl::Status(storage::WriteBatch)>;
absl::StatusOr<Recovered> RecoverRooms(storage::Store* store, absl::Time now,
                                       base::RandomSource* random, const WriteFn& write = nullptr);

}  // namespace anteroom::service
