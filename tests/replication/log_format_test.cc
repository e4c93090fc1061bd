// What the cluster keeps in etcd, and how replication asks for it.

#include "server/replication/log_format.h"

#include "gtest/gtest.h"
#include "storage/memory_store.h"

namespace anteroom::replication {
namespace {

TEST(LogFormatTest, KeysSortInNumberOrderAndParseBack) {
  const LogKeys keys("/anteroom/x");
  EXPECT_EQ(keys.Log(7), "/anteroom/x/log/00000000000000000007");
  EXPECT_LT(keys.Log(9), keys.Log(10));
  EXPECT_EQ(keys.SeqOf(keys.Log(123456)), 123456u);
  EXPECT_EQ(keys.SeqOf("/anteroom/x/owner"), 0u);
  EXPECT_EQ(keys.SeqOf("/anteroom/y/log/00000000000000000007"), 0u);
  EXPECT_LT(keys.Part(3, 9), keys.Part(3, 10));
  EXPECT_EQ(PrefixEnd("/a/"), "/a0");
  EXPECT_EQ(PrefixEnd(std::string("a\xff")), "b");
  EXPECT_EQ(PrefixEnd(""), std::string(1, '\0'));
}

TEST(LogFormatTest, RequestsNameTheirKeysAndFences) {
  const LogKeys keys("/p");
  const etcdserverpb::TxnRequest follow = FollowRequest(keys, 5, 64);
  ASSERT_EQ(follow.success_size(), 4);
  EXPECT_EQ(follow.success(0).request_range().key(), keys.Log(5));
  EXPECT_EQ(follow.success(0).request_range().range_end(), PrefixEnd(keys.LogPrefix()));
  EXPECT_EQ(follow.success(0).request_range().limit(), 64);
  EXPECT_EQ(follow.success(1).request_range().key(), keys.Owner());
  EXPECT_EQ(follow.success(3).request_range().key(), keys.LogId());

  storage::v1::OwnerRecord me;
  me.set_node("n1");
  const etcdserverpb::TxnRequest claim = ClaimRequest(keys, me, 42);
  ASSERT_EQ(claim.compare_size(), 1);
  EXPECT_EQ(claim.compare(0).target(), etcdserverpb::Compare::CREATE);
  EXPECT_EQ(claim.compare(0).create_revision(), 0);  // nobody holds it
  EXPECT_EQ(claim.success(0).request_put().lease(), 42);

  const etcdserverpb::TxnRequest fenced =
      FencedPutRequest(keys.Owner(), 17, keys.Log(1), "v", true);
  ASSERT_EQ(fenced.compare_size(), 2);
  EXPECT_EQ(fenced.compare(0).create_revision(), 17);
  EXPECT_EQ(fenced.compare(1).target(), etcdserverpb::Compare::VERSION);
  EXPECT_EQ(fenced.failure_size(), 2);
}

TEST(LogFormatTest, ABatchSurvivesItsRecordAndItsParts) {
  storage::WriteBatch batch;
  for (int i = 0; i < 50; ++i) {
    batch.Put(storage::Table::kTickets, "k" + std::to_string(i), std::string(100, 'x'));
  }
  batch.Delete(storage::Table::kSessions, "gone");
  const storage::v1::WriteBatchRecord record = ToRecord(batch);
  const std::vector<storage::v1::WriteBatchRecord> parts = Split(record, 1000);
  EXPECT_GT(parts.size(), 4u);
  storage::WriteBatch rebuilt;
  for (const auto& part : parts) ASSERT_TRUE(AppendRecord(part, &rebuilt).ok());
  storage::MemoryStore a, b;
  ASSERT_TRUE(a.Write(batch).ok());
  ASSERT_TRUE(b.Write(rebuilt).ok());
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(*a.Get(storage::Table::kTickets, "k" + std::to_string(i)),
              *b.Get(storage::Table::kTickets, "k" + std::to_string(i)));
  }

  storage::MemoryStore store;
  EXPECT_EQ(ReadApplied(&store)->seq, 0u);
  storage::WriteBatch mark;
  AppendAppliedMark(AppliedMark{12, 3, 4096}, &mark);
  ASSERT_TRUE(store.Write(mark).ok());
  const AppliedMark read = *ReadApplied(&store);
  EXPECT_EQ(read.seq, 12u);
  EXPECT_EQ(read.term, 3);
  EXPECT_EQ(read.log_bytes, 4096u);
}

}  // namespace
}  // namespace anteroom::replication
