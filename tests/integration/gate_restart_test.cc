// anteroom-gate notices a restarted anteroomd at once. The real binaries as shipped: nginx
// with deploy/nginx/'s snippets in front of a gate, and two more gates asked directly;
// anteroomd is killed with SIGKILL, stays down 20 s while a visitor's page keeps refreshing
// every 2 s (each gate's connection backs off meanwhile), and comes back on the same address;
// every gate must answer from it again within 2 s of its serving, however long the outage.
//
// No gRPC setting comes from this test's environment: each gate must make its own
// connections prompt (base::PromptGrpcReconnects), as it does when an operator starts it.

#include <cstdlib>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testing/daemon.h"
#include "tests/testing/http_get.h"
#include "tests/testing/nginx_stack.h"

namespace anteroom {
namespace {

constexpr char kAnteroomd[] = ANTEROOMD_PATH;
constexpr char kGate[] = ANTEROOM_GATE_PATH;
constexpr char kSource[] = ANTEROOM_SOURCE_DIR;

// Besides the one behind nginx. Each gate is its own process, so each has its own connection
// and reconnect back-off (jittered): a gate that notices late by chance cannot hide behind one
// that was lucky.
constexpr int kDirectGates = 2;

// A visitor of one gate: where the requests go, and the cookie the browser sends back.
struct Visitor {
  std::string address;  // nginx's site, or a gate's own address
  std::string path;     // "/" through nginx, "/wait" to a gate
  std::string cookie;
};

// A visitor's JSON refresh, as a mobile app makes it: the "state" field.
std::string Refresh(Visitor& visitor) {
  std::vector<std::pair<std::string, std::string>> headers = {{"Accept", "application/json"}};
  if (!visitor.cookie.empty()) headers.emplace_back("Cookie", visitor.cookie);
  auto reply = testing::HttpFetch(visitor.address, "GET", visitor.path, headers);
  if (!reply.ok()) return "no answer";
  if (const std::string set = reply->CookiePair(); !set.empty()) visitor.cookie = set;
  const size_t at = reply->body.find("\"state\":\"");
  if (at == std::string::npos) return reply->body.substr(0, 200);
  const size_t begin = at + 9;
  return reply->body.substr(begin, reply->body.find('"', begin) - begin);
}

TEST(GateRestartTest, EveryGateNoticesARestartedAnteroomWithinTwoSeconds) {
  // What the gates would otherwise inherit from a developer's or CI's environment.
  unsetenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS");
  // A paused room: every visitor waits, so "waiting" means "Anteroom answered".
  auto stack = testing::NginxStack::Start(
      {kAnteroomd,
       kGate,
       kSource,
       "room { id: \"clinic\" settings { max_active_sessions: 1 queue_all: true } }\n",
       "clinic",
       {}});
  ASSERT_TRUE(stack.ok()) << stack.status();
  const std::string dir = (*stack)->dir();
  std::vector<Visitor> visitors = {{(*stack)->site(), "/", ""}};
  std::vector<std::unique_ptr<testing::Process>> gates;
  for (int i = 0; i < kDirectGates; ++i) {
    const std::string ports = absl::StrCat(dir, "/direct-gate-", i, ".ports");
    const std::string log = absl::StrCat(dir, "/direct-gate-", i, ".log");
    auto process = testing::Process::Start(
        kGate,
        {"--anteroom=" + (*stack)->daemon().gateway_address(), "--room=clinic",
         "--listen=127.0.0.1:0", "--metrics_listen=", "--ports_file=" + ports},
        log);
    ASSERT_TRUE(process.ok()) << process.status();
    ASSERT_TRUE(testing::WaitServing(
                    **process, "anteroom-gate", log,
                    [&] { return !testing::ReadFile(ports).empty(); }, absl::Seconds(30))
                    .ok());
    gates.push_back(*std::move(process));
    visitors.push_back({testing::PortsFileValue(ports, "http"), "/wait", ""});
  }
  for (Visitor& v : visitors) {
    ASSERT_EQ(Refresh(v), "cookie_check") << v.address;  // a newcomer: an id to bring back
    ASSERT_EQ(Refresh(v), "waiting") << v.address;
  }

  // Down for 20 s, each visitor's page refreshing every 2 s meanwhile: long enough for gRPC's
  // own back-off, and for a gate that polls its connection only now and then, to show.
  (*stack)->KillAnteroomd();
  const absl::Time down_until = absl::Now() + absl::Seconds(20);
  while (absl::Now() < down_until) {
    for (Visitor& v : visitors) EXPECT_EQ(Refresh(v), "unavailable") << v.address;
    absl::SleepFor(absl::Seconds(2));  // the page's refresh interval, not a wait for state
  }

  ASSERT_TRUE((*stack)->RestartAnteroomd().ok());
  const absl::Time serving = absl::Now();
  std::vector<absl::Duration> noticed(visitors.size(), absl::InfiniteDuration());
  testing::WaitUntil(
      [&] {
        bool all = true;
        for (size_t i = 0; i < visitors.size(); ++i) {
          if (noticed[i] == absl::InfiniteDuration() && Refresh(visitors[i]) == "waiting")
            noticed[i] = absl::Now() - serving;
          all = all && noticed[i] != absl::InfiniteDuration();
        }
        return all;
      },
      absl::Seconds(15));
  for (size_t i = 0; i < visitors.size(); ++i) {
    std::cout << (i == 0 ? "through nginx" : "gate asked directly") << ": noticed the restart "
              << absl::FormatDuration(noticed[i]) << " after anteroomd served again\n";
    EXPECT_LT(noticed[i], absl::Seconds(2)) << visitors[i].address << " kept answering unavailable";
  }
  for (auto& g : gates) {
    if (absl::Status s = g->Stop(); !s.ok()) ADD_FAILURE() << s;
  }
  if (absl::Status s = (*stack)->Stop(); !s.ok()) ADD_FAILURE() << s;
}

}  // namespace
}  // namespace anteroom
