// The owner's fenced writes: each lands at most once, whatever etcd loses; none lands for a
// deposed owner; an outcome etcd leaves unknown ends the term.

#include "server/replication/etcd_log.h"

#include "gtest/gtest.h"
#include "storage/memory_store.h"
#include "tests/testing/fake_etcd.h"

namespace anteroom::replication {
namespace {

using testing::FakeEtcd;
using testing::SimulatedClock;

class EtcdLogTest : public ::testing::Test {
 protected:
  // Claims P/owner as a node would; its create revision (the term).
  int64_t Claim() {
    storage::v1::OwnerRecord me;
    me.set_node("n1");
    auto claimed = etcd_.Txn(ClaimRequest(keys_, me, 0), absl::Seconds(1));
    EXPECT_TRUE(claimed.ok() && claimed->succeeded());
    return claimed.ok() ? claimed->header().revision() : 0;
  }
  // Another node's claim replaces this one.
  void TakeOver() {
    etcdserverpb::TxnRequest take;
    take.add_success()->mutable_request_delete_range()->set_key(keys_.Owner());
    ASSERT_TRUE(etcd_.Txn(take, absl::Seconds(1)).ok());
    storage::v1::OwnerRecord other;
    other.set_node("n2");
    ASSERT_TRUE(etcd_.Txn(ClaimRequest(keys_, other, 0), absl::Seconds(1))->succeeded());
  }
  absl::Time Deadline(absl::Duration d) { return clock_.Monotonic() + d; }

  SimulatedClock clock_;
  FakeEtcd etcd_{&clock_};
  const LogKeys keys_{"/p"};
};

TEST_F(EtcdLogTest, AWriteWhoseAnswerWasLostLandsOnce) {
  const int64_t term = Claim();
  etcd_.LoseAnswers(1);  // it lands, the answer is lost; the repeat finds it there
  EXPECT_TRUE(FencedPut(&etcd_, keys_.Owner(), term, keys_.Log(1), "entry", /*only_new=*/true,
                        Deadline(absl::Seconds(5)), {})
                  .ok());
  EXPECT_EQ(etcd_.Value(keys_.Log(1)), "entry");
  EXPECT_EQ(etcd_.CountPrefix(keys_.LogPrefix()), 1);
}

TEST_F(EtcdLogTest, ADeposedOwnerWritesNothing) {
  const int64_t term = Claim();
  TakeOver();
  const absl::Status s = FencedPut(&etcd_, keys_.Owner(), term, keys_.Log(1), "entry", true,
                                   Deadline(absl::Seconds(5)), {});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(etcd_.CountPrefix(keys_.LogPrefix()), 0);
}

TEST_F(EtcdLogTest, NoAnswerUntilTheDeadlineLeavesTheOutcomeUnknown) {
  const int64_t term = Claim();
  etcd_.Fail(1000, absl::UnavailableError("no member answered"));
  etcd_.AnswerLate(absl::Milliseconds(200));  // each attempt takes time
  const absl::Status s = FencedPut(&etcd_, keys_.Owner(), term, keys_.Log(1), "entry", true,
                                   Deadline(absl::Seconds(2)), {});
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_NE(s.message().find("unknown"), std::string::npos) << s;
  EXPECT_LE(etcd_.calls(), 12) << "attempts stop at the deadline";
}

TEST_F(EtcdLogTest, AStoppingOwnerStopsTrying) {
  const int64_t term = Claim();
  etcd_.Fail(1000, absl::UnavailableError("no member answered"));
  int asked = 0;
  const absl::Status s = FencedPut(&etcd_, keys_.Owner(), term, keys_.Log(1), "entry", true,
                                   Deadline(absl::Seconds(5)), [&] { return ++asked > 3; });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_LE(etcd_.calls(), 4);
}

TEST_F(EtcdLogTest, TheCommitLogAppendsInOrderAndStopsForGoodWhenDeposed) {
  const int64_t term = Claim();
  storage::MemoryStore store;
  service::Metrics metrics;
  int lost = 0;
  EtcdCommitLog log(
      &etcd_, keys_, term, AppliedMark{}, &store, [&](const absl::Status&) { ++lost; },
      EtcdCommitLog::Options(), &metrics);
  for (int i = 0; i < 3; ++i) {
    storage::WriteBatch batch;
    batch.Put(storage::Table::kTickets, "t" + std::to_string(i), "v");
    ASSERT_TRUE(log.Append(batch).ok());
  }
  EXPECT_EQ(log.last_seq(), 3u);
  EXPECT_EQ(etcd_.CountPrefix(keys_.LogPrefix()), 3);
  EXPECT_EQ(ReadApplied(&store)->seq, 3u) << "applied to the store once etcd had it";
  EXPECT_TRUE(store.Get(storage::Table::kTickets, "t2")->has_value());

  // A batch over the entry limit goes in parts, then its entry.
  EtcdCommitLog::Options small;
  small.max_entry_bytes = 256;
  EtcdCommitLog parted(
      &etcd_, keys_, term, *ReadApplied(&store), &store, [&](const absl::Status&) { ++lost; },
      small);
  storage::WriteBatch big;
  for (int i = 0; i < 20; ++i) {
    big.Put(storage::Table::kTickets, "b" + std::to_string(i), std::string(64, 'v'));
  }
  ASSERT_TRUE(parted.Append(big).ok());
  EXPECT_GT(etcd_.CountPrefix(keys_.PartPrefix(4)), 1);

  TakeOver();
  storage::WriteBatch refused;
  refused.Put(storage::Table::kTickets, "late", "v");
  EXPECT_EQ(parted.Append(refused).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(lost, 1) << "the node is told to step down";
  EXPECT_EQ(parted.Append(refused).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(lost, 1) << "once";
  EXPECT_FALSE(store.Get(storage::Table::kTickets, "late")->has_value());
}

}  // namespace
}  // namespace anteroom::replication
