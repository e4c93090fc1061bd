#include "server/service/metrics.h"

#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace anteroom::service {
namespace {

// The exposition text, as Prometheus would scrape it.
std::string Scrape(const Metrics& metrics) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, metrics.registry()->Collect());
  return out.str();
}

bool Has(const std::string& text, const std::string& line) {
  return absl::StrContains(text, "\n" + line + "\n");
}

TEST(MetricsTest, ARoomsSeriesCarryItsFiguresAndGoWithIt) {
  Metrics metrics;
  const Metrics::RoomSeries shop = metrics.ForRoom("shop");
  core::RoomStats stats;
  stats.queue_depth = 12;
  stats.prequeue_depth = 3;
  stats.active_sessions = 40;
  stats.estimated_wait = absl::Seconds(90);
  shop.SetGauges(stats);
  core::Changes changes;
  changes.admitted = 2;
  changes.no_shows = 1;
  changes.rejected_room_full = 4;
  changes.waited_seconds = {20, 400};
  shop.CountRejections(changes);
  shop.CountDurable(changes);

  std::string text = Scrape(metrics);
  EXPECT_TRUE(Has(text, R"(anteroom_queue_depth{room="shop"} 12)")) << text;
  EXPECT_TRUE(Has(text, R"(anteroom_prequeue_depth{room="shop"} 3)"));
  EXPECT_TRUE(Has(text, R"(anteroom_active_sessions{room="shop"} 40)"));
  EXPECT_TRUE(Has(text, R"(anteroom_estimated_wait_seconds{room="shop"} 90)"));
  EXPECT_TRUE(Has(text, R"(anteroom_admissions_total{room="shop"} 2)"));
  EXPECT_TRUE(Has(text, R"(anteroom_no_shows_total{room="shop"} 1)"));
  EXPECT_TRUE(Has(text, R"(anteroom_rejected_total{reason="room_full",room="shop"} 4)"));
  EXPECT_TRUE(Has(text, R"(anteroom_rejected_total{reason="queue_full",room="shop"} 0)"));
  EXPECT_TRUE(Has(text, R"(anteroom_wait_seconds_count{room="shop"} 2)"));
  EXPECT_TRUE(Has(text, R"(anteroom_wait_seconds_bucket{room="shop",le="30"} 1)"));

  // The same series for the same room; none left once it is deleted.
  EXPECT_EQ(metrics.ForRoom("shop").queue_depth, shop.queue_depth);
  metrics.RemoveRoom("shop");
  metrics.RemoveRoom("shop");  // twice is harmless
  text = Scrape(metrics);
  EXPECT_FALSE(absl::StrContains(text, R"(room="shop")")) << text;
}

TEST(MetricsTest, AnUnknownWaitIsNaNNotZero) {
  Metrics metrics;
  core::RoomStats paused;
  paused.estimated_wait_unknown = true;
  metrics.ForRoom("paused").SetGauges(paused);
  EXPECT_TRUE(Has(Scrape(metrics), R"(anteroom_estimated_wait_seconds{room="paused"} Nan)"))
      << Scrape(metrics);
}

TEST(MetricsTest, CallsAreCountedByMethodCodeAndReason) {
  Metrics metrics;
  metrics.ObserveRpc("Poll", 0.001);
  metrics.ObserveRpc("Poll", 0.002);
  metrics.ObserveRpc("Admit", 0.003, "UNAVAILABLE");
  metrics.ObserveRpc("Admit", 0.004, "UNAVAILABLE");
  metrics.CountShed("Admit", "overload");
  metrics.CountChallenge(Metrics::ChallengeOutcome::kIssued);
  metrics.CountChallenge(Metrics::ChallengeOutcome::kRefused);
  metrics.CallStarted();
  metrics.CallStarted();
  metrics.CallEnded();
  const std::string text = Scrape(metrics);
  EXPECT_TRUE(Has(text, R"(anteroom_rpc_duration_seconds_count{method="Poll"} 2)")) << text;
  EXPECT_TRUE(Has(text, R"(anteroom_rpc_errors_total{code="UNAVAILABLE",method="Admit"} 2)"));
  EXPECT_FALSE(absl::StrContains(text, R"(anteroom_rpc_errors_total{method="Poll")"));
  EXPECT_TRUE(Has(text, R"(anteroom_calls_shed_total{method="Admit",reason="overload"} 1)"));
  EXPECT_TRUE(Has(text, R"(anteroom_challenges_total{outcome="issued"} 1)"));
  EXPECT_TRUE(Has(text, R"(anteroom_challenges_total{outcome="solved"} 0)"));
  EXPECT_TRUE(Has(text, R"(anteroom_challenges_total{outcome="refused"} 1)"));
  EXPECT_TRUE(Has(text, "anteroom_calls_in_flight 1"));
  EXPECT_EQ(metrics.CallsInFlight(), 1);
}

TEST(MetricsTest, TheReplicaSeriesStartAsAStandalonesAndFollowTheNode) {
  Metrics metrics;
  std::string text = Scrape(metrics);
  EXPECT_TRUE(Has(text, "anteroom_replica_owner 0")) << text;
  EXPECT_TRUE(Has(text, "anteroom_replica_log_entry 0"));
  metrics.SetReplicaOwner(true);
  metrics.SetReplicaLogEntry(1234);
  metrics.CountStepDown();
  metrics.ObserveStorageWrite(0.01, /*ok=*/false);
  metrics.SetStorageBytes(4096);
  text = Scrape(metrics);
  EXPECT_TRUE(Has(text, "anteroom_replica_owner 1"));
  EXPECT_TRUE(Has(text, "anteroom_replica_log_entry 1234"));
  EXPECT_TRUE(Has(text, "anteroom_replica_step_downs_total 1"));
  EXPECT_TRUE(Has(text, "anteroom_storage_write_errors_total 1"));
  EXPECT_TRUE(Has(text, "anteroom_storage_write_seconds_count 1"));
  EXPECT_TRUE(Has(text, "anteroom_storage_bytes 4096"));
  metrics.SetReplicaOwner(false);
  EXPECT_TRUE(Has(Scrape(metrics), "anteroom_replica_owner 0"));
}

}  // namespace
}  // namespace anteroom::service
