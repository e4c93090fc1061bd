#pragma once

#include <deque>
#include <functional>
#include <thread>

#include "base/mutex.h"

namespace anteroom::base {

// One worker thread that runs posted tasks in order, for slow work that must not hold up the
// thread that found it (a room's reload after a failed write, off the committer's thread).
//
// Thread-safe. Stop (or destruction) runs what is pending, then joins; later posts are
// dropped.
class TaskThread {
 public:
  TaskThread();
  ~TaskThread();
  TaskThread(const TaskThread&) = delete;
  TaskThread& operator=(const TaskThread&) = delete;

  void Post(std::function<void()> task);
  void Stop();

 private:
  void Run();

  Mutex mu_;
  CondVar wake_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace anteroom::base
