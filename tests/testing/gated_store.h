#pragma once

#include <atomic>

#include "absl/time/clock.h"
#include "base/mutex.h"
#include "storage/store.h"

namespace anteroom::testing {

// Wraps a Store; while closed, writes block inside Write (as a slow fsync would) until the
// gate opens, and scans likewise while scans are closed (as a read of millions of records
// would take seconds). Counts writes and can fail them. Thread-safe.
class GatedStore final : public storage::Store {
 public:
  explicit GatedStore(storage::Store* inner) : inner_(inner) {}

  void Close() {
    base::MutexLock lock(&mu_);
    open_ = false;
  }
  void Open() {
    base::MutexLock lock(&mu_);
    open_ = true;
    changed_.SignalAll();
  }
  void CloseScans() {
    base::MutexLock lock(&mu_);
    scans_open_ = false;
  }
  void OpenScans() {
    base::MutexLock lock(&mu_);
    scans_open_ = true;
    changed_.SignalAll();
  }
  // Waits (up to `timeout`) until a scan is blocked at the closed gate.
  bool AwaitBlockedScanner(absl::Duration timeout) {
    base::MutexLock lock(&mu_);
    const absl::Time deadline = absl::Now() + timeout;
    while (blocked_scans_ == 0 && absl::Now() < deadline)
      changed_.WaitWithTimeout(&mu_, deadline - absl::Now());
    return blocked_scans_ > 0;
  }
  void set_fail_writes(bool fail) { fail_ = fail; }
  // Fails the next `n` writes, then writes again.
  void FailNextWrites(int n) { fail_next_ = n; }
  int writes() const { return writes_; }
  // Waits (up to `timeout`) until a writer is blocked at the closed gate.
  bool AwaitBlockedWriter(absl::Duration timeout) {
    base::MutexLock lock(&mu_);
    const absl::Time deadline = absl::Now() + timeout;
    while (blocked_ == 0 && absl::Now() < deadline)
      changed_.WaitWithTimeout(&mu_, deadline - absl::Now());
    return blocked_ > 0;
  }

  absl::Status Write(const storage::WriteBatch& batch) override {
    {
      base::MutexLock lock(&mu_);
      ++blocked_;
      changed_.SignalAll();
      while (!open_) changed_.Wait(&mu_);
      --blocked_;
    }
    ++writes_;
    int n = fail_next_.load();
    while (n > 0 && !fail_next_.compare_exchange_weak(n, n - 1)) {
    }
    if (fail_ || n > 0) return absl::UnavailableError("injected: I/O error");
    return inner_->Write(batch);
  }
  absl::StatusOr<std::optional<std::string>> Get(storage::Table t, absl::string_view k) override {
    return inner_->Get(t, k);
  }
  absl::Status Scan(storage::Table t, absl::string_view p, const ScanFn& fn) override {
    {
      base::MutexLock lock(&mu_);
      ++blocked_scans_;
      changed_.SignalAll();
      while (!scans_open_) changed_.Wait(&mu_);
      --blocked_scans_;
    }
    return inner_->Scan(t, p, fn);
  }
  absl::Status ScanAll(const ScanAllFn& fn) override { return inner_->ScanAll(fn); }
  absl::Status Checkpoint(const std::string& dir) override { return inner_->Checkpoint(dir); }
  int64_t ApproximateBytes() override { return inner_->ApproximateBytes(); }

 private:
  storage::Store* inner_;
  base::Mutex mu_;
  base::CondVar changed_;
  bool open_ ABSL_GUARDED_BY(mu_) = true;
  int blocked_ ABSL_GUARDED_BY(mu_) = 0;
  bool scans_open_ ABSL_GUARDED_BY(mu_) = true;
  int blocked_scans_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<int> writes_{0};
  std::atomic<bool> fail_{false};
  std::atomic<int> fail_next_{0};
};

}  // namespace anteroom::testing
