#pragma once

#include "absl/time/time.h"

namespace anteroom::base {

// The source of wall-clock time for everything that decides admissions, leases and
// expiries, and of monotonic time for intervals. Production code names RealClock only in
// main; tests use a simulated clock (tests/testing/sim_clock.h) and advance it explicitly.
//
// Thread-safe: implementations may be called from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  // The current time.
  virtual absl::Time Now() = 0;
  // A time that only moves forward, at the real rate, from an arbitrary origin: for
  // intervals a step of the wall clock must not stretch (how long ago an etcd lease was
  // renewed). Only differences between two readings mean anything.
  virtual absl::Time Monotonic() = 0;
};

// The system's wall clock, and its monotonic clock.
class RealClock final : public Clock {
 public:
  absl::Time Now() override;
  absl::Time Monotonic() override;
};

// The process's RealClock: the default where real time is the only meaningful time (gRPC's
// deadlines). Everything else takes its clock from the composition root.
Clock* SystemClock();

// Measures elapsed real time for latency metrics. Monotonic; never used for decisions.
class Stopwatch {
 public:
  Stopwatch();
  // Seconds since construction.
  double ElapsedSeconds() const;

 private:
  int64_t start_ns_;
};

}  // namespace anteroom::base
