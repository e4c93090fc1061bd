#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "base/random.h"
#include "server/replication/etcd.h"
#include "server/replication/etcd_log.h"
#include "server/replication/log_format.h"
#include "server/replication/snapshot.h"
#include "server/service/instance.h"
#include "server/service/listeners.h"
#include "server/service/metrics.h"
#include "storage/store.h"

namespace anteroom::replication {

// How an owner keeps its lease of `ttl`: it renews it every `renew_every`, trying etcd's
// members one after another (`attempt_timeout` each, long enough for a member to forward the
// renewal once an election is over), and serves until `serve_for` after the last renewal
// etcd took (counted from when that renewal was sent: etcd cannot have renewed the lease
// earlier, so it cannot lapse before then plus `ttl`). The margin between `serve_for` and
// `ttl` is the owner's safety: it has stopped serving before any other node can claim.
//
// An etcd leader election (etcd's defaults: 1 s election timeout, so 1 to 2 s, longer after a
// split vote) holds renewals until the new leader takes them, and the new leader extends
// every lease by its TTL: an owner keeps its rooms through one when `serve_for` outlasts the
// election. With the default lease of 5 s: renewals every 0.5 s, serving 4.5 s after the
// last one.
struct LeasePolicy {
  absl::Duration renew_every;
  absl::Duration serve_for;
  absl::Duration attempt_timeout;
};
LeasePolicy LeasePolicyFor(absl::Duration ttl);

struct ReplicaOptions {
  // The cluster's key prefix in etcd (anteroomd --etcd_prefix). Nodes with the same prefix
  // replicate one set of rooms; several clusters can share one etcd.
  std::string prefix = "/anteroom/default";
  // This node's name, in logs and the owner record.
  std::string node;
  // Where gateways and operators reach this node when it owns the rooms (standbys redirect
  // there). Default: the bound listen addresses.
  std::string advertise;
  std::string advertise_admin;
  // The owner's lease: a standby takes over at most this long after the owner stopped
  // renewing it (plus catching up); the owner keeps the rooms through etcd leader elections
  // shorter than LeasePolicyFor(lease_ttl).serve_for. Whole seconds, 2 or more. Default 5 s.
  absl::Duration lease_ttl = absl::Seconds(5);
  // How often a standby reads what is new in the log (its copy is at most about this much
  // behind the owner's). Default 25 ms.
  absl::Duration follow_interval = absl::Milliseconds(25);
  // How long calls in flight may finish when the node steps down. Default 1 s.
  absl::Duration step_down_grace = absl::Seconds(1);
  // The listeners (the same addresses in both roles) and ticker of the owner's Instance.
  service::InstanceOptions instance;
  EtcdCommitLog::Options log;
  // The owner snapshots its store into etcd, truncating the log behind it, once the log
  // written since the last snapshot reaches the larger of this and that snapshot's size (so
  // etcd holds the state plus at most about as much log again). Default 64 MiB.
  uint64_t snapshot_log_bytes = 64ULL << 20;
  // Snapshot chunk size (each chunk is one etcd request). Default 1 MiB.
  size_t snapshot_chunk_bytes = 1 << 20;
  // Runs on a new owner's Instance before it serves (anteroomd applies --rooms). An error
  // ends the term.
  std::function<absl::Status(service::Instance*)> on_elected;
};

// One node of a replicated cluster. Its listeners live as long as the node: as a standby it
// follows the cluster's log in etcd into its store (a hot copy, at most follow_interval
// behind) and they answer calls UNAVAILABLE naming the owner. When no node owns the rooms (the
// owner's lease lapsed, or it stepped down), each standby tries to claim P/owner under a lease of
// its own, in one etcd transaction; the winner reads the log to its end (nobody else can extend it:
// appends are fenced by the claim), loads the rooms from its store, crediting the time since the
// last owner's last alive mark to every lease, and serves them through an Instance whose commit
// path is an EtcdCommitLog. It keeps its lease as LeasePolicyFor says, and steps down when it
// cannot (before the lease can have lapsed on etcd's side), when etcd refuses a write because the
// claim is gone, or when a write's outcome stays unknown; it then follows the log again. A
// step-down never closes a connection: calls in flight and calls that arrive meanwhile are
// answered UNAVAILABLE.
//
// Thread-safe.
class Replica {
 public:
  // All pointers must outlive the replica. `metrics` (not null) is shared by the node's terms
  // as owner.
  Replica(Etcd* etcd, storage::Store* store, base::Clock* clock, base::RandomSource* random,
          service::Metrics* metrics, ReplicaOptions options);
  ~Replica();

  // Checks that the store is empty or follows this cluster, binds the listeners as a
  // standby, and starts following the log (and campaigning).
  absl::Status Start();
  // Ends the node's part: an owner finishes calls in flight (up to `grace`), writes what is
  // pending and gives up its lease, so a standby takes over at once. Idempotent.
  void Stop(absl::Duration grace);

  // The bound ports (the same in both roles).
  int port() const { return port_; }
  int admin_port() const { return admin_port_; }

 private:
  // Entries read per request while following (each at most about 1 MiB: larger batches go in
  // parts).
  static constexpr int64_t kFollowBatch = 64;
  // Timeout of the reads and claims of the role loop.
  static constexpr absl::Duration kCallTimeout = absl::Seconds(2);
  static constexpr absl::string_view kBehindTheLog = "this store is behind the log's start";

  // replica.cc: the role loop.
  void Run();
  // replica_follow.cc: following the log as a standby.
  // Applies what is new in the log (up to kFollowBatch entries), or restores the snapshot
  // when the store cannot follow on; records the owner seen.
  // Sets `*more` when the log may hold more, `*owner_seen` when a node owns the rooms.
  absl::Status FollowOnce(bool* more, bool* owner_seen);
  absl::Status ApplyEntry(uint64_t seq, const std::string& value);
  // Claims P/owner; the claim's create revision, or 0 when another node has it.
  absl::StatusOr<int64_t> Campaign(int64_t lease);
  // replica_term.cc: a term as owner.
  // One term as owner under `lease` (granted by a request sent at `granted`, monotonic);
  // returns when it ends.
  void Own(int64_t lease, int64_t revision, absl::Time granted);
  // The start of a term: reads the log to its end, gives a new log its identity (seeding etcd
  // when it lost data), and serves the rooms through a commit log fenced by `revision`.
  absl::Status BeginTerm(int64_t revision, std::unique_ptr<EtcdCommitLog>* log,
                         std::unique_ptr<service::Instance>* instance);
  // Makes sure etcd's log has an identity, and that this store's entries are all in it.
  absl::Status EnsureLogIdentity(int64_t revision);
  // replica_lease.cc: keeps the lease from the claim to the end of the term (LeasePolicyFor);
  // marks the term lost when the lease lapsed, or could not be renewed for
  // LeasePolicy::serve_for.
  void RenewLease(int64_t lease, absl::Time granted);
  // Marks the term lost (the first reason is kept) and wakes the role thread.
  void LoseTerm(const std::string& why);
  // Replaces the store with the snapshot `record` because this store `why`.
  absl::Status Restore(const storage::v1::SnapshotRecord& record, absl::string_view why);
  // Reads the store's applied mark and log identity into the members below.
  absl::Status ReloadMark();
  // During a term: snapshots when enough log has been written since the last one.
  void SnapshotWhenDue(int64_t revision, const EtcdCommitLog* log);
  // Waits `d` or until the term ends; false once it has.
  bool PauseTerm(absl::Duration d);
  // Waits `d` or until stopping/lost; false when stopping.
  bool Pause(absl::Duration d);

  Etcd* const etcd_;
  storage::Store* const store_;
  base::Clock* const clock_;
  base::RandomSource* const random_;
  service::Metrics* const metrics_;
  ReplicaOptions options_;
  const LogKeys keys_;

  // The store's position in the log (role thread only, after Start): its last entry, the
  // log's identity, and whether the store turned out to hold entries etcd lost (it then
  // waits for a snapshot instead of following).
  AppliedMark mark_;
  std::string log_id_;
  bool diverged_ = false;
  int port_ = 0;
  int admin_port_ = 0;
  std::unique_ptr<service::Listeners> listeners_;  // the node's, in every role

  base::Mutex mu_;
  base::CondVar wake_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool lost_ ABSL_GUARDED_BY(mu_) = false;
  bool term_over_ ABSL_GUARDED_BY(mu_) = false;
  std::string lost_why_ ABSL_GUARDED_BY(mu_);
  absl::Duration stop_grace_ ABSL_GUARDED_BY(mu_);
  service::ServingRooms::Owner current_owner_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace anteroom::replication
