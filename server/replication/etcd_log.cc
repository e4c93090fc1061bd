#include "server/replication/etcd_log.h"

#include "absl/strings/str_cat.h"
#include "base/log.h"

namespace anteroom::replication {

EtcdCommitLog::EtcdCommitLog(EtcdClient* etcd, const LogKeys& keys, int64_t owner_revision,
                             uint64_t next_seq, storage::Store* store,
                             std::function<void(const absl::Status&)> on_lost,
                             const Options& options)
    : etcd_(etcd),
      keys_(keys),
      owner_revision_(owner_revision),
      store_(store),
      on_lost_(std::move(on_lost)),
      options_(options),
      clock_(etcd->clock()),
      next_seq_(next_seq) {}

void EtcdCommitLog::Close() {
  base::MutexLock lock(&mu_);
  closed_ = true;
}

uint64_t EtcdCommitLog::last_seq() const {
  base::MutexLock lock(&mu_);
  return next_seq_ - 1;
}

absl::Status EtcdCommitLog::Lost(const absl::Status& why) {
  bool first = false;
  {
    base::MutexLock lock(&mu_);
    first = !closed_;
    closed_ = true;
  }
  if (first) {
    ANTEROOM_LOG(kWarning, "replication: stepping down: %s", why.ToString());
    on_lost_(why);
  }
  return absl::UnavailableError(
      absl::StrCat("this node no longer owns the rooms (", why.message(), "); retry"));
}

absl::Status EtcdCommitLog::FencedPut(const std::string& key, const std::string& value,
                                      bool only_new, absl::Time deadline) {
  etcdserverpb::TxnRequest txn;
  etcdserverpb::Compare* owned = txn.add_compare();
  owned->set_key(keys_.Owner());
  owned->set_target(etcdserverpb::Compare::CREATE);
  owned->set_result(etcdserverpb::Compare::EQUAL);
  owned->set_create_revision(owner_revision_);
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
  txn.add_failure()->mutable_request_range()->set_key(keys_.Owner());
  txn.add_failure()->mutable_request_range()->set_key(key);

  absl::Status last = absl::UnavailableError("no attempt");
  while (true) {
    const absl::Duration left = deadline - clock_->Now();
    if (left <= absl::ZeroDuration()) break;
    {
      base::MutexLock lock(&mu_);
      // Stepping down: stop at once (the outcome stays unknown; the log settles it).
      if (closed_) return absl::UnavailableError("this node is stepping down");
    }
    // Attempts of at most a second, so that a step-down is noticed between them.
    absl::StatusOr<etcdserverpb::TxnResponse> response =
        etcd_->Txn(txn, std::min(left, absl::Seconds(1)));
    if (!response.ok()) {
      last = response.status();
      if (last.code() == absl::StatusCode::kUnavailable ||
          last.code() == absl::StatusCode::kDeadlineExceeded) {
        continue;  // no answer: the same transaction again (it lands at most once)
      }
      return last;  // refused (e.g. too large): nothing was written
    }
    if (response->succeeded()) return absl::OkStatus();
    const auto& owner = response->responses(0).response_range();
    const auto& existing = response->responses(1).response_range();
    if (existing.kvs_size() > 0 && existing.kvs(0).value() == value) {
      return absl::OkStatus();  // an attempt that got no answer had landed
    }
    if (owner.kvs_size() == 0 || owner.kvs(0).create_revision() != owner_revision_) {
      return absl::FailedPreconditionError("another node took over the rooms");
    }
    return absl::DataLossError(absl::StrCat("log entry ", key, " was written by someone else"));
  }
  return absl::UnavailableError(
      absl::StrCat("etcd gave no answer in ", absl::FormatDuration(options_.write_timeout),
                   ", so whether the write landed is unknown: ", last.message()));
}

absl::Status EtcdCommitLog::Append(const storage::WriteBatch& batch) {
  uint64_t seq;
  {
    base::MutexLock lock(&mu_);
    if (closed_) return absl::UnavailableError("this node no longer owns the rooms; retry");
    seq = next_seq_;
  }
  const absl::Time deadline = clock_->Now() + options_.write_timeout;
  storage::v1::WriteBatchRecord record = ToRecord(batch);
  if (record.ByteSizeLong() > options_.max_entry_bytes) {
    const std::vector<storage::v1::WriteBatchRecord> parts =
        Split(record, options_.max_entry_bytes);
    for (size_t i = 0; i < parts.size(); ++i) {
      absl::Status s =
          FencedPut(keys_.Part(seq, static_cast<uint32_t>(i)), parts[i].SerializeAsString(),
                    /*only_new=*/false, deadline);
      if (s.code() == absl::StatusCode::kFailedPrecondition ||
          s.code() == absl::StatusCode::kUnavailable) {
        return Lost(s);
      }
      if (!s.ok()) return s;
    }
    record.Clear();
    record.set_parts(static_cast<uint32_t>(parts.size()));
  }
  absl::Status written = FencedPut(keys_.Log(seq), record.SerializeAsString(), true, deadline);
  if (!written.ok()) {
    if (written.code() == absl::StatusCode::kInvalidArgument ||
        written.code() == absl::StatusCode::kResourceExhausted) {
      return written;  // etcd refused it: nothing changed, the log goes on
    }
    return Lost(written);
  }
  {
    base::MutexLock lock(&mu_);
    next_seq_ = seq + 1;
  }
  // Durable in etcd: apply it here. If that fails, the store is behind the log; the node
  // steps down and catches up from etcd as a standby. The batch is acknowledged either way.
  storage::WriteBatch local = batch;
  AppendAppliedMark(seq, &local);
  if (absl::Status s = store_->Write(local); !s.ok()) {
    (void)Lost(absl::Status(s.code(), absl::StrCat("local store write failed: ", s.message())));
  }
  return absl::OkStatus();
}

}  // namespace anteroom::replication
