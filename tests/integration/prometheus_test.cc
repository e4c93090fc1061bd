// A real Prometheus server (Debian's prometheus) scrapes the real anteroomd; its HTTP API
// reports the queue depth of a room with a known number of waiting visitors.

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "base/program.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/admin.h"
#include "tests/testing/daemon.h"
#include "tests/testing/http_get.h"

namespace anteroom {
namespace {

constexpr char kBinary[] = ANTEROOMD_PATH;
constexpr char kPrometheus[] = "/usr/bin/prometheus";

TEST(PrometheusTest, ARealPrometheusScrapesTheQueueDepth) {
  anteroom::base::PromptGrpcReconnects();
  const std::string dir = testing::MakeTempDir("anteroom-prom");
  auto daemon = testing::Daemon::Start(kBinary, dir + "/data");
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  {
    ASSERT_TRUE(testing::CreateRoom((*daemon)->admin_address(), "expo", 1).ok());
    auto gateway = v1::WaitingRoom::NewStub(
        grpc::CreateChannel((*daemon)->gateway_address(), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 4; ++i) {  // 1 admitted, 3 waiting
      grpc::ClientContext c;
      v1::AdmitRequest a;
      a.set_room("expo");
      a.set_client_id(absl::StrCat("v", i));
      v1::VisitorStatus s;
      ASSERT_TRUE(gateway->Admit(&c, a, &s).ok());
    }
  }

  const std::string config = dir + "/prometheus.yml";
  std::ofstream(config) << "global:\n  scrape_interval: 1s\nscrape_configs:\n"
                        << "  - job_name: anteroom\n    static_configs:\n"
                        << "      - targets: ['" << (*daemon)->metrics_address() << "']\n";
  // On a port free a moment ago: one taken meanwhile makes Prometheus exit, and it starts
  // again on another.
  int port = 0;
  auto prometheus = testing::WithFreshPorts<std::unique_ptr<testing::Process>>(
      [&]() -> absl::StatusOr<std::unique_ptr<testing::Process>> {
        port = testing::FreeLoopbackPort();
        auto started = testing::Process::Start(
            kPrometheus,
            {"--config.file=" + config, "--storage.tsdb.path=" + dir + "/tsdb",
             absl::StrCat("--web.listen-address=127.0.0.1:", port)},
            dir + "/prometheus.log");
        if (!started.ok()) return started.status();
        absl::Status ready = testing::WaitServing(
            **started, "prometheus", dir + "/prometheus.log",
            [&] { return testing::HttpGet(absl::StrCat("127.0.0.1:", port), "/-/ready").ok(); },
            absl::Seconds(60));
        if (!ready.ok()) return ready;
        return started;
      });
  ASSERT_TRUE(prometheus.ok()) << prometheus.status();

  // Wait (with a deadline) for a scrape to show up in Prometheus's query API.
  const std::string query = "/api/v1/query?query=anteroom_queue_depth%7Broom%3D%22expo%22%7D";
  std::string body;
  testing::WaitUntil(
      [&] {
        if (!(*prometheus)->Running()) return true;  // gave up: the log below says why
        absl::StatusOr<std::string> r = testing::HttpGet(absl::StrCat("127.0.0.1:", port), query);
        if (!r.ok() || r->find("\"result\":[{") == std::string::npos) return false;
        body = *r;
        return true;
      },
      absl::Seconds(90));
  ASSERT_FALSE(body.empty()) << "no sample scraped in time; prometheus log:\n"
                             << testing::ReadFile(dir + "/prometheus.log");
  EXPECT_NE(body.find("\"room\":\"expo\""), std::string::npos) << body;
  EXPECT_NE(body.find(",\"3\"]"), std::string::npos) << "queue depth 3 expected: " << body;
  prometheus->reset();
  (*daemon)->Kill9();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace anteroom
