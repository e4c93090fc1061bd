#pragma once

#include <atomic>

#include "storage/store.h"

namespace anteroom::testing {

// Wraps a Store and fails writes on demand, as a full or broken disk would. Thread-safe.
class FailingStore final : public storage::Store {
 public:
  explicit FailingStore(storage::Store* inner) : inner_(inner) {}
  void set_fail_writes(bool fail) { fail_writes_ = fail; }

  absl::Status Write(const storage::WriteBatch& batch) override {
    if (fail_writes_) return absl::UnavailableError("injected: no space left on device");
    return inner_->Write(batch);
  }
  absl::StatusOr<std::optional<std::string>> Get(storage::Table t, absl::string_view k) override {
    return inner_->Get(t, k);
  }
  absl::Status Scan(storage::Table t, absl::string_view p, const ScanFn& fn) override {
    return inner_->Scan(t, p, fn);
  }
  absl::Status Checkpoint(const std::string& dir) override { return inner_->Checkpoint(dir); }
  int64_t ApproximateBytes() override { return inner_->ApproximateBytes(); }

 private:
  storage::Store* inner_;
  std::atomic<bool> fail_writes_{false};
};

}  // namespace anteroom::testing
