#include "storage/rocksdb_store.h"

#include <sys/statvfs.h>

#include <atomic>
#include <filesystem>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"

namespace anteroom::storage {
namespace {

constexpr const char* kColumnFamilies[kTableCount] = {"default", "rooms", "tickets", "sessions"};
constexpr absl::string_view kFormatKey = "format_version";

// The one conversion from RocksDB status to absl::Status.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsInvalidArgument() || s.IsNotSupported()) return absl::FailedPreconditionError(message);
  // I/O errors, a full disk, busy or timed-out: transient from the caller's point of view.
  return absl::UnavailableError(message);
}

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

}  // namespace

struct RocksDbStore::Impl {
  std::string path;
  int64_t min_free_bytes = 0;
  std::unique_ptr<rocksdb::DB> db;
  // Set after a failed write: RocksDB then refuses writes until DB::Resume() succeeds, which
  // the next write tries (so the store recovers when the disk does).
  std::atomic<bool> needs_resume{false};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // indexed by Table
  rocksdb::WriteOptions write_options;

  rocksdb::ColumnFamilyHandle* cf(Table t) const { return handles[static_cast<int>(t)]; }

  ~Impl() {
    for (auto* h : handles) {
      if (h != nullptr) db->DestroyColumnFamilyHandle(h);
    }
    if (db) db->Close();
  }
};

RocksDbStore::RocksDbStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RocksDbStore::~RocksDbStore() = default;

absl::StatusOr<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(
    const RocksDbStoreOptions& options) {
  if (options.format_version < 1) {
    return absl::InvalidArgumentError("format_version must be set: the caller's layout version");
  }
  std::error_code error;
  if (!std::filesystem::exists(options.path, error)) {
    if (!options.create_if_missing) {
      return absl::NotFoundError(
          absl::StrCat("data directory ", options.path,
                       " does not exist: create it (an empty directory starts a new store) or pass "
                       "--create_data_dir; refusing to start empty where data was expected"));
    }
    // Parents too: RocksDB creates only the last component.
    if (!std::filesystem::create_directories(options.path, error) && error) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create data directory ", options.path, ": ", error.message()));
    }
  } else if (!std::filesystem::is_directory(options.path, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", options.path, " is not a directory"));
  }
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.keep_log_file_num = 5;
  // One budget for every table's memtables (RocksDB's default is 64 MiB for each, twice).
  db_options.db_write_buffer_size = static_cast<size_t>(options.memtable_bytes);
  rocksdb::ColumnFamilyOptions table_options;
  table_options.write_buffer_size = static_cast<size_t>(options.memtable_bytes / 4);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : kColumnFamilies) descriptors.emplace_back(name, table_options);
  auto impl = std::make_unique<Impl>();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(db_options, options.path, descriptors, &impl->handles, &raw);
  if (!s.ok()) {
    const std::string text = s.ToString();
    if (absl::StrContains(text, "Resource temporarily unavailable") ||
        absl::StrContains(text, "lock hold by current process")) {
      return absl::FailedPreconditionError(
          absl::StrCat("data directory ", options.path,
                       " is in use by another process (is another anteroomd running?): ", text));
    }
    if (absl::StrContains(text, "Permission denied") ||
        absl::StrContains(text, "Read-only file system")) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", options.path, " is not writable (read-only or wrong owner?): ", text));
    }
    return FromRocks(s, absl::StrCat("cannot open data directory ", options.path));
  }
  impl->db.reset(raw);
  impl->write_options.sync = options.sync_writes;
  impl->path = options.path;
  impl->min_free_bytes = options.min_free_bytes;

  std::string version;
  s = impl->db->Get(rocksdb::ReadOptions(), impl->cf(Table::kMeta), ToSlice(kFormatKey), &version);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions sync_write;
    sync_write.sync = true;
    s = impl->db->Put(sync_write, impl->cf(Table::kMeta), ToSlice(kFormatKey),
                      std::to_string(options.format_version));
    if (!s.ok()) return FromRocks(s, "cannot write format version");
  } else if (!s.ok()) {
    return FromRocks(s, "cannot read format version");
  } else {
    int found = 0;
    if (!absl::SimpleAtoi(version, &found)) {
      return absl::DataLossError(absl::StrCat("data directory ", options.path,
                                              " has an unreadable format version '", version, "'"));
    }
    if (found > options.format_version) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", options.path, " was written by a newer Anteroom (format ", found,
          "); this version reads format ", options.format_version, " or older"));
    }
  }
  return std::unique_ptr<RocksDbStore>(new RocksDbStore(std::move(impl)));
}

absl::Status RocksDbStore::Write(const WriteBatch& batch) {
  rocksdb::WriteBatch wb;
  for (const WriteBatch::Entry& e : batch.entries()) {
    rocksdb::Status s;
    switch (e.op) {
      case WriteBatch::Op::kPut:
        s = wb.Put(impl_->cf(e.table), ToSlice(e.key), ToSlice(e.value));
        break;
      case WriteBatch::Op::kDelete:
        s = wb.Delete(impl_->cf(e.table), ToSlice(e.key));
        break;
      case WriteBatch::Op::kDeleteRange:
        s = wb.DeleteRange(impl_->cf(e.table), ToSlice(e.key), ToSlice(e.value));
        break;
    }
    if (!s.ok()) return FromRocks(s, "cannot build write batch");
  }
  if (impl_->min_free_bytes > 0) {
    struct statvfs fs;
    if (statvfs(impl_->path.c_str(), &fs) == 0) {
      const int64_t free_bytes =
          static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
      if (free_bytes < impl_->min_free_bytes) {
        return absl::UnavailableError(absl::StrCat(
            "disk full: ", free_bytes >> 20, " MiB free in ", impl_->path, ", below the ",
            impl_->min_free_bytes >> 20, " MiB kept in reserve (--min_free_disk_mb)"));
      }
    }
  }
  if (impl_->needs_resume) {
    rocksdb::Status resumed = impl_->db->Resume();
    if (!resumed.ok()) return FromRocks(resumed, "storage has not recovered from a write error");
    impl_->needs_resume = false;
  }
  rocksdb::Status written = impl_->db->Write(impl_->write_options, &wb);
  if (!written.ok()) impl_->needs_resume = true;
  return FromRocks(written, "storage write failed");
}

absl::StatusOr<std::optional<std::string>> RocksDbStore::Get(Table table, absl::string_view key) {
  std::string value;
  rocksdb::Status s =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(table), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "storage read failed");
  return std::optional<std::string>(std::move(value));
}

absl::Status RocksDbStore::Scan(Table table, absl::string_view prefix, const ScanFn& fn) {
  rocksdb::ReadOptions read_options;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(read_options, impl_->cf(table)));
  for (it->Seek(ToSlice(prefix)); it->Valid() && it->key().starts_with(ToSlice(prefix));
       it->Next()) {
    if (absl::Status s = fn(absl::string_view(it->key().data(), it->key().size()),
                            absl::string_view(it->value().data(), it->value().size()));
        !s.ok()) {
      return s;
    }
  }
  return FromRocks(it->status(), "storage scan failed");
}

absl::Status RocksDbStore::ScanAll(const ScanAllFn& fn) {
  // One RocksDB snapshot for every column family: one instant across tables.
  const rocksdb::Snapshot* snapshot = impl_->db->GetSnapshot();
  absl::Cleanup release = [&] { impl_->db->ReleaseSnapshot(snapshot); };
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot;
  for (int t = 0; t < kTableCount; ++t) {
    const auto table = static_cast<Table>(t);
    std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(read_options, impl_->cf(table)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (absl::Status s = fn(table, absl::string_view(it->key().data(), it->key().size()),
                              absl::string_view(it->value().data(), it->value().size()));
          !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = FromRocks(it->status(), "storage scan failed"); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status RocksDbStore::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  if (absl::Status s = FromRocks(rocksdb::Checkpoint::Create(impl_->db.get(), &raw),
                                 "cannot start a checkpoint");
      !s.ok()) {
    return s;
  }
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush = 0: flush memtables first, so the copy holds SST files, not a long WAL.
  return FromRocks(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0),
                   absl::StrCat("checkpoint to ", dir, " failed"));
}

int64_t RocksDbStore::ApproximateBytes() {
  std::error_code error;
  int64_t bytes = 0;
  for (const auto& f : std::filesystem::directory_iterator(impl_->path, error)) {
    if (f.is_regular_file(error)) bytes += static_cast<int64_t>(f.file_size(error));
  }
  return bytes;
}

absl::Status RocksDbStore::Flush() {
  if (absl::Status s = FromRocks(impl_->db->FlushWAL(/*sync=*/true), "WAL flush failed"); !s.ok()) {
    return s;
  }
  rocksdb::FlushOptions flush_options;
  return FromRocks(impl_->db->Flush(flush_options, impl_->handles), "memtable flush failed");
}

}  // namespace anteroom::storage
