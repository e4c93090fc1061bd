// The benchmark's load generator: keeps a number of WaitingRoom calls in flight over
// asynchronous gRPC (callback API) and records each call's latency and outcome.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "base/mutex.h"

namespace anteroom::bench {

using SteadyTime = std::chrono::steady_clock::time_point;

double SecondsSince(SteadyTime since);

// Latencies in log-spaced buckets 1 % wide (from 1 us to about 100 s), recorded from any
// thread without a lock.
class Histogram {
 public:
  void Add(double micros);
  // The latency below which a share `p` (0..1) of the recorded ones lie, in microseconds.
  double Percentile(double p) const;
  int64_t count() const;

 private:
  static constexpr int kBuckets = 1900;  // 1.01^1900 us ≈ 160 s
  std::array<std::atomic<int64_t>, kBuckets> buckets_{};
};

// What one load run measured.
struct RunResult {
  std::unique_ptr<Histogram> latency = std::make_unique<Histogram>();  // answered calls
  std::map<std::string, int64_t> errors;                               // by status code name
  double seconds = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(latency->count()) / seconds : 0; }
  int64_t error_count() const;
  std::string ErrorsText() const;  // "none" or "UNAVAILABLE=3 ..."
};

// One asynchronous unary call and what a generator keeps with it until it is answered.
template <typename Request, typename Response>
struct Call {
  grpc::ClientContext context;
  Request request;
  Response response;
  int64_t sent = 0;  // when it was sent, in nanoseconds of the caller's steady clock
  int64_t tag = 0;   // the caller's (which call, or whose)
};

// Nanoseconds of std::chrono::steady_clock.
inline int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

enum class Method { kAdmit, kPoll, kHeartbeat, kLeave };
const char* MethodName(Method m);

// Channels to one WaitingRoom server: `connections` HTTP/2 connections, calls spread over
// them in turn.
class WaitingRoomClient {
 public:
  // A client kept for the life of the process: a callback returns before gRPC has finished
  // with its call, and releasing the channel at that moment races gRPC's callback threads.
  static WaitingRoomClient* Keep(const std::string& address, int connections);

  v1::WaitingRoom::Stub* stub();

 private:
  WaitingRoomClient(const std::string& address, int connections);

  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<v1::WaitingRoom::Stub>> stubs_;
  std::atomic<uint64_t> next_{0};
};

// Keeps `in_flight` calls of `method` going for `seconds`. Call i of an Admit asks for client
// id "<values[0]><i>" in `room` (a new visitor each time); of the others it carries
// `values[i % values.size()]` (a ticket for Poll, a session for Heartbeat and Leave). Every
// call has a 10 s deadline. With `max_calls`, it also stops after that many calls.
RunResult DriveGrpc(WaitingRoomClient* client, Method method, const std::string& room,
                    const std::vector<std::string>& values, int in_flight, double seconds,
                    int64_t max_calls = 0);

// What AdmitMany got: the tickets of those who wait and the sessions of those let in.
struct Admitted {
  std::vector<std::string> tickets;
  std::vector<std::string> sessions;
  int64_t errors = 0;
};

// Admits `n` new visitors to `room` (client ids `prefix`0...) with `in_flight` calls going.
Admitted AdmitMany(WaitingRoomClient* client, const std::string& room, const std::string& prefix,
                   int64_t n, int in_flight);

// A process's CPU time (user + system) in seconds; -1 when it cannot be read.
double ProcessCpuSeconds(int pid);

}  // namespace anteroom::bench
