#include "server/replication/snapshot.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/replication/etcd_log.h"
#include "server/service/records.h"

namespace anteroom::replication {
namespace {

constexpr absl::Duration kWriteTimeout = absl::Seconds(10);
constexpr absl::Duration kReadTimeout = absl::Seconds(5);

// The end of every key a store can hold (room ids and meta keys are printable).
std::string EndOfKeys() { return std::string(16, '\xff'); }

}  // namespace

absl::StatusOr<SnapshotTaken> TakeSnapshot(Etcd* etcd, const LogKeys& keys, int64_t owner_revision,
                                           storage::Store* store, size_t chunk_bytes,
                                           base::Clock* clock, const std::function<bool()>& stop,
                                           const std::string& new_log_id) {
  SnapshotTaken taken;
  storage::v1::WriteBatchRecord chunk;
  size_t chunk_size = 0;
  auto put = [&](const std::string& key, const std::string& value) {
    return FencedPut(etcd, keys.Owner(), owner_revision, key, value, /*only_new=*/false,
                     clock->Monotonic() + kWriteTimeout, stop);
  };
  auto flush = [&]() -> absl::Status {
    if (chunk.write_size() == 0) return absl::OkStatus();
    if (taken.seq == 0) return absl::FailedPreconditionError("the store has no applied entry");
    absl::Status s = put(keys.SnapChunk(taken.seq, taken.chunks), chunk.SerializeAsString());
    if (!s.ok()) return s;
    ++taken.chunks;
    chunk.Clear();
    chunk_size = 0;
    return absl::OkStatus();
  };
  std::string log_id = new_log_id;
  // The meta table comes first, so the applied entry is known before the first chunk is
  // written (a chunk grows past chunk_bytes until it is).
  absl::Status scanned = store->ScanAll(
      [&](storage::Table table, absl::string_view key, absl::string_view value) -> absl::Status {
        if (table == storage::Table::kMeta && key == kAppliedKey &&
            !absl::SimpleAtoi(value, &taken.seq)) {
          return absl::DataLossError("meta replica/applied is not a number");
        }
        if (table == storage::Table::kMeta && key == kLogBytesKey &&
            !absl::SimpleAtoi(value, &taken.log_bytes)) {
          return absl::DataLossError("meta replica/log_bytes is not a number");
        }
        if (table == storage::Table::kMeta && key == kLogIdKey) {
          if (new_log_id.empty()) log_id = std::string(value);
          return absl::OkStatus();  // written once, at the end
        }
        storage::v1::WriteBatchRecord::Write* w = chunk.add_write();
        w->set_op(storage::v1::WriteBatchRecord::PUT);
        w->set_table(static_cast<uint32_t>(table));
        w->set_key(std::string(key));
        w->set_value(std::string(value));
        chunk_size += key.size() + value.size() + 8;
        taken.bytes += key.size() + value.size();
        return chunk_size >= chunk_bytes && taken.seq != 0 ? flush() : absl::OkStatus();
      });
  if (!scanned.ok()) return scanned;
  if (taken.seq == 0) return absl::FailedPreconditionError("the store has no applied entry");
  if (!log_id.empty()) {
    storage::v1::WriteBatchRecord::Write* w = chunk.add_write();
    w->set_op(storage::v1::WriteBatchRecord::PUT);
    w->set_table(static_cast<uint32_t>(storage::Table::kMeta));
    w->set_key(std::string(kLogIdKey));
    w->set_value(log_id);
  }
  if (absl::Status s = flush(); !s.ok()) return s;

  storage::v1::SnapshotRecord record;
  record.set_seq(taken.seq);
  record.set_chunks(taken.chunks);
  record.set_taken_us(absl::ToUnixMicros(clock->Now()));
  record.set_bytes(taken.bytes);
  record.set_log_id(log_id);
  record.set_log_bytes(taken.log_bytes);
  // Published (with the new log identity, when seeding) in one fenced transaction.
  etcdserverpb::TxnRequest publish;
  RequireCreateRevision(&publish, keys.Owner(), owner_revision);
  etcdserverpb::PutRequest* marker = publish.add_success()->mutable_request_put();
  marker->set_key(keys.Snapshot());
  marker->set_value(record.SerializeAsString());
  if (!new_log_id.empty()) {
    etcdserverpb::PutRequest* id = publish.add_success()->mutable_request_put();
    id->set_key(keys.LogId());
    id->set_value(new_log_id);
  }
  absl::StatusOr<etcdserverpb::TxnResponse> published = etcd->Txn(publish, kWriteTimeout);
  if (!published.ok()) return published.status();
  if (!published->succeeded()) return absl::FailedPreconditionError("another node took over");
  if (stop && stop()) return taken;  // published; the truncation waits for the next one

  // Behind the snapshot: the log and its parts up to its entry, and older snapshots.
  etcdserverpb::TxnRequest truncate;
  RequireCreateRevision(&truncate, keys.Owner(), owner_revision);
  auto delete_range = [&](std::string begin, std::string end) {
    etcdserverpb::DeleteRangeRequest* d = truncate.add_success()->mutable_request_delete_range();
    d->set_key(std::move(begin));
    d->set_range_end(std::move(end));
  };
  delete_range(keys.Log(0), keys.Log(taken.seq + 1));
  delete_range(keys.PartPrefix(0), keys.PartPrefix(taken.seq + 1));
  delete_range(keys.SnapPrefix(0), keys.SnapPrefix(taken.seq));
  absl::StatusOr<etcdserverpb::TxnResponse> truncated = etcd->Txn(truncate, kWriteTimeout / 5);
  if (!truncated.ok()) return truncated.status();
  if (!truncated->succeeded()) return absl::FailedPreconditionError("another node took over");
  // etcd keeps every revision until compacted: drop the history before the truncation.
  taken.compacted_revision = truncated->header().revision();
  if (stop && stop()) return taken;
  absl::Status compacted = etcd->Compact(taken.compacted_revision, kWriteTimeout / 5);
  if (!compacted.ok() && !absl::StrContains(compacted.message(), "compacted")) return compacted;
  return taken;
}

absl::StatusOr<std::optional<storage::v1::SnapshotRecord>> ReadSnapshotRecord(Etcd* etcd,
                                                                              const LogKeys& keys) {
  etcdserverpb::RangeRequest read;
  read.set_key(keys.Snapshot());
  absl::StatusOr<etcdserverpb::RangeResponse> response = etcd->Range(read, kReadTimeout);
  if (!response.ok()) return response.status();
  if (response->kvs_size() == 0) return std::optional<storage::v1::SnapshotRecord>();
  auto record =
      service::ParseRecord<storage::v1::SnapshotRecord>(response->kvs(0).value(), "snapshot");
  if (!record.ok()) return record.status();
  return std::optional<storage::v1::SnapshotRecord>(*std::move(record));
}

absl::Status RestoreSnapshot(Etcd* etcd, const LogKeys& keys,
                             const storage::v1::SnapshotRecord& record, storage::Store* store) {
  storage::WriteBatch batch;
  for (int t = 0; t < storage::kTableCount; ++t) {
    batch.DeleteRange(static_cast<storage::Table>(t), "", EndOfKeys());
  }
  // The chunks in order, a few at a time.
  uint32_t next = 0;
  while (next < record.chunks()) {
    etcdserverpb::RangeRequest read;
    read.set_key(keys.SnapChunk(record.seq(), next));
    read.set_range_end(PrefixEnd(keys.SnapPrefix(record.seq())));
    read.set_limit(8);
    absl::StatusOr<etcdserverpb::RangeResponse> response = etcd->Range(read, kReadTimeout);
    if (!response.ok()) return response.status();
    if (response->kvs_size() == 0 || response->kvs(0).key() != keys.SnapChunk(record.seq(), next)) {
      return absl::FailedPreconditionError(
          absl::StrCat("chunk ", next, " of snapshot ", record.seq(), " is gone"));
    }
    for (const auto& kv : response->kvs()) {
      if (next >= record.chunks() || kv.key() != keys.SnapChunk(record.seq(), next)) break;
      auto chunk = service::ParseRecord<storage::v1::WriteBatchRecord>(
          kv.value(), absl::StrCat("chunk ", next, " of snapshot ", record.seq()));
      if (!chunk.ok()) return chunk.status();
      if (absl::Status s = AppendRecord(*chunk, &batch); !s.ok()) return s;
      ++next;
    }
  }
  // (The snapshot's copy of the meta table records its entry as applied, and its log.)
  if (!record.log_id().empty()) {
    batch.Put(storage::Table::kMeta, std::string(kLogIdKey), record.log_id());
  }
  return store->Write(batch);
}

}  // namespace anteroom::replication
