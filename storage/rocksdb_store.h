#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/store.h"

namespace anteroom::storage {

struct RocksDbStoreOptions {
  // The data directory; created if missing.
  std::string path = "./data";
  // fsync the write-ahead log before a write is acknowledged (survives power loss, not just
  // a crash of the process). Default false: a write is acknowledged once it is in the WAL
  // in the OS page cache, which survives kill -9.
  bool sync_writes = false;
};

// The on-disk format this version writes and reads. Stored under meta key "format_version";
// a directory written by a newer format is refused at open.
inline constexpr int kFormatVersion = 1;

// The RocksDB-backed Store: one column family per Table, one write-ahead log, so a
// WriteBatch is atomic across tables. The only code in Anteroom that includes rocksdb/.
//
// Thread-safe.
class RocksDbStore final : public Store {
 public:
  // Opens (or creates) the store. Fails clearly when another process holds the directory,
  // when it is not readable or writable, when it is corrupt, or when it was written by a
  // newer format.
  static absl::StatusOr<std::unique_ptr<RocksDbStore>> Open(const RocksDbStoreOptions& options);

  ~RocksDbStore() override;

  absl::Status Write(const WriteBatch& batch) override;
  absl::StatusOr<std::optional<std::string>> Get(Table table, absl::string_view key) override;
  absl::Status Scan(Table table, absl::string_view prefix, const ScanFn& fn) override;

  // Flushes the WAL to disk (fsync) and memtables to SST files; used at shutdown.
  absl::Status Flush();

 private:
  struct Impl;
  explicit RocksDbStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace anteroom::storage
