// The gate's metrics as Prometheus reads them: decisions, errors by code and latency by
// endpoint, and its client's calls and session cache read at each scrape.

#include "client/gate/gate_metrics.h"

#include "absl/strings/str_cat.h"
#include "client/anteroom_client.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace anteroom::gate {
namespace {

std::string Text(const prometheus::Collectable& collectable) {
  return prometheus::TextSerializer().Serialize(collectable.Collect());
}

bool Has(const std::string& text, const std::string& line) {
  return text.find(absl::StrCat("\n", line, "\n")) != std::string::npos;
}

TEST(GateMetricsTest, EveryDecisionAndEndpointIsThereFromTheStartAndCounts) {
  prometheus::Registry registry;
  GateMetrics metrics(&registry);
  std::string text = Text(registry);
  EXPECT_TRUE(Has(text, R"(anteroom_gate_decisions_total{decision="pass"} 0)")) << text;
  EXPECT_TRUE(Has(text, R"(anteroom_gate_decisions_total{decision="suspended"} 0)")) << text;
  EXPECT_TRUE(Has(text, R"(anteroom_gate_request_duration_seconds_count{endpoint="wait"} 0)"))
      << text;

  metrics.Count("pass");
  metrics.Count("pass");
  metrics.Count("wait");
  metrics.CountError(absl::UnavailableError("down"));
  metrics.CountError(absl::DeadlineExceededError("slow"));
  metrics.CountError(absl::UnavailableError("down again"));
  metrics.ObserveLatency("check", 0.0002);
  metrics.ObserveLatency("check", 0.3);
  text = Text(registry);
  EXPECT_TRUE(Has(text, R"(anteroom_gate_decisions_total{decision="pass"} 2)")) << text;
  EXPECT_TRUE(Has(text, R"(anteroom_gate_decisions_total{decision="wait"} 1)")) << text;
  EXPECT_TRUE(Has(text, R"(anteroom_gate_anteroom_errors_total{code="UNAVAILABLE"} 2)")) << text;
  EXPECT_TRUE(Has(text, R"(anteroom_gate_anteroom_errors_total{code="DEADLINE_EXCEEDED"} 1)"))
      << text;
  EXPECT_TRUE(Has(text, R"(anteroom_gate_request_duration_seconds_count{endpoint="check"} 2)"))
      << text;
  EXPECT_TRUE(
      Has(text, R"(anteroom_gate_request_duration_seconds_bucket{endpoint="check",le="0.0005"} 1)"))
      << text;
}

TEST(GateMetricsTest, TheClientsFiguresAreReadAtEachScrape) {
  client::ClientStats stats;
  ClientStatsCollector collector([&stats] { return stats; });
  stats.calls = 7;
  stats.attempts = 9;
  stats.retries = 2;
  stats.unreachable = 1;
  stats.session_cache_hits = 1000;
  stats.session_cache_misses = 12;
  stats.session_renewals = 30;
  std::string text = Text(collector);
  EXPECT_TRUE(Has(text, "anteroom_gate_calls_total 7")) << text;
  EXPECT_TRUE(Has(text, "anteroom_gate_call_attempts_total 9")) << text;
  EXPECT_TRUE(Has(text, "anteroom_gate_call_retries_total 2")) << text;
  EXPECT_TRUE(Has(text, "anteroom_gate_calls_unreachable_total 1")) << text;
  EXPECT_TRUE(Has(text, "anteroom_gate_session_cache_hits_total 1000")) << text;
  EXPECT_TRUE(Has(text, "anteroom_gate_session_cache_misses_total 12")) << text;
  EXPECT_TRUE(Has(text, "anteroom_gate_session_cache_renewals_total 30")) << text;
  EXPECT_TRUE(Has(text, "# TYPE anteroom_gate_session_cache_hits_total counter")) << text;

  stats.session_cache_hits = 1500;
  text = Text(collector);
  EXPECT_TRUE(Has(text, "anteroom_gate_session_cache_hits_total 1500")) << text;
}

}  // namespace
}  // namespace anteroom::gate
