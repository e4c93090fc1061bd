// anteroom-gate notices a restarted anteroomd at once. The real binaries: anteroomd is
// killed with SIGKILL, stays down while visitors keep refreshing (the gates' connections
// back off meanwhile), and comes back on the same address; every gate must answer from it
// again within about a second of its serving, however long the outage was.

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/daemon.h"

namespace anteroom {
namespace {

constexpr char kAnteroomd[] = ANTEROOMD_PATH;
constexpr char kGate[] = ANTEROOM_GATE_PATH;

// Each gate is its own process, so each has its own connection and reconnect back-off
// (jittered): a gate that notices late by chance cannot hide behind one that was lucky.
constexpr int kGates = 3;

struct Gate {
  std::unique_ptr<testing::Process> process;
  int port = 0;
  std::string cookie;  // the visitor's, as the browser would send it back
};

// A visitor's JSON refresh through the gate, as a mobile app makes it: the "state" field.
std::string Refresh(Gate& gate) {
  httplib::Client http("127.0.0.1", gate.port);
  http.set_read_timeout(5, 0);
  httplib::Headers headers = {{"Accept", "application/json"}};
  if (!gate.cookie.empty()) headers.emplace("Cookie", gate.cookie);
  auto r = http.Get("/wait", headers);
  if (!r) return "no answer";
  if (const std::string set = r->get_header_value("Set-Cookie"); !set.empty())
    gate.cookie = set.substr(0, set.find(';'));
  const size_t at = r->body.find("\"state\":\"");
  if (at == std::string::npos) return r->body;
  const size_t begin = at + 9;
  return r->body.substr(begin, r->body.find('"', begin) - begin);
}

TEST(GateRestartTest, EveryGateNoticesARestartedAnteroomWithinAboutASecond) {
  setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "20", 1);
  const std::string dir = testing::MakeTempDir("anteroom-gate-restart");
  // A paused room: every visitor waits, so "waiting" means "Anteroom answered".
  std::ofstream(dir + "/rooms.textproto")
      << "room { id: \"clinic\" settings { max_active_sessions: 1 queue_all: true } }\n";
  const std::string listen = absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort());
  const std::vector<std::string> args = {"--listen=" + listen,
                                         "--rooms=" + dir + "/rooms.textproto"};
  auto daemon = testing::Daemon::Start(kAnteroomd, dir + "/data", args);
  ASSERT_TRUE(daemon.ok()) << daemon.status();

  std::vector<Gate> gates(kGates);
  for (int i = 0; i < kGates; ++i) {
    const std::string ports = absl::StrCat(dir, "/gate-", i, ".ports");
    auto process =
        testing::Process::Start(kGate,
                                {"--anteroom=" + listen, "--room=clinic", "--listen=127.0.0.1:0",
                                 "--metrics_listen=", "--ports_file=" + ports},
                                absl::StrCat(dir, "/gate-", i, ".log"));
    ASSERT_TRUE(process.ok()) << process.status();
    gates[i].process = std::move(*process);
    ASSERT_TRUE(
        testing::WaitUntil([&] { return !testing::ReadFile(ports).empty(); }, absl::Seconds(30)));
    const std::string http = testing::PortsFileValue(ports, "http");
    gates[i].port = std::stoi(http.substr(http.rfind(':') + 1));
    ASSERT_EQ(Refresh(gates[i]), "cookie_check");  // a newcomer: a visitor id to bring back
    ASSERT_EQ(Refresh(gates[i]), "waiting");
    ASSERT_FALSE(gates[i].cookie.empty());
  }

  // Down for 20 s, each visitor refreshing every second meanwhile (long enough for gRPC's
  // default back-off to grow to about 10 s between connection attempts).
  (*daemon)->Kill9();
  const absl::Time down_until = absl::Now() + absl::Seconds(20);
  while (absl::Now() < down_until) {
    for (Gate& g : gates) EXPECT_EQ(Refresh(g), "unavailable");
    absl::SleepFor(absl::Seconds(1));  // the visitors' refresh interval, not a wait for state
  }

  auto restarted = testing::Daemon::Start(kAnteroomd, dir + "/data", args);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  const absl::Time serving = absl::Now();
  std::vector<absl::Duration> noticed(kGates, absl::InfiniteDuration());
  testing::WaitUntil(
      [&] {
        bool all = true;
        for (int i = 0; i < kGates; ++i) {
          if (noticed[i] == absl::InfiniteDuration() && Refresh(gates[i]) == "waiting")
            noticed[i] = absl::Now() - serving;
          all = all && noticed[i] != absl::InfiniteDuration();
        }
        return all;
      },
      absl::Seconds(10));
  for (int i = 0; i < kGates; ++i) {
    std::cout << "gate " << i << " noticed the restart " << absl::FormatDuration(noticed[i])
              << " after anteroomd served again\n";
    EXPECT_LT(noticed[i], absl::Seconds(3)) << "gate " << i << " kept answering unavailable";
  }
  for (Gate& g : gates) {
    if (absl::Status s = g.process->Stop(); !s.ok()) ADD_FAILURE() << s;
  }
  (*restarted)->Terminate();
  (void)std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
}

}  // namespace
}  // namespace anteroom
