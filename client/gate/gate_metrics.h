#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace anteroom::client {
struct ClientStats;
}  // namespace anteroom::client

namespace anteroom::gate {

// The gate's metrics: requests decided by outcome (anteroom_gate_decisions_total), the time
// to answer by endpoint (anteroom_gate_request_duration_seconds) and failed calls to
// Anteroom by code (anteroom_gate_anteroom_errors_total). The series of decisions and
// endpoints are made up front: answering a request only increments.
//
// Thread-safe.
class GateMetrics {
 public:
  explicit GateMetrics(prometheus::Registry* registry);

  // `decision` is one of the decisions in the metric's help (Outcome::decisions, and
  // "suspended").
  void Count(absl::string_view decision);
  void CountError(const absl::Status& status);
  // `endpoint` is "check", "wait", "leave", "healthz" or "other".
  void ObserveLatency(absl::string_view endpoint, double seconds);

 private:
  // By gRPC code, added on a code's first failure (a failed call costs far more anyway).
  prometheus::Family<prometheus::Counter>& errors_;
  absl::flat_hash_map<std::string, prometheus::Counter*> decisions_;
  absl::flat_hash_map<std::string, prometheus::Histogram*> latency_;
};

// The gate's client of Anteroom, read at each scrape (client::ClientStats): calls made
// (anteroom_gate_calls_total), their attempts and retries, those that failed on every
// attempt (anteroom_gate_calls_unreachable_total), and the session cache's hits, misses and
// background renewals (anteroom_gate_session_cache_*_total).
//
// Thread-safe when `stats` is.
class ClientStatsCollector : public prometheus::Collectable {
 public:
  explicit ClientStatsCollector(std::function<client::ClientStats()> stats);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::function<client::ClientStats()> stats_;
};

}  // namespace anteroom::gate
