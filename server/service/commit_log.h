#pragma once

#include "absl/status/status.h"
#include "storage/store.h"

namespace anteroom::service {

// Where the Committer's group writes go: the commit path of every change rooms make (and of
// the alive mark). LocalCommitLog writes to the local store. A replicated log can stand here
// instead, acknowledging a batch only once it is durable on a quorum (and applying it to the
// local store for reads), without changing rooms or services. (What a server writes before
// it serves, the client-key secret and the downtime credit of recovery, goes to the store
// directly.)
//
// Implementations are thread-safe; the Committer calls Append from one thread.
class CommitLog {
 public:
  virtual ~CommitLog() = default;
  // Makes `batch` durable, all or nothing: OK only once it is, and a failure changed nothing
  // (UNAVAILABLE for a condition that may pass).
  virtual absl::Status Append(const storage::WriteBatch& batch) = 0;
};

// The embedded, single-node commit path: the local store's atomic write (its write-ahead
// log; fsync'd when the store syncs writes).
class LocalCommitLog final : public CommitLog {
 public:
  // `store` must outlive the log.
  explicit LocalCommitLog(storage::Store* store) : store_(store) {}
  absl::Status Append(const storage::WriteBatch& batch) override { return store_->Write(batch); }

 private:
  storage::Store* const store_;
};

}  // namespace anteroom::service
