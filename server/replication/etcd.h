#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "etcd/etcdserver/etcdserverpb/rpc.pb.h"

namespace anteroom::replication {

// What replication asks of etcd (its v3 API): transactions and reads of keys, and leases.
// EtcdClient talks to a real cluster over gRPC; tests/testing/fake_etcd.h keeps the keys in
// memory, on a simulated clock, and can lose answers, answer late, refuse and let leases
// lapse, so that every fencing and step-down rule is tested in milliseconds.
//
// Every call has a `timeout`. Errors: UNAVAILABLE (or DEADLINE_EXCEEDED) when no answer came
// in time (the outcome of a write is then unknown: it may have been applied); etcd's own
// refusals otherwise.
//
// Thread-safe.
class Etcd {
 public:
  virtual ~Etcd() = default;

  virtual absl::StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request,
                                                        absl::Duration timeout) = 0;
  // Reads are linearizable: a member cut off from its quorum answers nothing rather than
  // something stale.
  virtual absl::StatusOr<etcdserverpb::RangeResponse> Range(
      const etcdserverpb::RangeRequest& request, absl::Duration timeout) = 0;
  // A new lease of `ttl` (whole seconds, at least 1); its id.
  virtual absl::StatusOr<int64_t> GrantLease(absl::Duration ttl, absl::Duration timeout) = 0;

  // A renewal of a lease: the time to live etcd gave it (zero or less: it had expired), and
  // when the attempt that renewed it was sent, on the clock's monotonic time (etcd cannot
  // have renewed it before).
  struct Renewal {
    absl::Duration ttl;
    absl::Time sent;
  };
  // Renews `lease`, trying again (each attempt for at most `attempt_timeout`) until it is
  // answered or `timeout` passes. During an etcd leader election a renewal waits for the new
  // leader, which extends every lease by its TTL.
  virtual absl::StatusOr<Renewal> KeepAlive(int64_t lease, absl::Duration timeout,
                                            absl::Duration attempt_timeout) = 0;
  virtual absl::Status RevokeLease(int64_t lease, absl::Duration timeout) = 0;
  // Drops the history before `revision` (the log behind a snapshot).
  virtual absl::Status Compact(int64_t revision, absl::Duration timeout) = 0;

  // The clock the timeouts are measured on (its monotonic time).
  virtual base::Clock* clock() const = 0;
  // Where it is, for logs ("10.0.0.1:2379,10.0.0.2:2379").
  virtual std::string Describe() const = 0;
};

}  // namespace anteroom::replication
