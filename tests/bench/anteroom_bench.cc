// anteroom-bench: measurements that do not belong in pass/fail tests.
//
//   anteroom-bench scale [--visitors=N]   one room with N waiting visitors: memory per visitor,
//                                          position look-up time, admission work vs queue length
//   anteroom-bench recovery [--visitors=N] [--churn=M] [--seconds=S]
//                                          writes a store with N waiting visitors (after M
//                                          others left from the head), then times the real
//                                          anteroomd starting on it, and compares Poll's
//                                          latency in that room with a room of 1,000
//   anteroom-bench poll|heartbeat|admit|methods [--seconds=S] [--in_flight=64,512,1024]
//                                          each gateway method (methods: all three) against
//                                          anteroomd, gRPC alone (anteroom-noop) and the Redis
//                                          peer in the same run: one table, a JSON line
//   anteroom-bench replicated [--visitors=N]
//                                          replicated mode against the local log; a large
//                                          room's etcd size, catch-up and failover
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
#include "absl/strings/numbers.h"
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
#include "tests/bench/load.h"
#include "tests/bench/methods.h"
#include "tests/bench/servers.h"
#include "tests/bench/surge.h"
#include "tests/testing/admin.h"
#include "tests/testing/daemon.h"
#include "tests/testing/etcd_cluster.h"
#include "tests/testing/http_get.h"
#include "tests/testing/sim_clock.h"
#include "wire/token.h"

ABSL_FLAG(int64_t, visitors, 10'000'000, "scale: visitors waiting in the room");
ABSL_FLAG(int64_t, lookups, 1'000'000, "scale: position look-ups to time");
ABSL_FLAG(int64_t, churn, 0, "recovery: visitors who leave from the head before the restart");
ABSL_FLAG(double, seconds, 5, "methods, recovery: seconds of load per row");
ABSL_FLAG(std::vector<std::string>, in_flight, std::vector<std::string>({"64", "512", "1024"}),
          "methods: depths of calls in flight to measure");
ABSL_FLAG(int64_t, room_visitors, 1'000'000, "poll: visitors waiting in the polled room");
ABSL_FLAG(int64_t, sessions, 100'000, "heartbeat: active sessions heartbeating");
ABSL_FLAG(int, connections, 4, "methods: HTTP/2 connections from the generator");
ABSL_FLAG(bool, redis, true, "methods: measure the Redis peer too");
ABSL_FLAG(bool, replicated, true, "methods: measure anteroomd replicated over etcd too");
ABSL_FLAG(std::string, table_out, "", "methods: also write the table (Markdown) here");
ABSL_FLAG(std::string, plot_data, "", "methods: write the rows for gnuplot here");
ABSL_FLAG(int64_t, surge_visitors, 200'000, "surge: visitors arriving");
ABSL_FLAG(double, ramp_seconds, 60, "surge: all arrive within this, evenly");
ABSL_FLAG(double, compression, 2, "surge: visits, lease and polling bounds divided by this");
ABSL_FLAG(int64_t, cap, 60'000, "surge: the room's max_active_sessions");
ABSL_FLAG(double, visit_seconds, 60, "surge: mean visit, uncompressed");
ABSL_FLAG(double, lease_seconds, 120, "surge: the room's session lease, uncompressed");
ABSL_FLAG(double, abandon_share, 0.05, "surge: share of visitors who stop polling");
ABSL_FLAG(bool, sync_writes, false, "surge: run anteroomd with --sync_writes");
ABSL_FLAG(std::string, anteroomd, "", "path of anteroomd (default: next to this build)");
ABSL_FLAG(std::string, noop, "", "path of anteroom-noop (default: next to this binary)");

namespace anteroom::bench {
namespace {

int64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
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
  return SecondsSince(start) * 1e6 / rounds;
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
  // The slowest single Admit: when the index of visitors grows, one call rehashes it.
  std::chrono::steady_clock::duration slowest{};
  for (int64_t i = 0; i < n; ++i) {
    core::Changes changes;
    const auto call_start = std::chrono::steady_clock::now();
    core::VisitorView v =
        room.Admit(core::ClientKey{static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL,
                                   ~static_cast<uint64_t>(i)},
                   now, &changes);
    slowest = std::max(slowest, std::chrono::steady_clock::now() - call_start);
    if (i == 0) holder = v.session;
    if (i > 0 && i % (n / 100'000 + 1) == 0 && sample_storage.size() < sample_storage.capacity()) {
      sample_storage.push_back(v.ticket);
    }
  }
  const double fill_seconds = SecondsSince(fill_start);
  const int64_t rss_after = RssBytes();
  for (const std::string& t : sample_storage) sample.push_back(*wire::ParseToken(t));

  std::printf("visitors_waiting %lld\n", static_cast<long long>(room.Stats(now).queue_depth));
  std::printf("admit_enqueue_rate %.0f per_second\n", static_cast<double>(n) / fill_seconds);
  std::printf("slowest_admit %.1f ms\n",
              std::chrono::duration<double, std::milli>(slowest).count());
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
  const double lookup_seconds = SecondsSince(start);
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

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

std::string AnteroomdPath() {
  return BuiltBinary(absl::GetFlag(FLAGS_anteroomd), "../../server/anteroomd");
}

int Recovery() {
  const int64_t n = absl::GetFlag(FLAGS_visitors);
  const int64_t churn = absl::GetFlag(FLAGS_churn);
  const std::string dir = testing::MakeTempDir("anteroom-recovery");
  const std::string data = dir + "/data";
  std::string head_ticket;
  // Poll's latency in the big room is compared with a room of 1,000: tickets spread evenly
  // over the big room (at most 100,000), and all of the small room's.
  constexpr int64_t kSmallRoom = 1'000;
  const int64_t sample_every = std::max<int64_t>(1, n / 100'000);
  std::vector<std::string> big_sample, small_tickets;
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
                    if (v.ok() && i > churn + 1 && (i - churn) % sample_every == 0) {
                      big_sample.push_back(v->ticket);
                    }
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
                static_cast<long long>(n + churn), SecondsSince(fill_start));
    if (!rooms.CreateRoom("small", settings).ok()) return 1;
    for (int64_t i = 0; i < kSmallRoom + 1; ++i) {  // the first is let in
      rooms.Admit("small", service::VisitorId{absl::StrCat("s", i)}, "", nullptr, {},
                  [&](absl::StatusOr<core::VisitorView> v) {
                    base::MutexLock lock(&mu);
                    if (v.ok() && !v->ticket.empty()) small_tickets.push_back(v->ticket);
                    ++done;
                    cv.SignalAll();
                  });
    }
    {
      base::MutexLock lock(&mu);
      while (done < n + churn + 1 + kSmallRoom + 1) cv.WaitWithTimeout(&mu, absl::Seconds(1));
    }
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
                  SecondsSince(churn_start));
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
  const double recovery = SecondsSince(start);
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

  // Poll over random tickets of each room, 64 calls in flight, the small room between two
  // runs of the big one so that a drift of this shared machine shows.
  std::mt19937_64 shuffle(42);
  std::shuffle(big_sample.begin(), big_sample.end(), shuffle);
  std::shuffle(small_tickets.begin(), small_tickets.end(), shuffle);
  WaitingRoomClient* client =
      WaitingRoomClient::Keep((*daemon)->gateway_address(), absl::GetFlag(FLAGS_connections));
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const RunResult big_before = DriveGrpc(client, Method::kPoll, "big", big_sample, 64, seconds);
  const RunResult small = DriveGrpc(client, Method::kPoll, "small", small_tickets, 64, seconds);
  const RunResult big_after = DriveGrpc(client, Method::kPoll, "big", big_sample, 64, seconds);
  for (const RunResult* r : {&big_before, &small, &big_after}) {
    if (r->error_count() > 0 || r->latency->count() == 0) {
      std::fprintf(stderr, "Poll failed: %s\n", r->ErrorsText().c_str());
      return 1;
    }
  }
  const auto report = [](const char* name, const RunResult& r) {
    std::printf("%s %.0f calls/s, p50 %.0f us, p99 %.0f us\n", name, r.rate(),
                r.latency->Percentile(0.5), r.latency->Percentile(0.99));
  };
  report("poll_big_room", big_before);
  report("poll_room_of_1000", small);
  report("poll_big_room_again", big_after);
  std::printf("poll_p99_ratio %.2f (the big room's worse run against the room of 1,000)\n",
              std::max(big_before.latency->Percentile(0.99), big_after.latency->Percentile(0.99)) /
                  small.latency->Percentile(0.99));
  std::string log = (*daemon)->Stderr();
  std::printf("%s", log.c_str());
  (*daemon)->Kill9();
  std::filesystem::remove_all(dir);
  return 0;
}

// Replicated mode's figures for a large room: etcd's size while it fills, a node that starts
// empty catching up, and a kill -9 failover. (Its throughput beside the local log is in the
// admit and heartbeat tables.)
int Replicated() {
  const std::string dir = testing::MakeTempDir("anteroom-bench-replicated");
  absl::StatusOr<std::unique_ptr<ReplicatedCluster>> cluster =
      ReplicatedCluster::Start(AnteroomdPath(), dir);
  if (!cluster.ok()) {
    std::fprintf(stderr, "%s\n", std::string(cluster.status().message()).c_str());
    return 1;
  }
  std::vector<std::unique_ptr<testing::Daemon>>& nodes = (*cluster)->nodes();
  const int o = (*cluster)->Owner();
  if (o < 0 || !testing::CreateRoom(nodes[o]->admin_address(), "bench", 1'000).ok()) return 1;
  // 1. A large room: fill it to --visitors waiting, watching etcd's database size.
  const int64_t visitors = absl::GetFlag(FLAGS_visitors);
  base::RealClock clock;
  replication::EtcdClient::Options etcd_options;
  etcd_options.endpoints =
      *replication::EtcdClient::ParseEndpoints((*cluster)->etcd().endpoints(), "etcd");
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
        if (SecondsSince(started) >= next_sample) {
          db_series.push_back(absl::StrCat(static_cast<int>(SecondsSince(started)),
                                           "s:", status->dbsizeinuse() >> 20, "/",
                                           status->dbsize() >> 20));
          next_sample += 5;
        }
      }
      absl::SleepFor(absl::Milliseconds(500));
    }
  });
  const auto fill_start = std::chrono::steady_clock::now();
  const int64_t fill_errors = AdmitMany(WaitingRoomClient::Keep(nodes[o]->gateway_address(), 4),
                                        "bench", "fill-", visitors, 256)
                                  .errors;
  filling = false;
  watch.join();
  const double fill_seconds = SecondsSince(fill_start);
  std::printf("fill_%lld_seconds %.1f (%.0f admits/s, %lld errors)\n",
              static_cast<long long>(visitors), fill_seconds,
              static_cast<double>(visitors) / fill_seconds, static_cast<long long>(fill_errors));
  std::printf("etcd_db_mib_in_use_over_file_every_5s %s\n", absl::StrJoin(db_series, " ").c_str());
  auto status = (*client)->MemberStatus(0, absl::Seconds(2));
  std::printf("etcd_db_bytes_max_while_filling %lld\netcd_db_bytes_after %lld (in use %lld)\n",
              static_cast<long long>(max_db.load()),
              static_cast<long long>(status.ok() ? status->dbsize() : -1),
              static_cast<long long>(status.ok() ? status->dbsizeinuse() : -1));
  // 2. A node that starts empty catches up (snapshot plus the log's tail).
  const replication::LogKeys keys("/anteroom/default");
  auto last_entry = [&]() -> uint64_t {
    absl::StatusOr<uint64_t> last = replication::LastLogEntry(client->get(), keys);
    return last.ok() ? *last : 0;
  };
  const auto join_start = std::chrono::steady_clock::now();
  nodes.push_back((*cluster)->StartNode(3));
  if (nodes.back() == nullptr) return 1;
  double caught_up = -1;
  for (int attempt = 0; attempt < 6000 && caught_up < 0; ++attempt) {
    auto page = testing::HttpGet(nodes.back()->metrics_address(), "/metrics");
    const uint64_t target = last_entry();
    if (page.ok() && target > 0 &&
        MetricValue(*page, "anteroom_replica_log_entry") >= static_cast<double>(target)) {
      caught_up = SecondsSince(join_start);
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
  // 3. kill -9 the owner of the large room: time until a standby answers an Admit.
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
        failover = SecondsSince(killed);
        break;
      }
    }
    if (failover < 0) absl::SleepFor(absl::Milliseconds(20));
  }
  std::printf(
      "failover_at_%lld_waiting_seconds %.2f (kill -9 of the owner to an Admit answered; "
      "lease 3 s)\n",
      static_cast<long long>(visitors), failover);
  cluster->reset();
  std::filesystem::remove_all(dir);
  return 0;
}

int SurgeMode() {
  SurgeOptions options;
  options.visitors = absl::GetFlag(FLAGS_surge_visitors);
  options.ramp_seconds = absl::GetFlag(FLAGS_ramp_seconds);
  options.compression = absl::GetFlag(FLAGS_compression);
  options.cap = absl::GetFlag(FLAGS_cap);
  options.visit_seconds = absl::GetFlag(FLAGS_visit_seconds);
  options.abandon_share = absl::GetFlag(FLAGS_abandon_share);
  options.session_ttl_seconds = absl::GetFlag(FLAGS_lease_seconds);
  options.sync_writes = absl::GetFlag(FLAGS_sync_writes);
  options.connections = absl::GetFlag(FLAGS_connections);
  options.anteroomd = AnteroomdPath();
  if (options.visitors < 1 || options.ramp_seconds <= 0 || options.compression < 1 ||
      options.cap < 1 || options.visit_seconds <= 0 || options.session_ttl_seconds <= 0 ||
      options.abandon_share < 0 || options.abandon_share > 1) {
    std::fprintf(stderr,
                 "surge: --surge_visitors, --ramp_seconds, --cap, --visit_seconds and "
                 "--lease_seconds must be positive, --compression at least 1, --abandon_share "
                 "within 0..1\n");
    return 2;
  }
  return Surge(options);
}

int MethodsMode(const std::string& mode) {
  MethodsOptions options;
  if (mode != "methods") options.methods = {mode};
  options.in_flight.clear();
  for (const std::string& depth : absl::GetFlag(FLAGS_in_flight)) {
    int n = 0;
    if (!absl::SimpleAtoi(depth, &n) || n < 1) {
      std::fprintf(stderr, "--in_flight: %s is not a positive number\n", depth.c_str());
      return 2;
    }
    options.in_flight.push_back(n);
  }
  options.seconds = absl::GetFlag(FLAGS_seconds);
  options.room_visitors = absl::GetFlag(FLAGS_room_visitors);
  options.sessions = absl::GetFlag(FLAGS_sessions);
  options.connections = absl::GetFlag(FLAGS_connections);
  options.redis = absl::GetFlag(FLAGS_redis);
  options.replicated = absl::GetFlag(FLAGS_replicated);
  options.anteroomd = AnteroomdPath();
  options.noop = BuiltBinary(absl::GetFlag(FLAGS_noop), "anteroom-noop");
  options.table_out = absl::GetFlag(FLAGS_table_out);
  options.plot_data = absl::GetFlag(FLAGS_plot_data);
  return Methods(options);
}

}  // namespace
}  // namespace anteroom::bench

int main(int argc, char** argv) {
  anteroom::base::PromptGrpcReconnects();  // before anything starts gRPC
  anteroom::base::SetProgramUsage(
      "anteroom-bench scale|recovery|replicated|poll|heartbeat|admit|methods|surge [flags]",
      __FILE__);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const std::string mode = args.size() == 2 ? args[1] : "";
  if (mode == "scale") return anteroom::bench::Scale();
  if (mode == "recovery") return anteroom::bench::Recovery();
  if (mode == "replicated") return anteroom::bench::Replicated();
  if (mode == "surge") return anteroom::bench::SurgeMode();
  if (mode == "poll" || mode == "heartbeat" || mode == "admit" || mode == "methods") {
    return anteroom::bench::MethodsMode(mode);
  }
  std::fprintf(
      stderr,
      "usage: anteroom-bench scale [--visitors=N] [--lookups=N]\n"
      "       anteroom-bench recovery [--visitors=N] [--churn=M] [--anteroomd=PATH]\n"
      "       anteroom-bench replicated [--visitors=N] [--anteroomd=PATH]\n"
      "       anteroom-bench poll|heartbeat|admit|methods [--seconds=S] "
      "[--in_flight=64,512,1024]\n"
      "           [--room_visitors=N] [--sessions=N] [--connections=N] [--redis] "
      "[--replicated]\n"
      "           [--table_out=FILE] [--plot_data=FILE]\n"
      "       anteroom-bench surge [--surge_visitors=N] [--ramp_seconds=S] "
      "[--compression=X] [--cap=N]\n"
      "           [--visit_seconds=S] [--lease_seconds=S] [--abandon_share=F] [--sync_writes] "
      "[--connections=N]\n");
  return 2;
}
