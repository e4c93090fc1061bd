#include "tests/bench/methods.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tests/bench/load.h"
#include "tests/bench/redis_peer.h"
#include "tests/bench/servers.h"
#include "tests/testing/admin.h"
#include "tests/testing/daemon.h"

namespace anteroom::bench {
namespace {

// One measured row of the table.
struct Row {
  std::string method;
  std::string server;
  int in_flight = 0;
  double rate = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0;
  double server_cpu_us_per_call = 0;
  double generator_cpu_us_per_call = 0;
  int64_t errors = 0;
  std::string errors_text;
  double vs_noop = 0;  // rate over the no-op server's at the same method and depth
  double vs_best = 0;  // rate over this server's best rate for the method
};

// A server under test: its name, its process (for CPU time), and how to load it.
struct Target {
  std::string name;
  int pid = 0;
  std::function<RunResult(int in_flight, double seconds)> run;
};

constexpr char kNoop[] = "gRPC alone (no-op)";

Row Measure(const std::string& method, const Target& target, int in_flight, double seconds) {
  const double cpu_before = ProcessCpuSeconds(target.pid);
  const double generator_before = ProcessCpuSeconds(getpid());
  RunResult r = target.run(in_flight, seconds);
  const double cpu = ProcessCpuSeconds(target.pid) - cpu_before;
  const double generator = ProcessCpuSeconds(getpid()) - generator_before;
  Row row;
  row.method = method;
  row.server = target.name;
  row.in_flight = in_flight;
  row.rate = r.rate();
  row.p50_us = r.latency->Percentile(0.50);
  row.p99_us = r.latency->Percentile(0.99);
  row.p999_us = r.latency->Percentile(0.999);
  const double calls = static_cast<double>(std::max<int64_t>(r.latency->count(), 1));
  row.server_cpu_us_per_call = cpu * 1e6 / calls;
  row.generator_cpu_us_per_call = generator * 1e6 / calls;
  row.errors = r.error_count();
  row.errors_text = r.ErrorsText();
  std::fprintf(stderr, "  %-9s %-32s %5d in flight: %8.0f/s p99 %7.0f us errors %s\n",
               method.c_str(), target.name.c_str(), in_flight, row.rate, row.p99_us,
               row.errors_text.c_str());
  return row;
}

// Every target at every depth, interleaved (depth by depth) so that a noisy moment of the
// machine touches all of them alike; each target is warmed up for a second first.
void MeasureAll(const std::string& method, const std::vector<Target>& targets,
                const MethodsOptions& options, std::vector<Row>* rows) {
  for (const Target& t : targets) t.run(options.in_flight.front(), 1);
  for (int depth : options.in_flight) {
    for (const Target& t : targets) rows->push_back(Measure(method, t, depth, options.seconds));
  }
}

// Each row's rate over the no-op server's at its method and depth, and over its server's
// best rate for the method.
void Ratios(std::vector<Row>* rows) {
  std::map<std::pair<std::string, std::string>, double> best;
  std::map<std::pair<std::string, int>, double> noop;
  for (const Row& r : *rows) {
    double& b = best[{r.method, r.server}];
    b = std::max(b, r.rate);
    if (r.server == kNoop) noop[{r.method, r.in_flight}] = r.rate;
  }
  for (Row& r : *rows) {
    r.vs_best = r.rate / best[{r.method, r.server}];
    const double n = noop[{r.method, r.in_flight}];
    r.vs_noop = n > 0 ? r.rate / n : 0;
  }
}

// Server processes started for one method, stopped when it ends.
struct Servers {
  explicit Servers(std::string d) : dir(std::move(d)) {}
  std::string dir;
  std::vector<std::unique_ptr<testing::Daemon>> daemons;
  std::unique_ptr<RedisPeer> redis;
  std::unique_ptr<ReplicatedCluster> replicated;
  ~Servers() {
    replicated.reset();
    redis.reset();
    for (auto& d : daemons) d->Terminate();
    daemons.clear();
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
  testing::Daemon* Start(const std::string& binary, const std::string& name,
                         std::vector<std::string> args = {}) {
    auto d = testing::Daemon::Start(binary, absl::StrCat(dir, "/", name), std::move(args),
                                    absl::Minutes(5));
    if (!d.ok()) {
      std::fprintf(stderr, "%s did not start: %s\n", name.c_str(),
                   std::string(d.status().message()).c_str());
      return nullptr;
    }
    daemons.push_back(*std::move(d));
    return daemons.back().get();
  }
};

WaitingRoomClient* Client(const std::string& address, int connections) {
  return WaitingRoomClient::Keep(address, connections);
}

Target GrpcTarget(std::string name, int pid, WaitingRoomClient* client, Method method,
                  std::vector<std::string> values) {
  auto shared = std::make_shared<std::vector<std::string>>(std::move(values));
  return {std::move(name), pid, [client, method, shared](int in_flight, double seconds) {
            return DriveGrpc(client, method, "bench", *shared, in_flight, seconds);
          }};
}

Target RedisTarget(std::string name, RedisPeer* redis, Method method) {
  return {std::move(name), redis->pid(), [redis, method](int in_flight, double seconds) {
            return redis->Drive(method, in_flight, seconds);
          }};
}

// Fills room "bench" on `gateway` with `n` new visitors.
absl::StatusOr<Admitted> Fill(const std::string& gateway, int64_t n, int connections) {
  const SteadyTime start = std::chrono::steady_clock::now();
  Admitted got = AdmitMany(Client(gateway, connections), "bench", "v", n, 256);
  if (got.errors > 0) {
    return absl::UnavailableError(absl::StrCat(got.errors, " Admits of the fill failed"));
  }
  std::fprintf(stderr, "  filled %lld visitors in %.1f s\n", static_cast<long long>(n),
               SecondsSince(start));
  // In a random order: each run's calls spread over the whole room, as visitors' do.
  std::mt19937_64 random(42);
  std::shuffle(got.tickets.begin(), got.tickets.end(), random);
  std::shuffle(got.sessions.begin(), got.sessions.end(), random);
  return got;
}

bool StartRedis(Servers* s, const std::string& name, int64_t waiting, int64_t sessions) {
  const std::string dir = absl::StrCat(s->dir, "/", name);
  std::filesystem::create_directories(dir);
  absl::StatusOr<std::unique_ptr<RedisPeer>> redis = RedisPeer::Start(dir, "everysec");
  if (!redis.ok()) {
    std::fprintf(stderr, "redis: %s\n", redis.status().ToString().c_str());
    return false;
  }
  s->redis = *std::move(redis);
  absl::Status filled = s->redis->Fill(waiting, sessions);
  if (!filled.ok()) std::fprintf(stderr, "redis fill: %s\n", filled.ToString().c_str());
  return filled.ok();
}

// The replicated cluster's owner, with `room` created (capacity `cap`); null when it failed.
testing::Daemon* StartReplicated(Servers* s, const MethodsOptions& options, uint32_t cap,
                                 absl::Duration session_ttl) {
  absl::StatusOr<std::unique_ptr<ReplicatedCluster>> cluster =
      ReplicatedCluster::Start(options.anteroomd, s->dir + "/replicated");
  if (!cluster.ok()) {
    std::fprintf(stderr, "replicated: %s\n", cluster.status().ToString().c_str());
    return nullptr;
  }
  s->replicated = *std::move(cluster);
  const int owner = s->replicated->Owner();
  if (owner < 0) return nullptr;
  testing::Daemon* d = s->replicated->nodes()[static_cast<size_t>(owner)].get();
  if (!testing::CreateRoom(d->admin_address(), "bench", cap, session_ttl).ok()) return nullptr;
  return d;
}

bool PollRows(const MethodsOptions& options, std::vector<Row>* rows) {
  Servers s(testing::MakeTempDir("anteroom-bench-poll"));
  testing::Daemon* a = s.Start(options.anteroomd, "anteroomd");
  testing::Daemon* noop = s.Start(options.noop, "noop");
  if (a == nullptr || noop == nullptr) return false;
  // One session holds the only slot; everyone else waits.
  if (!testing::CreateRoom(a->admin_address(), "bench", 1, absl::Hours(24)).ok()) return false;
  absl::StatusOr<Admitted> filled =
      Fill(a->gateway_address(), options.room_visitors + 1, options.connections);
  if (!filled.ok()) return false;
  const std::vector<std::string>& tickets = filled->tickets;
  std::vector<Target> targets = {
      GrpcTarget("anteroomd", a->pid(), Client(a->gateway_address(), options.connections),
                 Method::kPoll, tickets),
      GrpcTarget(kNoop, noop->pid(), Client(noop->gateway_address(), options.connections),
                 Method::kPoll, tickets)};
  if (options.redis) {
    if (!StartRedis(&s, "redis", options.room_visitors, 1)) return false;
    targets.push_back(RedisTarget("Redis sorted set (AOF everysec)", s.redis.get(), Method::kPoll));
  }
  MeasureAll("Poll", targets, options, rows);
  return true;
}

// Heartbeat's room: sessions of the rooms' default lease. A lease is persisted a lease ahead
// (core::LeaseTable), so once every session has arrived (its first heartbeat, written), the
// measured heartbeats renew in memory and write nothing: a session writes about once per
// lease length. The write path is measured by Admit, and heartbeats' writes by the surge.
constexpr absl::Duration kHeartbeatLease = absl::Minutes(5);

// Every session's first heartbeat (its arrival, which is written), before measuring.
bool Arrive(const std::string& gateway, const std::vector<std::string>& sessions, int connections) {
  RunResult r = DriveGrpc(Client(gateway, connections), Method::kHeartbeat, "bench", sessions, 256,
                          600, static_cast<int64_t>(sessions.size()));
  if (r.error_count() > 0) std::fprintf(stderr, "arrival: %s\n", r.ErrorsText().c_str());
  return r.error_count() == 0;
}

bool HeartbeatRows(const MethodsOptions& options, std::vector<Row>* rows) {
  Servers s(testing::MakeTempDir("anteroom-bench-heartbeat"));
  testing::Daemon* a = s.Start(options.anteroomd, "anteroomd");
  testing::Daemon* noop = s.Start(options.noop, "noop");
  if (a == nullptr || noop == nullptr) return false;
  const auto cap = static_cast<uint32_t>(options.sessions);
  if (!testing::CreateRoom(a->admin_address(), "bench", cap, kHeartbeatLease).ok()) return false;
  absl::StatusOr<Admitted> filled =
      Fill(a->gateway_address(), options.sessions, options.connections);
  if (!filled.ok()) return false;
  const std::vector<std::string>& sessions = filled->sessions;
  if (!Arrive(a->gateway_address(), sessions, options.connections)) return false;
  std::vector<Target> targets = {
      GrpcTarget("anteroomd", a->pid(), Client(a->gateway_address(), options.connections),
                 Method::kHeartbeat, sessions),
      GrpcTarget(kNoop, noop->pid(), Client(noop->gateway_address(), options.connections),
                 Method::kHeartbeat, sessions)};
  if (options.redis) {
    if (!StartRedis(&s, "redis", 0, options.sessions)) return false;
    targets.push_back(
        RedisTarget("Redis sorted set (AOF everysec)", s.redis.get(), Method::kHeartbeat));
  }
  MeasureAll("Heartbeat", targets, options, rows);
  // The cluster last, alone: its standbys and etcd members work even when idle, and would
  // slow the rows measured beside them.
  if (options.replicated) {
    s.redis.reset();
    testing::Daemon* owner = StartReplicated(&s, options, cap, kHeartbeatLease);
    if (owner == nullptr) return false;
    absl::StatusOr<Admitted> replicated =
        Fill(owner->gateway_address(), options.sessions, options.connections);
    if (!replicated.ok() ||
        !Arrive(owner->gateway_address(), replicated->sessions, options.connections)) {
      return false;
    }
    MeasureAll("Heartbeat",
               {GrpcTarget("anteroomd replicated (3 etcd)", owner->pid(),
                           Client(owner->gateway_address(), options.connections),
                           Method::kHeartbeat, replicated->sessions)},
               options, rows);
  }
  return true;
}

bool AdmitRows(const MethodsOptions& options, std::vector<Row>* rows) {
  Servers s(testing::MakeTempDir("anteroom-bench-admit"));
  testing::Daemon* a = s.Start(options.anteroomd, "anteroomd", {"--sync_writes=false"});
  testing::Daemon* sync = s.Start(options.anteroomd, "anteroomd-sync", {"--sync_writes=true"});
  testing::Daemon* noop = s.Start(options.noop, "noop");
  if (a == nullptr || sync == nullptr || noop == nullptr) return false;
  for (testing::Daemon* d : {a, sync}) {
    if (!testing::CreateRoom(d->admin_address(), "bench", 1'000, absl::Hours(24)).ok()) {
      return false;
    }
  }
  // Each Admit is a new visitor: client ids "a<run>-<i>", a prefix per run.
  auto admit_target = [&](std::string name, testing::Daemon* d) {
    WaitingRoomClient* client = Client(d->gateway_address(), options.connections);
    auto runs = std::make_shared<int>(0);
    return Target{std::move(name), d->pid(), [client, runs](int in_flight, double seconds) {
                    return DriveGrpc(client, Method::kAdmit, "bench",
                                     {absl::StrCat("a", ++*runs, "-")}, in_flight, seconds);
                  }};
  };
  std::vector<Target> targets = {admit_target("anteroomd (WAL, no fsync)", a),
                                 admit_target("anteroomd --sync_writes", sync),
                                 admit_target(kNoop, noop)};
  if (options.redis) {
    if (!StartRedis(&s, "redis", 0, 1'000)) return false;
    targets.push_back(
        RedisTarget("Redis sorted set (AOF everysec)", s.redis.get(), Method::kAdmit));
    RedisPeer* redis = s.redis.get();
    targets.push_back(
        {"Redis sorted set (AOF always)", redis->pid(), [redis](int in_flight, double seconds) {
           RunResult r;
           if (absl::Status s = redis->SetFsync("always"); !s.ok()) {
             ++r.errors[s.ToString()];
             return r;
           }
           r = redis->Drive(Method::kAdmit, in_flight, seconds);
           if (absl::Status s = redis->SetFsync("everysec"); !s.ok()) {
             ++r.errors[s.ToString()];
           }
           return r;
         }});
  }
  MeasureAll("Admit", targets, options, rows);
  if (options.replicated) {  // last and alone, as for Heartbeat
    s.redis.reset();
    testing::Daemon* owner = StartReplicated(&s, options, 1'000, absl::Hours(24));
    if (owner == nullptr) return false;
    MeasureAll("Admit", {admit_target("anteroomd replicated (3 etcd)", owner)}, options, rows);
  }
  return true;
}

std::string Json(const Row& r) {
  return absl::StrFormat(
      R"({"method":"%s","server":"%s","in_flight":%d,"calls_per_second":%.0f,"p50_us":%.0f,)"
      R"("p99_us":%.0f,"p999_us":%.0f,"server_cpu_us_per_call":%.1f,)"
      R"("generator_cpu_us_per_call":%.1f,"errors":%d,)"
      R"("vs_noop":%.3f,"vs_best":%.3f})",
      r.method, r.server, r.in_flight, r.rate, r.p50_us, r.p99_us, r.p999_us,
      r.server_cpu_us_per_call, r.generator_cpu_us_per_call, r.errors, r.vs_noop, r.vs_best);
}

}  // namespace

int Methods(const MethodsOptions& options) {
  std::vector<Row> rows;
  bool ok = true;
  for (const std::string& m : options.methods) {
    std::fprintf(stderr, "%s:\n", m.c_str());
    if (m == "poll") {
      ok = PollRows(options, &rows) && ok;
    } else if (m == "heartbeat") {
      ok = HeartbeatRows(options, &rows) && ok;
    } else if (m == "admit") {
      ok = AdmitRows(options, &rows) && ok;
    } else {
      std::fprintf(stderr, "unknown method %s (poll, heartbeat or admit)\n", m.c_str());
      return 2;
    }
  }
  for (const Row& r : rows) {
    if (r.errors > 0) {
      std::fprintf(stderr, "%s on %s at %d in flight: calls failed: %s\n", r.method.c_str(),
                   r.server.c_str(), r.in_flight, r.errors_text.c_str());
      ok = false;
    }
  }
  Ratios(&rows);
  // Depth by depth within each method, the replicated rows measured last among them.
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    auto order = [&](const Row& r) {
      return std::find(options.methods.begin(), options.methods.end(),
                       absl::AsciiStrToLower(r.method)) -
             options.methods.begin();
    };
    return std::make_pair(order(a), a.in_flight) < std::make_pair(order(b), b.in_flight);
  });
  std::string table = absl::StrFormat(
      "| method | server | in flight | calls/s | × no-op | × its best | p50 ms | p99 ms | "
      "p99.9 ms | server CPU µs/call | generator CPU µs/call | errors |\n"
      "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
  for (const Row& r : rows) {
    absl::StrAppendFormat(
        &table, "| %s | %s | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f | %s |\n",
        r.method, r.server, r.in_flight, r.rate, r.vs_noop, r.vs_best, r.p50_us / 1000,
        r.p99_us / 1000, r.p999_us / 1000, r.server_cpu_us_per_call, r.generator_cpu_us_per_call,
        r.errors_text);
  }
  std::printf("%s", table.c_str());
  if (!options.table_out.empty()) std::ofstream(options.table_out) << table;
  if (!options.plot_data.empty()) {
    std::ofstream plot(options.plot_data);
    plot << "# method\tserver\tin_flight\tcalls_per_second\tp50_ms\tp99_ms\n";
    std::vector<Row> grouped = rows;  // each server's points together, so gnuplot joins them
    std::stable_sort(grouped.begin(), grouped.end(), [](const Row& a, const Row& b) {
      return std::tie(a.method, a.server) < std::tie(b.method, b.server);
    });
    for (const Row& r : grouped) {
      plot << r.method << '\t' << r.server << '\t' << r.in_flight << '\t' << r.rate << '\t'
           << r.p50_us / 1000 << '\t' << r.p99_us / 1000 << '\n';
    }
  }
  std::vector<std::string> json;
  json.reserve(rows.size());
  for (const Row& r : rows) json.push_back(Json(r));
  std::printf("{\"methods\":[%s],\"ok\":%s}\n", absl::StrJoin(json, ",").c_str(),
              ok ? "true" : "false");
  return ok ? 0 : 1;
}

}  // namespace anteroom::bench
