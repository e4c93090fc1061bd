#pragma once

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

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

}  // namespace anteroom::gate
