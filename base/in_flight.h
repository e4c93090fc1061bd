#pragma once

#include <cstdint>

#include "base/mutex.h"

namespace anteroom::base {

// Counts operations under way (calls whose answers are still to come), so that their owner
// can wait for none before it goes away.
class InFlight {
 public:
  void Begin() {
    MutexLock lock(&mu_);
    ++count_;
  }
  void End() {
    MutexLock lock(&mu_);
    if (--count_ == 0) none_.SignalAll();
  }
  void WaitForNone() {
    MutexLock lock(&mu_);
    while (count_ > 0) none_.Wait(&mu_);
  }

 private:
  Mutex mu_;
  CondVar none_;
  int64_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace anteroom::base
