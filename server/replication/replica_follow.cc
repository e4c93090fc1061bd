#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/log.h"
#include "server/replication/replica.h"
#include "server/service/records.h"

namespace anteroom::replication {

absl::Status Replica::ApplyEntry(uint64_t seq, const std::string& value) {
  auto record =
      service::ParseRecord<storage::v1::WriteBatchRecord>(value, absl::StrCat("log entry ", seq));
  if (!record.ok()) return record.status();
  storage::WriteBatch batch;
  if (record->parts() > 0) {
    for (uint32_t i = 0; i < record->parts(); ++i) {
      etcdserverpb::RangeRequest read;
      read.set_key(keys_.Part(seq, i));
      absl::StatusOr<etcdserverpb::RangeResponse> part = etcd_->Range(read, kCallTimeout);
      if (!part.ok()) return part.status();
      if (part->kvs_size() == 0) {
        return absl::DataLossError(absl::StrCat("log entry ", seq, " lacks its part ", i));
      }
      auto part_record = service::ParseRecord<storage::v1::WriteBatchRecord>(
          part->kvs(0).value(), absl::StrCat("part ", i, " of log entry ", seq));
      if (!part_record.ok()) return part_record.status();
      if (absl::Status s = AppendRecord(*part_record, &batch); !s.ok()) return s;
    }
  } else if (absl::Status s = AppendRecord(*record, &batch); !s.ok()) {
    return s;
  }
  // The entry must continue this store's last one: otherwise the store holds entries etcd
  // lost, and the log went on without them.
  if (record->prev_term() != 0 && mark_.term != 0 && record->prev_term() != mark_.term) {
    diverged_ = true;
    return absl::DataLossError(absl::StrCat(
        "log entry ", seq, " follows an entry of term ", record->prev_term(),
        " but this store's entry ", seq - 1, " is of term ", mark_.term,
        ": it holds entries etcd lost. Waiting for a snapshot of the log to replace it"));
  }
  const AppliedMark mark{seq, record->term(), record->log_bytes()};
  AppendAppliedMark(mark, &batch);
  if (absl::Status s = store_->Write(batch); !s.ok()) return s;
  mark_ = mark;
  return absl::OkStatus();
}

absl::Status Replica::ReloadMark() {
  absl::StatusOr<AppliedMark> mark = ReadApplied(store_);
  if (!mark.ok()) return mark.status();
  mark_ = *mark;
  absl::StatusOr<std::optional<std::string>> log_id = store_->Get(storage::Table::kMeta, kLogIdKey);
  if (!log_id.ok()) return log_id.status();
  log_id_ = log_id->value_or("");
  return absl::OkStatus();
}

absl::Status Replica::Restore(const storage::v1::SnapshotRecord& record, absl::string_view why) {
  const base::Stopwatch stopwatch;
  if (absl::Status s = RestoreSnapshot(etcd_, keys_, record, store_); !s.ok()) return s;
  // Behind the log's start is routine (a new or long-gone node); the rest follows data loss.
  base::Log(why == kBehindTheLog ? base::LogLevel::kInfo : base::LogLevel::kWarning,
            "replica %s: restored the snapshot at log entry %d (%d chunks, %d bytes) in %.2f s "
            "and replaced this store: %s (it was at entry %d)",
            options_.node, record.seq(), record.chunks(), record.bytes(),
            stopwatch.ElapsedSeconds(), why, mark_.seq);
  diverged_ = false;
  return ReloadMark();
}

absl::Status Replica::FollowOnce(bool* more, bool* owner_seen) {
  // One read: what follows the last applied entry, and who owns the rooms.
  absl::StatusOr<etcdserverpb::TxnResponse> response =
      etcd_->Txn(FollowRequest(keys_, mark_.seq + 1, kFollowBatch), kCallTimeout);
  if (!response.ok()) return response.status();
  const auto& entries = response->responses(0).response_range();
  const auto& owner = response->responses(1).response_range();
  const auto& snapshot = response->responses(2).response_range();
  const auto& log_id = response->responses(3).response_range();
  *owner_seen = owner.kvs_size() > 0;
  {
    service::ServingRooms::Owner seen;
    if (*owner_seen) {
      storage::v1::OwnerRecord record;
      if (record.ParseFromString(owner.kvs(0).value())) {
        seen.gateway = record.gateway_address();
        seen.admin = record.admin_address();
      }
    }
    base::MutexLock lock(&mu_);
    current_owner_ = seen;
  }
  // The store must hold entries of the log etcd holds now, and follow on from its start;
  // otherwise the snapshot (of this log) replaces it.
  const std::string etcd_log_id = log_id.kvs_size() > 0 ? log_id.kvs(0).value() : "";
  std::optional<storage::v1::SnapshotRecord> record;
  if (snapshot.kvs_size() > 0) {
    auto parsed =
        service::ParseRecord<storage::v1::SnapshotRecord>(snapshot.kvs(0).value(), "snapshot");
    if (!parsed.ok()) return parsed.status();
    if (etcd_log_id.empty() || parsed->log_id() == etcd_log_id) record = *std::move(parsed);
  }
  const uint64_t first = entries.kvs_size() > 0 ? keys_.SeqOf(entries.kvs(0).key()) : 0;
  absl::string_view why;  // why the snapshot must replace the store
  if (!etcd_log_id.empty() && etcd_log_id != log_id_) {
    if (mark_.seq == 0) {
      // A new store: it follows this log from here.
      storage::WriteBatch adopt;
      adopt.Put(storage::Table::kMeta, std::string(kLogIdKey), etcd_log_id);
      if (absl::Status s = store_->Write(adopt); !s.ok()) return s;
      log_id_ = etcd_log_id;
    } else {
      // etcd lost data since, and was seeded anew from another node's store.
      why = "this store holds entries of another log";
    }
  }
  if (why.empty() && diverged_) why = "this store holds entries etcd lost";
  if (why.empty() && record && first != mark_.seq + 1 && record->seq() > mark_.seq) {
    why = kBehindTheLog;
  }
  if (!why.empty()) {
    if (!record) {
      return absl::FailedPreconditionError(
          absl::StrCat(why, "; waiting for a snapshot of the current log"));
    }
    *more = true;
    return Restore(*record, why);
  }
  for (const auto& kv : entries.kvs()) {
    const uint64_t seq = keys_.SeqOf(kv.key());
    if (seq != mark_.seq + 1) {
      return absl::DataLossError(absl::StrCat(
          "the log in etcd goes from entry ", mark_.seq, " to ", seq,
          ": the entries between are gone (compacted behind a snapshot this version cannot "
          "read, or etcd's data was lost)"));
    }
    if (absl::Status s = ApplyEntry(seq, kv.value()); !s.ok()) return s;
  }
  *more = entries.more();
  return absl::OkStatus();
}

}  // namespace anteroom::replication
