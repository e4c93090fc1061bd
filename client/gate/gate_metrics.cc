#include "client/gate/gate_metrics.h"

#include <utility>

#include "client/anteroom_client.h"

namespace anteroom::gate {
namespace {

constexpr absl::string_view kEndpoints[] = {"check", "wait", "leave", "healthz", "other"};
constexpr absl::string_view kDecisions[] = {
    "pass",       "wait",         "prequeue", "full",      "unavailable",   "fail_open", "error",
    "not_placed", "cookie_check", "busy",     "challenge", "entry_refused", "suspended"};

prometheus::MetricFamily Counter(std::string name, std::string help, uint64_t value) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = prometheus::MetricType::Counter;
  family.metric.emplace_back();
  family.metric.back().counter.value = static_cast<double>(value);
  return family;
}

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

ClientStatsCollector::ClientStatsCollector(std::function<client::ClientStats()> stats)
    : stats_(std::move(stats)) {}

std::vector<prometheus::MetricFamily> ClientStatsCollector::Collect() const {
  const client::ClientStats s = stats_();
  return {
      Counter("anteroom_gate_calls_total", "Calls made to Anteroom (retries not counted)", s.calls),
      Counter("anteroom_gate_call_attempts_total",
              "Attempts of calls to Anteroom, retries included", s.attempts),
      Counter("anteroom_gate_call_retries_total", "Attempts after a call's first", s.retries),
      Counter("anteroom_gate_calls_unreachable_total",
              "Calls to Anteroom that failed on every attempt (unavailable or past the deadline)",
              s.unreachable),
      Counter("anteroom_gate_session_cache_hits_total",
              "Admitted visitors' checks answered from the session cache, with no call",
              s.session_cache_hits),
      Counter("anteroom_gate_session_cache_misses_total",
              "Admitted visitors' checks that needed a call (a session not known or lapsed)",
              s.session_cache_misses),
      Counter("anteroom_gate_session_cache_renewals_total",
              "Busy sessions renewed in the background (one Heartbeat per session per interval)",
              s.session_renewals),
  };
}

}  // namespace anteroom::gate
