#pragma once

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "base/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "server/core/room_types.h"

namespace anteroom::service {

// Anteroom's Prometheus metrics (the full list, with meanings, is in README "Metrics").
// Families are built once, at construction; per-room series are created when a room appears
// and removed when it is deleted. No label ever holds a ticket, session or client id: the
// labels are room names, RPC method names, status code names and rejection reasons.
//
// Thread-safe.
class Metrics {
 public:
  // The series of one room, kept by pointer by whoever updates them.
  struct RoomSeries {
    prometheus::Gauge* queue_depth;
    prometheus::Gauge* prequeue_depth;
    prometheus::Gauge* active_sessions;
    prometheus::Gauge* estimated_wait;
    prometheus::Counter* admissions;
    prometheus::Counter* abandoned;
    prometheus::Counter* expired;
    prometheus::Counter* no_shows;
    prometheus::Counter* revoked;
    prometheus::Counter* rejected_queue_full;
    prometheus::Counter* rejected_room_full;
    prometheus::Counter* rejected_source_limit;
    prometheus::Histogram* wait;

    // The gauges from a room's figures (the estimated wait NaN while it is unknown).
    void SetGauges(const core::RoomStats& stats) const;
    // Rejections, as they happen: they change nothing to persist.
    void CountRejections(const core::Changes& changes) const;
    // Admissions, departures and waits, once the change that made them is durable.
    void CountDurable(const core::Changes& changes) const;
  };

  Metrics();

  // The registry to expose (prometheus::Exposer::RegisterCollectable).
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // The series of `room`, created on first use.
  RoomSeries ForRoom(const std::string& room);
  void RemoveRoom(const std::string& room);

  // One RPC: its latency by method, and, when it failed, an error by method and code name.
  void ObserveRpc(absl::string_view method, double seconds, absl::string_view error_code = "");
  // A gateway call refused before any work, by method and reason ("overload", "deadline").
  void CountShed(absl::string_view method, absl::string_view reason);
  // Proof-of-work challenges handed out, and solutions brought back (valid or refused).
  enum class ChallengeOutcome { kIssued, kSolved, kRefused };
  void CountChallenge(ChallengeOutcome outcome);
  // Gateway calls being worked on (admitted by the load shedder, not yet answered).
  void CallStarted() { calls_in_flight_->Increment(); }
  void CallEnded() { calls_in_flight_->Decrement(); }
  double CallsInFlight() const { return calls_in_flight_->Value(); }
  // One store write (a group commit) and whether it failed.
  void ObserveStorageWrite(double seconds, bool ok);
  // Bytes the store holds on disk (SST files and write-ahead logs).
  void SetStorageBytes(double bytes) { storage_bytes_->Set(bytes); }
  // Replicated mode (server/replication): whether the node serves as the owner now; the last
  // log entry it committed (as owner) or applied (as a standby); each end of a term as owner.
  void SetReplicaOwner(bool owner) { replica_owner_->Set(owner ? 1 : 0); }
  void SetReplicaLogEntry(uint64_t entry) { replica_applied_->Set(static_cast<double>(entry)); }
  void CountStepDown() { replica_step_downs_->Increment(); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Gauge>& prequeue_depth_;
  prometheus::Family<prometheus::Gauge>& active_sessions_;
  prometheus::Family<prometheus::Gauge>& estimated_wait_;
  prometheus::Family<prometheus::Counter>& admissions_;
  prometheus::Family<prometheus::Counter>& abandoned_;
  prometheus::Family<prometheus::Counter>& expired_;
  prometheus::Family<prometheus::Counter>& no_shows_;
  prometheus::Family<prometheus::Counter>& revoked_;
  prometheus::Family<prometheus::Counter>& rejected_;
  prometheus::Family<prometheus::Histogram>& wait_;
  prometheus::Family<prometheus::Histogram>& rpc_latency_;
  prometheus::Family<prometheus::Counter>& rpc_errors_;
  prometheus::Gauge* replica_owner_;
  prometheus::Gauge* replica_applied_;
  prometheus::Counter* replica_step_downs_;
  prometheus::Family<prometheus::Counter>& shed_;
  prometheus::Family<prometheus::Counter>& challenges_;
  prometheus::Counter* challenges_issued_;
  prometheus::Counter* challenges_solved_;
  prometheus::Counter* challenges_refused_;
  prometheus::Gauge* calls_in_flight_;
  prometheus::Histogram* storage_write_;
  prometheus::Counter* storage_errors_;
  prometheus::Gauge* storage_bytes_;

  base::Mutex mu_;
  absl::flat_hash_map<std::string, RoomSeries> rooms_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, prometheus::Histogram*> rpc_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, prometheus::Counter*> rpc_error_series_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, prometheus::Counter*> shed_series_ ABSL_GUARDED_BY(mu_);
};

}  // namespace anteroom::service
