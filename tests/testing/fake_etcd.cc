#include "tests/testing/fake_etcd.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace anteroom::testing {
namespace {

// Whether `key` is in [start, end) as etcd reads a range: an empty end is the one key
// `start`; "\0" is every key from `start` on.
bool InRange(const std::string& key, const std::string& start, const std::string& end) {
  if (end.empty()) return key == start;
  if (end == std::string(1, '\0')) return key >= start;
  return key >= start && key < end;
}

template <typename T>
bool Holds(etcdserverpb::Compare::CompareResult result, const T& actual, const T& expected) {
  switch (result) {
    case etcdserverpb::Compare::EQUAL:
      return actual == expected;
    case etcdserverpb::Compare::GREATER:
      return actual > expected;
    case etcdserverpb::Compare::LESS:
      return actual < expected;
    case etcdserverpb::Compare::NOT_EQUAL:
      return actual != expected;
    default:
      return false;
  }
}

}  // namespace

absl::Status FakeEtcd::Begin() {
  ++calls_;
  if (lateness_ > absl::ZeroDuration()) clock_->Advance(lateness_);
  ExpireLeases();
  if (!failures_.empty()) {
    absl::Status s = failures_.front();
    failures_.pop_front();
    return s;
  }
  return absl::OkStatus();
}

absl::Status FakeEtcd::Answer() {
  if (lost_answers_ > 0) {
    --lost_answers_;
    return absl::UnavailableError("fake etcd: the answer was lost (the change was applied)");
  }
  return absl::OkStatus();
}

void FakeEtcd::ExpireLeases() {
  const absl::Time now = clock_->Monotonic();
  std::vector<int64_t> lapsed;
  for (const auto& [id, lease] : leases_) {
    if (lease.expires <= now) lapsed.push_back(id);
  }
  for (int64_t id : lapsed) DeleteLease(id);
}

void FakeEtcd::DeleteLease(int64_t lease) {
  leases_.erase(lease);
  bool deleted = false;
  for (auto it = keys_.begin(); it != keys_.end();) {
    if (it->second.lease == lease) {
      it = keys_.erase(it);
      deleted = true;
    } else {
      ++it;
    }
  }
  if (deleted) ++revision_;
}

void FakeEtcd::Header(etcdserverpb::ResponseHeader* header) {
  header->set_revision(revision_);
  header->set_cluster_id(1);
  header->set_member_id(1);
}

bool FakeEtcd::Compares(const etcdserverpb::Compare& compare) {
  auto it = keys_.find(compare.key());
  const Key absent;
  const Key& key = it == keys_.end() ? absent : it->second;
  switch (compare.target()) {
    case etcdserverpb::Compare::CREATE:
      return Holds(compare.result(), key.create_revision, compare.create_revision());
    case etcdserverpb::Compare::MOD:
      return Holds(compare.result(), key.mod_revision, compare.mod_revision());
    case etcdserverpb::Compare::VERSION:
      return Holds(compare.result(), key.version, compare.version());
    case etcdserverpb::Compare::VALUE:
      return it != keys_.end() && Holds(compare.result(), key.value, compare.value());
    default:
      return false;
  }
}

etcdserverpb::RangeResponse FakeEtcd::DoRange(const etcdserverpb::RangeRequest& request) {
  etcdserverpb::RangeResponse response;
  Header(response.mutable_header());
  std::vector<const std::pair<const std::string, Key>*> found;
  for (const auto& entry : keys_) {
    if (InRange(entry.first, request.key(), request.range_end())) found.push_back(&entry);
  }
  if (request.sort_order() == etcdserverpb::RangeRequest::DESCEND) {
    std::reverse(found.begin(), found.end());  // (keys_ is in key order: sorted by key)
  }
  response.set_count(static_cast<int64_t>(found.size()));
  size_t n = found.size();
  if (request.limit() > 0 && static_cast<size_t>(request.limit()) < n) {
    n = static_cast<size_t>(request.limit());
    response.set_more(true);
  }
  for (size_t i = 0; i < n; ++i) {
    mvccpb::KeyValue* kv = response.add_kvs();
    kv->set_key(found[i]->first);
    const Key& key = found[i]->second;
    if (!request.keys_only()) kv->set_value(key.value);
    kv->set_create_revision(key.create_revision);
    kv->set_mod_revision(key.mod_revision);
    kv->set_version(key.version);
    kv->set_lease(key.lease);
  }
  return response;
}

absl::Status FakeEtcd::DoPut(const etcdserverpb::PutRequest& request) {
  if (request.lease() != 0 && !leases_.contains(request.lease())) {
    return absl::NotFoundError("etcdserver: requested lease not found");
  }
  Key& key = keys_[request.key()];
  if (key.create_revision == 0) key.create_revision = revision_;
  key.mod_revision = revision_;
  ++key.version;
  key.value = request.value();
  key.lease = request.lease();
  return absl::OkStatus();
}

int64_t FakeEtcd::DoDelete(const etcdserverpb::DeleteRangeRequest& request) {
  int64_t deleted = 0;
  for (auto it = keys_.begin(); it != keys_.end();) {
    if (InRange(it->first, request.key(), request.range_end())) {
      it = keys_.erase(it);
      ++deleted;
    } else {
      ++it;
    }
  }
  return deleted;
}

absl::StatusOr<etcdserverpb::TxnResponse> FakeEtcd::Txn(const etcdserverpb::TxnRequest& request,
                                                        absl::Duration) {
  base::MutexLock lock(&mu_);
  if (absl::Status s = Begin(); !s.ok()) return s;
  bool succeeded = true;
  for (const etcdserverpb::Compare& compare : request.compare())
    succeeded = succeeded && Compares(compare);
  if (refused_compares_ > 0) {
    --refused_compares_;
    succeeded = false;
  }
  const auto& ops = succeeded ? request.success() : request.failure();
  // A write in the transaction makes one new revision, seen by all its writes.
  bool writes = false;
  for (const etcdserverpb::RequestOp& op : ops)
    writes = writes || op.has_request_put() || op.has_request_delete_range();
  if (writes) ++revision_;
  etcdserverpb::TxnResponse response;
  response.set_succeeded(succeeded);
  for (const etcdserverpb::RequestOp& op : ops) {
    etcdserverpb::ResponseOp* out = response.add_responses();
    if (op.has_request_put()) {
      if (absl::Status s = DoPut(op.request_put()); !s.ok()) return s;
      Header(out->mutable_response_put()->mutable_header());
    } else if (op.has_request_delete_range()) {
      out->mutable_response_delete_range()->set_deleted(DoDelete(op.request_delete_range()));
    } else if (op.has_request_range()) {
      *out->mutable_response_range() = DoRange(op.request_range());
    }
  }
  Header(response.mutable_header());
  if (writes) {
    if (absl::Status s = Answer(); !s.ok()) return s;
  }
  return response;
}

absl::StatusOr<etcdserverpb::RangeResponse> FakeEtcd::Range(
    const etcdserverpb::RangeRequest& request, absl::Duration) {
  base::MutexLock lock(&mu_);
  if (absl::Status s = Begin(); !s.ok()) return s;
  return DoRange(request);
}

absl::StatusOr<int64_t> FakeEtcd::GrantLease(absl::Duration ttl, absl::Duration) {
  base::MutexLock lock(&mu_);
  if (absl::Status s = Begin(); !s.ok()) return s;
  const int64_t id = next_lease_++;
  const absl::Duration whole = absl::Seconds(std::max<int64_t>(1, absl::ToInt64Seconds(ttl)));
  leases_[id] = Lease{whole, clock_->Monotonic() + whole};
  if (absl::Status s = Answer(); !s.ok()) return s;
  return id;
}

absl::StatusOr<replication::Etcd::Renewal> FakeEtcd::KeepAlive(int64_t lease, absl::Duration,
                                                               absl::Duration) {
  base::MutexLock lock(&mu_);
  const absl::Time sent = clock_->Monotonic();
  if (absl::Status s = Begin(); !s.ok()) return s;
  auto it = leases_.find(lease);
  if (it == leases_.end()) return Renewal{absl::ZeroDuration(), sent};  // lapsed, or revoked
  it->second.expires = clock_->Monotonic() + it->second.ttl;
  if (absl::Status s = Answer(); !s.ok()) return s;
  return Renewal{it->second.ttl, sent};
}

absl::Status FakeEtcd::RevokeLease(int64_t lease, absl::Duration) {
  base::MutexLock lock(&mu_);
  if (absl::Status s = Begin(); !s.ok()) return s;
  if (!leases_.contains(lease)) return absl::NotFoundError("etcdserver: requested lease not found");
  DeleteLease(lease);
  return Answer();
}

absl::Status FakeEtcd::Compact(int64_t revision, absl::Duration) {
  base::MutexLock lock(&mu_);
  if (absl::Status s = Begin(); !s.ok()) return s;
  if (revision > revision_) {
    return absl::OutOfRangeError("etcdserver: mvcc: required revision is a future revision");
  }
  if (revision <= compacted_) {
    return absl::OutOfRangeError("etcdserver: mvcc: required revision has been compacted");
  }
  compacted_ = revision;
  return absl::OkStatus();
}

void FakeEtcd::Fail(int calls, absl::Status status) {
  base::MutexLock lock(&mu_);
  for (int i = 0; i < calls; ++i) failures_.push_back(status);
}

void FakeEtcd::LoseAnswers(int calls) {
  base::MutexLock lock(&mu_);
  lost_answers_ += calls;
}

void FakeEtcd::AnswerLate(absl::Duration delay) {
  base::MutexLock lock(&mu_);
  lateness_ = delay;
}

void FakeEtcd::RefuseCompares(int transactions) {
  base::MutexLock lock(&mu_);
  refused_compares_ += transactions;
}

void FakeEtcd::LapseLease(int64_t lease) {
  base::MutexLock lock(&mu_);
  DeleteLease(lease);
}

void FakeEtcd::LapseAllLeases() {
  base::MutexLock lock(&mu_);
  std::vector<int64_t> ids;
  for (const auto& [id, lease] : leases_) ids.push_back(id);
  for (int64_t id : ids) DeleteLease(id);
}

std::string FakeEtcd::Value(const std::string& key) {
  base::MutexLock lock(&mu_);
  auto it = keys_.find(key);
  return it == keys_.end() ? "" : it->second.value;
}

int FakeEtcd::CountPrefix(const std::string& prefix) {
  base::MutexLock lock(&mu_);
  int n = 0;
  for (const auto& [key, value] : keys_) n += key.rfind(prefix, 0) == 0;
  return n;
}

int64_t FakeEtcd::revision() {
  base::MutexLock lock(&mu_);
  return revision_;
}

int64_t FakeEtcd::compacted() {
  base::MutexLock lock(&mu_);
  return compacted_;
}

int FakeEtcd::leases() {
  base::MutexLock lock(&mu_);
  return static_cast<int>(leases_.size());
}

int64_t FakeEtcd::calls() {
  base::MutexLock lock(&mu_);
  return calls_;
}

}  // namespace anteroom::testing
