#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace anteroom::storage {

// The tables of the store. Each is an ordered key space (RocksDB: a column family); keys
// compare as unsigned bytes. What the keys and values mean is the caller's business (see
// server/service/records.h).
enum class Table { kMeta = 0, kRooms = 1, kTickets = 2, kSessions = 3 };
inline constexpr int kTableCount = 4;

// An atomic group of writes across tables.
class WriteBatch {
 public:
  enum class Op { kPut, kDelete, kDeleteRange };
  struct Entry {
    Op op;
    Table table;
    std::string key;    // kDeleteRange: begin (inclusive)
    std::string value;  // kPut: the value; kDeleteRange: end (exclusive)
  };

  void Put(Table table, std::string key, std::string value) {
    entries_.push_back({Op::kPut, table, std::move(key), std::move(value)});
  }
  void Delete(Table table, std::string key) {
    entries_.push_back({Op::kDelete, table, std::move(key), {}});
  }
  // Deletes every key in [begin, end).
  void DeleteRange(Table table, std::string begin, std::string end) {
    entries_.push_back({Op::kDeleteRange, table, std::move(begin), std::move(end)});
  }
  // Appends every write of `other`, after this batch's own.
  void Append(WriteBatch&& other) {
    if (entries_.empty()) {
      entries_ = std::move(other.entries_);
    } else {
      for (Entry& e : other.entries_) entries_.push_back(std::move(e));
    }
    other.entries_.clear();
  }
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

 private:
  std::vector<Entry> entries_;
};

// A durable, ordered key-value store with atomic batches.
//
// Contract (tests/storage/store_contract_test.cc runs it against every implementation):
// - Write applies a batch all-or-nothing, in order; once it returns OK the batch survives a
//   crash of the process (and, when the store is opened with sync writes, of the machine).
// - A failed Write changed nothing; the error is UNAVAILABLE for a transient condition
//   (disk full, I/O error) or the store's own code otherwise.
// - Reads see every acknowledged write.
//
// Thread-safe.
class Store {
 public:
  // Called for each key in order; a non-OK status stops the scan and is returned.
  using ScanFn = std::function<absl::Status(absl::string_view key, absl::string_view value)>;

  virtual ~Store() = default;
  virtual absl::Status Write(const WriteBatch& batch) = 0;
  // nullopt when the key is absent.
  virtual absl::StatusOr<std::optional<std::string>> Get(Table table, absl::string_view key) = 0;
  // Visits every key that starts with `prefix`, in key order.
  virtual absl::Status Scan(Table table, absl::string_view prefix, const ScanFn& fn) = 0;
  // Visits every key of every table, tables in enum order, keys in key order, all as of one
  // instant: a batch written meanwhile is seen entirely or not at all (a replica's snapshot).
  using ScanAllFn =
      std::function<absl::Status(Table table, absl::string_view key, absl::string_view value)>;
  virtual absl::Status ScanAll(const ScanAllFn& fn) = 0;
  // Writes a consistent copy of everything acknowledged so far into the new directory
  // `dir`, which a server can open as its data directory. UNIMPLEMENTED for stores without
  // files.
  virtual absl::Status Checkpoint(const std::string& dir) = 0;
  // Bytes held (on disk, for a durable store). Approximate; for metrics.
  virtual int64_t ApproximateBytes() = 0;
};

}  // namespace anteroom::storage
