#pragma once

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace anteroom::service {

// Which gateway calls give way first under load.
enum class CallLane {
  kNewcomer,  // Admit: a new place can wait a few seconds
  kVisitor,   // Poll, Heartbeat, Leave: people already in line or on the site
};

// Decides, before any work, whether a gateway call is served. Bounds the calls being worked
// on at once (each holds memory and waits on a write), so that past the peak the server
// answers RESOURCE_EXHAUSTED at once instead of letting memory and latency run away:
// - a newcomer's Admit is refused once half of `max_in_flight` calls (at least one) are in
//   flight;
// - a visitor's Poll, Heartbeat or Leave only once all of it is: the room keeps its promises
//   to those already in line and on the site before it takes new places;
// - a call whose deadline has already passed (it waited in gRPC's queues) is answered
//   DEADLINE_EXCEEDED and does nothing: nobody is listening for its answer.
//
// Thread-safe; lock-free.
class LoadShedder {
 public:
  // `max_in_flight` 0: no bound. Calls' deadlines are compared with `clock->Now()`: gRPC's
  // deadlines are real time, whatever clock the rooms run on. `clock` must outlive it.
  LoadShedder(int64_t max_in_flight, base::Clock* clock)
      : max_in_flight_(max_in_flight), clock_(clock) {}

  // OK and counted in (the caller must call Exit once it has answered), or the answer to
  // give at once: RESOURCE_EXHAUSTED (overloaded) or DEADLINE_EXCEEDED.
  absl::Status Enter(CallLane lane, absl::Time deadline);
  void Exit();

  int64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  int64_t max_in_flight() const { return max_in_flight_; }

 private:
  const int64_t max_in_flight_;
  base::Clock* const clock_;
  std::atomic<int64_t> in_flight_{0};
};

// The reason a call was refused, for metrics: "overload", "deadline", or "" when served.
absl::string_view ShedReason(const absl::Status& entered);

}  // namespace anteroom::service
