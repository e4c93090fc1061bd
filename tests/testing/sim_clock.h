#pragma once

#include <random>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/random.h"

namespace anteroom::testing {

// A clock that moves only when a test says so; its monotonic time moves with it. Thread-safe.
class SimulatedClock final : public base::Clock {
 public:
  explicit SimulatedClock(absl::Time start = absl::FromUnixSeconds(1'800'000'000)) : now_(start) {}
  absl::Time Now() override {
    base::MutexLock lock(&mu_);
    return now_;
  }
  absl::Time Monotonic() override { return Now(); }
  void Advance(absl::Duration d) {
    base::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  base::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// A deterministic random source (fixed seed) so tests are repeatable. Thread-safe.
class SeededRandom final : public base::RandomSource {
 public:
  explicit SeededRandom(uint64_t seed = 1) : engine_(seed) {}
  void Fill(void* buffer, size_t size) override {
    base::MutexLock lock(&mu_);
    auto* bytes = static_cast<uint8_t*>(buffer);
    for (size_t i = 0; i < size; i += 8) {
      const uint64_t v = engine_();
      for (size_t j = 0; j < 8 && i + j < size; ++j)
        bytes[i + j] = static_cast<uint8_t>(v >> (8 * j));
    }
  }

 private:
  base::Mutex mu_;
  std::mt19937_64 engine_ ABSL_GUARDED_BY(mu_);
};

}  // namespace anteroom::testing
