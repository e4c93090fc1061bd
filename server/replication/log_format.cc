#include "server/replication/log_format.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace anteroom::replication {
namespace {

std::string Number(uint64_t n) { return absl::StrFormat("%020d", n); }

}  // namespace

std::string LogKeys::Log(uint64_t seq) const { return LogPrefix() + Number(seq); }

uint64_t LogKeys::SeqOf(absl::string_view key) const {
  const std::string log_prefix = LogPrefix();
  if (!absl::StartsWith(key, log_prefix)) return 0;
  uint64_t seq = 0;
  if (!absl::SimpleAtoi(key.substr(log_prefix.size()), &seq)) return 0;
  return seq;
}

std::string LogKeys::PartPrefix(uint64_t seq) const {
  return absl::StrCat(AllPartsPrefix(), Number(seq), "/");
}

std::string LogKeys::Part(uint64_t seq, uint32_t i) const {
  return absl::StrCat(PartPrefix(seq), absl::StrFormat("%06d", i));
}

std::string LogKeys::SnapPrefix(uint64_t seq) const {
  return absl::StrCat(AllSnapsPrefix(), Number(seq), "/");
}

std::string LogKeys::SnapChunk(uint64_t seq, uint32_t i) const {
  return absl::StrCat(SnapPrefix(seq), absl::StrFormat("%06d", i));
}

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) != 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

void RequireCreateRevision(etcdserverpb::TxnRequest* txn, const std::string& owner_key,
                           int64_t create_revision) {
  etcdserverpb::Compare* compare = txn->add_compare();
  compare->set_key(owner_key);
  compare->set_target(etcdserverpb::Compare::CREATE);
  compare->set_result(etcdserverpb::Compare::EQUAL);
  compare->set_create_revision(create_revision);
}

etcdserverpb::TxnRequest FollowRequest(const LogKeys& keys, uint64_t next, int64_t batch) {
  etcdserverpb::TxnRequest read;
  etcdserverpb::RangeRequest* log = read.add_success()->mutable_request_range();
  log->set_key(keys.Log(next));
  log->set_range_end(PrefixEnd(keys.LogPrefix()));
  log->set_limit(batch);
  read.add_success()->mutable_request_range()->set_key(keys.Owner());
  read.add_success()->mutable_request_range()->set_key(keys.Snapshot());
  read.add_success()->mutable_request_range()->set_key(keys.LogId());
  return read;
}

etcdserverpb::TxnRequest ClaimRequest(const LogKeys& keys, const storage::v1::OwnerRecord& owner,
                                      int64_t lease) {
  etcdserverpb::TxnRequest claim;
  RequireCreateRevision(&claim, keys.Owner(), 0);  // nobody owns the rooms
  etcdserverpb::PutRequest* put = claim.add_success()->mutable_request_put();
  put->set_key(keys.Owner());
  put->set_value(owner.SerializeAsString());
  put->set_lease(lease);
  claim.add_failure()->mutable_request_range()->set_key(keys.Owner());
  return claim;
}

etcdserverpb::TxnRequest FencedPutRequest(const std::string& owner_key, int64_t owner_revision,
                                          const std::string& key, const std::string& value,
                                          bool only_new) {
  etcdserverpb::TxnRequest txn;
  RequireCreateRevision(&txn, owner_key, owner_revision);
  if (only_new) {
    etcdserverpb::Compare* free = txn.add_compare();
    free->set_key(key);
    free->set_target(etcdserverpb::Compare::VERSION);
    free->set_result(etcdserverpb::Compare::EQUAL);
    free->set_version(0);
  }
  etcdserverpb::PutRequest* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(value);
  txn.add_failure()->mutable_request_range()->set_key(owner_key);
  txn.add_failure()->mutable_request_range()->set_key(key);
  return txn;
}

etcdserverpb::RangeRequest LastEntryRequest(const LogKeys& keys) {
  etcdserverpb::RangeRequest read;
  read.set_key(keys.LogPrefix());
  read.set_range_end(PrefixEnd(keys.LogPrefix()));
  read.set_sort_order(etcdserverpb::RangeRequest::DESCEND);
  read.set_sort_target(etcdserverpb::RangeRequest::KEY);
  read.set_limit(1);
  read.set_keys_only(true);
  return read;
}

storage::v1::WriteBatchRecord ToRecord(const storage::WriteBatch& batch) {
  storage::v1::WriteBatchRecord record;
  for (const storage::WriteBatch::Entry& e : batch.entries()) {
    storage::v1::WriteBatchRecord::Write* w = record.add_write();
    switch (e.op) {
      case storage::WriteBatch::Op::kPut:
        w->set_op(storage::v1::WriteBatchRecord::PUT);
        break;
      case storage::WriteBatch::Op::kDelete:
        w->set_op(storage::v1::WriteBatchRecord::DELETE);
        break;
      case storage::WriteBatch::Op::kDeleteRange:
        w->set_op(storage::v1::WriteBatchRecord::DELETE_RANGE);
        break;
    }
    w->set_table(static_cast<uint32_t>(e.table));
    w->set_key(e.key);
    if (!e.value.empty()) w->set_value(e.value);
  }
  return record;
}

absl::Status AppendRecord(const storage::v1::WriteBatchRecord& record, storage::WriteBatch* batch) {
  for (const auto& w : record.write()) {
    if (w.table() >= static_cast<uint32_t>(storage::kTableCount)) {
      return absl::DataLossError(absl::StrCat("log entry names table ", w.table()));
    }
    const auto table = static_cast<storage::Table>(w.table());
    switch (w.op()) {
      case storage::v1::WriteBatchRecord::PUT:
        batch->Put(table, w.key(), w.value());
        break;
      case storage::v1::WriteBatchRecord::DELETE:
        batch->Delete(table, w.key());
        break;
      case storage::v1::WriteBatchRecord::DELETE_RANGE:
        batch->DeleteRange(table, w.key(), w.value());
        break;
      default:
        return absl::DataLossError(absl::StrCat("log entry has write op ", w.op()));
    }
  }
  return absl::OkStatus();
}

std::vector<storage::v1::WriteBatchRecord> Split(const storage::v1::WriteBatchRecord& record,
                                                 size_t max_bytes) {
  std::vector<storage::v1::WriteBatchRecord> parts(1);
  size_t bytes = 0;
  for (const auto& w : record.write()) {
    const size_t size = w.ByteSizeLong() + 8;
    if (bytes > 0 && bytes + size > max_bytes) {
      parts.emplace_back();
      bytes = 0;
    }
    *parts.back().add_write() = w;
    bytes += size;
  }
  return parts;
}

void AppendAppliedMark(const AppliedMark& mark, storage::WriteBatch* batch) {
  batch->Put(storage::Table::kMeta, std::string(kAppliedKey), absl::StrCat(mark.seq));
  batch->Put(storage::Table::kMeta, std::string(kAppliedTermKey), absl::StrCat(mark.term));
  batch->Put(storage::Table::kMeta, std::string(kLogBytesKey), absl::StrCat(mark.log_bytes));
}

absl::StatusOr<AppliedMark> ReadApplied(storage::Store* store) {
  AppliedMark mark;
  for (auto [key, out] : {std::pair<absl::string_view, uint64_t*>{kAppliedKey, &mark.seq},
                          {kLogBytesKey, &mark.log_bytes}}) {
    absl::StatusOr<std::optional<std::string>> bytes = store->Get(storage::Table::kMeta, key);
    if (!bytes.ok()) return bytes.status();
    if (bytes->has_value() && !absl::SimpleAtoi(**bytes, out)) {
      return absl::DataLossError(absl::StrCat("meta ", key, " is not a number"));
    }
  }
  absl::StatusOr<std::optional<std::string>> term =
      store->Get(storage::Table::kMeta, kAppliedTermKey);
  if (!term.ok()) return term.status();
  if (term->has_value() && !absl::SimpleAtoi(**term, &mark.term)) {
    return absl::DataLossError(absl::StrCat("meta ", kAppliedTermKey, " is not a number"));
  }
  return mark;
}

}  // namespace anteroom::replication
