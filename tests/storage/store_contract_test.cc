// The Store contract, run against every implementation, plus what only the RocksDB store
// promises (durability across reopen, exclusive directory, format versioning).

#include <filesystem>
#include <functional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/memory_store.h"
#include "storage/rocksdb_store.h"
#include "tests/testing/daemon.h"

namespace anteroom::storage {
namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

Rows ScanAll(Store& store, Table table, absl::string_view prefix) {
  Rows rows;
  EXPECT_TRUE(store
                  .Scan(table, prefix,
                        [&](absl::string_view k, absl::string_view v) {
                          rows.emplace_back(std::string(k), std::string(v));
                          return absl::OkStatus();
                        })
                  .ok());
  return rows;
}

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<Store>(const std::string& dir)> make;
};

class StoreContractTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("anteroom-store");
    store_ = GetParam().make(dir_);
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContractTest, PutGetDelete) {
  WriteBatch b;
  b.Put(Table::kRooms, "a", "1");
  b.Put(Table::kTickets, "a", "2");
  ASSERT_TRUE(store_->Write(b).ok());
  EXPECT_EQ(store_->Get(Table::kRooms, "a").value(), std::optional<std::string>("1"));
  EXPECT_EQ(store_->Get(Table::kTickets, "a").value(), std::optional<std::string>("2"));
  EXPECT_EQ(store_->Get(Table::kSessions, "a").value(), std::nullopt) << "tables are separate";
  WriteBatch d;
  d.Delete(Table::kRooms, "a");
  ASSERT_TRUE(store_->Write(d).ok());
  EXPECT_EQ(store_->Get(Table::kRooms, "a").value(), std::nullopt);
}

TEST_P(StoreContractTest, BatchAppliesInOrder) {
  WriteBatch b;
  b.Put(Table::kSessions, "k", "first");
  b.Delete(Table::kSessions, "k");
  b.Put(Table::kSessions, "j", "x");
  b.Put(Table::kSessions, "j", "y");
  ASSERT_TRUE(store_->Write(b).ok());
  EXPECT_EQ(store_->Get(Table::kSessions, "k").value(), std::nullopt);
  EXPECT_EQ(store_->Get(Table::kSessions, "j").value(), std::optional<std::string>("y"));
}

TEST_P(StoreContractTest, ScanVisitsPrefixInUnsignedByteOrder) {
  WriteBatch b;
  const std::string p = std::string("r\0", 2);
  b.Put(Table::kTickets, p + "\xff", "last");
  b.Put(Table::kTickets, p + "\x01", "first");
  b.Put(Table::kTickets, p + "\x7f", "middle");
  b.Put(Table::kTickets, "r2", "other room");
  b.Put(Table::kTickets, "q", "before");
  ASSERT_TRUE(store_->Write(b).ok());
  Rows rows = ScanAll(*store_, Table::kTickets, p);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].second, "first");
  EXPECT_EQ(rows[1].second, "middle");
  EXPECT_EQ(rows[2].second, "last");
  EXPECT_EQ(ScanAll(*store_, Table::kTickets, "").size(), 5u);
}

TEST_P(StoreContractTest, DeleteRangeRemovesExactlyTheRange) {
  WriteBatch b;
  for (const char* k : {"a", "b", "b\x01", "c"}) b.Put(Table::kSessions, k, "v");
  b.Put(Table::kSessions, std::string("b\0x", 3), "v");
  b.Put(Table::kSessions, std::string("b\0y", 3), "v");
  ASSERT_TRUE(store_->Write(b).ok());
  WriteBatch d;
  d.DeleteRange(Table::kSessions, std::string("b\0", 2), std::string("b\1", 2));
  ASSERT_TRUE(store_->Write(d).ok());
  Rows rows = ScanAll(*store_, Table::kSessions, "");
  std::vector<std::string> keys;
  for (auto& r : rows) keys.push_back(r.first);
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "b\x01", "c"}));
}

TEST_P(StoreContractTest, ScanStopsOnCallbackError) {
  WriteBatch b;
  b.Put(Table::kRooms, "a", "1");
  b.Put(Table::kRooms, "b", "2");
  ASSERT_TRUE(store_->Write(b).ok());
  int visited = 0;
  absl::Status s = store_->Scan(Table::kRooms, "", [&](absl::string_view, absl::string_view) {
    ++visited;
    return absl::DataLossError("stop");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(visited, 1);
}

TEST_P(StoreContractTest, ScanAllSeesEveryTableAsOfOneInstant) {
  WriteBatch b;
  b.Put(Table::kMeta, "m", "0");
  b.Put(Table::kRooms, "r", "1");
  b.Put(Table::kTickets, "t", "2");
  b.Put(Table::kSessions, "s", "3");
  ASSERT_TRUE(store_->Write(b).ok());
  std::vector<std::pair<Table, std::string>> seen;
  absl::Status s =
      store_->ScanAll([&](Table table, absl::string_view key, absl::string_view value) {
        if (seen.empty()) {
          // A batch written during the scan, across tables, is not seen at all.
          WriteBatch later;
          later.Put(Table::kTickets, "t2", "later");
          later.Delete(Table::kSessions, "s");
          later.Put(Table::kRooms, "r0", "later");
          EXPECT_TRUE(store_->Write(later).ok());
        }
        // (A RocksDB store keeps its own format version in the meta table.)
        if (key != "format_version") seen.emplace_back(table, absl::StrCat(key, "=", value));
        return absl::OkStatus();
      });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(seen, (std::vector<std::pair<Table, std::string>>{{Table::kMeta, "m=0"},
                                                              {Table::kRooms, "r=1"},
                                                              {Table::kTickets, "t=2"},
                                                              {Table::kSessions, "s=3"}}));
}

INSTANTIATE_TEST_SUITE_P(
    AllStores, StoreContractTest,
    ::testing::Values(
        StoreFactory{"Memory", [](const std::string&) { return std::make_unique<MemoryStore>(); }},
        StoreFactory{"RocksDb",
                     [](const std::string& dir) -> std::unique_ptr<Store> {
                       RocksDbStoreOptions o;
                       o.path = dir + "/db";
                       o.create_if_missing = true;
                       o.format_version = 1;
                       auto s = RocksDbStore::Open(o);
                       if (!s.ok()) return nullptr;
                       return std::move(*s);
                     }},
        StoreFactory{"RocksDbSync",
                     [](const std::string& dir) -> std::unique_ptr<Store> {
                       RocksDbStoreOptions o;
                       o.path = dir + "/db";
                       o.create_if_missing = true;
                       o.format_version = 1;
                       o.sync_writes = true;
                       auto s = RocksDbStore::Open(o);
                       if (!s.ok()) return nullptr;
                       return std::move(*s);
                     }}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; });

class RocksDbStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.path = testing::MakeTempDir("anteroom-rocks") + "/db";
    options_.create_if_missing = true;
    options_.format_version = 1;
  }
  void TearDown() override {
    std::filesystem::remove_all(std::filesystem::path(options_.path).parent_path());
  }
  RocksDbStoreOptions options_;
};

TEST_F(RocksDbStoreTest, WritesSurviveReopen) {
  {
    auto store = RocksDbStore::Open(options_);
    ASSERT_TRUE(store.ok()) << store.status();
    WriteBatch b;
    b.Put(Table::kTickets, "k", "v");
    ASSERT_TRUE((*store)->Write(b).ok());
  }
  auto store = RocksDbStore::Open(options_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->Get(Table::kTickets, "k").value(), std::optional<std::string>("v"));
}

TEST_F(RocksDbStoreTest, SecondOpenOfTheSameDirectoryFailsClearly) {
  auto first = RocksDbStore::Open(options_);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = RocksDbStore::Open(options_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("in use by another process"), absl::string_view::npos)
      << second.status();
}

TEST_F(RocksDbStoreTest, TheCallerMustSayWhichFormatItKeeps) {
  RocksDbStoreOptions unset = options_;
  unset.format_version = 0;
  auto store = RocksDbStore::Open(unset);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(store.status().message().find("format_version"), absl::string_view::npos);
}

TEST_F(RocksDbStoreTest, DataFromANewerFormatIsRefused) {
  {
    auto store = RocksDbStore::Open(options_);
    ASSERT_TRUE(store.ok());
    WriteBatch b;
    b.Put(Table::kMeta, "format_version", std::to_string(options_.format_version + 1));
    ASSERT_TRUE((*store)->Write(b).ok());
  }
  auto store = RocksDbStore::Open(options_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("newer Anteroom"), absl::string_view::npos)
      << store.status();
}

TEST_F(RocksDbStoreTest, CreationMakesMissingParentsToo) {
  RocksDbStoreOptions o = options_;
  o.path = options_.path + "/nested/deeper";
  auto store = RocksDbStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
}

TEST_F(RocksDbStoreTest, AMissingDirectoryIsRefusedUnlessCreationIsAsked) {
  RocksDbStoreOptions o = options_;
  o.create_if_missing = false;
  auto store = RocksDbStore::Open(o);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(store.status().message().find("does not exist"), absl::string_view::npos);
}

}  // namespace
}  // namespace anteroom::storage
