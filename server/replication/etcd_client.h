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
#include "server/replication/etcd.h"

namespace anteroom::replication {

// The real Etcd: a client of an etcd cluster over etcd's own gRPC API (v3: KV, Lease,
// Maintenance). A call that gets no answer from one member (UNAVAILABLE, DEADLINE_EXCEEDED)
// is tried on the next, until its timeout has passed.
//
// Thread-safe.
class EtcdClient final : public Etcd {
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
                                                absl::Duration timeout) override;
  absl::StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request,
                                                    absl::Duration timeout) override;
  absl::StatusOr<int64_t> GrantLease(absl::Duration ttl, absl::Duration timeout) override;
  // Tries member after member. A member without a leader (an election under way) holds the
  // renewal until it has one, then forwards it.
  absl::StatusOr<Renewal> KeepAlive(int64_t lease, absl::Duration timeout,
                                    absl::Duration attempt_timeout) override;
  absl::Status RevokeLease(int64_t lease, absl::Duration timeout) override;
  absl::Status Compact(int64_t revision, absl::Duration timeout) override;
  base::Clock* clock() const override { return options_.clock; }
  std::string Describe() const override;

  // One member's status (database size, raft index, leader); for metrics and figures.
  absl::StatusOr<etcdserverpb::StatusResponse> MemberStatus(size_t member, absl::Duration timeout);
  const std::vector<std::string>& endpoints() const { return options_.endpoints; }

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

}  // namespace anteroom::replication
