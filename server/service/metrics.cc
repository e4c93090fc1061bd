#include "server/service/metrics.h"

namespace anteroom::service {
namespace {

// From 50 µs to about 1.6 s, doubling: covers a cached Poll up to a slow synced write.
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  prometheus::Histogram::BucketBoundaries b;
  for (double v = 50e-6; v < 2.0; v *= 2) b.push_back(v);
  return b;
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      queue_depth_(prometheus::BuildGauge()
                       .Name("anteroom_queue_depth")
                       .Help("Visitors waiting in the room's queue.")
                       .Register(*registry_)),
      active_sessions_(prometheus::BuildGauge()
                           .Name("anteroom_active_sessions")
                           .Help("Sessions holding a slot in the room.")
                           .Register(*registry_)),
      admissions_(prometheus::BuildCounter()
                      .Name("anteroom_admissions_total")
                      .Help("Visitors admitted into the room (at once or from the queue).")
                      .Register(*registry_)),
      rpc_latency_(prometheus::BuildHistogram()
                       .Name("anteroom_rpc_duration_seconds")
                       .Help("Time to handle one RPC, by method.")
                       .Register(*registry_)) {}

Metrics::RoomSeries Metrics::ForRoom(const std::string& room) {
  base::MutexLock lock(&mu_);
  auto it = rooms_.find(room);
  if (it != rooms_.end()) return it->second;
  RoomSeries series{&queue_depth_.Add({{"room", room}}), &active_sessions_.Add({{"room", room}}),
                    &admissions_.Add({{"room", room}})};
  rooms_.emplace(room, series);
  return series;
}

void Metrics::RemoveRoom(const std::string& room) {
  base::MutexLock lock(&mu_);
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return;
  queue_depth_.Remove(it->second.queue_depth);
  active_sessions_.Remove(it->second.active_sessions);
  admissions_.Remove(it->second.admissions);
  rooms_.erase(it);
}

void Metrics::ObserveRpc(absl::string_view method, double seconds) {
  prometheus::Histogram* h;
  {
    base::MutexLock lock(&mu_);
    auto it = rpc_.find(method);
    if (it == rpc_.end()) {
      it = rpc_.emplace(std::string(method),
                        &rpc_latency_.Add({{"method", std::string(method)}}, LatencyBuckets()))
               .first;
    }
    h = it->second;
  }
  h->Observe(seconds);
}

}  // namespace anteroom::service
