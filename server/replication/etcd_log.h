#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "server/replication/etcd.h"
#include "server/replication/log_format.h"
#include "server/service/commit_log.h"
#include "server/service/metrics.h"
#include "storage/store.h"

namespace anteroom::replication {

// Puts key=value in etcd while `owner_key` is still the claim made at `owner_revision` (and,
// if `only_new`, the key is absent), repeating the same conditional transaction while etcd
// gives no answer, until `deadline` (the etcd client's clock's monotonic time) or until
// `stop()` says so (checked between attempts of at
// most a second). OK once etcd has it (also when an earlier attempt had landed); FAILED_
// PRECONDITION when the claim is gone; UNAVAILABLE when the outcome is unknown; etcd's
// refusal otherwise (nothing written).
absl::Status FencedPut(Etcd* etcd, const std::string& owner_key, int64_t owner_revision,
                       const std::string& key, const std::string& value, bool only_new,
                       absl::Time deadline, const std::function<bool()>& stop);

// The number of the last entry of the log in etcd (0 when it is empty: new, or truncated
// behind a snapshot).
absl::StatusOr<uint64_t> LastLogEntry(Etcd* etcd, const LogKeys& keys);

// The owner's commit path in replicated mode: each group commit becomes log entry P/log/<seq>
// in etcd, written by one transaction that succeeds only while P/owner is still this node's
// claim (its create revision) and the entry is still free. So a deposed owner's writes are
// refused by etcd itself, and two owners can never both extend the log. A batch is
// acknowledged once etcd has committed it (a quorum of members has it on disk), and is then
// applied to the local store, which stays exactly the log's prefix.
//
// An attempt that got no answer is repeated (the same conditional transaction, so it lands
// at most once, and an earlier landing is recognised by its content) until `write_timeout`.
// When ownership is lost, or a write's outcome stays unknown, the log closes: that append
// and every later one answer UNAVAILABLE at once, and `on_lost` is told (the node steps down
// and follows the log again from etcd, which settles what was written).
//
// Thread-safe (the Committer appends from one thread).
class EtcdCommitLog final : public service::CommitLog {
 public:
  struct Options {
    // How long one append keeps trying before its outcome counts as unknown. Default 5 s.
    absl::Duration write_timeout = absl::Seconds(5);
    // Largest entry written in one request; a larger batch goes in parts. Default 1 MiB
    // (etcd refuses requests over 1.5 MiB unless started with a larger
    // --max-request-bytes).
    size_t max_entry_bytes = 1 << 20;
  };

  // Appends after entry `last` (the last the store holds), fenced by `owner_revision` (the
  // create revision of keys.Owner() when this node claimed it, also each entry's term). All
  // pointers must outlive the log.
  // `metrics` (may be null) shows each committed entry (anteroom_replica_log_entry).
  EtcdCommitLog(Etcd* etcd, const LogKeys& keys, int64_t owner_revision, const AppliedMark& last,
                storage::Store* store, std::function<void(const absl::Status&)> on_lost,
                const Options& options, service::Metrics* metrics = nullptr);

  absl::Status Append(const storage::WriteBatch& batch) override;

  // Refuses every later append at once (the node is stepping down).
  void Close();
  // The last entry written (`last` until the first append).
  uint64_t last_seq() const;
  // Bytes of log written since the cluster began (WriteBatchRecord.log_bytes).
  uint64_t log_bytes() const;

 private:
  // FencedPut under this log's claim, stopping when the log closes.
  absl::Status Put(const std::string& key, const std::string& value, bool only_new,
                   absl::Time deadline);
  absl::Status Lost(const absl::Status& why);

  Etcd* const etcd_;
  const LogKeys keys_;
  const int64_t owner_revision_;
  storage::Store* const store_;
  const std::function<void(const absl::Status&)> on_lost_;
  const Options options_;
  service::Metrics* const metrics_;
  base::Clock* const clock_;

  mutable base::Mutex mu_;
  AppliedMark last_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace anteroom::replication
