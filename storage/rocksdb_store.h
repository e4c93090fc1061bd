#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/store.h"

namespace anteroom::storage {

struct RocksDbStoreOptions {
  // The data directory. An empty directory starts a new store.
  std::string path = "./data";
  // Create the directory if it does not exist. Default false: a missing directory usually
  // means a volume that is not mounted, and starting empty would lose everyone's place.
  bool create_if_missing = false;
  // Writes are refused (UNAVAILABLE, nothing written) while the data directory's file
  // system has less free space than this, so a filling disk gives clean errors instead of
  // RocksDB I/O errors midway through a write. Default 64 MiB; 0 disables the check.
  int64_t min_free_bytes = 64 << 20;
  // fsync the write-ahead log before a write is acknowledged (survives power loss, not just
  // a crash of the process). Default false: a write is acknowledged once it is in the WAL
  // in the OS page cache, which survives kill -9.
  bool sync_writes = false;
  // Memory for writes not yet flushed to table files (RocksDB's memtables), all tables
  // together; past it the largest is flushed. Anteroom writes small records and erases most
  // soon after (a place, then its session), so this bounds the store's share of the
  // server's memory under any load. Default 32 MiB.
  int64_t memtable_bytes = 32 << 20;
  // The version of the layout the caller keeps in the store (anteroomd's records:
  // service::kFormatVersion, which is the one source of it). Written under meta key
  // "format_version" into a new store; a store that holds a higher version (written by a
  // newer Anteroom) is refused at open. Required: 0 (the default) is refused.
  int format_version = 0;
};

// The RocksDB-backed Store: one column family per Table, one write-ahead log, so a
// WriteBatch is atomic across tables. The only code in Anteroom that includes rocksdb/.
//
// Thread-safe.
class RocksDbStore final : public Store {
 public:
  // Opens (or creates) the store. Fails clearly when the directory is missing (unless
  // create_if_missing), held by another process, not readable or writable, corrupt, or
  // written by a newer format. After a failed write, RocksDB refuses writes until it
  // recovers; each later Write retries the recovery, so the store heals when the disk does.
  static absl::StatusOr<std::unique_ptr<RocksDbStore>> Open(const RocksDbStoreOptions& options);

  ~RocksDbStore() override;

  absl::Status Write(const WriteBatch& batch) override;
  absl::StatusOr<std::optional<std::string>> Get(Table table, absl::string_view key) override;
  absl::Status Scan(Table table, absl::string_view prefix, const ScanFn& fn) override;
  absl::Status ScanAll(const ScanAllFn& fn) override;
  // A RocksDB checkpoint: SST files hard-linked where possible, the WAL copied.
  absl::Status Checkpoint(const std::string& dir) override;
  // The size of the data directory's files.
  int64_t ApproximateBytes() override;

  // Flushes the WAL to disk (fsync) and memtables to SST files; used at shutdown.
  absl::Status Flush();

 private:
  struct Impl;
  explicit RocksDbStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace anteroom::storage
