#include "base/clock.h"

#include <chrono>

#include "absl/time/clock.h"

namespace anteroom::base {

namespace {
int64_t MonotonicNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

absl::Time RealClock::Now() { return absl::Now(); }

absl::Time RealClock::Monotonic() { return absl::FromUnixNanos(MonotonicNanos()); }

Clock* SystemClock() {
  static RealClock* const clock = new RealClock;
  return clock;
}

Stopwatch::Stopwatch() : start_ns_(MonotonicNanos()) {}

double Stopwatch::ElapsedSeconds() const {
  return static_cast<double>(MonotonicNanos() - start_ns_) * 1e-9;
}

}  // namespace anteroom::base
