#pragma once

#include "server/base/clock.h"
#include "server/base/mutex.h"

namespace anteroom::testing {

// A clock that moves only when a test says so. Thread-safe.
class SimulatedClock final : public base::Clock {
 public:
  explicit SimulatedClock(absl::Time start = absl::FromUnixSeconds(1'800'000'000)) : now_(start) {}
  absl::Time Now() override {
    base::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    base::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  base::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// Deterministic, distinct 128-bit tokens for tests that compare runs. Thread-safe.
class CountingTokenSource final : public base::TokenSource {
 public:
  std::string NewTokenBits() override {
    base::MutexLock lock(&mu_);
    uint8_t bytes[16] = {};
    uint64_t n = ++count_;
    for (int i = 0; i < 8; ++i) bytes[15 - i] = static_cast<uint8_t>(n >> (8 * i));
    return base::EncodeTokenBits(bytes);
  }

 private:
  base::Mutex mu_;
  uint64_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace anteroom::testing
