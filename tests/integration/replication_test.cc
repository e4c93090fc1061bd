// Replicated mode against real parts: a 3-member etcd cluster (Debian's etcd-server) and
// three real anteroomd processes on loopback, driven through the client library as a
// gateway would (one replicated cluster: "a|b|c").
//
// - The owner is killed with SIGKILL under concurrent load, cycle after cycle; a standby
//   serves within seconds, and every acknowledged Admit (its place and order), session and
//   Leave is intact (the crash harness's checks, after every cycle).
// - etcd members die: with one gone the rooms go on; with two, writes stop with UNAVAILABLE
//   and nothing acknowledged is lost; when they return, service resumes.
// - The owner is paused (SIGSTOP) past its lease; a standby takes over; when the old owner
//   resumes, etcd refuses its writes, it steps down, and the cap holds across the two.

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "anteroom/v1/room_admin.grpc.pb.h"
#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "base/mutex.h"
#include "base/program.h"
#include "client/anteroom_client.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "server/replication/etcd_client.h"
#include "server/replication/log_format.h"
#include "tests/testing/daemon.h"
#include "tests/testing/etcd_cluster.h"
#include "tests/testing/http_get.h"
#include "wire/token.h"

namespace anteroom {
namespace {

constexpr char kBinary[] = ANTEROOMD_PATH;
constexpr int kNodes = 3;
constexpr int kLoadThreads = 4;

// Kill cycles: a few in `make test`; ANTEROOM_FAILOVER_CYCLES=N for the figures.
int Cycles() {
  const char* env = std::getenv("ANTEROOM_FAILOVER_CYCLES");
  return env != nullptr ? std::max(1, std::atoi(env)) : 4;
}

struct Acked {
  std::string client_id;
  std::string ticket;   // set when queued
  std::string session;  // set when admitted at once
  int thread = 0;
};

class ReplicationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { anteroom::base::PromptGrpcReconnects(); }

  void SetUp() override {
    dir_ = testing::MakeTempDir("anteroom-replication");
    auto etcd = testing::EtcdCluster::Start(dir_ + "/etcd", 3, quick_elections_);
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = *std::move(etcd);
    rooms_file_ = dir_ + "/rooms.textproto";
    std::FILE* f = std::fopen(rooms_file_.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(
        "room { id: \"r\" settings { max_active_sessions: 20 session_ttl { seconds: 86400 } } }\n",
        f);
    std::fclose(f);
    for (int i = 0; i < kNodes; ++i) {
      ports_.push_back({testing::FreeLoopbackPort(), testing::FreeLoopbackPort()});
    }
    nodes_.resize(kNodes);
    for (int i = 0; i < kNodes; ++i) StartNode(i);
    std::vector<std::string> addresses;
    for (int i = 0; i < kNodes; ++i) addresses.push_back(Gateway(i));
    client::ClientOptions options;
    options.servers = {absl::StrJoin(addresses, "|")};
    options.failover_timeout = absl::Seconds(20);
    auto c = client::Client::Create(options);
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = *std::move(c);
    ASSERT_GE(Owner(absl::Seconds(20)), 0) << "no node took the rooms";
  }

  void TearDown() override {
    if (HasFailure()) {
      for (int i = 0; i < kNodes; ++i) {
        if (nodes_[i] == nullptr) continue;
        const std::string log = nodes_[i]->Stderr();
        std::cerr << "---- node" << i << " (last 6000 bytes)\n"
                  << (log.size() > 6000 ? log.substr(log.size() - 6000) : log) << "\n";
      }
    }
    client_.reset();
    for (auto& node : nodes_) {
      if (node != nullptr) {
        EXPECT_EQ(node->Terminate(), 0) << node->Stderr();
      }
    }
    nodes_.clear();
    etcd_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string Gateway(int i) const { return absl::StrCat("127.0.0.1:", ports_[i].first); }
  std::string Admin(int i) const { return absl::StrCat("127.0.0.1:", ports_[i].second); }

  void StartNode(int i) {
    std::vector<std::string> args = {
        absl::StrCat("--etcd=", etcd_->endpoints()),
        // Snapshots (and log truncation) every 16 KiB of log, so every test sees some.
        "--etcd_snapshot_log_bytes=16384", absl::StrCat("--listen=", Gateway(i)),
        absl::StrCat("--admin_listen=", Admin(i)), absl::StrCat("--rooms=", rooms_file_),
        absl::StrCat("--node_name=node", i)};
    if (!lease_flag_.empty()) args.push_back(lease_flag_);
    auto d = testing::Daemon::Start(kBinary, absl::StrCat(dir_, "/node", i), args);
    ASSERT_TRUE(d.ok()) << d.status();
    nodes_[i] = *std::move(d);
  }

  // The value of the unlabelled metric `name` on node `i`; -1 when it cannot be read.
  double Metric(int i, const std::string& name) {
    absl::StatusOr<std::string> text = testing::HttpGet(nodes_[i]->metrics_address(), "/metrics");
    if (!text.ok()) return -1;
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      double value = 0;
      if (absl::ConsumePrefix(&line, name + " ") && absl::SimpleAtod(line, &value)) return value;
    }
    return -1;
  }

  // The room's status from node `i` (UNAVAILABLE from a standby).
  grpc::Status Status(int i, v1::RoomStatus* status) {
    auto admin =
        v1::RoomAdmin::NewStub(grpc::CreateChannel(Admin(i), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    v1::GetRoomStatusRequest req;
    req.set_room("r");
    return admin->GetRoomStatus(&ctx, req, status);
  }

  // The node that serves the rooms, waiting up to `timeout` for one; -1 if none.
  int Owner(absl::Duration timeout) {
    int owner = -1;
    testing::WaitUntil(
        [&] {
          for (int i = 0; i < kNodes; ++i) {
            v1::RoomStatus status;
            if (nodes_[i] != nullptr && Status(i, &status).ok()) {
              owner = i;
              return true;
            }
          }
          return false;
        },
        timeout);
    return owner;
  }

  // Admits visitors <prefix>0 .. <prefix>n-1 one by one, each acknowledged (or the test fails).
  void AdmitMany(absl::string_view prefix, int n, std::vector<Acked>* acked) {
    for (int i = 0; i < n; ++i) {
      const std::string id = absl::StrCat(prefix, i);
      absl::StatusOr<v1::VisitorStatus> a = client_->Admit("r", id);
      ASSERT_TRUE(a.ok()) << a.status();
      acked->push_back(Acked{id, a->state() == v1::QUEUED ? a->ticket() : "",
                             a->state() == v1::ADMITTED ? a->session() : "", 0});
    }
  }

  // The crash harness's checks: every acknowledged ticket is there in its order, every
  // acknowledged session heartbeats, every acknowledged Leave stayed done, and an Admit retry
  // gets the same place.
  void CheckAcknowledged(const std::vector<Acked>& acked, const std::vector<std::string>& left) {
    std::map<uint64_t, uint64_t> position_by_id;
    for (const Acked& a : acked) {
      if (a.ticket.empty()) continue;
      absl::StatusOr<v1::VisitorStatus> polled = client_->Poll(a.ticket);
      ASSERT_TRUE(polled.ok()) << polled.status();
      ASSERT_TRUE(polled->state() == v1::QUEUED || polled->state() == v1::ADMITTED)
          << "acknowledged ticket lost: " << a.ticket << " " << polled->reason();
      if (polled->state() == v1::QUEUED) {
        position_by_id[wire::ParseToken(a.ticket)->id] = polled->position();
      }
    }
    uint64_t previous = 0;
    for (const auto& [id, position] : position_by_id) {
      ASSERT_GT(position, previous) << "acknowledged tickets reordered";
      previous = position;
    }
    for (const Acked& a : acked) {
      if (a.session.empty()) continue;
      absl::StatusOr<v1::VisitorStatus> beat = client_->Heartbeat(a.session);
      ASSERT_TRUE(beat.ok()) << beat.status();
      ASSERT_EQ(beat->state(), v1::ADMITTED) << "acknowledged session lost: " << a.session;
    }
    for (const std::string& s : left) {
      absl::StatusOr<v1::VisitorStatus> beat = client_->Heartbeat(s);
      ASSERT_TRUE(beat.ok()) << beat.status();
      ASSERT_EQ(beat->state(), v1::EXPIRED) << "an acknowledged Leave was undone";
    }
    for (size_t i = 0; i < acked.size(); i += 17) {
      if (acked[i].ticket.empty()) continue;
      absl::StatusOr<v1::VisitorStatus> again = client_->Admit("r", acked[i].client_id);
      ASSERT_TRUE(again.ok()) << again.status();
      if (again->state() == v1::QUEUED) {
        ASSERT_EQ(again->ticket(), acked[i].ticket) << "a retry made a second place";
      }
    }
  }

  // What the cluster runs on: etcd's election timing and the nodes' lease. Quick elections
  // and a 2 s lease by default, so failovers take about 2 s.
  bool quick_elections_ = true;
  std::string lease_flag_ = "--etcd_lease_ttl=2s";

  std::string dir_;
  std::string rooms_file_;
  std::unique_ptr<testing::EtcdCluster> etcd_;
  std::vector<std::pair<int, int>> ports_;
  std::vector<std::unique_ptr<testing::Daemon>> nodes_;
  std::unique_ptr<client::Client> client_;
  std::atomic<int64_t> next_client_{0};
};

TEST_F(ReplicationTest, KillingTheOwnerUnderLoadLosesNothingAcknowledged) {
  const int cycles = Cycles();
  std::vector<Acked> acked;
  std::vector<std::string> left;
  std::vector<double> failover_seconds;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    SCOPED_TRACE(::testing::Message() << "cycle " << cycle);
    const int owner = Owner(absl::Seconds(30));
    ASSERT_GE(owner, 0);
    base::Mutex mu;
    base::CondVar progress;
    std::vector<Acked> this_cycle;
    std::vector<std::string> left_this_cycle;
    // Sessions of earlier cycles may leave too (their entries are updated after the cycle).
    std::vector<size_t> earlier_sessions;
    for (size_t i = 0; i < acked.size(); ++i) {
      if (!acked[i].session.empty()) earlier_sessions.push_back(i);
    }
    std::vector<size_t> earlier_left;
    std::atomic<bool> stop{false};
    std::atomic<bool> killed{false};
    absl::Time killed_at = absl::InfinitePast();
    absl::Time first_after_kill = absl::InfiniteFuture();
    std::vector<std::thread> load;
    for (int t = 0; t < kLoadThreads; ++t) {
      load.emplace_back([&, t] {
        for (int i = 0; !stop; ++i) {
          if (t == 0 && i % 5 == 4) {
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
            std::optional<size_t> earlier;
            if (session.empty()) {
              base::MutexLock lock(&mu);
              if (earlier_sessions.empty()) continue;
              earlier = earlier_sessions.back();
              earlier_sessions.pop_back();
              session = acked[*earlier].session;
            }
            absl::StatusOr<bool> ended = client_->Leave(session);
            base::MutexLock lock(&mu);
            if (earlier) earlier_left.push_back(*earlier);  // acknowledged or not: unknown
            if (ended.ok()) left_this_cycle.push_back(session);
            continue;
          }
          const std::string id = absl::StrCat("c", next_client_++);
          const absl::Time sent = absl::Now();
          absl::StatusOr<v1::VisitorStatus> admitted = client_->Admit("r", id);
          if (!admitted.ok()) continue;  // not acknowledged
          const absl::Time now = absl::Now();
          base::MutexLock lock(&mu);
          // (A call sent before the kill may have been answered by the old owner.)
          if (killed && sent > killed_at && now < first_after_kill) first_after_kill = now;
          this_cycle.push_back(Acked{id, admitted->state() == v1::QUEUED ? admitted->ticket() : "",
                                     admitted->state() == v1::ADMITTED ? admitted->session() : "",
                                     t});
          progress.SignalAll();
        }
      });
    }
    // Kill the owner while calls are in flight, then wait for the first acknowledged call
    // after the kill.
    {
      base::MutexLock lock(&mu);
      const absl::Time deadline = absl::Now() + absl::Seconds(30);
      while (this_cycle.size() < 50u + 20u * cycle && absl::Now() < deadline) {
        progress.WaitWithTimeout(&mu, absl::Seconds(1));
      }
    }
    {
      base::MutexLock lock(&mu);
      killed_at = absl::Now();
      killed = true;
    }
    nodes_[owner]->Kill9();
    nodes_[owner].reset();
    {
      base::MutexLock lock(&mu);
      const absl::Time deadline = absl::Now() + absl::Seconds(30);
      while (first_after_kill == absl::InfiniteFuture() && absl::Now() < deadline) {
        progress.WaitWithTimeout(&mu, absl::Seconds(1));
      }
    }
    stop = true;
    for (std::thread& t : load) t.join();
    ASSERT_NE(first_after_kill, absl::InfiniteFuture()) << "no node took over";
    failover_seconds.push_back(absl::ToDoubleSeconds(first_after_kill - killed_at));
    // An earlier session whose Leave was sent is no longer expected to hold its slot: if the
    // Leave was acknowledged it must stay ended (checked below), otherwise either is right.
    for (size_t i : earlier_left) acked[i].session.clear();
    acked.insert(acked.end(), this_cycle.begin(), this_cycle.end());
    left.insert(left.end(), left_this_cycle.begin(), left_this_cycle.end());
    // The killed node comes back as a standby, on the same ports and data.
    StartNode(owner);
    CheckAcknowledged(acked, left);
    if (HasFatalFailure()) return;
  }
  size_t tickets = 0;
  for (const Acked& a : acked) tickets += !a.ticket.empty();
  EXPECT_GT(tickets, 0u);
  EXPECT_FALSE(left.empty());
  std::sort(failover_seconds.begin(), failover_seconds.end());
  std::printf(
      "replication: %d owner kill -9 cycles under load (3 etcd members, 3 nodes, lease 2 s); "
      "%zu acknowledged Admits (%zu queued) and %zu acknowledged Leaves checked after every "
      "cycle, 0 lost; first acknowledged call after the kill: median %.2f s, worst %.2f s\n",
      cycles, acked.size(), tickets, left.size(), failover_seconds[failover_seconds.size() / 2],
      failover_seconds.back());
}

TEST_F(ReplicationTest, LosingEtcdMembersStopsWritesButLosesNothing) {
  std::vector<Acked> acked;
  auto admit = [&](const std::string& id) {
    absl::StatusOr<v1::VisitorStatus> a = client_->Admit("r", id);
    if (a.ok()) {
      acked.push_back(Acked{id, a->state() == v1::QUEUED ? a->ticket() : "",
                            a->state() == v1::ADMITTED ? a->session() : "", 0});
    }
    return a.status();
  };
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(admit(absl::StrCat("before-", i)).ok());
  // One member of three gone: a quorum remains, the rooms go on.
  etcd_->Kill9(0);
  for (int i = 0; i < 30; ++i) {
    absl::Status s = admit(absl::StrCat("one-gone-", i));
    ASSERT_TRUE(s.ok()) << s;
  }
  CheckAcknowledged(acked, {});
  // Two gone: no quorum. Writes are refused UNAVAILABLE (never acknowledged).
  const int owner = Owner(absl::Seconds(10));
  ASSERT_GE(owner, 0);
  ASSERT_EQ(Metric(owner, "anteroom_replica_owner"), 1);
  auto step_downs = [&] {
    const std::string log = nodes_[owner]->Stderr();
    int n = 0;
    for (size_t at = log.find("steps down"); at != std::string::npos;
         at = log.find("steps down", at + 1)) {
      ++n;
    }
    return n;
  };
  const int step_downs_before = step_downs();
  etcd_->Kill9(1);
  client::ClientOptions quick;
  std::vector<std::string> addresses;
  for (int i = 0; i < kNodes; ++i) addresses.push_back(Gateway(i));
  quick.servers = {absl::StrJoin(addresses, "|")};
  quick.failover_timeout = absl::Seconds(12);
  auto impatient = client::Client::Create(quick);
  ASSERT_TRUE(impatient.ok());
  absl::StatusOr<v1::VisitorStatus> refused = (*impatient)->Admit("r", "no-quorum");
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(client::Client::IsUnreachable(refused.status())) << refused.status();
  // The owner steps down, unable to renew its lease; from that moment its gauge says it
  // serves no more (while etcd is still gone).
  ASSERT_TRUE(
      testing::WaitUntil([&] { return step_downs() > step_downs_before; }, absl::Seconds(10)))
      << nodes_[owner]->Stderr();
  EXPECT_EQ(Metric(owner, "anteroom_replica_owner"), 0)
      << "a node that stepped down still reads as the owner";
  for (int i = 0; i < kNodes; ++i) EXPECT_EQ(Metric(i, "anteroom_replica_owner"), 0) << i;
  // The members return: service resumes, everything acknowledged is there.
  ASSERT_TRUE(etcd_->Restart(0).ok());
  ASSERT_TRUE(etcd_->Restart(1).ok());
  ASSERT_TRUE(etcd_->WaitWritable().ok());
  for (int i = 0; i < 10; ++i) {
    absl::Status s = admit(absl::StrCat("after-", i));
    ASSERT_TRUE(s.ok()) << s;
  }
  CheckAcknowledged(acked, {});
  std::printf(
      "replication: %zu acknowledged Admits across the loss of 1 and 2 of 3 etcd "
      "members, 0 lost\n",
      acked.size());
}

// The owner's anteroom_replica_log_entry is its last committed entry, so a standby (which
// applies only what the owner committed) never reads as ahead of it (but for the one entry
// being committed), and the difference is the standby's lag.
TEST_F(ReplicationTest, TheOwnersLogEntryIsItsLastCommitAndNoStandbyIsAhead) {
  const int owner = Owner(absl::Seconds(10));
  ASSERT_GE(owner, 0);
  std::atomic<bool> stop{false};
  std::thread load([&] {
    for (int i = 0; !stop; ++i) (void)client_->Admit("r", absl::StrCat("load-", i));
  });
  int samples = 0;
  int ahead = 0;
  for (const absl::Time end = absl::Now() + absl::Seconds(3); absl::Now() < end; ++samples) {
    for (int i = 0; i < kNodes; ++i) {
      if (i == owner) continue;
      const double standby = Metric(i, "anteroom_replica_log_entry");
      const double owners = Metric(owner, "anteroom_replica_log_entry");  // read after
      // (By one at most: the entry whose write etcd has taken, while its answer is on its
      // way to the owner; the owner writes one entry at a time.)
      if (standby >= 0 && owners >= 0 && owners + 1 < standby) ++ahead;
    }
  }
  stop = true;
  load.join();
  EXPECT_EQ(ahead, 0) << "in " << ahead << " of " << samples * (kNodes - 1)
                      << " samples a standby read as ahead of the owner";
  EXPECT_GT(samples, 20);
  // Once the load stops, every standby catches up to exactly the owner's entry.
  const double last = Metric(owner, "anteroom_replica_log_entry");
  EXPECT_GT(last, 100);
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_TRUE(testing::WaitUntil([&] { return Metric(i, "anteroom_replica_log_entry") == last; },
                                   absl::Seconds(10)))
        << "node " << i << " at " << Metric(i, "anteroom_replica_log_entry") << ", owner at "
        << last;
  }
}

TEST_F(ReplicationTest, APausedOwnerIsFencedStepsDownAndTheCapHolds) {
  constexpr int kCap = 20;                      // from the rooms file
  std::map<std::string, std::string> sessions;  // client id -> session, acknowledged
  for (int i = 0; i < kCap - 5; ++i) {
    const std::string id = absl::StrCat("early-", i);
    absl::StatusOr<v1::VisitorStatus> a = client_->Admit("r", id);
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_EQ(a->state(), v1::ADMITTED);
    sessions[id] = a->session();
  }
  const int old_owner = Owner(absl::Seconds(10));
  ASSERT_GE(old_owner, 0);
  // What the calls sent straight to the paused owner report, declared before the threads
  // that write it are joined: however the test ends, they are joined first.
  base::Mutex stale_mu;
  std::vector<v1::VisitorStatus> stale_acknowledged;  // guarded by stale_mu
  std::map<grpc::StatusCode, int> stale_codes;        // guarded by stale_mu
  std::vector<std::thread> stale;
  std::atomic<bool> unused{false};
  testing::StopAndJoin join_on_exit(&unused, &stale);  // however the test ends
  ASSERT_EQ(kill(nodes_[old_owner]->pid(), SIGSTOP), 0);
  // Resumed before the threads are joined, if the test ends early.
  absl::Cleanup resume = [&] { kill(nodes_[old_owner]->pid(), SIGCONT); };
  // Calls sent straight to the paused owner wait in its queue.
  for (int i = 0; i < 10; ++i) {
    stale.emplace_back([&, i] {
      auto stub = v1::WaitingRoom::NewStub(
          grpc::CreateChannel(Gateway(old_owner), grpc::InsecureChannelCredentials()));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      v1::AdmitRequest req;
      req.set_room("r");
      req.set_client_id(absl::StrCat("stale-", i));
      v1::VisitorStatus resp;
      const grpc::Status status = stub->Admit(&ctx, req, &resp);
      base::MutexLock lock(&stale_mu);
      ++stale_codes[status.error_code()];
      if (status.ok()) stale_acknowledged.push_back(resp);
    });
  }
  // A standby takes over once the lease lapses; the new owner admits up to the cap.
  int new_owner = -1;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        for (int i = 0; i < kNodes; ++i) {
          v1::RoomStatus status;
          if (i != old_owner && Status(i, &status).ok()) new_owner = i;
        }
        return new_owner >= 0;
      },
      absl::Seconds(20)));
  for (int i = 0; i < 10; ++i) {
    const std::string id = absl::StrCat("late-", i);
    absl::StatusOr<v1::VisitorStatus> a = client_->Admit("r", id);
    ASSERT_TRUE(a.ok()) << a.status();
    if (a->state() == v1::ADMITTED) sessions[id] = a->session();
  }
  // The old owner resumes: its writes are refused by etcd, so no call it held is acknowledged
  // by it while deposed, and it steps down. (A call gRPC retried after the node's listeners
  // closed may be answered by the cluster's owner later, even by this node again if it won a
  // later term: then it is acknowledged for real, and must be in the rooms.)
  std::move(resume).Invoke();
  for (std::thread& t : stale) t.join();
  stale.clear();
  // Each was answered, OK or UNAVAILABLE (which gateways retry); none was cut off.
  for (const auto& [code, count] : stale_codes) {
    EXPECT_TRUE(code == grpc::StatusCode::OK || code == grpc::StatusCode::UNAVAILABLE)
        << count << " calls queued on the paused owner answered code " << code;
  }
  size_t stale_admitted = 0;
  for (const v1::VisitorStatus& acknowledged : stale_acknowledged) {
    const std::string token =
        acknowledged.state() == v1::QUEUED ? acknowledged.ticket() : acknowledged.session();
    ASSERT_FALSE(token.empty()) << acknowledged.DebugString();
    absl::StatusOr<v1::VisitorStatus> now =
        acknowledged.state() == v1::QUEUED ? client_->Poll(token) : client_->Heartbeat(token);
    ASSERT_TRUE(now.ok()) << now.status();
    EXPECT_TRUE(now->state() == v1::QUEUED || now->state() == v1::ADMITTED)
        << "a call the deposed owner acknowledged is not in the rooms:\n"
        << acknowledged.DebugString() << "\n"
        << nodes_[old_owner]->Stderr();
    if (acknowledged.state() == v1::ADMITTED) ++stale_admitted;
  }
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        v1::RoomStatus status;
        return Status(old_owner, &status).error_code() == grpc::StatusCode::UNAVAILABLE;
      },
      absl::Seconds(10)))
      << "the old owner did not step down";
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return nodes_[old_owner]->Stderr().find("steps down") != std::string::npos; },
      absl::Seconds(10)))
      << nodes_[old_owner]->Stderr();
  // The cap held across the two: never more sessions than max_active_sessions.
  v1::RoomStatus status;
  ASSERT_TRUE(Status(new_owner, &status).ok());
  EXPECT_LE(status.active_sessions(), static_cast<uint64_t>(kCap));
  EXPECT_LE(sessions.size() + stale_admitted, static_cast<size_t>(kCap));
  // Each admitted visitor holds one session: a retry gets the same one back.
  for (const auto& [id, session] : sessions) {
    absl::StatusOr<v1::VisitorStatus> again = client_->Admit("r", id);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->state(), v1::ADMITTED);
    EXPECT_EQ(again->session(), session) << "admitted twice: " << id;
  }
}

TEST_F(ReplicationTest, ANodeWithNothingCatchesUpFromASnapshotAfterTheLogIsTruncated) {
  std::vector<Acked> acked;
  AdmitMany("first-", 800, &acked);
  // The owner snapshotted and truncated the log: entry 1 is gone, a snapshot stands.
  base::RealClock clock;
  replication::EtcdClient::Options options;
  options.endpoints = *replication::EtcdClient::ParseEndpoints(etcd_->endpoints(), "etcd");
  options.clock = &clock;
  auto etcd = replication::EtcdClient::Create(options);
  ASSERT_TRUE(etcd.ok());
  const replication::LogKeys keys("/anteroom/default");
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        etcdserverpb::RangeRequest first;
        first.set_key(keys.Log(1));
        etcdserverpb::RangeRequest snapshot;
        snapshot.set_key(keys.Snapshot());
        auto log = (*etcd)->Range(first, absl::Seconds(2));
        auto snap = (*etcd)->Range(snapshot, absl::Seconds(2));
        return log.ok() && snap.ok() && log->kvs_size() == 0 && snap->kvs_size() == 1;
      },
      absl::Seconds(20)))
      << "no snapshot, or the log was not truncated:\n"
      << nodes_[std::max(0, Owner(absl::Seconds(1)))]->Stderr();

  // A standby loses its disk: it comes back empty and catches up from the snapshot.
  const int owner = Owner(absl::Seconds(10));
  ASSERT_GE(owner, 0);
  const int wiped = (owner + 1) % kNodes;
  const int other = (owner + 2) % kNodes;
  nodes_[wiped]->Kill9();
  nodes_[wiped].reset();
  std::filesystem::remove_all(absl::StrCat(dir_, "/node", wiped));
  StartNode(wiped);
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return nodes_[wiped]->Stderr().find("restored the snapshot") != std::string::npos; },
      absl::Seconds(20)))
      << nodes_[wiped]->Stderr();
  AdmitMany("then-", 100, &acked);
  // The other two stop: the node that started empty serves every acknowledged place.
  EXPECT_EQ(nodes_[other]->Terminate(), 0);
  nodes_[other].reset();
  EXPECT_EQ(nodes_[owner]->Terminate(), 0);
  nodes_[owner].reset();
  ASSERT_EQ(Owner(absl::Seconds(20)), wiped);
  CheckAcknowledged(acked, {});
  std::printf(
      "replication: a node started empty restored a snapshot and served all %zu "
      "acknowledged Admits\n",
      acked.size());
}

TEST_F(ReplicationTest, AnEtcdThatLostItsDataIsSeededFromTheNodesStores) {
  std::vector<Acked> acked;
  AdmitMany("before-", 60, &acked);
  // Every node stops (the owner last); etcd's data is lost: an empty cluster replaces it.
  // (Started first, while the nodes still hold their ports, so it cannot pick one of them.)
  auto fresh = testing::EtcdCluster::Start(dir_ + "/etcd-after-loss");
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  const int owner = Owner(absl::Seconds(10));
  ASSERT_GE(owner, 0);
  for (int i = 0; i < kNodes; ++i) {
    if (i == owner) continue;
    EXPECT_EQ(nodes_[i]->Terminate(), 0);
    nodes_[i].reset();
  }
  EXPECT_EQ(nodes_[owner]->Terminate(), 0);
  nodes_[owner].reset();
  etcd_ = *std::move(fresh);  // the old cluster stops
  for (int i = 0; i < kNodes; ++i) StartNode(i);
  const int seeder = Owner(absl::Seconds(20));
  ASSERT_GE(seeder, 0);
  EXPECT_NE(nodes_[seeder]->Stderr().find("etcd lost data"), std::string::npos)
      << nodes_[seeder]->Stderr();
  CheckAcknowledged(acked, {});
  // The standbys' stores came from the lost log: each is replaced by the seeded snapshot.
  for (int i = 0; i < kNodes; ++i) {
    if (i == seeder) continue;
    EXPECT_TRUE(testing::WaitUntil(
        [&] { return nodes_[i]->Stderr().find("replaced this store") != std::string::npos; },
        absl::Seconds(10)))
        << nodes_[i]->Stderr();
  }
  AdmitMany("after-", 20, &acked);
  // A standby that follows the new log takes over with everything.
  nodes_[seeder]->Kill9();
  nodes_[seeder].reset();
  ASSERT_GE(Owner(absl::Seconds(20)), 0);
  CheckAcknowledged(acked, {});
  StartNode(seeder);
}

// A cluster on production settings: etcd's own election timing (1 s) and the nodes' default
// lease.
class ReplicationDefaultsTest : public ReplicationTest {
 protected:
  ReplicationDefaultsTest() {
    quick_elections_ = false;
    lease_flag_ = "";  // the default lease
  }
};

// An etcd leader election is routine (an upgrade, a member's restart): the owner keeps the
// rooms through it, and Admits pause only while etcd has no leader.
TEST_F(ReplicationDefaultsTest, AnEtcdLeaderChangeKeepsTheOwner) {
  const int owner = Owner(absl::Seconds(20));
  ASSERT_GE(owner, 0);
  base::Mutex mu;
  std::vector<absl::Time> acknowledged;  // guarded by mu
  std::atomic<bool> stop{false};
  std::vector<std::thread> load;
  for (int t = 0; t < 2; ++t) {
    load.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        if (client_->Admit("r", absl::StrCat("admit-", t, "-", i)).ok()) {
          base::MutexLock lock(&mu);
          acknowledged.push_back(absl::Now());
        }
      }
    });
  }
  // However the test ends (an ASSERT returns early), the threads stop and are joined.
  testing::StopAndJoin join_on_exit(&stop, &load);
  auto count = [&] {
    base::MutexLock lock(&mu);
    return acknowledged.size();
  };
  ASSERT_TRUE(testing::WaitUntil([&] { return count() > 100; }, absl::Seconds(20)));
  const int leader = etcd_->Leader();
  ASSERT_GE(leader, 0);
  const absl::Time killed = absl::Now();
  etcd_->Kill9(leader);
  // Well past an election, and past the owner's lease had it stepped down.
  const size_t at_kill = count();
  ASSERT_TRUE(testing::WaitUntil([&] { return absl::Now() > killed + absl::Seconds(8); },
                                 absl::Seconds(10)));
  stop = true;
  for (std::thread& t : load) t.join();
  load.clear();
  EXPECT_GT(count(), at_kill + 100) << "Admits did not resume";
  EXPECT_EQ(Metric(owner, "anteroom_replica_step_downs_total"), 0) << nodes_[owner]->Stderr();
  EXPECT_EQ(Metric(owner, "anteroom_replica_owner"), 1);
  EXPECT_EQ(Owner(absl::Seconds(1)), owner);
  EXPECT_EQ(nodes_[owner]->Stderr().find("steps down"), std::string::npos)
      << nodes_[owner]->Stderr();
  // What the leader change cost: the longest time without an acknowledged Admit around it.
  absl::Duration pause;
  {
    base::MutexLock lock(&mu);
    std::sort(acknowledged.begin(), acknowledged.end());
    for (size_t i = 1; i < acknowledged.size(); ++i) {
      if (acknowledged[i] > killed) pause = std::max(pause, acknowledged[i] - acknowledged[i - 1]);
    }
  }
  std::printf(
      "replication: the etcd leader (member %d of 3, etcd's default election timing) killed "
      "under load; the owner kept the rooms (lease 5 s); the longest pause between "
      "acknowledged Admits was %.2f s\n",
      leader, absl::ToDoubleSeconds(pause));
  ASSERT_TRUE(etcd_->Restart(leader).ok());
  ASSERT_TRUE(etcd_->WaitWritable().ok());
}

}  // namespace
}  // namespace anteroom
