#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "anteroom/storage/v1/records.pb.h"
#include "etcd/etcdserver/etcdserverpb/rpc.pb.h"
#include "storage/store.h"

// What a replicated cluster keeps in etcd, under its prefix P (anteroomd --etcd_prefix):
//   P/owner              -> OwnerRecord, bound to the owner's lease (gone when it lapses)
//   P/log_id             -> the log's identity: set by the first owner, and set anew when an
//                           owner finds etcd holding less than its store (etcd lost data) and
//                           seeds it with a snapshot; a store of another identity is replaced
//                           by the snapshot of this one
//   P/log/<seq>          -> WriteBatchRecord: group commit number seq (1, 2, ...)
//   P/part/<seq>/<i>     -> WriteBatchRecord: part i of a batch too large for one request
//   P/snapshot           -> SnapshotRecord: the latest complete snapshot
//   P/snap/<seq>/<i>     -> WriteBatchRecord: chunk i of the snapshot as of entry seq
// Numbers are zero-padded to 20 digits, so key order is number order. Every write to P/log
// and P/part is fenced: it happens only while P/owner is the writer's (same create revision).
//
// A replica's store holds, besides the rooms, in the meta table:
//   "replica/prefix"  -> P: the cluster the store follows (another cluster's is refused)
//   "replica/applied" -> decimal seq: the last log entry applied (with it, atomically)
//   "replica/applied_term", "replica/log_bytes" -> that entry's term and log_bytes
//   "replica/log_id"  -> the identity of the log those entries came from
namespace anteroom::replication {

class LogKeys {
 public:
  explicit LogKeys(std::string prefix) : prefix_(std::move(prefix)) {}
  const std::string& prefix() const { return prefix_; }
  std::string Owner() const { return prefix_ + "/owner"; }
  std::string LogId() const { return prefix_ + "/log_id"; }
  std::string LogPrefix() const { return prefix_ + "/log/"; }
  std::string Log(uint64_t seq) const;
  // Parses the number of a P/log/ key; 0 when it is not one.
  uint64_t SeqOf(absl::string_view key) const;
  std::string PartPrefix(uint64_t seq) const;
  std::string Part(uint64_t seq, uint32_t i) const;
  std::string Snapshot() const { return prefix_ + "/snapshot"; }
  std::string SnapPrefix(uint64_t seq) const;
  std::string SnapChunk(uint64_t seq, uint32_t i) const;
  std::string AllSnapsPrefix() const { return prefix_ + "/snap/"; }
  std::string AllPartsPrefix() const { return prefix_ + "/part/"; }

 private:
  std::string prefix_;
};

inline constexpr absl::string_view kAppliedKey = "replica/applied";
inline constexpr absl::string_view kAppliedTermKey = "replica/applied_term";
inline constexpr absl::string_view kLogBytesKey = "replica/log_bytes";
inline constexpr absl::string_view kPrefixKey = "replica/prefix";
inline constexpr absl::string_view kLogIdKey = "replica/log_id";

// The key that follows every key starting with `prefix` (etcd's range_end for a prefix).
std::string PrefixEnd(absl::string_view prefix);

// Makes `txn` conditional on `owner_key` having been created at `create_revision` (0: on
// its being absent): the fence of every write of an owner, and the claim itself.
void RequireCreateRevision(etcdserverpb::TxnRequest* txn, const std::string& owner_key,
                           int64_t create_revision);

// The requests replication makes of etcd, built here beside the keys they name.
//
// A follower's one read: up to `batch` log entries from entry `next` on, then P/owner,
// P/snapshot and P/log_id (the transaction's responses in that order).
etcdserverpb::TxnRequest FollowRequest(const LogKeys& keys, uint64_t next, int64_t batch);
// A claim of P/owner for `owner` under `lease`, made only if nobody holds it; when it fails,
// its response reads P/owner (the claim of an earlier attempt, whose answer was lost, shows
// as this lease's).
etcdserverpb::TxnRequest ClaimRequest(const LogKeys& keys, const storage::v1::OwnerRecord& owner,
                                      int64_t lease);
// key=value while `owner_key` is the claim made at `owner_revision` (and, with `only_new`,
// `key` is absent); when it fails, its response reads `owner_key` then `key`.
etcdserverpb::TxnRequest FencedPutRequest(const std::string& owner_key, int64_t owner_revision,
                                          const std::string& key, const std::string& value,
                                          bool only_new);
// A read of the last P/log/ key (its key only).
etcdserverpb::RangeRequest LastEntryRequest(const LogKeys& keys);

// A batch as a record, and back (DATA_LOSS for a write the store does not know).
storage::v1::WriteBatchRecord ToRecord(const storage::WriteBatch& batch);
absl::Status AppendRecord(const storage::v1::WriteBatchRecord& record, storage::WriteBatch* batch);
// Splits `record` into records of at most about `max_bytes` each (at least one write each).
std::vector<storage::v1::WriteBatchRecord> Split(const storage::v1::WriteBatchRecord& record,
                                                 size_t max_bytes);
// The last log entry applied to a store: its number, term and log_bytes (all 0: none).
struct AppliedMark {
  uint64_t seq = 0;
  int64_t term = 0;
  uint64_t log_bytes = 0;
};
// The writes that record `mark` as applied to a replica's store.
void AppendAppliedMark(const AppliedMark& mark, storage::WriteBatch* batch);
// The last applied entry recorded in `store`.
absl::StatusOr<AppliedMark> ReadApplied(storage::Store* store);

}  // namespace anteroom::replication
