#pragma once

#include <functional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/replication/etcd.h"
#include "server/replication/log_format.h"
#include "storage/store.h"

namespace anteroom::replication {

// What a snapshot took.
struct SnapshotTaken {
  uint64_t seq = 0;        // the last log entry it holds
  uint64_t log_bytes = 0;  // that entry's log_bytes
  uint32_t chunks = 0;     // records under P/snap/<seq>/
  uint64_t bytes = 0;      // of the store's records
  int64_t compacted_revision = 0;
};

// The owner's snapshot: the whole of `store` as of one instant (ScanAll), which is the log up
// to the entry recorded with it, written to etcd in chunks of about `chunk_bytes`, then
// published as P/snapshot, each write fenced by the claim (`owner_revision`). Then the log,
// parts and older snapshots behind it are deleted (fenced too) and etcd's history before
// that is compacted, so etcd's space stays bounded: the state, plus the log since the last
// snapshot. `stop()` is checked between writes (the term ended). Errors leave the previous
// snapshot and the log as they were.
//
// With `new_log_id`, the snapshot seeds a new log: it carries that identity (in its record
// and its copy of the store's meta), and P/log_id is set to it in the same transaction that
// publishes the snapshot.
absl::StatusOr<SnapshotTaken> TakeSnapshot(Etcd* etcd, const LogKeys& keys, int64_t owner_revision,
                                           storage::Store* store, size_t chunk_bytes,
                                           base::Clock* clock, const std::function<bool()>& stop,
                                           const std::string& new_log_id = "");

// The latest snapshot in etcd (nullopt when there is none).
absl::StatusOr<std::optional<storage::v1::SnapshotRecord>> ReadSnapshotRecord(Etcd* etcd,
                                                                              const LogKeys& keys);

// Replaces everything in `store` with snapshot `record` (one atomic write; the snapshot's
// meta records its entry as applied, and its log identity). FAILED_PRECONDITION when a chunk
// is gone (a newer snapshot replaced it meanwhile: read the record again). Holds the whole
// state in memory while writing it.
absl::Status RestoreSnapshot(Etcd* etcd, const LogKeys& keys,
                             const storage::v1::SnapshotRecord& record, storage::Store* store);

}  // namespace anteroom::replication
