#include "tests/bench/load.h"

#include <unistd.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace anteroom::bench {

double SecondsSince(SteadyTime since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

namespace {
const double kLogStep = std::log(1.01);
}  // namespace

void Histogram::Add(double micros) {
  const int i = micros <= 1 ? 0 : static_cast<int>(std::log(micros) / kLogStep);
  buckets_[std::min(i, kBuckets - 1)].fetch_add(1, std::memory_order_relaxed);
}

int64_t Histogram::count() const {
  int64_t n = 0;
  for (const auto& b : buckets_) n += b.load(std::memory_order_relaxed);
  return n;
}

double Histogram::Percentile(double p) const {
  const int64_t n = count();
  if (n == 0) return 0;
  const auto rank = static_cast<int64_t>(std::ceil(p * static_cast<double>(n)));
  int64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen >= std::max<int64_t>(rank, 1)) return std::exp((i + 0.5) * kLogStep);
  }
  return std::exp(kBuckets * kLogStep);
}

int64_t RunResult::error_count() const {
  int64_t n = 0;
  for (const auto& [code, count] : errors) n += count;
  return n;
}

std::string RunResult::ErrorsText() const {
  if (errors.empty()) return "none";
  return absl::StrJoin(errors, " ", absl::PairFormatter("="));
}

const char* MethodName(Method m) {
  switch (m) {
    case Method::kAdmit:
      return "Admit";
    case Method::kPoll:
      return "Poll";
    case Method::kHeartbeat:
      return "Heartbeat";
    case Method::kLeave:
      return "Leave";
  }
  return "?";
}

WaitingRoomClient::WaitingRoomClient(const std::string& address, int connections) {
  for (int i = 0; i < connections; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("anteroom.bench.connection", i);  // a distinct argument: a connection of its own
    channels_.push_back(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
    stubs_.push_back(v1::WaitingRoom::NewStub(channels_.back()));
  }
}

WaitingRoomClient* WaitingRoomClient::Keep(const std::string& address, int connections) {
  static auto* const kept = new std::vector<std::unique_ptr<WaitingRoomClient>>;
  static auto* const mu = new base::Mutex;
  base::MutexLock lock(mu);
  kept->push_back(std::unique_ptr<WaitingRoomClient>(new WaitingRoomClient(address, connections)));
  return kept->back().get();
}

v1::WaitingRoom::Stub* WaitingRoomClient::stub() {
  return stubs_[next_.fetch_add(1, std::memory_order_relaxed) % stubs_.size()].get();
}

namespace {

// One run of DriveGrpc: every finished call starts the next until the deadline.
class GrpcDriver {
 public:
  GrpcDriver(WaitingRoomClient* client, Method method, const std::string& room,
             const std::vector<std::string>& values, double seconds, int64_t max_calls,
             RunResult* result)
      : max_calls_(max_calls),
        client_(client),
        method_(method),
        room_(room),
        values_(values),
        deadline_(std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::duration<double>(seconds))),
        result_(result) {}

  void Run(int in_flight) {
    const SteadyTime start = std::chrono::steady_clock::now();
    const int64_t first = max_calls_ > 0 ? std::min<int64_t>(in_flight, max_calls_) : in_flight;
    {
      base::MutexLock lock(&mu_);
      in_flight_ = first;
    }
    for (int64_t i = 0; i < first; ++i) Issue(next_.fetch_add(1, std::memory_order_relaxed));
    base::MutexLock lock(&mu_);
    while (in_flight_ > 0) done_.WaitWithTimeout(&mu_, absl::Seconds(1));
    result_->seconds = SecondsSince(start);
  }

 private:
  template <typename Request, typename Response, typename Async>
  void Send(Async async, const std::function<void(Request*)>& fill) {
    auto* call = new Call<Request, Response>;
    fill(&call->request);
    call->sent = SteadyNanos();
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    async(&call->context, &call->request, &call->response,
          [this, call](const grpc::Status& status) {
            Finished(call->sent, status);
            delete call;
          });
  }

  // Sends call number `i`.
  void Issue(int64_t i) {
    const std::string& value = values_[static_cast<size_t>(i) % values_.size()];
    v1::WaitingRoom::StubInterface::async_interface* async = client_->stub()->async();
    using Done = std::function<void(grpc::Status)>;
    switch (method_) {
      case Method::kAdmit:
        Send<v1::AdmitRequest, v1::VisitorStatus>(
            [async](auto* c, auto* q, auto* r, Done d) { async->Admit(c, q, r, std::move(d)); },
            [&](v1::AdmitRequest* q) {
              q->set_room(room_);
              q->set_client_id(absl::StrCat(value, i));
            });
        break;
      case Method::kPoll:
        Send<v1::PollRequest, v1::VisitorStatus>(
            [async](auto* c, auto* q, auto* r, Done d) { async->Poll(c, q, r, std::move(d)); },
            [&](v1::PollRequest* q) { q->set_ticket(value); });
        break;
      case Method::kHeartbeat:
        Send<v1::HeartbeatRequest, v1::VisitorStatus>(
            [async](auto* c, auto* q, auto* r, Done d) { async->Heartbeat(c, q, r, std::move(d)); },
            [&](v1::HeartbeatRequest* q) { q->set_session(value); });
        break;
      case Method::kLeave:
        Send<v1::LeaveRequest, v1::LeaveResponse>(
            [async](auto* c, auto* q, auto* r, Done d) { async->Leave(c, q, r, std::move(d)); },
            [&](v1::LeaveRequest* q) { q->set_token(value); });
        break;
    }
  }

  void Finished(int64_t sent, const grpc::Status& status) {
    const SteadyTime now = std::chrono::steady_clock::now();
    if (status.ok()) {
      result_->latency->Add(static_cast<double>(SteadyNanos() - sent) / 1e3);
    } else {
      base::MutexLock lock(&mu_);
      ++result_
            ->errors[absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()))];
    }
    if (now < deadline_) {
      const int64_t i = next_.fetch_add(1, std::memory_order_relaxed);
      if (max_calls_ == 0 || i < max_calls_) {
        Issue(i);
        return;
      }
    }
    base::MutexLock lock(&mu_);
    if (--in_flight_ == 0) done_.SignalAll();
  }

  const int64_t max_calls_;  // 0: no limit
  WaitingRoomClient* const client_;
  const Method method_;
  const std::string& room_;
  const std::vector<std::string>& values_;
  const SteadyTime deadline_;
  RunResult* const result_;
  std::atomic<int64_t> next_{0};
  base::Mutex mu_;
  base::CondVar done_;
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

RunResult DriveGrpc(WaitingRoomClient* client, Method method, const std::string& room,
                    const std::vector<std::string>& values, int in_flight, double seconds,
                    int64_t max_calls) {
  RunResult result;
  GrpcDriver driver(client, method, room, values, seconds, max_calls, &result);
  driver.Run(in_flight);
  return result;
}

Admitted AdmitMany(WaitingRoomClient* client, const std::string& room, const std::string& prefix,
                   int64_t n, int in_flight) {
  Admitted got;
  base::Mutex mu;
  base::CondVar cv;
  int64_t next = 0, done = 0;
  using AdmitCall = Call<v1::AdmitRequest, v1::VisitorStatus>;
  // Sends call `i`; each answer sends the next unanswered one, reserved under the lock so
  // that the last answer touches nothing of this frame once it has counted itself done.
  std::function<void(int64_t)> send = [&](int64_t i) {
    auto* call = new AdmitCall;
    call->request.set_room(room);
    call->request.set_client_id(absl::StrCat(prefix, i));
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    client->stub()->async()->Admit(&call->context, &call->request, &call->response,
                                   [&, call](const grpc::Status& status) {
                                     int64_t again = -1;
                                     {
                                       base::MutexLock lock(&mu);
                                       if (!status.ok()) {
                                         ++got.errors;
                                       } else if (call->response.session().empty()) {
                                         got.tickets.push_back(call->response.ticket());
                                       } else {
                                         got.sessions.push_back(call->response.session());
                                       }
                                       ++done;
                                       if (next < n) again = next++;
                                       cv.SignalAll();
                                     }
                                     delete call;
                                     if (again >= 0) send(again);
                                   });
  };
  for (int k = 0; k < in_flight; ++k) {
    int64_t i;
    {
      base::MutexLock lock(&mu);
      if (next >= n) break;
      i = next++;
    }
    send(i);
  }
  base::MutexLock lock(&mu);
  while (done < n) cv.WaitWithTimeout(&mu, absl::Seconds(1));
  return got;
}

double ProcessCpuSeconds(int pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(stat, line)) return -1;
  // Fields after the command's closing parenthesis: state is field 3; utime and stime are
  // fields 14 and 15.
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace anteroom::bench
