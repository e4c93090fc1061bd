// `make soak`: ten minutes (ANTEROOM_SOAK_SECONDS) of mixed load on the real anteroomd,
// anteroom-gate and nginx: visitors arriving, waiting, staying and leaving over gRPC; bad
// requests of every kind; a cookieless flood and a cookie-keeping bot through nginx; honest
// browsers through nginx. Throughout: the cap holds, nobody's position ever grows, every
// admitted visitor's heartbeat finds the session, the only errors are the bad requests'
// (each the code it should be), and the processes' memory stays flat. Prints the figures.

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "base/mutex.h"
#include "base/program.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/daemon.h"
#include "tests/testing/http_get.h"
#include "tests/testing/nginx_stack.h"
#include "tests/testing/reflection_client.h"

namespace anteroom {
namespace {

constexpr char kAnteroomd[] = ANTEROOMD_PATH;
constexpr char kGate[] = ANTEROOM_GATE_PATH;
constexpr char kSource[] = ANTEROOM_SOURCE_DIR;
constexpr int kCap = 40;
constexpr int kSourceCap = 20;
constexpr int kVisitorThreads = 3;
constexpr int kVisitorsPerThread = 30;

absl::Duration SoakDuration() {
  const char* env = std::getenv("ANTEROOM_SOAK_SECONDS");
  int seconds = env != nullptr ? std::atoi(env) : 0;
  return absl::Seconds(seconds > 0 ? seconds : 600);
}

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(10);
}

// What happened, by name, and what should not have.
class Tally {
 public:
  void Count(const std::string& what, int64_t n = 1) {
    base::MutexLock lock(&mu_);
    counts_[what] += n;
  }
  void Violation(const std::string& what) {
    base::MutexLock lock(&mu_);
    ++violations_[what];
  }
  std::map<std::string, int64_t> counts() {
    base::MutexLock lock(&mu_);
    return counts_;
  }
  std::map<std::string, int64_t> violations() {
    base::MutexLock lock(&mu_);
    return violations_;
  }

 private:
  base::Mutex mu_;
  std::map<std::string, int64_t> counts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> violations_ ABSL_GUARDED_BY(mu_);
};

std::string CodeName(const grpc::Status& s) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(s.error_code()));
}

class SoakTest : public ::testing::Test {
 protected:
  void SetUp() override {
    anteroom::base::PromptGrpcReconnects();
    auto stack = testing::NginxStack::Start(
        {kAnteroomd,
         kGate,
         kSource,
         absl::StrCat("room { id: \"soak\" settings { max_active_sessions: ", kCap,
                      " session_ttl { seconds: 60 } place_hold { seconds: 60 } "
                      "max_places_per_source: ",
                      kSourceCap, " } }\n"),
         "soak",
         {}});
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
  }

  void TearDown() override {
    if (stack_) {
      if (HasFailure()) std::cerr << stack_->Logs();
      if (absl::Status s = stack_->Stop(/*keep=*/HasFailure()); !s.ok()) ADD_FAILURE() << s;
    }
  }

  std::unique_ptr<v1::WaitingRoom::Stub> Gateway() {
    return v1::WaitingRoom::NewStub(grpc::CreateChannel(stack_->daemon().gateway_address(),
                                                        grpc::InsecureChannelCredentials()));
  }

  // Visitors over gRPC, as a gateway drives them: arrive, poll while waiting (a position
  // may only fall), heartbeat a few times once in (the session must hold), leave.
  void Visitors(int thread) {
    auto stub = Gateway();
    struct Visitor {
      std::string ticket, session;
      uint64_t position = 0;
      int beats_left = 0;
    };
    std::vector<Visitor> visitors(kVisitorsPerThread);
    std::mt19937 random(thread);
    int64_t next_id = 0;
    while (!stop_) {
      for (Visitor& v : visitors) {
        grpc::ClientContext ctx;
        ctx.set_deadline(Deadline());
        v1::VisitorStatus status;
        grpc::Status s;
        const char* method;
        if (v.ticket.empty() && v.session.empty()) {
          method = "Admit";
          v1::AdmitRequest req;
          req.set_room("soak");
          req.set_client_id(absl::StrCat("visitor-", thread, "-", next_id++));
          s = stub->Admit(&ctx, req, &status);
        } else if (v.session.empty()) {
          method = "Poll";
          v1::PollRequest req;
          req.set_ticket(v.ticket);
          s = stub->Poll(&ctx, req, &status);
          if (s.ok() && status.state() == v1::QUEUED && status.position() > v.position) {
            tally_.Violation(
                absl::StrCat("a position grew (", v.position, " -> ", status.position(), ")"));
          }
          if (s.ok() && status.state() != v1::QUEUED && status.state() != v1::ADMITTED) {
            tally_.Violation("a waiting visitor lost the place");
          }
        } else if (v.beats_left > 0) {
          method = "Heartbeat";
          v1::HeartbeatRequest req;
          req.set_session(v.session);
          s = stub->Heartbeat(&ctx, req, &status);
          if (s.ok() && status.state() != v1::ADMITTED) {
            tally_.Violation("an admitted visitor's session ended under it");
          }
          --v.beats_left;
        } else {
          method = "Leave";
          v1::LeaveRequest req;
          v1::LeaveResponse left;
          req.set_token(v.session);
          s = stub->Leave(&ctx, req, &left);
          if (s.ok() && !left.ended()) tally_.Violation("a live session did not end on Leave");
          v = Visitor();
        }
        tally_.Count(absl::StrCat("grpc ", method));
        if (!s.ok()) {
          tally_.Violation(
              absl::StrCat("visitor ", method, ": ", CodeName(s), " ", s.error_message()));
          continue;
        }
        if (status.state() == v1::QUEUED) {
          v.ticket = status.ticket();
          v.position = status.position();
        } else if (status.state() == v1::ADMITTED && v.session.empty()) {
          v.session = status.session();
          v.beats_left = 3 + static_cast<int>(random() % 8);
        } else if (status.state() == v1::REJECTED) {
          tally_.Violation(absl::StrCat("an honest visitor was rejected: ", status.reason()));
        }
      }
    }
  }

  // Bad requests of every kind, each answered with its own code before any work.
  void BadInputs() {
    auto stub = Gateway();
    using Case = std::pair<std::function<grpc::Status()>, grpc::StatusCode>;
    auto admit = [&](std::string room, std::string client, std::string salt = "") {
      return [&stub, room, client, salt] {
        grpc::ClientContext ctx;
        ctx.set_deadline(Deadline());
        v1::AdmitRequest req;
        req.set_room(room);
        req.set_client_id(client);
        if (!salt.empty()) req.mutable_solution()->set_salt(salt);
        v1::VisitorStatus status;
        return stub->Admit(&ctx, req, &status);
      };
    };
    auto poll = [&](std::string ticket) {
      return [&stub, ticket] {
        grpc::ClientContext ctx;
        ctx.set_deadline(Deadline());
        v1::PollRequest req;
        req.set_ticket(ticket);
        v1::VisitorStatus status;
        return stub->Poll(&ctx, req, &status);
      };
    };
    auto heartbeat = [&](std::string session) {
      return [&stub, session] {
        grpc::ClientContext ctx;
        ctx.set_deadline(Deadline());
        v1::HeartbeatRequest req;
        req.set_session(session);
        v1::VisitorStatus status;
        return stub->Heartbeat(&ctx, req, &status);
      };
    };
    const std::vector<Case> cases = {
        {admit("soak", ""), grpc::StatusCode::INVALID_ARGUMENT},
        {admit("Bad Room", "x"), grpc::StatusCode::INVALID_ARGUMENT},
        {admit("nope", "x"), grpc::StatusCode::NOT_FOUND},
        {admit("soak", std::string(200, 'x')), grpc::StatusCode::INVALID_ARGUMENT},
        {admit("soak", "x", std::string(300, 's')), grpc::StatusCode::INVALID_ARGUMENT},
        {admit("soak", std::string(100 * 1024, 'x')), grpc::StatusCode::RESOURCE_EXHAUSTED},
        {poll("garbage"), grpc::StatusCode::INVALID_ARGUMENT},
        {poll(""), grpc::StatusCode::INVALID_ARGUMENT},
        {poll("s.soak.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), grpc::StatusCode::INVALID_ARGUMENT},
        {heartbeat("t.soak.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), grpc::StatusCode::INVALID_ARGUMENT},
    };
    for (size_t i = 0; !stop_; ++i) {
      // Sprinkled in: a few hundred a second, not a flood of their own.
      testing::WaitUntil([&] { return stop_.load(); }, absl::Milliseconds(2));
      const Case& c = cases[i % cases.size()];
      const grpc::Status s = c.first();
      tally_.Count(absl::StrCat("bad request answered ", CodeName(s)));
      if (s.error_code() != c.second) {
        tally_.Violation(absl::StrCat("bad request ", i % cases.size(), " answered ", CodeName(s),
                                      " ", s.error_message()));
      }
    }
  }

  // Through nginx: cookieless requests from one /24 (never placed), a bot from another that
  // keeps cookies (held to its network's cap), and forged cookies (newcomers).
  void Flood() {
    for (int64_t i = 0; !stop_; ++i) {
      const std::string from = absl::StrCat("127.0.2.", 1 + i % 250);
      auto reply =
          testing::PageView(stack_->site(), from, i % 7 == 0 ? "anteroom_soak=t.soak.forged" : "");
      if (!reply.ok()) {
        tally_.Violation(absl::StrCat("flood request failed: ", reply.status().ToString()));
        continue;
      }
      tally_.Count(absl::StrCat("http flood ", reply->status));
      if (reply->Header("X-Anteroom-State") != "cookie_check") {
        tally_.Violation(absl::StrCat("a cookieless request got ", reply->status, " ",
                                      reply->Header("X-Anteroom-State")));
      }
      if (i % 20 == 0) {  // the cookie-keeping bot, from 127.0.3.x
        const std::string bot = absl::StrCat("127.0.3.", 1 + i % 250);
        auto id = testing::PageView(stack_->site(), bot);
        if (!id.ok()) continue;
        auto placed = testing::PageView(stack_->site(), bot, id->CookiePair());
        if (placed.ok()) {
          const std::string state = placed->Header("X-Anteroom-State");
          tally_.Count(
              absl::StrCat("http bot ", placed->status, " ", state.empty() ? "site" : state));
        }
      }
    }
  }

  // Honest browsers through nginx, each from its own network: the cookie check, then
  // waiting (JSON) until let in, then leaving and coming back.
  void Browsers() {
    struct Browser {
      std::string from, cookie;
    };
    std::vector<Browser> browsers;
    for (int i = 0; i < 5; ++i) browsers.push_back({absl::StrCat("127.0.", 20 + i, ".1"), ""});
    while (!stop_) {
      for (Browser& b : browsers) {
        std::vector<std::pair<std::string, std::string>> headers = {{"Accept", "application/json"}};
        if (!b.cookie.empty()) headers.emplace_back("Cookie", b.cookie);
        auto reply = testing::HttpFetch(stack_->site(), "GET", "/", headers, b.from);
        if (!reply.ok()) {
          tally_.Violation(absl::StrCat("browser request failed: ", reply.status().ToString()));
          continue;
        }
        const std::string state = reply->Header("X-Anteroom-State");
        tally_.Count(
            absl::StrCat("http browser ", reply->status, " ", state.empty() ? "site" : state));
        if (reply->status != 200) {
          tally_.Violation(absl::StrCat("an honest browser got ", reply->status, " ", state));
        }
        if (!reply->CookiePair().empty()) b.cookie = reply->CookiePair();
        if (state.empty() && absl::StartsWith(b.cookie, "anteroom_soak=s.")) {
          // On the site: done, leave (the slot goes to the next in line) and come back.
          auto left = testing::HttpFetch(stack_->site(), "POST", "/anteroom/leave",
                                         {{"Cookie", b.cookie}}, b.from);
          tally_.Count(left.ok() ? absl::StrCat("http leave ", left->status) : "http leave failed");
          b.cookie.clear();
        }
      }
    }
  }

  std::unique_ptr<testing::NginxStack> stack_;
  std::atomic<bool> stop_{false};
  Tally tally_;
};

TEST_F(SoakTest, MixedLoadWithBadInputsAndAFloodKeepsEveryPromiseAndFlatMemory) {
  const absl::Duration duration = SoakDuration();
  std::vector<std::thread> workers;
  for (int t = 0; t < kVisitorThreads; ++t) workers.emplace_back([this, t] { Visitors(t); });
  workers.emplace_back([this] { BadInputs(); });
  workers.emplace_back([this] { Flood(); });
  workers.emplace_back([this] { Browsers(); });

  testing::ReflectionClient admin(
      grpc::CreateChannel(stack_->daemon().admin_address(), grpc::InsecureChannelCredentials()));
  const pid_t daemon_pid = stack_->daemon().pid();
  const pid_t gate_pid = stack_->gate_pid();
  const absl::Time start = absl::Now();
  // Memory once warm (three tenths of the way in: the store's write buffers full), at the
  // end, and the most seen.
  int64_t daemon_warm = 0, gate_warm = 0, daemon_max = 0, gate_max = 0;
  const int64_t daemon_start = testing::ProcessRssBytes(daemon_pid);
  const int64_t gate_start = testing::ProcessRssBytes(gate_pid);
  int64_t max_active = 0, max_queued = 0;
  absl::Time next_report = start + absl::Minutes(1);
  while (absl::Now() - start < duration) {
    // One look a second (the wait ends early only if the workers stopped).
    testing::WaitUntil([&] { return stop_.load(); }, absl::Seconds(1));
    auto status = admin.Call("anteroom.v1.RoomAdmin/GetRoomStatus", R"({"room":"soak"})");
    if (!status.ok()) {
      tally_.Violation(absl::StrCat("GetRoomStatus: ", status.status().ToString()));
      continue;
    }
    const int64_t active = std::stoll(testing::JsonStringField(*status, "active_sessions"));
    const int64_t queued = std::stoll(testing::JsonStringField(*status, "queue_depth"));
    if (active > kCap) tally_.Violation(absl::StrCat("active sessions ", active, " over the cap"));
    max_active = std::max(max_active, active);
    max_queued = std::max(max_queued, queued);
    const int64_t d = testing::ProcessRssBytes(daemon_pid), g = testing::ProcessRssBytes(gate_pid);
    daemon_max = std::max(daemon_max, d);
    gate_max = std::max(gate_max, g);
    if (daemon_warm == 0 && absl::Now() - start >= duration * 3 / 10) {
      daemon_warm = d;
      gate_warm = g;
    }
    if (absl::Now() >= next_report) {
      next_report += absl::Minutes(1);
      std::cout << "soak "
                << absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Seconds(1)))
                << ": anteroomd " << d / (1 << 20) << " MiB, gate " << g / (1 << 20)
                << " MiB, active " << active << ", queued " << queued << std::endl;
    }
  }
  stop_ = true;
  for (std::thread& w : workers) w.join();
  const int64_t daemon_end = testing::ProcessRssBytes(daemon_pid);
  const int64_t gate_end = testing::ProcessRssBytes(gate_pid);

  const auto mib = [](int64_t bytes) { return absl::StrFormat("%.1f MiB", bytes / 1048576.0); };
  std::cout << "soak of " << absl::FormatDuration(duration) << ":\n"
            << "  anteroomd RSS: start " << mib(daemon_start) << ", warm " << mib(daemon_warm)
            << ", end " << mib(daemon_end) << ", max " << mib(daemon_max) << "\n"
            << "  anteroom-gate RSS: start " << mib(gate_start) << ", warm " << mib(gate_warm)
            << ", end " << mib(gate_end) << ", max " << mib(gate_max) << "\n"
            << "  most active sessions " << max_active << " (cap " << kCap << "), most queued "
            << max_queued << "\n";
  int64_t calls = 0;
  for (const auto& [what, n] : tally_.counts()) {
    std::cout << "  " << what << ": " << n << "\n";
    calls += n;
  }
  std::cout << "  " << calls << " calls and requests in all" << std::endl;
  for (const auto& [what, n] : tally_.violations()) ADD_FAILURE() << n << " x " << what;
  // Flat: what it holds once warm is what it holds at the end, give or take allocator slack.
  EXPECT_LE(daemon_end, daemon_warm * 11 / 10 + (16 << 20));
  EXPECT_LE(gate_end, gate_warm * 11 / 10 + (16 << 20));
  EXPECT_GT(tally_.counts()["grpc Leave"], 0) << "visitors went all the way through";
}

}  // namespace
}  // namespace anteroom
