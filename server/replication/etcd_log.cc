#include "server/replication/etcd_log.h"

#include "absl/strings/str_cat.h"
#include "base/log.h"

namespace anteroom::replication {

absl::Status FencedPut(Etcd* etcd, const std::string& owner_key, int64_t owner_revision,
                       const std::string& key, const std::string& value, bool only_new,
                       absl::Time deadline, const std::function<bool()>& stop) {
  const etcdserverpb::TxnRequest txn =
      FencedPutRequest(owner_key, owner_revision, key, value, only_new);
  base::Clock* const clock = etcd->clock();
  const absl::Time started = clock->Monotonic();
  absl::Status last = absl::UnavailableError("no attempt");
  bool unanswered = false;  // an attempt may have landed
  while (true) {
    const absl::Duration left = deadline - clock->Monotonic();
    if (left <= absl::ZeroDuration()) break;
    // Stepping down: stop at once (the outcome stays unknown; the log settles it).
    if (stop && stop()) return absl::UnavailableError("this node is stepping down");
    // Attempts of at most a second, so that a step-down is noticed between them.
    absl::StatusOr<etcdserverpb::TxnResponse> response =
        etcd->Txn(txn, std::min(left, absl::Seconds(1)));
    if (!response.ok()) {
      last = response.status();
      if (last.code() == absl::StatusCode::kUnavailable ||
          last.code() == absl::StatusCode::kDeadlineExceeded) {
        unanswered = true;
        continue;  // no answer: the same transaction again (it lands at most once)
      }
      if (unanswered) {
        // Refused now, but an earlier attempt may have landed: the outcome is unknown.
        return absl::UnavailableError(absl::StrCat(
            "etcd refused a retry of a write whose outcome is unknown: ", last.message()));
      }
      return last;  // refused (e.g. too large): nothing was written
    }
    if (response->succeeded()) return absl::OkStatus();
    const auto& owner = response->responses(0).response_range();
    const auto& existing = response->responses(1).response_range();
    // Values carry their writer's term, so only this writer's attempt can have put this one.
    if (existing.kvs_size() > 0 && existing.kvs(0).value() == value) {
      return absl::OkStatus();  // an attempt that got no answer had landed
    }
    if (owner.kvs_size() == 0 || owner.kvs(0).create_revision() != owner_revision) {
      return absl::FailedPreconditionError("another node took over the rooms");
    }
    return absl::DataLossError(absl::StrCat(key, " was written by someone else"));
  }
  return absl::UnavailableError(
      absl::StrCat("etcd gave no answer in ", absl::FormatDuration(clock->Monotonic() - started),
                   ", so whether the write landed is unknown: ", last.message()));
}

absl::StatusOr<uint64_t> LastLogEntry(Etcd* etcd, const LogKeys& keys) {
  absl::StatusOr<etcdserverpb::RangeResponse> last =
      etcd->Range(LastEntryRequest(keys), absl::Seconds(2));
  if (!last.ok()) return last.status();
  return last->kvs_size() > 0 ? keys.SeqOf(last->kvs(0).key()) : 0;
}

EtcdCommitLog::EtcdCommitLog(Etcd* etcd, const LogKeys& keys, int64_t owner_revision,
                             const AppliedMark& last, storage::Store* store,
                             std::function<void(const absl::Status&)> on_lost,
                             const Options& options, service::Metrics* metrics)
    : etcd_(etcd),
      keys_(keys),
      owner_revision_(owner_revision),
      store_(store),
      on_lost_(std::move(on_lost)),
      options_(options),
      metrics_(metrics),
      clock_(etcd->clock()),
      last_(last) {}

void EtcdCommitLog::Close() {
  base::MutexLock lock(&mu_);
  closed_ = true;
}

uint64_t EtcdCommitLog::log_bytes() const {
  base::MutexLock lock(&mu_);
  return last_.log_bytes;
}

uint64_t EtcdCommitLog::last_seq() const {
  base::MutexLock lock(&mu_);
  return last_.seq;
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

absl::Status EtcdCommitLog::Put(const std::string& key, const std::string& value, bool only_new,
                                absl::Time deadline) {
  return FencedPut(etcd_, keys_.Owner(), owner_revision_, key, value, only_new, deadline, [this] {
    base::MutexLock lock(&mu_);
    return closed_;
  });
}

absl::Status EtcdCommitLog::Append(const storage::WriteBatch& batch) {
  AppliedMark last;
  {
    base::MutexLock lock(&mu_);
    if (closed_) return absl::UnavailableError("this node no longer owns the rooms; retry");
    last = last_;
  }
  const uint64_t seq = last.seq + 1;
  const absl::Time deadline = clock_->Monotonic() + options_.write_timeout;
  storage::v1::WriteBatchRecord record = ToRecord(batch);
  const size_t batch_bytes = record.ByteSizeLong();
  const AppliedMark next{seq, owner_revision_, last.log_bytes + batch_bytes};
  if (batch_bytes > options_.max_entry_bytes) {
    std::vector<storage::v1::WriteBatchRecord> parts = Split(record, options_.max_entry_bytes);
    for (size_t i = 0; i < parts.size(); ++i) {
      parts[i].set_term(owner_revision_);
      absl::Status s = Put(keys_.Part(seq, static_cast<uint32_t>(i)), parts[i].SerializeAsString(),
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
  record.set_term(owner_revision_);
  record.set_prev_term(last.term);
  record.set_log_bytes(next.log_bytes);
  const std::string entry = record.SerializeAsString();
  absl::Status written = Put(keys_.Log(seq), entry, /*only_new=*/true, deadline);
  if (!written.ok()) {
    if (written.code() == absl::StatusCode::kInvalidArgument ||
        written.code() == absl::StatusCode::kResourceExhausted) {
      return written;  // etcd refused it: nothing changed, the log goes on
    }
    return Lost(written);
  }
  {
    base::MutexLock lock(&mu_);
    last_ = next;
  }
  if (metrics_ != nullptr) metrics_->SetReplicaLogEntry(seq);
  // Durable in etcd: apply it here. If that fails, the store is behind the log; the node
  // steps down and catches up from etcd as a standby. The batch is acknowledged either way.
  storage::WriteBatch local = batch;
  AppendAppliedMark(next, &local);
  if (absl::Status s = store_->Write(local); !s.ok()) {
    (void)Lost(absl::Status(s.code(), absl::StrCat("local store write failed: ", s.message())));
  }
  return absl::OkStatus();
}

}  // namespace anteroom::replication
