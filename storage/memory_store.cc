#include "storage/memory_store.h"

#include <vector>

namespace anteroom::storage {

absl::Status MemoryStore::Write(const WriteBatch& batch) {
  base::MutexLock lock(&mu_);
  for (const WriteBatch::Entry& e : batch.entries()) {
    auto& table = tables_[static_cast<int>(e.table)];
    switch (e.op) {
      case WriteBatch::Op::kPut:
        table[e.key] = e.value;
        break;
      case WriteBatch::Op::kDelete:
        table.erase(e.key);
        break;
      case WriteBatch::Op::kDeleteRange:
        if (e.key < e.value) table.erase(table.lower_bound(e.key), table.lower_bound(e.value));
        break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> MemoryStore::Get(Table table, absl::string_view key) {
  base::MutexLock lock(&mu_);
  const auto& t = tables_[static_cast<int>(table)];
  auto it = t.find(key);
  if (it == t.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

absl::Status MemoryStore::Scan(Table table, absl::string_view prefix, const ScanFn& fn) {
  // Copy the range first so `fn` may call back into the store.
  std::vector<std::pair<std::string, std::string>> rows;
  {
    base::MutexLock lock(&mu_);
    const auto& t = tables_[static_cast<int>(table)];
    for (auto it = t.lower_bound(prefix);
         it != t.end() && absl::string_view(it->first).substr(0, prefix.size()) == prefix; ++it) {
      rows.emplace_back(it->first, it->second);
    }
  }
  for (const auto& [key, value] : rows) {
    if (absl::Status s = fn(key, value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status MemoryStore::ScanAll(const ScanAllFn& fn) {
  // A copy taken under the lock is one instant.
  std::vector<std::map<std::string, std::string, std::less<>>> copy;
  {
    base::MutexLock lock(&mu_);
    for (const auto& table : tables_) copy.push_back(table);
  }
  for (int t = 0; t < kTableCount; ++t) {
    for (const auto& [key, value] : copy[t]) {
      if (absl::Status s = fn(static_cast<Table>(t), key, value); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

int64_t MemoryStore::ApproximateBytes() {
  base::MutexLock lock(&mu_);
  int64_t bytes = 0;
  for (const auto& table : tables_) {
    for (const auto& [key, value] : table) bytes += static_cast<int64_t>(key.size() + value.size());
  }
  return bytes;
}

}  // namespace anteroom::storage
