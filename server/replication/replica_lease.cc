#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/replication/replica.h"

namespace anteroom::replication {

LeasePolicy LeasePolicyFor(absl::Duration ttl) {
  LeasePolicy policy;
  policy.renew_every = ttl / 10;
  policy.serve_for = ttl - std::max(ttl / 10, absl::Milliseconds(500));
  policy.attempt_timeout = absl::Seconds(1);
  return policy;
}

void Replica::RenewLease(int64_t lease, absl::Time granted) {
  const LeasePolicy policy = LeasePolicyFor(options_.lease_ttl);
  absl::Time renewed = granted;  // etcd cannot have started the lease before this
  while (true) {
    {
      base::MutexLock lock(&mu_);
      if (!term_over_ && !lost_) wake_.WaitWithTimeout(&mu_, policy.renew_every);
      if (term_over_ || lost_) return;
    }
    // Keep trying, member after member, until the term must end: an etcd leader election
    // holds renewals until the new leader (which extends every lease) takes them.
    const absl::Duration left = renewed + policy.serve_for - clock_->Monotonic();
    absl::StatusOr<Etcd::Renewal> renewal =
        left > absl::ZeroDuration()
            ? etcd_->KeepAlive(lease, left, std::min(left, policy.attempt_timeout))
            : absl::DeadlineExceededError("no time left");
    if (renewal.ok() && renewal->ttl > absl::ZeroDuration()) {
      renewed = std::max(renewed, renewal->sent);
      listeners_->ServeUntil(renewed + policy.serve_for);
    } else if (renewal.ok()) {
      return LoseTerm("its lease lapsed");
    }
    if (clock_->Monotonic() - renewed >= policy.serve_for) {
      return LoseTerm(absl::StrCat("cannot renew its lease (last renewed ",
                                   absl::FormatDuration(clock_->Monotonic() - renewed),
                                   " ago): ", renewal.status().message()));
    }
  }
}

}  // namespace anteroom::replication
