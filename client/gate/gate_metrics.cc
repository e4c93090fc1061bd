#include "client/gate/gate_metrics.h"

namespace anteroom::gate {
namespace {

constexpr absl::string_view kEndpoints[] = {"check", "wait", "leave", "healthz", "other"};
constexpr absl::string_view kDecisions[] = {
    "pass",       "wait",         "prequeue", "full",      "unavailable",   "fail_open", "error",
    "not_placed", "cookie_check", "busy",     "challenge", "entry_refused", "suspended"};

}  // namespace

GateMetrics::GateMetrics(prometheus::Registry* registry)
    : errors_(prometheus::BuildCounter()
                  .Name("anteroom_gate_anteroom_errors_total")
                  .Help("Calls to Anteroom that failed, by gRPC code (after retries)")
                  .Register(*registry)) {
  auto& decisions = prometheus::BuildCounter()
                        .Name("anteroom_gate_decisions_total")
                        .Help(
                            "Requests decided, by outcome: pass, wait, prequeue, full, "
                            "unavailable (unreachable, failed closed), fail_open (unreachable, "
                            "let through unchecked), error (Anteroom refused: misconfiguration), "
                            "not_placed, cookie_check, busy (Anteroom shed the call: overloaded), "
                            "challenge (a proof of work to solve before a place is given), "
                            "entry_refused (an entry token Anteroom refused: placed without it), "
                            "suspended (the route is suspended: let through, nothing asked)")
                        .Register(*registry);
  for (absl::string_view d : kDecisions)
    decisions_[d] = &decisions.Add({{"decision", std::string(d)}});
  auto& latency = prometheus::BuildHistogram()
                      .Name("anteroom_gate_request_duration_seconds")
                      .Help("Time to answer an HTTP request, by endpoint")
                      .Register(*registry);
  for (absl::string_view e : kEndpoints) {
    latency_[e] =
        &latency.Add({{"endpoint", std::string(e)}},
                     prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                             0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
  }
}

void GateMetrics::Count(absl::string_view decision) { decisions_.at(decision)->Increment(); }

void GateMetrics::CountError(const absl::Status& status) {
  errors_.Add({{"code", absl::StatusCodeToString(status.code())}}).Increment();
}

void GateMetrics::ObserveLatency(absl::string_view endpoint, double seconds) {
  latency_.at(endpoint)->Observe(seconds);
}

}  // namespace anteroom::gate
