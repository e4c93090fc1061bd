// The crash harness: the real anteroomd under concurrent load, killed with SIGKILL at random
// moments over many cycles and restarted. After every restart, every acknowledged ticket is
// still there in the same relative order, every acknowledged session still heartbeats, every
// acknowledged Leave stayed done, and Admit retries return the same place.

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "base/mutex.h"
#include "base/program.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/admin.h"
#include "tests/testing/daemon.h"
#include "wire/token.h"

namespace anteroom {
namespace {

constexpr char kBinary[] = ANTEROOMD_PATH;
constexpr int kCycles = 30;
constexpr int kLoadThreads = 4;

struct Acked {
  std::string client_id;
  std::string ticket;   // set when queued
  std::string session;  // set when admitted at once
};

class CrashTest : public ::testing::TestWithParam<bool> {
 protected:
  static void SetUpTestSuite() { anteroom::base::PromptGrpcReconnects(); }
  void SetUp() override { dir_ = testing::MakeTempDir("anteroom-crash"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<testing::Daemon> Start() {
    auto d = testing::Daemon::Start(kBinary, dir_ + "/data",
                                    {GetParam() ? "--sync_writes=true" : "--sync_writes=false"});
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? std::move(*d) : nullptr;
  }

  std::string dir_;
};

TEST_P(CrashTest, NothingAcknowledgedIsLostOrReorderedAcrossKill9) {
  std::unique_ptr<testing::Daemon> daemon = Start();
  ASSERT_NE(daemon, nullptr);
  ASSERT_TRUE(testing::CreateRoom(daemon->admin_address(), "crash", 40, absl::Hours(24)).ok());

  std::mt19937 rng(GetParam() ? 11 : 7);
  std::vector<Acked> acked;       // every acknowledged Admit, all cycles
  std::vector<std::string> left;  // sessions whose Leave was acknowledged
  int64_t next_client = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    SCOPED_TRACE(::testing::Message() << "cycle " << cycle);
    base::Mutex mu;
    base::CondVar progress;
    std::vector<Acked> this_cycle;
    std::vector<std::string> left_this_cycle;
    std::atomic<bool> stop{false};
    const size_t kill_after = 10 + rng() % 200;  // acknowledged calls before the kill
    std::vector<std::thread> load;
    for (int t = 0; t < kLoadThreads; ++t) {
      load.emplace_back([&, t] {
        auto stub = v1::WaitingRoom::NewStub(
            grpc::CreateChannel(daemon->gateway_address(), grpc::InsecureChannelCredentials()));
        for (int i = 0; !stop; ++i) {
          grpc::ClientContext ctx;
          ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
          std::string client_id;
          {
            base::MutexLock lock(&mu);
            client_id = absl::StrCat("c", next_client++);
          }
          if (t == 0 && i % 5 == 4) {
            // Some visitors finish: Leave an acknowledged session.
            std::string session;
            {
              base::MutexLock lock(&mu);
              for (auto it = this_cycle.rbegin(); it != this_cycle.rend(); ++it) {
                if (!it->session.empty()) {
                  session = it->session;
                  it->session.clear();
                  break;
                }
              }
            }
            if (session.empty()) continue;
            v1::LeaveRequest req;
            req.set_token(session);
            v1::LeaveResponse resp;
            if (stub->Leave(&ctx, req, &resp).ok()) {
              base::MutexLock lock(&mu);
              left_this_cycle.push_back(session);
            }
            continue;
          }
          v1::AdmitRequest req;
          req.set_room("crash");
          req.set_client_id(client_id);
          v1::VisitorStatus resp;
          if (!stub->Admit(&ctx, req, &resp).ok()) continue;  // not acknowledged
          base::MutexLock lock(&mu);
          this_cycle.push_back(Acked{client_id, resp.state() == v1::QUEUED ? resp.ticket() : "",
                                     resp.state() == v1::ADMITTED ? resp.session() : ""});
          progress.SignalAll();
        }
      });
    }
    {
      base::MutexLock lock(&mu);
      const absl::Time deadline = absl::Now() + absl::Seconds(30);
      while (this_cycle.size() < kill_after && absl::Now() < deadline) {
        progress.WaitWithTimeout(&mu, absl::Seconds(1));
      }
    }
    daemon->Kill9();  // while the load threads are still calling
    stop = true;
    for (std::thread& t : load) t.join();
    acked.insert(acked.end(), this_cycle.begin(), this_cycle.end());
    left.insert(left.end(), left_this_cycle.begin(), left_this_cycle.end());

    daemon = Start();
    ASSERT_NE(daemon, nullptr);
    auto stub = v1::WaitingRoom::NewStub(
        grpc::CreateChannel(daemon->gateway_address(), grpc::InsecureChannelCredentials()));
    // Every acknowledged ticket is still there, in the same relative order (ticket ids are
    // arrival order).
    std::map<uint64_t, uint64_t> position_by_id;
    for (const Acked& a : acked) {
      if (a.ticket.empty()) continue;
      grpc::ClientContext ctx;
      v1::PollRequest req;
      req.set_ticket(a.ticket);
      v1::VisitorStatus resp;
      ASSERT_TRUE(stub->Poll(&ctx, req, &resp).ok());
      ASSERT_TRUE(resp.state() == v1::QUEUED || resp.state() == v1::ADMITTED)
          << "acknowledged ticket lost: " << a.ticket << " " << resp.reason();
      if (resp.state() == v1::QUEUED)
        position_by_id[wire::ParseToken(a.ticket)->id] = resp.position();
    }
    uint64_t previous = 0;
    for (const auto& [id, position] : position_by_id) {
      ASSERT_GT(position, previous) << "acknowledged tickets reordered";
      previous = position;
    }
    // Every acknowledged session still heartbeats; every acknowledged Leave stayed done.
    const auto heartbeat = [&](const std::string& session, v1::VisitorStatus* resp) {
      grpc::ClientContext ctx;
      v1::HeartbeatRequest req;
      req.set_session(session);
      return stub->Heartbeat(&ctx, req, resp);
    };
    for (const Acked& a : acked) {
      if (a.session.empty()) continue;
      v1::VisitorStatus resp;
      ASSERT_TRUE(heartbeat(a.session, &resp).ok());
      ASSERT_EQ(resp.state(), v1::ADMITTED) << "acknowledged session lost: " << a.session;
    }
    for (const std::string& s : left) {
      v1::VisitorStatus resp;
      ASSERT_TRUE(heartbeat(s, &resp).ok());
      ASSERT_EQ(resp.state(), v1::EXPIRED) << "an acknowledged Leave was undone";
    }
    // Retries after the crash get the same place.
    for (size_t i = 0; i < acked.size(); i += 37) {
      if (acked[i].ticket.empty()) continue;
      grpc::ClientContext ctx;
      v1::AdmitRequest req;
      req.set_room("crash");
      req.set_client_id(acked[i].client_id);
      v1::VisitorStatus resp;
      ASSERT_TRUE(stub->Admit(&ctx, req, &resp).ok());
      if (resp.state() == v1::QUEUED) {
        ASSERT_EQ(resp.ticket(), acked[i].ticket) << "a retry made a second place";
      }
    }
  }
  size_t tickets = 0;
  for (const Acked& a : acked) tickets += !a.ticket.empty();
  // The checks above ran on something: queued visitors, and admitted ones who left.
  EXPECT_GT(tickets, 0u);
  EXPECT_FALSE(left.empty());
  std::printf(
      "crash harness: %d kill -9 cycles, %zu acknowledged Admits (%zu queued), %zu "
      "acknowledged Leaves, none lost or reordered\n",
      kCycles, acked.size(), tickets, left.size());
}

INSTANTIATE_TEST_SUITE_P(WalAndFsync, CrashTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("SyncWrites") : std::string("WalOnly");
                         });

}  // namespace
}  // namespace anteroom
