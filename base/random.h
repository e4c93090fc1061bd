#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace anteroom::base {

// A source of random bits for token secrets, RANDOM admissions and the pre-queue shuffle.
// Production uses SecureRandom (the kernel's CSPRNG); tests may inject a seeded generator.
//
// Thread-safe.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void Fill(void* buffer, size_t size) = 0;

  uint64_t Next64() {
    uint64_t v;
    Fill(&v, sizeof(v));
    return v;
  }
  // Uniform in [0, n), without modulo bias; n must be > 0.
  uint64_t Uniform(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do {
      v = Next64();
    } while (v >= limit);
    return v % n;
  }
  // `bytes` random bytes as lowercase hex (2 * bytes characters): keys, salts, ids.
  std::string Hex(size_t bytes);
};

// Reads the kernel's CSPRNG (getrandom(2)); never blocks once the system is booted.
class SecureRandom final : public RandomSource {
 public:
  void Fill(void* buffer, size_t size) override;
};

}  // namespace anteroom::base
