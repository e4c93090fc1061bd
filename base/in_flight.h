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

  // Begun when made, ended when destroyed. As the first member of an object that another
  // thread destroys, it ends the work only once every other member is gone, so a WaitForNone
  // that returns leaves nothing of the work behind.
  class Hold {
   public:
    explicit Hold(InFlight* in_flight) : in_flight_(in_flight) { in_flight_->Begin(); }
    ~Hold() { in_flight_->End(); }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    InFlight* const in_flight_;
  };

 private:
  Mutex mu_;
  CondVar none_;
  int64_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace anteroom::base
