// anteroom-bench: measurements that do not belong in pass/fail tests.
//
//   anteroom-bench scale [--visitors=N]   one room with N waiting visitors: memory per visitor,
//                                          position look-up time, admission work vs queue length
//   anteroom-bench recovery [--visitors=N] [--churn=M]
//                                          writes a store with N waiting visitors (after M
//                                          others left from the head), then times the real
//                                          anteroomd starting on it
//   anteroom-bench admit [--seconds=S] [--concurrency=C]
//                                          starts the real anteroomd twice (without and with
//                                          --sync_writes) and drives Admit over loopback gRPC
//
// Figures are printed as "name value unit" lines.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "base/program.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "server/core/room.h"
#include "server/replication/etcd_client.h"
#include "server/replication/etcd_log.h"
#include "server/replication/log_format.h"
#include "server/service/instance.h"
#include "server/service/records.h"
#include "storage/rocksdb_store.h"
#include "tests/testing/admin.h"
#include "tests/testing/daemon.h"
#include "tests/testing/etcd_cluster.h"
#include "tests/testing/http_get.h"
#include "tests/testing/sim_clock.h"
#include "wire/token.h"

ABSL_FLAG(int64_t, visitors, 10'000'000, "scale: visitors waiting in the room");
ABSL_FLAG(int64_t, lookups, 1'000'000, "scale: position look-ups to time");
ABSL_FLAG(int64_t, churn, 0, "recovery: visitors who leave from the head before the restart");
ABSL_FLAG(double, seconds, 10, "admit: seconds of load per configuration");
ABSL_FLAG(int, concurrency, 64, "admit: calls in flight");
ABSL_FLAG(std::string, anteroomd, "", "admit: path of anteroomd (default: next to this build)");

namespace anteroom::bench {
namespace {

int64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Mean time of freeing the one slot so that the head of the queue is admitted, over
// `rounds` rounds. `session` is the current session's id and secret.
double AdmissionMicros(core::Room& room, core::Session session, absl::Time now, int rounds) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < rounds; ++i) {
    core::Changes changes;
    room.Leave(wire::TokenKind::kSession, session.id, session.secret, now, &changes);
    if (changes.put_sessions.empty()) break;
    session = changes.put_sessions.back();
  }
  return Seconds(start) * 1e6 / rounds;
}

// A room with `waiting` queued behind one session; returns that session.
core::Session FillRoom(core::Room& room, int64_t waiting, absl::Time now) {
  core::Session first;
  for (int64_t i = 0; i <= waiting; ++i) {
    core::Changes changes;
    room.Admit(core::ClientKey{static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL,
                               ~static_cast<uint64_t>(i)},
               now, &changes);
    if (i == 0) first = changes.put_sessions.back();
  }
  return first;
}

int Scale() {
  const int64_t n = absl::GetFlag(FLAGS_visitors);
  const int64_t lookups = absl::GetFlag(FLAGS_lookups);
  testing::SeededRandom random(42);  // deterministic: runs compare
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  core::RoomSettings settings;
  settings.max_active_sessions = 1;
  settings.session_ttl = absl::Hours(24);

  // Token sample kept outside the measured growth.
  std::vector<wire::ParsedToken> sample;
  sample.reserve(100'000);
  std::vector<std::string> sample_storage;
  sample_storage.reserve(100'000);

  const int64_t rss_before = RssBytes();
  core::Room room("scale", settings, now, &random);
  std::string holder;
  const auto fill_start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i) {
    core::Changes changes;
    core::VisitorView v =
        room.Admit(core::ClientKey{static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL,
                                   ~static_cast<uint64_t>(i)},
                   now, &changes);
    if (i == 0) holder = v.session;
    if (i > 0 && i % (n / 100'000 + 1) == 0 && sample_storage.size() < sample_storage.capacity()) {
      sample_storage.push_back(v.ticket);
    }
  }
  const double fill_seconds = Seconds(fill_start);
  const int64_t rss_after = RssBytes();
  for (const std::string& t : sample_storage) sample.push_back(*wire::ParseToken(t));

  std::printf("visitors_waiting %lld\n", static_cast<long long>(room.Stats(now).queue_depth));
  std::printf("admit_enqueue_rate %.0f per_second\n", static_cast<double>(n) / fill_seconds);
  std::printf("rss_growth %.1f MiB\n", static_cast<double>(rss_after - rss_before) / (1 << 20));
  std::printf("rss_per_visitor %.1f bytes\n",
              static_cast<double>(rss_after - rss_before) / static_cast<double>(n));
  std::printf("structures_per_visitor %.1f bytes\n",
              static_cast<double>(room.MemoryBytes()) / static_cast<double>(n));

  // Position look-ups (what Poll does): random tickets across the whole queue.
  std::mt19937_64 pick(7);
  int64_t checksum = 0;
  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < lookups; ++i) {
    const wire::ParsedToken& t = sample[pick() % sample.size()];
    checksum += room.Poll(t.id, t.secret, now).position;
  }
  const double lookup_seconds = Seconds(start);
  std::printf("poll_position_lookup %.3f us (mean of %lld, checksum %lld)\n",
              lookup_seconds / static_cast<double>(lookups) * 1e6, static_cast<long long>(lookups),
              static_cast<long long>(checksum));

  // Admission work with n waiting, against a room with 1,000 waiting in the same run.
  core::Session head;
  {
    core::Changes changes;
    const wire::ParsedToken h = *wire::ParseToken(holder);
    head.id = h.id;
    head.secret = h.secret;
  }
  const double big = AdmissionMicros(room, head, now, 10'000);
  core::Room small("small", settings, now, &random);
  const double little = AdmissionMicros(small, FillRoom(small, 1'000, now), now, 900);
  std::printf("admission_with_full_queue %.3f us\n", big);
  std::printf("admission_with_1000_waiting %.3f us\n", little);
  std::printf("admission_cost_ratio %.2f\n", big / little);
  return 0;
}

// Keeps `concurrency` Admit calls in flight for `seconds`, each a new visitor; returns the
// completed calls' latencies in microseconds.
struct LoadResult {
  std::vector<double> latencies_us;
  int64_t errors = 0;
  double seconds = 0;
};

LoadResult AdmitLoad(const std::string& address, const std::string& room, double seconds,
                     int concurrency, int64_t max_calls = 0,
                     const std::string& id_prefix = "bench-") {
  // The channel is never released: a callback returns before gRPC has finished with its call,
  // and releasing the channel at that moment races gRPC's callback threads (seen as a double
  // free in grpc_cq_internal_unref).
  static auto* const channels = new std::vector<std::shared_ptr<grpc::Channel>>;
  channels->push_back(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  auto stub = v1::WaitingRoom::NewStub(channels->back());
  base::Mutex mu;
  base::CondVar done_cv;
  LoadResult result;
  int in_flight = 0;
  int64_t next_id = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);

  struct Call {
    grpc::ClientContext context;
    v1::AdmitRequest request;
    v1::VisitorStatus response;
    std::chrono::steady_clock::time_point sent;
  };
  std::function<void()> issue = [&]() {
    auto* call = new Call;
    {
      base::MutexLock lock(&mu);
      call->request.set_room(room);
      call->request.set_client_id(absl::StrCat(id_prefix, next_id++));
      ++in_flight;
    }
    call->sent = std::chrono::steady_clock::now();
    stub->async()->Admit(
        &call->context, &call->request, &call->response, [&, call](grpc::Status status) {
          const auto now = std::chrono::steady_clock::now();
          bool again;
          {
            base::MutexLock lock(&mu);
            if (status.ok()) {
              result.latencies_us.push_back(
                  std::chrono::duration<double, std::micro>(now - call->sent).count());
            } else {
              ++result.errors;
            }
            --in_flight;
            again = now < deadline && (max_calls == 0 || next_id < max_calls);
            if (!again && in_flight == 0) done_cv.SignalAll();
          }
          delete call;
          if (again) issue();
        });
  };
  for (int i = 0; i < concurrency; ++i) issue();
  base::MutexLock lock(&mu);
  while (in_flight > 0) done_cv.WaitWithTimeout(&mu, absl::Seconds(1));
  result.seconds = Seconds(start);
  return result;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

std::string AnteroomdPath() {
  std::string binary = absl::GetFlag(FLAGS_anteroomd);
  if (binary.empty()) {
    const std::string self = std::filesystem::canonical("/proc/self/exe").string();
    binary = (std::filesystem::path(self).parent_path() / "../../server/anteroomd").string();
  }
  return binary;
}

int Recovery() {
  const int64_t n = absl::GetFlag(FLAGS_visitors);
  const int64_t churn = absl::GetFlag(FLAGS_churn);
  const std::string dir = testing::MakeTempDir("anteroom-recovery");
  const std::string data = dir + "/data";
  std::string head_ticket;
  {
    storage::RocksDbStoreOptions options;
    options.path = data;
    options.create_if_missing = true;
    options.min_free_bytes = 0;
    options.format_version = service::kFormatVersion;
    auto store = storage::RocksDbStore::Open(options);
    if (!store.ok()) return 1;
    base::RealClock clock;
    testing::SeededRandom random(1);
    // A whole server, not serving: the fill goes through its rooms and committer.
    auto instance = service::Instance::Create(store->get(), &clock, &random);
    if (!instance.ok()) return 1;
    service::RoomManager& rooms = *(*instance)->rooms();
    core::RoomSettings settings;
    settings.max_active_sessions = 1;
    settings.session_ttl = absl::Hours(24);
    if (!rooms.CreateRoom("big", settings).ok()) return 1;
    const auto fill_start = std::chrono::steady_clock::now();
    base::Mutex mu;
    base::CondVar cv;
    int64_t done = 0;
    std::vector<std::string> churn_tickets;
    churn_tickets.reserve(static_cast<size_t>(churn));
    for (int64_t i = 0; i < n + churn + 1; ++i) {
      rooms.Admit("big", service::VisitorId{absl::StrCat("v", i)}, "", nullptr, {},
                  [&, i](absl::StatusOr<core::VisitorView> v) {
                    base::MutexLock lock(&mu);
                    if (v.ok() && i >= 1 && i <= churn) churn_tickets.push_back(v->ticket);
                    if (v.ok() && i == churn + 1) head_ticket = v->ticket;
                    ++done;
                    cv.SignalAll();
                  });
      if (i % 100'000 == 99'999) {  // bound what waits for the committer
        base::MutexLock lock(&mu);
        while (done < i + 1) cv.WaitWithTimeout(&mu, absl::Seconds(1));
      }
    }
    {
      base::MutexLock lock(&mu);
      while (done < n + churn + 1) cv.WaitWithTimeout(&mu, absl::Seconds(1));
    }
    std::printf("fill %lld visitors through RoomManager and RocksDB: %.1f s\n",
                static_cast<long long>(n + churn), Seconds(fill_start));
    const auto churn_start = std::chrono::steady_clock::now();
    int64_t left = 0;
    for (const std::string& t : churn_tickets) {
      rooms.Leave(*wire::ParseToken(t), [&](absl::StatusOr<bool>) {
        base::MutexLock lock(&mu);
        ++left;
        cv.SignalAll();
      });
    }
    {
      base::MutexLock lock(&mu);
      while (left < static_cast<int64_t>(churn_tickets.size()))
        cv.WaitWithTimeout(&mu, absl::Seconds(1));
    }
    if (churn > 0) {
      std::printf("churn %lld visitors left from the head: %.1f s\n", static_cast<long long>(churn),
                  Seconds(churn_start));
    }
    (*instance)->Stop(absl::ZeroDuration());
  }
  std::printf("store size %.0f MiB\n", [&] {
    double bytes = 0;
    for (const auto& f : std::filesystem::recursive_directory_iterator(data)) {
      if (f.is_regular_file()) bytes += static_cast<double>(f.file_size());
    }
    return bytes / (1 << 20);
  }());

  const auto start = std::chrono::steady_clock::now();
  auto daemon =
      testing::Daemon::Start(AnteroomdPath(), data, {"--min_free_disk_mb=0"}, absl::Minutes(10));
  if (!daemon.ok()) {
    std::fprintf(stderr, "%s\n", std::string(daemon.status().message()).c_str());
    return 1;
  }
  const double recovery = Seconds(start);
  std::printf("recovery_to_serving %.2f s (%lld waiting visitors)\n", recovery,
              static_cast<long long>(n));
  std::printf("anteroomd_rss %.0f MiB\n",
              static_cast<double>(testing::ProcessRssBytes((*daemon)->pid())) / (1 << 20));
  auto stub = v1::WaitingRoom::NewStub(
      grpc::CreateChannel((*daemon)->gateway_address(), grpc::InsecureChannelCredentials()));
  std::vector<double> us;
  for (int i = 0; i < 1000; ++i) {
    grpc::ClientContext ctx;
    v1::PollRequest req;
    req.set_ticket(head_ticket);
    v1::VisitorStatus resp;
    const auto t0 = std::chrono::steady_clock::now();
    if (!stub->Poll(&ctx, req, &resp).ok() || resp.position() != 1) {
      std::fprintf(stderr, "head poll failed\n");
      return 1;
    }
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("poll_head_rpc_p50 %.0f us (position 1 after %lld left from the head)\n",
              Percentile(us, 0.5), static_cast<long long>(churn));
  std::string log = (*daemon)->Stderr();
  std::printf("%s", log.c_str());
  (*daemon)->Kill9();
  std::filesystem::remove_all(dir);
  return 0;
}

int Admit() {
  const std::string binary = AnteroomdPath();
  double baseline = 0;
  for (const bool sync : {false, true}) {
    const std::string dir = testing::MakeTempDir("anteroom-bench");
    auto daemon = testing::Daemon::Start(binary, dir + "/data",
                                         {sync ? "--sync_writes=true" : "--sync_writes=false"});
    if (!daemon.ok()) {
      std::fprintf(stderr, "%s\n", std::string(daemon.status().message()).c_str());
      return 1;
    }
    if (!testing::CreateRoom((*daemon)->admin_address(), "bench", 1'000).ok()) return 1;
    LoadResult r = AdmitLoad((*daemon)->gateway_address(), "bench", absl::GetFlag(FLAGS_seconds),
                             absl::GetFlag(FLAGS_concurrency));
    const double rate = static_cast<double>(r.latencies_us.size()) / r.seconds;
    if (!sync) baseline = rate;
    const char* name = sync ? "admit_sync" : "admit_nosync";
    std::printf("%s_throughput %.0f per_second (%zu calls, %lld errors, concurrency %d)\n", name,
                rate, r.latencies_us.size(), static_cast<long long>(r.errors),
                absl::GetFlag(FLAGS_concurrency));
    std::printf("%s_latency_p50 %.0f us\n", name, Percentile(r.latencies_us, 0.50));
    std::printf("%s_latency_p99 %.0f us\n", name, Percentile(r.latencies_us, 0.99));
    if (sync) std::printf("admit_sync_vs_nosync %.2f\n", rate / baseline);
    (*daemon)->Terminate();
    std::filesystem::remove_all(dir);
  }
  return 0;
}

// A gauge's value in a Prometheus text page (-1 when absent).
double MetricValue(const std::string& page, const std::string& name) {
  const size_t at = page.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::atof(page.c_str() + at + name.size() + 2);
}

// Replicated mode against the local log, in the same run, then the figures of a large room:
// etcd's size while it fills, a node that starts empty catching up, and a kill -9 failover.
int Replicated() {
  const std::string binary = AnteroomdPath();
  const std::string dir = testing::MakeTempDir("anteroom-bench-replicated");
  auto etcd = testing::EtcdCluster::Start(dir + "/etcd");
  if (!etcd.ok()) {
    std::fprintf(stderr, "%s\n", std::string(etcd.status().message()).c_str());
    return 1;
  }
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  // 1. Admit throughput: the local write-ahead log, then replicated, same generator.
  double local_rate = 0;
  {
    auto local = testing::Daemon::Start(binary, dir + "/local");
    if (!local.ok() || !testing::CreateRoom((*local)->admin_address(), "bench", 1'000).ok()) {
      return 1;
    }
    LoadResult r = AdmitLoad((*local)->gateway_address(), "bench", seconds, concurrency);
    local_rate = static_cast<double>(r.latencies_us.size()) / r.seconds;
    std::printf("admit_local_throughput %.0f per_second (%lld errors, concurrency %d)\n",
                local_rate, static_cast<long long>(r.errors), concurrency);
    std::printf("admit_local_latency_p50 %.0f us\nadmit_local_latency_p99 %.0f us\n",
                Percentile(r.latencies_us, 0.5), Percentile(r.latencies_us, 0.99));
    (*local)->Terminate();
  }
  std::vector<std::unique_ptr<testing::Daemon>> nodes;
  auto start_node = [&](int i) -> std::unique_ptr<testing::Daemon> {
    auto d = testing::Daemon::Start(
        binary, absl::StrCat(dir, "/node", i),
        {absl::StrCat("--etcd=", (*etcd)->endpoints()), absl::StrCat("--node_name=node", i)});
    if (!d.ok()) std::fprintf(stderr, "%s\n", std::string(d.status().message()).c_str());
    return d.ok() ? *std::move(d) : nullptr;
  };
  for (int i = 0; i < 3; ++i) {
    nodes.push_back(start_node(i));
    if (nodes.back() == nullptr) return 1;
  }
  auto owner = [&]() -> int {
    for (int attempt = 0; attempt < 400; ++attempt) {
      for (size_t i = 0; i < nodes.size(); ++i) {
        if (nodes[i] == nullptr) continue;
        auto page = testing::HttpGet(nodes[i]->metrics_address(), "/metrics");
        if (page.ok() && MetricValue(*page, "anteroom_replica_owner") == 1) {
          return static_cast<int>(i);
        }
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return -1;
  };
  int o = owner();
  if (o < 0 || !testing::CreateRoom(nodes[o]->admin_address(), "bench", 1'000).ok()) return 1;
  {
    LoadResult r = AdmitLoad(nodes[o]->gateway_address(), "bench", seconds, concurrency);
    const double rate = static_cast<double>(r.latencies_us.size()) / r.seconds;
    std::printf(
        "admit_replicated_throughput %.0f per_second (%lld errors, concurrency %d, 3 etcd "
        "members)\n",
        rate, static_cast<long long>(r.errors), concurrency);
    std::printf("admit_replicated_latency_p50 %.0f us\nadmit_replicated_latency_p99 %.0f us\n",
                Percentile(r.latencies_us, 0.5), Percentile(r.latencies_us, 0.99));
    std::printf("admit_replicated_vs_local %.2f\n", rate / local_rate);
  }
  // 2. A large room: fill it to --visitors waiting, watching etcd's database size.
  const int64_t visitors = absl::GetFlag(FLAGS_visitors);
  base::RealClock clock;
  replication::EtcdClient::Options etcd_options;
  etcd_options.endpoints = *replication::EtcdClient::ParseEndpoints((*etcd)->endpoints(), "etcd");
  etcd_options.clock = &clock;
  auto client = replication::EtcdClient::Create(etcd_options);
  if (!client.ok()) return 1;
  std::atomic<bool> filling{true};
  std::atomic<int64_t> max_db{0};
  std::vector<std::string> db_series;  // "seconds:MB in use/MB file", every 5 s
  std::thread watch([&] {
    const auto started = std::chrono::steady_clock::now();
    double next_sample = 0;
    while (filling) {
      auto status = (*client)->MemberStatus(0, absl::Seconds(2));
      if (status.ok()) {
        max_db = std::max<int64_t>(max_db, status->dbsize());
        if (Seconds(started) >= next_sample) {
          db_series.push_back(absl::StrCat(static_cast<int>(Seconds(started)),
                                           "s:", status->dbsizeinuse() >> 20, "/",
                                           status->dbsize() >> 20));
          next_sample += 5;
        }
      }
      absl::SleepFor(absl::Milliseconds(500));
    }
  });
  const auto fill_start = std::chrono::steady_clock::now();
  LoadResult fill =
      AdmitLoad(nodes[o]->gateway_address(), "bench", 3600, concurrency * 4, visitors, "fill-");
  filling = false;
  watch.join();
  std::printf("fill_%lld_seconds %.1f (%.0f admits/s, %lld errors)\n",
              static_cast<long long>(visitors), Seconds(fill_start),
              static_cast<double>(fill.latencies_us.size()) / fill.seconds,
              static_cast<long long>(fill.errors));
  std::printf("etcd_db_mib_in_use_over_file_every_5s %s\n", absl::StrJoin(db_series, " ").c_str());
  auto status = (*client)->MemberStatus(0, absl::Seconds(2));
  std::printf("etcd_db_bytes_max_while_filling %lld\netcd_db_bytes_after %lld (in use %lld)\n",
              static_cast<long long>(max_db.load()),
              static_cast<long long>(status.ok() ? status->dbsize() : -1),
              static_cast<long long>(status.ok() ? status->dbsizeinuse() : -1));
  // 3. A node that starts empty catches up (snapshot plus the log's tail).
  const replication::LogKeys keys("/anteroom/default");
  auto last_entry = [&]() -> uint64_t {
    absl::StatusOr<uint64_t> last = replication::LastLogEntry(client->get(), keys);
    return last.ok() ? *last : 0;
  };
  const auto join_start = std::chrono::steady_clock::now();
  nodes.push_back(start_node(3));
  if (nodes.back() == nullptr) return 1;
  double caught_up = -1;
  for (int attempt = 0; attempt < 6000 && caught_up < 0; ++attempt) {
    auto page = testing::HttpGet(nodes.back()->metrics_address(), "/metrics");
    const uint64_t target = last_entry();
    if (page.ok() && target > 0 &&
        MetricValue(*page, "anteroom_replica_log_entry") >= static_cast<double>(target)) {
      caught_up = Seconds(join_start);
    }
    if (caught_up < 0) absl::SleepFor(absl::Milliseconds(20));
  }
  std::printf("new_standby_catch_up_at_%lld_waiting_seconds %.2f (process start included)\n",
              static_cast<long long>(visitors), caught_up);
  // The owner's snapshots while the room filled.
  for (absl::string_view line : absl::StrSplit(nodes[o]->Stderr(), '\n')) {
    if (absl::StrContains(line, "snapshot at"))
      std::printf("owner: %s\n", std::string(line).c_str());
  }
  // 4. kill -9 the owner of the large room: time until a standby answers an Admit.
  nodes[o]->Kill9();
  nodes[o].reset();
  const auto killed = std::chrono::steady_clock::now();
  double failover = -1;
  for (int attempt = 0; attempt < 3000 && failover < 0; ++attempt) {
    for (auto& node : nodes) {
      if (node == nullptr) continue;
      auto stub = v1::WaitingRoom::NewStub(
          grpc::CreateChannel(node->gateway_address(), grpc::InsecureChannelCredentials()));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
      v1::AdmitRequest req;
      req.set_room("bench");
      req.set_client_id("after-failover");
      v1::VisitorStatus resp;
      if (stub->Admit(&ctx, req, &resp).ok()) {
        failover = Seconds(killed);
        break;
      }
    }
    if (failover < 0) absl::SleepFor(absl::Milliseconds(20));
  }
  std::printf(
      "failover_at_%lld_waiting_seconds %.2f (kill -9 of the owner to an Admit answered; "
      "lease 3 s)\n",
      static_cast<long long>(visitors), failover);
  for (auto& node : nodes) {
    if (node != nullptr) node->Terminate();
  }
  etcd->reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace anteroom::bench

int main(int argc, char** argv) {
  anteroom::base::SetProgramUsage("anteroom-bench scale|admit|recovery|replicated [flags]",
                                  __FILE__);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() == 2 && std::string(args[1]) == "scale") return anteroom::bench::Scale();
  if (args.size() == 2 && std::string(args[1]) == "admit") return anteroom::bench::Admit();
  if (args.size() == 2 && std::string(args[1]) == "recovery") return anteroom::bench::Recovery();
  if (args.size() == 2 && std::string(args[1]) == "replicated") {
    return anteroom::bench::Replicated();
  }
  std::fprintf(stderr,
               "usage: anteroom-bench scale [--visitors=N] [--lookups=N]\n"
               "       anteroom-bench admit [--seconds=S] [--concurrency=C] [--anteroomd=PATH]\n"
               "       anteroom-bench recovery [--visitors=N] [--churn=M] [--anteroomd=PATH]\n"
               "       anteroom-bench replicated [--seconds=S] [--concurrency=C] [--visitors=N]\n");
  return 2;
}
