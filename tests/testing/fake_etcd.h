#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "server/replication/etcd.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::testing {

// An etcd in memory, for replication's unit tests: keys with their create and modification
// revisions and versions, transactions (compares on CREATE, MOD, VERSION and VALUE; puts,
// ranges and range deletes), ranges (prefixes, limit, sort by key, keys only), and leases
// that lapse on `clock`'s monotonic time (the keys bound to one go with it). No history is
// kept: Compact is recorded, nothing more.
//
// And the faults a real cluster has, one call at a time:
//   - Fail(n, status): the next n calls answer `status` and change nothing (etcd refused, or
//     no member answered before anything happened);
//   - LoseAnswers(n): the next n calls that change something do it, then answer
//     UNAVAILABLE (the outcome unknown to the caller: etcd applied it, the answer was lost);
//   - AnswerLate(d): every call takes `d` more of the simulated clock (the clock advances);
//   - RefuseCompares(n): the next n transactions find their compares false;
//   - LapseLease(id) / LapseAllLeases(): a lease ends now, as if it had not been renewed.
//
// Thread-safe.
class FakeEtcd final : public replication::Etcd {
 public:
  // `clock` must outlive the fake; tests advance it, and so do late answers.
  explicit FakeEtcd(SimulatedClock* clock) : clock_(clock) {}

  absl::StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request,
                                                absl::Duration timeout) override;
  absl::StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request,
                                                    absl::Duration timeout) override;
  absl::StatusOr<int64_t> GrantLease(absl::Duration ttl, absl::Duration timeout) override;
  absl::StatusOr<Renewal> KeepAlive(int64_t lease, absl::Duration timeout,
                                    absl::Duration attempt_timeout) override;
  absl::Status RevokeLease(int64_t lease, absl::Duration timeout) override;
  absl::Status Compact(int64_t revision, absl::Duration timeout) override;
  base::Clock* clock() const override { return clock_; }
  std::string Describe() const override { return "fake etcd"; }

  void Fail(int calls, absl::Status status);
  void LoseAnswers(int calls);
  void AnswerLate(absl::Duration delay);
  void RefuseCompares(int transactions);
  void LapseLease(int64_t lease);
  void LapseAllLeases();

  // What the fake holds, for assertions: the value of `key` ("" when absent), the number of
  // keys under `prefix`, the current revision, the last compaction, the live leases.
  std::string Value(const std::string& key);
  int CountPrefix(const std::string& prefix);
  int64_t revision();
  int64_t compacted();
  int leases();
  int64_t calls();

 private:
  struct Key {
    std::string value;
    int64_t create_revision = 0;
    int64_t mod_revision = 0;
    int64_t version = 0;
    int64_t lease = 0;
  };
  struct Lease {
    absl::Duration ttl;
    absl::Time expires;  // monotonic
  };

  // The fault to play on this call, if any (and the lateness); expires lapsed leases.
  absl::Status Begin() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After a call that changed something: OK, or UNAVAILABLE when its answer is to be lost.
  absl::Status Answer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ExpireLeases() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DeleteLease(int64_t lease) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Compares(const etcdserverpb::Compare& compare) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  etcdserverpb::RangeResponse DoRange(const etcdserverpb::RangeRequest& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status DoPut(const etcdserverpb::PutRequest& request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t DoDelete(const etcdserverpb::DeleteRangeRequest& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Header(etcdserverpb::ResponseHeader* header) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  SimulatedClock* const clock_;
  base::Mutex mu_;
  std::map<std::string, Key> keys_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, Lease> leases_ ABSL_GUARDED_BY(mu_);
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t next_lease_ ABSL_GUARDED_BY(mu_) = 0x1000;
  int64_t compacted_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<absl::Status> failures_ ABSL_GUARDED_BY(mu_);
  int lost_answers_ ABSL_GUARDED_BY(mu_) = 0;
  int refused_compares_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration lateness_ ABSL_GUARDED_BY(mu_);
};

}  // namespace anteroom::testing
