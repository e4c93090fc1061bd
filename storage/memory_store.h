#pragma once

#include <map>
#include <string>

#include "base/mutex.h"
#include "storage/store.h"

namespace anteroom::storage {

// A Store in memory, for tests: it honours the whole Store contract except durability
// across process exit. Thread-safe.
class MemoryStore final : public Store {
 public:
  absl::Status Write(const WriteBatch& batch) override;
  absl::StatusOr<std::optional<std::string>> Get(Table table, absl::string_view key) override;
  absl::Status Scan(Table table, absl::string_view prefix, const ScanFn& fn) override;
  absl::Status ScanAll(const ScanAllFn& fn) override;
  int64_t ApproximateBytes() override;
  absl::Status Checkpoint(const std::string&) override {
    return absl::UnimplementedError("the in-memory store has no files to checkpoint");
  }

 private:
  base::Mutex mu_;
  std::map<std::string, std::string, std::less<>> tables_[kTableCount] ABSL_GUARDED_BY(mu_);
};

}  // namespace anteroom::storage
