#pragma once

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "server/base/mutex.h"

namespace anteroom::service {

// Anteroom's Prometheus metrics. Families are built once, at construction; per-room series
// are created when a room appears and removed when it is deleted. No label ever holds a
// ticket, session or client id.
//
// Thread-safe.
class Metrics {
 public:
  // The gauges and counters of one room, kept by reference by whoever updates them.
  struct RoomSeries {
    prometheus::Gauge* queue_depth;
    prometheus::Gauge* active_sessions;
    prometheus::Counter* admissions;
  };

  Metrics();

  // The registry to expose (prometheus::Exposer::RegisterCollectable).
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // The series of `room`, created on first use.
  RoomSeries ForRoom(const std::string& room);
  void RemoveRoom(const std::string& room);

  // Records one RPC's latency under its method name ("Admit", "CreateRoom", ...).
  void ObserveRpc(absl::string_view method, double seconds);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Gauge>& active_sessions_;
  prometheus::Family<prometheus::Counter>& admissions_;
  prometheus::Family<prometheus::Histogram>& rpc_latency_;

  base::Mutex mu_;
  absl::flat_hash_map<std::string, RoomSeries> rooms_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, prometheus::Histogram*> rpc_ ABSL_GUARDED_BY(mu_);
};

}  // namespace anteroom::service
