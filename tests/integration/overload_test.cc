// The real anteroomd driven well past its peak: waves of new Admits, thousands outstanding at
// once (far beyond --max_calls_in_flight), while visitors already on the site heartbeat and
// visitors in line poll over the same connections. The server sheds the new Admits with
// RESOURCE_EXHAUSTED at once; every heartbeat and poll is answered and every lease renewed;
// its memory stays flat from wave to wave.

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "anteroom/v1/room_admin.grpc.pb.h"
#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "base/mutex.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/admin.h"
#include "tests/testing/daemon.h"
#include "tests/testing/http_get.h"

namespace anteroom {
namespace {

constexpr char kBinary[] = ANTEROOMD_PATH;
constexpr int kSessions = 20;  // on the site: the room's cap
constexpr int kInLine = 20;    // queued before the flood
constexpr int kChannels = 4;   // connections the flood (and the visitors) share
constexpr int kWaves = 3;
constexpr int kCallsPerWave = 30000;  // new Admits per wave
constexpr int kOutstanding = 4000;    // at once, across the channels
constexpr int kMaxCallsInFlight = 16;

std::chrono::system_clock::time_point In(std::chrono::seconds s) {
  return std::chrono::system_clock::now() + s;
}

// A value of the daemon's /metrics: the sum of the series of `name` whose labels contain
// every one of `labels`.
double Metric(const std::string& text, const std::string& name,
              const std::vector<std::string>& labels) {
  double total = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, name + "{")) continue;
    if (!std::all_of(labels.begin(), labels.end(),
                     [&](const std::string& l) { return absl::StrContains(line, l); }))
      continue;
    double v = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v)) total += v;
  }
  return total;
}

// New Admits fired asynchronously, at most `kOutstanding` unanswered at once; their answers
// counted by status code.
class Flood {
 public:
  explicit Flood(std::vector<std::unique_ptr<v1::WaitingRoom::Stub>>* stubs) : stubs_(stubs) {}

  // Sends one wave, calling `sample` every 500 calls sent.
  void Wave(int wave, const std::function<void()>& sample) {
    for (int i = 0; i < kCallsPerWave; ++i) {
      if (i % 500 == 0) sample();
      {
        base::MutexLock lock(&mu_);
        while (outstanding_ >= kOutstanding) changed_.Wait(&mu_);
        ++outstanding_;
      }
      auto* call = new Call;
      call->context.set_deadline(In(std::chrono::seconds(30)));
      call->request.set_room("surge");
      call->request.set_client_id(absl::StrCat("n", wave, "-", i));  // each a new place
      (*stubs_)[i % stubs_->size()]->async()->Admit(
          &call->context, &call->request, &call->response, [this, call](grpc::Status s) {
            base::MutexLock lock(&mu_);
            ++codes_[s.error_code()];
            if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
                s.error_message().find("overloaded") == std::string::npos) {
              ++unexplained_;
            }
            --outstanding_;
            changed_.SignalAll();
            delete call;
          });
    }
    base::MutexLock lock(&mu_);
    while (outstanding_ > 0) changed_.Wait(&mu_);
  }

  std::map<grpc::StatusCode, int> codes() {
    base::MutexLock lock(&mu_);
    return codes_;
  }
  int unexplained() {
    base::MutexLock lock(&mu_);
    return unexplained_;
  }

 private:
  struct Call {
    grpc::ClientContext context;
    v1::AdmitRequest request;
    v1::VisitorStatus response;
  };
  std::vector<std::unique_ptr<v1::WaitingRoom::Stub>>* stubs_;
  base::Mutex mu_;
  base::CondVar changed_;
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<grpc::StatusCode, int> codes_ ABSL_GUARDED_BY(mu_);
  int unexplained_ ABSL_GUARDED_BY(mu_) = 0;
};

class OverloadTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("anteroom-overload"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(OverloadTest, PastThePeakNewAdmitsAreShedWhileEveryoneInIsServedAndMemoryStaysFlat) {
#if defined(__SANITIZE_ADDRESS__)
  // ASan keeps freed memory in a quarantine (256 MB by default): RSS would measure that.
  const char* asan = std::getenv("ASAN_OPTIONS");
  setenv("ASAN_OPTIONS", absl::StrCat(asan ? asan : "", ":quarantine_size_mb=8").c_str(), 1);
#endif
  auto daemon = testing::Daemon::Start(
      kBinary, dir_ + "/data",
      {absl::StrCat("--max_calls_in_flight=", kMaxCallsInFlight), "--max_concurrent_streams=256"});
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  // Those already in: on the site and in line in one room. The flood: another, made afresh
  // for each wave so that the places it takes do not pile up from wave to wave.
  ASSERT_TRUE(
      testing::CreateRoom((*daemon)->admin_address(), "steady", kSessions, absl::Minutes(2)).ok());
  auto admin = v1::RoomAdmin::NewStub(
      grpc::CreateChannel((*daemon)->admin_address(), grpc::InsecureChannelCredentials()));

  std::vector<std::unique_ptr<v1::WaitingRoom::Stub>> stubs;
  for (int i = 0; i < kChannels; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("anteroom.test.connection", i);  // a connection of its own
    stubs.push_back(v1::WaitingRoom::NewStub(grpc::CreateCustomChannel(
        (*daemon)->gateway_address(), grpc::InsecureChannelCredentials(), args)));
  }
  std::vector<std::string> sessions, tickets;
  for (int i = 0; i < kSessions + kInLine; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(std::chrono::seconds(10)));
    v1::AdmitRequest req;
    req.set_room("steady");
    req.set_client_id(absl::StrCat("in", i));
    v1::VisitorStatus out;
    ASSERT_TRUE(stubs[0]->Admit(&ctx, req, &out).ok());
    (i < kSessions ? sessions : tickets).push_back(i < kSessions ? out.session() : out.ticket());
    ASSERT_EQ(out.state(), i < kSessions ? v1::ADMITTED : v1::QUEUED);
  }

  // Those already in, on the first connection (shared with the flood), all along.
  std::atomic<bool> done{false};
  std::atomic<int> rounds{0};
  base::Mutex mu;
  std::vector<std::string> failures;
  std::map<std::string, int64_t> first_lease, last_lease;  // seconds
  std::thread visitors([&] {
    while (!done) {
      for (const std::string& session : sessions) {
        grpc::ClientContext ctx;
        ctx.set_deadline(In(std::chrono::seconds(10)));
        v1::HeartbeatRequest req;
        req.set_session(session);
        v1::VisitorStatus out;
        grpc::Status s = stubs[0]->Heartbeat(&ctx, req, &out);
        base::MutexLock lock(&mu);
        if (!s.ok() || out.state() != v1::ADMITTED) {
          failures.push_back(absl::StrCat("Heartbeat: ", s.error_code(), " ", s.error_message()));
          continue;
        }
        first_lease.try_emplace(session, out.lease_expires_at().seconds());
        last_lease[session] = out.lease_expires_at().seconds();
      }
      for (size_t i = 0; i < tickets.size(); ++i) {
        grpc::ClientContext ctx;
        ctx.set_deadline(In(std::chrono::seconds(10)));
        v1::PollRequest req;
        req.set_ticket(tickets[i]);
        v1::VisitorStatus out;
        grpc::Status s = stubs[0]->Poll(&ctx, req, &out);
        if (!s.ok() || out.state() != v1::QUEUED || out.position() != i + 1) {
          base::MutexLock lock(&mu);
          failures.push_back(absl::StrCat("Poll: ", s.error_code(), " ", s.error_message(),
                                          " position ", out.position()));
        }
      }
      ++rounds;
    }
  });

  // RSS, sampled through each wave.
  std::vector<int64_t> peak(kWaves, 0);
  const int64_t rss_before = testing::ProcessRssBytes((*daemon)->pid());
  Flood flood(&stubs);
  std::map<grpc::StatusCode, int> before;
  std::vector<int> shed_per_wave;
  for (int w = 0; w < kWaves; ++w) {
    if (w > 0) {
      grpc::ClientContext ctx;
      v1::DeleteRoomRequest req;
      req.set_room("surge");
      v1::DeleteRoomResponse out;
      ASSERT_TRUE(admin->DeleteRoom(&ctx, req, &out).ok());
    }
    ASSERT_TRUE(testing::CreateRoom((*daemon)->admin_address(), "surge", 1).ok());
    auto sample = [&] { peak[w] = std::max(peak[w], testing::ProcessRssBytes((*daemon)->pid())); };
    flood.Wave(w, sample);
    sample();
    std::map<grpc::StatusCode, int> now = flood.codes();
    shed_per_wave.push_back(now[grpc::StatusCode::RESOURCE_EXHAUSTED] -
                            before[grpc::StatusCode::RESOURCE_EXHAUSTED]);
    before = now;
  }
  // The visitors finish a full round after the flood, then stop.
  const int rounds_at_end = rounds;
  ASSERT_TRUE(testing::WaitUntil([&] { return rounds >= rounds_at_end + 2; }, absl::Seconds(60)));
  done = true;
  visitors.join();

  const std::map<grpc::StatusCode, int> codes = flood.codes();
  std::string summary;
  for (auto [code, n] : codes) absl::StrAppend(&summary, code, ":", n, " ");
  for (auto [code, n] : codes) {
    EXPECT_TRUE(code == grpc::StatusCode::OK || code == grpc::StatusCode::RESOURCE_EXHAUSTED)
        << "code " << code << " x" << n << " (" << summary << ")";
  }
  EXPECT_EQ(flood.unexplained(), 0) << "RESOURCE_EXHAUSTED that does not say why";
  for (int w = 0; w < kWaves; ++w) {
    EXPECT_GT(shed_per_wave[w], 0) << "wave " << w << " never went past the peak";
  }
  EXPECT_GT(codes.count(grpc::StatusCode::OK), 0u) << "some newcomers still got places";
  {
    base::MutexLock lock(&mu);
    EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
    EXPECT_GE(rounds.load(), 2);
    for (const std::string& session : sessions) {
      EXPECT_GT(last_lease[session], first_lease[session]) << "a lease was never renewed";
    }
  }
  // Memory: bounded by the limits, not by the load offered: flat from the first wave to the
  // last (each wave's places go with its room).
  const int64_t mb = 1 << 20;
  EXPECT_LT(peak[kWaves - 1], peak[0] + 48 * mb)
      << "RSS MB before " << rss_before / mb << ", wave peaks " << peak[0] / mb << " "
      << peak[1] / mb << " " << peak[2] / mb;

  absl::StatusOr<std::string> metrics = testing::HttpGet((*daemon)->metrics_address(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_GT(Metric(*metrics, "anteroom_calls_shed_total", {"method=\"Admit\""}), 0);
  EXPECT_EQ(Metric(*metrics, "anteroom_calls_shed_total", {"method=\"Heartbeat\""}), 0);
  EXPECT_EQ(Metric(*metrics, "anteroom_calls_shed_total", {"method=\"Poll\""}), 0);
  EXPECT_EQ(Metric(*metrics, "anteroom_calls_in_flight", {}), 0);
  std::printf(
      "overload: %d waves of %d Admits (%d outstanding, --max_calls_in_flight=%d): %s| "
      "shed per wave %d %d %d | visitor rounds %d | RSS MB before %lld, wave peaks %lld %lld "
      "%lld\n",
      kWaves, kCallsPerWave, kOutstanding, kMaxCallsInFlight, summary.c_str(), shed_per_wave[0],
      shed_per_wave[1], shed_per_wave[2], rounds.load(), static_cast<long long>(rss_before / mb),
      static_cast<long long>(peak[0] / mb), static_cast<long long>(peak[1] / mb),
      static_cast<long long>(peak[2] / mb));
  EXPECT_EQ((*daemon)->Terminate(), 0);
}

}  // namespace
}  // namespace anteroom
