#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"

namespace anteroom::replication {

// A client of an etcd cluster over etcd's own gRPC API (v3: KV, Lease, Maintenance), with the
// few calls replication needs. Each call has a deadline; a call that gets no answer from one
// member (UNAVAILABLE, DEADLINE_EXCEEDED) is tried on the next, until `timeout` has passed.
// Reads are linearizable (etcd's default), so a member cut off from its quorum answers
// nothing rather than something stale.
//
// Errors: UNAVAILABLE when no member answered in time (the outcome of a write is then
// unknown: it may have been applied); etcd's own refusals otherwise.
//
// Thread-safe.
class EtcdClient {
 public:
  struct Options {
    // host:port of each member's client URL (plaintext). At least one.
    std::vector<std::string> endpoints;
    // Deadline of one attempt on one member. Default 2 s.
    absl::Duration attempt_timeout = absl::Seconds(2);
    // Measures the calls' overall timeouts (its monotonic time). Required; must outlive the
    // client.
    base::Clock* clock = nullptr;
  };

  // Parses a comma-separated endpoint list ("host:port,host:port"; "http://" is accepted
  // and dropped), naming `flag` in errors.
  static absl::StatusOr<std::vector<std::string>> ParseEndpoints(absl::string_view text,
                                                                 absl::string_view flag);
  static absl::StatusOr<std::unique_ptr<EtcdClient>> Create(Options options);

  absl::StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request,
                                                absl::Duration timeout);
  absl::StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request,
                                                    absl::Duration timeout);
  // A new lease of `ttl` (whole seconds, at least 1); its id.
  absl::StatusOr<int64_t> GrantLease(absl::Duration ttl, absl::Duration timeout);
  // A renewal of a lease: the time to live etcd gave it (zero or less: it had expired), and
  // when the attempt that renewed it was sent, on the clock's monotonic time (etcd cannot
  // have renewed it before).
  struct Renewal {
    absl::Duration ttl;
    absl::Time sent;
  };
  // Renews `lease`, trying member after member (each for at most `attempt_timeout`) until
  // one answers or `timeout` passes. A member without a leader (an election under way) holds
  // the renewal until it has one, then forwards it.
  absl::StatusOr<Renewal> KeepAlive(int64_t lease, absl::Duration timeout,
                                    absl::Duration attempt_timeout);
  absl::Status RevokeLease(int64_t lease, absl::Duration timeout);
  // Drops the history before `revision` (the log behind a snapshot).
  absl::Status Compact(int64_t revision, absl::Duration timeout);
  // One member's status (database size, raft index); for metrics and figures.
  absl::StatusOr<etcdserverpb::StatusResponse> MemberStatus(size_t member, absl::Duration timeout);

  const std::vector<std::string>& endpoints() const { return options_.endpoints; }
  base::Clock* clock() const { return options_.clock; }

 private:
  struct Member {
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
    std::unique_ptr<etcdserverpb::Lease::Stub> lease;
    std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
  };
  explicit EtcdClient(Options options);
  // Runs `attempt(member, context)` on one member after another (each attempt at most
  // `attempt_timeout`, by default Options::attempt_timeout) until one answers, or `timeout`
  // passes.
  template <typename Fn>
  absl::Status OnAnyMember(absl::Duration timeout, const Fn& attempt,
                           absl::Duration attempt_timeout = absl::ZeroDuration());

  const Options options_;
  std::vector<Member> members_;
  base::Mutex mu_;
  size_t current_ ABSL_GUARDED_BY(mu_) = 0;  // the member that answered last
};

// The key that follows every key starting with `prefix` (etcd's range_end for a prefix).
std::string PrefixEnd(absl::string_view prefix);

}  // namespace anteroom::replication
