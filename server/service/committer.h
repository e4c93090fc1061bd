#pragma once

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "base/mutex.h"
#include "base/task_thread.h"
#include "server/service/commit_log.h"
#include "storage/store.h"

namespace anteroom::service {

class Metrics;

// Group commit: one thread appends everything submitted since its previous write to the
// CommitLog as a single atomic batch, then reports the outcome to each submitter in submission
// order. With synchronous writes, many concurrent requests share one fsync; without, they share one
// WAL append.
//
// Batches of one room are written in the order they were submitted. When a write fails,
// every batch in it fails, and so does every later batch of the same rooms submitted under
// the same epoch (they were computed on top of what was lost): their submitter reloads the
// room from the store and submits later changes under a new epoch.
//
// Callbacks run on the committer's thread: they must not block on anything that waits for
// the committer.
//
// Thread-safe.
class Committer {
 public:
  using Done = std::function<void(const absl::Status&)>;

  // `log` must outlive the committer. `metrics`, if given, receives each write's latency and
  // outcome.
  explicit Committer(CommitLog* log, Metrics* metrics = nullptr);
  ~Committer();
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  void Submit(std::string room, uint64_t epoch, storage::WriteBatch batch, Done done);
  // Submits and waits for the outcome. The caller must hold no lock a callback may take.
  absl::Status SubmitAndWait(std::string room, uint64_t epoch, storage::WriteBatch batch);
  // Writes what is pending, then stops the thread. Later submissions fail UNAVAILABLE, told
  // on another thread (never inside Submit: its caller may hold a lock its callback takes).
  void Stop();

 private:
  struct Pending {
    std::string room;
    uint64_t epoch;
    storage::WriteBatch batch;
    Done done;
  };
  void Run();

  CommitLog* const log_;
  Metrics* const metrics_;
  base::Mutex mu_;
  base::CondVar wake_;
  std::vector<Pending> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // room -> highest epoch whose writes failed (committer thread only).
  absl::flat_hash_map<std::string, uint64_t> poisoned_;
  std::thread thread_;
  // Tells submissions made after Stop that they failed; destroyed (run, joined) first.
  base::TaskThread refusals_;
};

}  // namespace anteroom::service
