#include "server/service/metrics.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace anteroom::service {
namespace {

// From 50 µs to about 1.6 s, doubling: covers a cached Poll up to a slow synced write.
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  prometheus::Histogram::BucketBoundaries b;
  for (double v = 50e-6; v < 2.0; v *= 2) b.push_back(v);
  return b;
}

// Time spent waiting in a queue: 1 s to about 4.5 h.
prometheus::Histogram::BucketBoundaries WaitBuckets() {
  return {1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 16384};
}

prometheus::Family<prometheus::Gauge>& Gauge(prometheus::Registry& r, const char* name,
                                             const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Counter>& Counter(prometheus::Registry& r, const char* name,
                                                 const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      queue_depth_(Gauge(*registry_, "anteroom_queue_depth", "Visitors waiting in the queue.")),
      prequeue_depth_(Gauge(*registry_, "anteroom_prequeue_depth",
                            "Visitors waiting for an event to open (not yet placed).")),
      active_sessions_(
          Gauge(*registry_, "anteroom_active_sessions", "Sessions holding a slot in the room.")),
      estimated_wait_(
          Gauge(*registry_, "anteroom_estimated_wait_seconds",
                "The wait a visitor arriving now would be told (NaN while paused: unknown).")),
      admissions_(Counter(*registry_, "anteroom_admissions_total",
                          "Visitors admitted into the room (at once or from the queue).")),
      abandoned_(Counter(*registry_, "anteroom_abandoned_total",
                         "Queued visitors who lost their place by not polling (place hold).")),
      expired_(Counter(*registry_, "anteroom_expired_total",
                       "Sessions whose lease lapsed without a heartbeat.")),
      no_shows_(Counter(*registry_, "anteroom_no_shows_total",
                        "Admitted visitors who never arrived within the arrival TTL.")),
      revoked_(Counter(*registry_, "anteroom_revoked_total", "Sessions revoked by an operator.")),
      rejected_(Counter(*registry_, "anteroom_rejected_total",
                        "Arrivals turned away, by reason (queue_full, room_full, source_limit).")),
      wait_(prometheus::BuildHistogram()
                .Name("anteroom_wait_seconds")
                .Help("Time from joining the queue to admission.")
                .Register(*registry_)),
      rpc_latency_(prometheus::BuildHistogram()
                       .Name("anteroom_rpc_duration_seconds")
                       .Help("Time to answer one RPC (durability wait included), by method.")
                       .Register(*registry_)),
      rpc_errors_(Counter(*registry_, "anteroom_rpc_errors_total",
                          "RPCs that failed, by method and gRPC status code.")),
      replica_owner_(&Gauge(*registry_, "anteroom_replica_owner",
                            "Replicated mode: 1 while this node serves the rooms as their owner, "
                            "0 from the moment it cannot (a standby, or stepping down; always 0 "
                            "without --etcd).")
                          .Add({})),
      replica_applied_(&Gauge(*registry_, "anteroom_replica_log_entry",
                              "Replicated mode: the last entry of the cluster's log this node "
                              "committed (as the owner) or applied (as a standby): the owner's "
                              "value minus a standby's is the standby's lag.")
                            .Add({})),
      replica_step_downs_(&Counter(*registry_, "anteroom_replica_step_downs_total",
                                   "Replicated mode: terms as owner that ended (lease lost, "
                                   "write refused by etcd, or a clean stop).")
                               .Add({})),
      shed_(Counter(*registry_, "anteroom_calls_shed_total",
                    "Gateway calls refused before any work, by method and reason: overload "
                    "(RESOURCE_EXHAUSTED) or deadline (it had passed on arrival).")),
      challenges_(Counter(*registry_, "anteroom_challenges_total",
                          "Proof-of-work challenges, by outcome: issued to a newcomer, solved "
                          "(a valid solution brought back) or refused (invalid or expired).")),
      challenges_issued_(&challenges_.Add({{"outcome", "issued"}})),
      challenges_solved_(&challenges_.Add({{"outcome", "solved"}})),
      challenges_refused_(&challenges_.Add({{"outcome", "refused"}})),
      calls_in_flight_(&Gauge(*registry_, "anteroom_calls_in_flight",
                              "Gateway calls being worked on (bounded by --max_calls_in_flight).")
                            .Add({})),
      storage_write_(&prometheus::BuildHistogram()
                          .Name("anteroom_storage_write_seconds")
                          .Help("Time of one store write (one group commit).")
                          .Register(*registry_)
                          .Add({}, LatencyBuckets())),
      storage_errors_(&Counter(*registry_, "anteroom_storage_write_errors_total",
                               "Store writes that failed (calls answered UNAVAILABLE).")
                           .Add({})),
      storage_bytes_(
          &Gauge(*registry_, "anteroom_storage_bytes",
                 "Bytes of the files in the data directory (tables, write-ahead logs, manifest).")
               .Add({})) {}

void Metrics::RoomSeries::SetGauges(const core::RoomStats& stats) const {
  queue_depth->Set(static_cast<double>(stats.queue_depth));
  prequeue_depth->Set(static_cast<double>(stats.prequeue_depth));
  active_sessions->Set(static_cast<double>(stats.active_sessions));
  // NaN while paused: no wait can be told, and 0 would read as "no wait".
  estimated_wait->Set(stats.estimated_wait_unknown ? std::numeric_limits<double>::quiet_NaN()
                                                   : absl::ToDoubleSeconds(stats.estimated_wait));
}

void Metrics::RoomSeries::CountRejections(const core::Changes& changes) const {
  if (changes.rejected_queue_full > 0)
    rejected_queue_full->Increment(static_cast<double>(changes.rejected_queue_full));
  if (changes.rejected_room_full > 0)
    rejected_room_full->Increment(static_cast<double>(changes.rejected_room_full));
  if (changes.rejected_source_limit > 0)
    rejected_source_limit->Increment(static_cast<double>(changes.rejected_source_limit));
}

void Metrics::RoomSeries::CountDurable(const core::Changes& changes) const {
  for (auto [count, counter] :
       {std::pair{changes.admitted, admissions}, std::pair{changes.abandoned, abandoned},
        std::pair{changes.expired, expired}, std::pair{changes.no_shows, no_shows},
        std::pair{changes.revoked, revoked}}) {
    if (count > 0) counter->Increment(static_cast<double>(count));
  }
  for (double waited : changes.waited_seconds) wait->Observe(waited);
}

Metrics::RoomSeries Metrics::ForRoom(const std::string& room) {
  base::MutexLock lock(&mu_);
  auto it = rooms_.find(room);
  if (it != rooms_.end()) return it->second;
  const prometheus::Labels labels{{"room", room}};
  RoomSeries series{&queue_depth_.Add(labels),
                    &prequeue_depth_.Add(labels),
                    &active_sessions_.Add(labels),
                    &estimated_wait_.Add(labels),
                    &admissions_.Add(labels),
                    &abandoned_.Add(labels),
                    &expired_.Add(labels),
                    &no_shows_.Add(labels),
                    &revoked_.Add(labels),
                    &rejected_.Add({{"room", room}, {"reason", "queue_full"}}),
                    &rejected_.Add({{"room", room}, {"reason", "room_full"}}),
                    &rejected_.Add({{"room", room}, {"reason", "source_limit"}}),
                    &wait_.Add(labels, WaitBuckets())};
  rooms_.emplace(room, series);
  return series;
}

void Metrics::RemoveRoom(const std::string& room) {
  base::MutexLock lock(&mu_);
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return;
  const RoomSeries& s = it->second;
  queue_depth_.Remove(s.queue_depth);
  prequeue_depth_.Remove(s.prequeue_depth);
  active_sessions_.Remove(s.active_sessions);
  estimated_wait_.Remove(s.estimated_wait);
  admissions_.Remove(s.admissions);
  abandoned_.Remove(s.abandoned);
  expired_.Remove(s.expired);
  no_shows_.Remove(s.no_shows);
  revoked_.Remove(s.revoked);
  rejected_.Remove(s.rejected_queue_full);
  rejected_.Remove(s.rejected_room_full);
  rejected_.Remove(s.rejected_source_limit);
  wait_.Remove(s.wait);
  rooms_.erase(it);
}

void Metrics::ObserveRpc(absl::string_view method, double seconds, absl::string_view error_code) {
  prometheus::Histogram* h;
  prometheus::Counter* errors = nullptr;
  {
    base::MutexLock lock(&mu_);
    auto it = rpc_.find(method);
    if (it == rpc_.end()) {
      it = rpc_.emplace(std::string(method),
                        &rpc_latency_.Add({{"method", std::string(method)}}, LatencyBuckets()))
               .first;
    }
    h = it->second;
    if (!error_code.empty()) {
      const std::string key = absl::StrCat(method, "/", error_code);
      auto e = rpc_error_series_.find(key);
      if (e == rpc_error_series_.end()) {
        e = rpc_error_series_
                .emplace(key, &rpc_errors_.Add({{"method", std::string(method)},
                                                {"code", std::string(error_code)}}))
                .first;
      }
      errors = e->second;
    }
  }
  h->Observe(seconds);
  if (errors != nullptr) errors->Increment();
}

void Metrics::CountShed(absl::string_view method, absl::string_view reason) {
  prometheus::Counter* counter;
  {
    base::MutexLock lock(&mu_);
    const std::string key = absl::StrCat(method, "/", reason);
    auto it = shed_series_.find(key);
    if (it == shed_series_.end()) {
      it = shed_series_
               .emplace(key, &shed_.Add({{"method", std::string(method)},
                                         {"reason", std::string(reason)}}))
               .first;
    }
    counter = it->second;
  }
  counter->Increment();
}

void Metrics::ObserveStorageWrite(double seconds, bool ok) {
  storage_write_->Observe(seconds);
  if (!ok) storage_errors_->Increment();
}

void Metrics::CountChallenge(ChallengeOutcome outcome) {
  switch (outcome) {
    case ChallengeOutcome::kIssued:
      return challenges_issued_->Increment();
    case ChallengeOutcome::kSolved:
      return challenges_solved_->Increment();
    case ChallengeOutcome::kRefused:
      return challenges_refused_->Increment();
  }
}

}  // namespace anteroom::service
