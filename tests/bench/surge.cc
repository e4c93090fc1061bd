#include "tests/bench/surge.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "anteroom/v1/room_admin.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "tests/bench/load.h"
#include "tests/testing/daemon.h"

namespace anteroom::bench {
namespace {

using Nanos = int64_t;  // since the run's start
constexpr int kMethods = 4;
constexpr int kSecondsTracked = 3600;
constexpr Nanos kSlowCall = 10'000'000;  // the surge's latency target

Nanos ToNanos(double seconds) { return static_cast<Nanos>(seconds * 1e9); }
Nanos ToNanos(const google::protobuf::Duration& d) {
  return d.seconds() * 1'000'000'000 + d.nanos();
}

// One visitor's story. Touched by one thread at a time: each visitor has at most one call in
// flight or one wake-up scheduled, and both hand over through the scheduler's lock.
struct Visitor {
  std::string token;  // the ticket while waiting, the session once admitted
  Method next = Method::kAdmit;
  Nanos admit_sent = -1;
  Nanos admit_answered = -1;
  Nanos last_waiting_sent = -1;  // sending time of the last answer that said "waiting"
  Nanos admitted_seen = -1;      // arrival time of the first answer that said "admitted"
  Nanos leave_at = -1;
  uint64_t last_position = UINT64_MAX;
  int polls_left = -1;         // an abandoner's polls before it gives up; -1: keeps polling
  bool lost = false;           // answered EXPIRED or REJECTED though it kept going
  bool abandoned = false;      // stopped polling, as planned
  bool leaving = false;        // its Leave was sent
  bool leave_retried = false;  // a Leave failed and was sent again (may then find it ended)
  bool left = false;           // its Leave was answered
};

class SurgeRun {
 public:
  SurgeRun(const SurgeOptions& options, WaitingRoomClient* client)
      : options_(options),
        client_(client),
        visitors_(static_cast<size_t>(options.visitors)),
        per_second_(new std::atomic<int64_t>[static_cast<size_t>(kMethods) * kSecondsTracked]()),
        slow_per_second_(new std::atomic<int64_t>[kSecondsTracked]()),
        start_(std::chrono::steady_clock::now()) {
    std::mt19937_64 random(2026);
    std::uniform_real_distribution<double> unit(0, 1);
    for (auto& v : visitors_) {
      if (unit(random) < options.abandon_share) v.polls_left = static_cast<int>(random() % 4);
    }
    base::MutexLock lock(&mu_);
    for (int64_t i = 0; i < options.visitors; ++i) {
      wakeups_.emplace(ToNanos(options.ramp_seconds * static_cast<double>(i) /
                               static_cast<double>(options.visitors)),
                       i);
    }
  }

  // Dispatches wake-ups until every visitor is done or the drain time is over.
  void Run() {
    const Nanos end = ToNanos(options_.ramp_seconds + options_.drain_seconds);
    base::MutexLock lock(&mu_);
    while (finished_ < options_.visitors && Now() < end) {
      if (wakeups_.empty()) {
        changed_.WaitWithTimeout(&mu_, absl::Milliseconds(100));
        continue;
      }
      const Nanos due = wakeups_.top().first;
      const Nanos now = Now();
      if (due > now) {
        changed_.WaitWithTimeout(&mu_, absl::Nanoseconds(due - now));
        continue;
      }
      std::vector<int64_t> batch;
      while (!wakeups_.empty() && wakeups_.top().first <= now && batch.size() < 256) {
        batch.push_back(wakeups_.top().second);
        wakeups_.pop();
      }
      mu_.Unlock();
      for (int64_t v : batch) Send(v);
      mu_.Lock();
    }
    // Let the calls still in flight finish (they have 10 s deadlines).
    while (in_flight_ > 0) changed_.WaitWithTimeout(&mu_, absl::Milliseconds(100));
    seconds_ = SecondsSince(start_);
  }

  Nanos Now() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                start_)
        .count();
  }

  // The report: figures, invariants, and whether they all held.
  bool Report(int64_t server_max_active, int64_t server_max_queue, int64_t rss_max,
              double server_cpu, double generator_cpu) {
    // FIFO: sort who kept polling by when their Admit was answered; X breaks FIFO when some
    // Y answered before X's Admit was sent was still told "waiting" after X learned it was in.
    std::vector<const Visitor*> kept;
    int64_t unfinished = 0, lost = 0;
    for (const Visitor& v : visitors_) {
      if (v.lost) ++lost;
      if (v.abandoned) continue;
      if (!v.left) ++unfinished;
      if (v.admit_answered >= 0) kept.push_back(&v);
    }
    std::sort(kept.begin(), kept.end(), [](const Visitor* a, const Visitor* b) {
      return a->admit_answered < b->admit_answered;
    });
    std::vector<Nanos> answered, prefix_max_waiting;
    Nanos m = -1;
    for (const Visitor* v : kept) {
      answered.push_back(v->admit_answered);
      m = std::max(m, v->last_waiting_sent);
      prefix_max_waiting.push_back(m);
    }
    int64_t fifo_violations = 0;
    for (const Visitor* x : kept) {
      if (x->admitted_seen < 0) continue;
      const auto before =
          std::lower_bound(answered.begin(), answered.end(), x->admit_sent) - answered.begin();
      if (before > 0 && prefix_max_waiting[static_cast<size_t>(before - 1)] > x->admitted_seen) {
        ++fifo_violations;
      }
    }
    Histogram to_admission;  // milliseconds from Admit sent to being told "admitted"
    for (const Visitor* v : kept) {
      if (v->admitted_seen >= 0)
        to_admission.Add(static_cast<double>(v->admitted_seen - v->admit_sent) / 1e6);
    }

    std::printf(
        "surge: %lld visitors arriving over %.0f s, time compressed %gx, cap %lld, mean visit "
        "%.0f s (uncompressed), %.0f%% abandon; %.1f s in all\n",
        static_cast<long long>(options_.visitors), options_.ramp_seconds, options_.compression,
        static_cast<long long>(options_.cap), options_.visit_seconds, options_.abandon_share * 100,
        seconds_);
    std::printf(
        "| method | calls | peak calls/s | p50 ms | p99 ms | p99.9 ms "
        "|\n|---|--:|--:|--:|--:|--:|\n");
    std::vector<std::string> json_methods;
    int64_t peak_total = 0;
    for (int s = 0; s < kSecondsTracked; ++s) {
      int64_t total = 0;
      for (int k = 0; k < kMethods; ++k) total += per_second_[k * kSecondsTracked + s].load();
      peak_total = std::max(peak_total, total);
    }
    for (int k = 0; k < kMethods; ++k) {
      int64_t peak = 0;
      for (int s = 0; s < kSecondsTracked; ++s) {
        peak = std::max(peak, per_second_[k * kSecondsTracked + s].load());
      }
      const Histogram& h = latency_[k];
      const char* name = MethodName(static_cast<Method>(k));
      std::printf("| %s | %lld | %lld | %.2f | %.2f | %.2f |\n", name,
                  static_cast<long long>(h.count()), static_cast<long long>(peak),
                  h.Percentile(0.5) / 1000, h.Percentile(0.99) / 1000, h.Percentile(0.999) / 1000);
      json_methods.push_back(absl::StrFormat(
          R"("%s":{"calls":%d,"peak_per_second":%d,"p50_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f})",
          name, h.count(), peak, h.Percentile(0.5) / 1000, h.Percentile(0.99) / 1000,
          h.Percentile(0.999) / 1000));
    }
    std::string errors_text = "none";
    int64_t errors = 0;
    {
      base::MutexLock lock(&mu_);
      if (!errors_.empty()) errors_text = absl::StrJoin(errors_, " ", absl::PairFormatter("="));
      for (const auto& [code, n] : errors_) errors += n;
    }
    std::printf("peak calls/s, all methods: %lld; most calls in flight: %lld\n",
                static_cast<long long>(peak_total), static_cast<long long>(max_in_flight_.load()));
    std::printf("errors: %s\n", errors_text.c_str());
    // Whether the tail is spread over the run or comes in bursts.
    std::vector<std::pair<int64_t, int>> slow_seconds;  // (calls over the target, second)
    for (int s = 0; s < kSecondsTracked; ++s) {
      if (const int64_t n = slow_per_second_[s].load(); n > 0) slow_seconds.push_back({n, s});
    }
    std::sort(slow_seconds.rbegin(), slow_seconds.rend());
    int64_t slow_calls = 0, slow_in_worst_5 = 0;
    std::vector<std::string> worst;
    for (const auto& [n, second] : slow_seconds) {
      slow_calls += n;
      if (worst.size() < 5) {
        slow_in_worst_5 += n;
        worst.push_back(absl::StrCat(n, " at ", second, " s"));
      }
    }
    std::printf(
        "calls over %lld ms: %lld, answered in %zu of %.0f seconds; %.0f%% of them in the worst "
        "5 seconds (%s)\n",
        static_cast<long long>(kSlowCall / 1'000'000), static_cast<long long>(slow_calls),
        slow_seconds.size(), seconds_,
        slow_calls > 0 ? 100.0 * static_cast<double>(slow_in_worst_5) / slow_calls : 0.0,
        absl::StrJoin(worst, ", ").c_str());
    std::printf(
        "time to admission (Admit sent to told admitted), real: p50 %.2f s, p99 %.2f s, max "
        "%.2f s; uncompressed p50 %.0f s, p99 %.0f s\n",
        to_admission.Percentile(0.5) / 1000, to_admission.Percentile(0.99) / 1000,
        to_admission.Percentile(1.0) / 1000,
        to_admission.Percentile(0.5) / 1000 * options_.compression,
        to_admission.Percentile(0.99) / 1000 * options_.compression);
    std::printf(
        "server: RSS at most %.0f MiB, CPU %.1f s (%.2f cores over the run); the generator's "
        "CPU %.1f s\n",
        static_cast<double>(rss_max) / (1 << 20), server_cpu, server_cpu / seconds_, generator_cpu);
    const bool cap_ok =
        max_active_seen_.load() <= options_.cap && server_max_active <= options_.cap;
    std::printf(
        "invariants: sessions told and not yet left at most %lld (room's own count at most %lld; "
        "cap %lld): %s\n",
        static_cast<long long>(max_active_seen_.load()), static_cast<long long>(server_max_active),
        static_cast<long long>(options_.cap), cap_ok ? "held" : "BROKEN");
    std::printf(
        "  FIFO among %zu who kept polling: %lld told admitted while one before them was "
        "told to wait; %lld positions that grew: %s\n",
        kept.size(), static_cast<long long>(fifo_violations),
        static_cast<long long>(position_increases_.load()),
        fifo_violations == 0 && position_increases_ == 0 ? "held" : "BROKEN");
    std::printf(
        "  nobody lost: %lld answered EXPIRED or REJECTED, %lld who kept polling never "
        "admitted and left: %s\n",
        static_cast<long long>(lost), static_cast<long long>(unfinished),
        lost == 0 && unfinished == 0 ? "held" : "BROKEN");
    std::printf("  longest queue (room's count): %lld\n", static_cast<long long>(server_max_queue));
    const bool ok = cap_ok && fifo_violations == 0 && position_increases_ == 0 && lost == 0 &&
                    unfinished == 0 && errors == 0;
    std::printf(
        R"({"mode":"surge","visitors":%lld,"ramp_seconds":%.0f,"compression":%g,"cap":%lld,)"
        R"("seconds":%.1f,"methods":{%s},"peak_calls_per_second":%lld,"errors":%lld,)"
        R"("slow_calls":%lld,"seconds_with_slow_calls":%zu,)"
        R"("time_to_admission_p50_s":%.3f,"time_to_admission_p99_s":%.3f,)"
        R"("server_rss_max_bytes":%lld,"server_cpu_seconds":%.1f,"generator_cpu_seconds":%.1f,)"
        R"("max_active_seen":%lld,)"
        R"("server_max_active":%lld,"server_max_queue":%lld,"fifo_violations":%lld,)"
        R"("position_increases":%lld,"lost":%lld,"unfinished":%lld,"ok":%s})"
        "\n",
        static_cast<long long>(options_.visitors), options_.ramp_seconds, options_.compression,
        static_cast<long long>(options_.cap), seconds_, absl::StrJoin(json_methods, ",").c_str(),
        static_cast<long long>(peak_total), static_cast<long long>(errors),
        static_cast<long long>(slow_calls), slow_seconds.size(),
        to_admission.Percentile(0.5) / 1000, to_admission.Percentile(0.99) / 1000,
        static_cast<long long>(rss_max), server_cpu, generator_cpu,
        static_cast<long long>(max_active_seen_.load()), static_cast<long long>(server_max_active),
        static_cast<long long>(server_max_queue), static_cast<long long>(fifo_violations),
        static_cast<long long>(position_increases_.load()), static_cast<long long>(lost),
        static_cast<long long>(unfinished), ok ? "true" : "false");
    return ok;
  }

 private:
  void Schedule(int64_t v, Nanos at) {
    base::MutexLock lock(&mu_);
    const bool earliest = wakeups_.empty() || at < wakeups_.top().first;
    wakeups_.emplace(at, v);
    if (earliest) changed_.SignalAll();
  }

  void Finish(int64_t /*v*/) {
    base::MutexLock lock(&mu_);
    if (++finished_ == options_.visitors) changed_.SignalAll();
  }

  template <typename Request, typename Response, typename Async, typename OnAnswer>
  void Start(int64_t v, Async async, OnAnswer on_answer,
             const std::function<void(Request*)>& fill) {
    auto* call = new Call<Request, Response>;
    call->tag = v;
    fill(&call->request);
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    const int64_t now_in_flight = ++in_flight_atomic_;
    int64_t seen = max_in_flight_.load();
    while (now_in_flight > seen && !max_in_flight_.compare_exchange_weak(seen, now_in_flight)) {
    }
    {
      base::MutexLock lock(&mu_);
      ++in_flight_;
    }
    call->sent = Now();
    async(&call->context, &call->request, &call->response,
          [this, call, on_answer](const grpc::Status& status) {
            const Nanos received = Now();
            --in_flight_atomic_;
            const Method m = visitors_[static_cast<size_t>(call->tag)].next;
            if (status.ok()) {
              latency_[static_cast<int>(m)].Add(static_cast<double>(received - call->sent) / 1e3);
              const auto second = static_cast<int>(received / 1'000'000'000);
              if (second < kSecondsTracked) {
                per_second_[static_cast<int>(m) * kSecondsTracked + second].fetch_add(1);
                if (received - call->sent > kSlowCall) slow_per_second_[second].fetch_add(1);
              }
              on_answer(call->tag, call->response, call->sent, received);
            } else {
              {
                base::MutexLock lock(&mu_);
                ++errors_[absl::StrCat(
                    MethodName(m), " ",
                    absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())))];
              }
              Schedule(call->tag, received + ToNanos(0.05));  // try again shortly
            }
            delete call;
            base::MutexLock lock(&mu_);
            if (--in_flight_ == 0) changed_.SignalAll();
          });
  }

  // Sends visitor v's next call.
  void Send(int64_t v) {
    Visitor& visitor = visitors_[static_cast<size_t>(v)];
    v1::WaitingRoom::StubInterface::async_interface* async = client_->stub()->async();
    using Done = std::function<void(grpc::Status)>;
    auto on_status = [this](int64_t i, const v1::VisitorStatus& r, Nanos sent, Nanos received) {
      OnStatus(i, r, sent, received);
    };
    switch (visitor.next) {
      case Method::kAdmit:
        if (visitor.admit_sent < 0) visitor.admit_sent = Now();
        Start<v1::AdmitRequest, v1::VisitorStatus>(
            v, [async](auto* c, auto* q, auto* r, Done d) { async->Admit(c, q, r, std::move(d)); },
            on_status,
            [v](v1::AdmitRequest* q) {
              q->set_room("surge");
              q->set_client_id(absl::StrCat("visitor-", v));
            });
        break;
      case Method::kPoll:
        Start<v1::PollRequest, v1::VisitorStatus>(
            v, [async](auto* c, auto* q, auto* r, Done d) { async->Poll(c, q, r, std::move(d)); },
            on_status, [&](v1::PollRequest* q) { q->set_ticket(visitor.token); });
        break;
      case Method::kHeartbeat:
        Start<v1::HeartbeatRequest, v1::VisitorStatus>(
            v,
            [async](auto* c, auto* q, auto* r, Done d) { async->Heartbeat(c, q, r, std::move(d)); },
            on_status, [&](v1::HeartbeatRequest* q) { q->set_session(visitor.token); });
        break;
      case Method::kLeave:
        if (visitor.leaving) visitor.leave_retried = true;
        if (!visitor.leaving) {
          visitor.leaving = true;
          --active_seen_;  // counted out when first sent: never more than the room holds
        }
        Start<v1::LeaveRequest, v1::LeaveResponse>(
            v, [async](auto* c, auto* q, auto* r, Done d) { async->Leave(c, q, r, std::move(d)); },
            [this](int64_t i, const v1::LeaveResponse& r, Nanos, Nanos) {
              Visitor& leaver = visitors_[static_cast<size_t>(i)];
              // A session that had lapsed before its Leave was lost (unless an earlier
              // attempt of this Leave may have ended it).
              if (!r.ended() && !leaver.leave_retried) leaver.lost = true;
              leaver.left = true;
              Finish(i);
            },
            [&](v1::LeaveRequest* q) { q->set_token(visitor.token); });
        break;
    }
  }

  // When to call again after `r`. A session heartbeats at the poll_after it was given (its
  // lease, a room setting, is compressed already). A waiting visitor polls by the server's
  // rule with its bounds compressed: half the estimated wait (which the server already
  // measures on the compressed timeline) within 2..20 s, and at most 2 s per position of
  // the head of the line, those bounds divided by the compression.
  Nanos PollAfter(const v1::VisitorStatus& r) const {
    if (r.state() == v1::ADMITTED) return ToNanos(r.poll_after());
    const double k = options_.compression;
    const double wait = static_cast<double>(ToNanos(r.estimated_wait())) / 1e9;
    double seconds = std::clamp(wait / 2, 2 / k, 20 / k);
    if (r.position() > 0) seconds = std::min(seconds, 2 * static_cast<double>(r.position()) / k);
    return ToNanos(seconds);
  }

  // An answer to Admit, Poll or Heartbeat.
  void OnStatus(int64_t v, const v1::VisitorStatus& r, Nanos sent, Nanos received) {
    Visitor& visitor = visitors_[static_cast<size_t>(v)];
    if (visitor.next == Method::kAdmit) visitor.admit_answered = received;
    const Nanos hint = PollAfter(r);
    switch (r.state()) {
      case v1::ADMITTED: {
        if (visitor.admitted_seen < 0) {
          visitor.admitted_seen = received;
          visitor.token = r.session();
          const int64_t now_active = ++active_seen_;
          int64_t seen = max_active_seen_.load();
          while (now_active > seen && !max_active_seen_.compare_exchange_weak(seen, now_active)) {
          }
          std::mt19937_64 random(static_cast<uint64_t>(v));
          const double visit = options_.visit_seconds / options_.compression *
                               std::uniform_real_distribution<double>(0.5, 1.5)(random);
          visitor.leave_at = received + ToNanos(visit);
        }
        if (received + hint >= visitor.leave_at) {
          visitor.next = Method::kLeave;
          Schedule(v, visitor.leave_at);
        } else {
          visitor.next = Method::kHeartbeat;
          Schedule(v, received + hint);
        }
        return;
      }
      case v1::QUEUED:
      case v1::PRE_QUEUED: {
        if (visitor.next == Method::kHeartbeat) break;  // a session never goes back
        if (visitor.next == Method::kAdmit) visitor.token = r.ticket();
        visitor.last_waiting_sent = sent;
        if (r.position() > visitor.last_position) ++position_increases_;
        visitor.last_position = r.position();
        if (visitor.polls_left == 0) {
          visitor.abandoned = true;
          Finish(v);
          return;
        }
        if (visitor.polls_left > 0) --visitor.polls_left;
        visitor.next = Method::kPoll;
        Schedule(v, received + hint);
        return;
      }
      default:
        break;
    }
    if (visitor.next == Method::kHeartbeat) --active_seen_;  // the session is gone
    visitor.lost = true;  // told EXPIRED or REJECTED though it did all it was told
    Finish(v);
  }

  const SurgeOptions& options_;
  WaitingRoomClient* const client_;
  std::vector<Visitor> visitors_;
  Histogram latency_[kMethods];
  std::unique_ptr<std::atomic<int64_t>[]> per_second_;       // calls answered, by method and second
  std::unique_ptr<std::atomic<int64_t>[]> slow_per_second_;  // of those, over kSlowCall
  std::atomic<int64_t> active_seen_{0}, max_active_seen_{0};
  std::atomic<int64_t> position_increases_{0};
  std::atomic<int64_t> in_flight_atomic_{0}, max_in_flight_{0};
  const SteadyTime start_;
  double seconds_ = 0;

  base::Mutex mu_;
  base::CondVar changed_;
  std::priority_queue<std::pair<Nanos, int64_t>, std::vector<std::pair<Nanos, int64_t>>,
                      std::greater<>>
      wakeups_ ABSL_GUARDED_BY(mu_);
  int64_t finished_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int64_t> errors_ ABSL_GUARDED_BY(mu_);
};

absl::Status CreateSurgeRoom(const std::string& admin_address, const SurgeOptions& options) {
  auto admin = v1::RoomAdmin::NewStub(
      grpc::CreateChannel(admin_address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::CreateRoomRequest req;
  req.set_room("surge");
  v1::RoomSettings* s = req.mutable_settings();
  s->set_max_active_sessions(static_cast<uint32_t>(options.cap));
  s->mutable_session_ttl()->set_seconds(
      std::max<int64_t>(1, std::llround(options.session_ttl_seconds / options.compression)));
  // Those who abandon lose their place, and a slot nobody takes up is freed, after 30 s.
  s->mutable_place_hold()->set_seconds(30);
  s->mutable_arrival_ttl()->set_seconds(30);
  v1::Room created;
  grpc::Status status = admin->CreateRoom(&ctx, req, &created);
  if (!status.ok()) return absl::UnavailableError("CreateRoom: " + status.error_message());
  return absl::OkStatus();
}

}  // namespace

int Surge(const SurgeOptions& options) {
  const std::string dir = testing::MakeTempDir("anteroom-bench-surge");
  auto daemon = testing::Daemon::Start(
      options.anteroomd, dir + "/data",
      {absl::StrCat("--sync_writes=", options.sync_writes ? "true" : "false")});
  if (!daemon.ok()) {
    std::fprintf(stderr, "%s\n", std::string(daemon.status().message()).c_str());
    std::filesystem::remove_all(dir);
    return 1;
  }
  if (absl::Status s = CreateSurgeRoom((*daemon)->admin_address(), options); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    (*daemon)->Terminate();
    std::filesystem::remove_all(dir);
    return 1;
  }
  WaitingRoomClient* client =
      WaitingRoomClient::Keep((*daemon)->gateway_address(), options.connections);
  SurgeRun run(options, client);

  // The room's own count, memory and CPU, sampled while the surge runs.
  std::atomic<bool> running{true};
  int64_t server_max_active = 0, server_max_queue = 0, rss_max = 0;
  const double cpu_before = ProcessCpuSeconds((*daemon)->pid());
  const double generator_before = ProcessCpuSeconds(getpid());
  std::thread sampler([&] {
    auto admin = v1::RoomAdmin::NewStub(
        grpc::CreateChannel((*daemon)->admin_address(), grpc::InsecureChannelCredentials()));
    base::Mutex mu;
    base::CondVar never;
    base::MutexLock lock(&mu);
    while (running) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      v1::GetRoomStatusRequest req;
      req.set_room("surge");
      v1::RoomStatus status;
      if (admin->GetRoomStatus(&ctx, req, &status).ok()) {
        server_max_active =
            std::max(server_max_active, static_cast<int64_t>(status.active_sessions()));
        server_max_queue = std::max(server_max_queue, static_cast<int64_t>(status.queue_depth()));
      }
      rss_max = std::max(rss_max, testing::ProcessRssBytes((*daemon)->pid()));
      never.WaitWithTimeout(&mu, absl::Milliseconds(100));  // the sampling period
    }
  });
  run.Run();
  running = false;
  sampler.join();
  const double server_cpu = ProcessCpuSeconds((*daemon)->pid()) - cpu_before;
  const double generator_cpu = ProcessCpuSeconds(getpid()) - generator_before;
  const bool ok =
      run.Report(server_max_active, server_max_queue, rss_max, server_cpu, generator_cpu);
  (*daemon)->Terminate();
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}

}  // namespace anteroom::bench
