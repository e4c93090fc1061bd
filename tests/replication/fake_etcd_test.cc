// The fake etcd keeps etcd's rules where replication relies on them: revisions, compares,
// ranges, leases that take their keys with them; and plays the faults it is asked to.

#include "tests/testing/fake_etcd.h"

#include "gtest/gtest.h"
#include "server/replication/log_format.h"

namespace anteroom::testing {
namespace {

etcdserverpb::TxnRequest PutIfAbsent(const std::string& key, const std::string& value,
                                     int64_t lease = 0) {
  etcdserverpb::TxnRequest txn;
  replication::RequireCreateRevision(&txn, key, 0);
  auto* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(value);
  put->set_lease(lease);
  txn.add_failure()->mutable_request_range()->set_key(key);
  return txn;
}

TEST(FakeEtcdTest, ComparesRevisionsAndRangesAsEtcdDoes) {
  SimulatedClock clock;
  FakeEtcd etcd(&clock);
  auto first = etcd.Txn(PutIfAbsent("/p/a", "1"), absl::Seconds(1));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->succeeded());
  const int64_t created = first->header().revision();
  auto again = etcd.Txn(PutIfAbsent("/p/a", "2"), absl::Seconds(1));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->succeeded());
  EXPECT_EQ(again->responses(0).response_range().kvs(0).value(), "1");
  EXPECT_EQ(again->responses(0).response_range().kvs(0).create_revision(), created);
  for (const char* key : {"/p/b", "/p/c", "/q/a"}) {
    ASSERT_TRUE(etcd.Txn(PutIfAbsent(key, key), absl::Seconds(1)).ok());
  }
  etcdserverpb::RangeRequest range;
  range.set_key("/p/");
  range.set_range_end(replication::PrefixEnd("/p/"));
  range.set_sort_order(etcdserverpb::RangeRequest::DESCEND);
  range.set_limit(2);
  auto read = etcd.Range(range, absl::Seconds(1));
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->kvs_size(), 2);
  EXPECT_EQ(read->kvs(0).key(), "/p/c");
  EXPECT_EQ(read->kvs(1).key(), "/p/b");
  EXPECT_TRUE(read->more());
  EXPECT_EQ(read->count(), 3);
}

TEST(FakeEtcdTest, ALeaseThatLapsesTakesItsKeys) {
  SimulatedClock clock;
  FakeEtcd etcd(&clock);
  auto lease = etcd.GrantLease(absl::Seconds(2), absl::Seconds(1));
  ASSERT_TRUE(lease.ok());
  ASSERT_TRUE(etcd.Txn(PutIfAbsent("/owner", "me", *lease), absl::Seconds(1)).ok());
  clock.Advance(absl::Seconds(1));
  auto renewed = etcd.KeepAlive(*lease, absl::Seconds(1), absl::Seconds(1));
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->ttl, absl::Seconds(2));
  clock.Advance(absl::Milliseconds(1900));
  EXPECT_EQ(etcd.Value("/owner"), "me");
  clock.Advance(absl::Milliseconds(200));
  auto lapsed = etcd.KeepAlive(*lease, absl::Seconds(1), absl::Seconds(1));
  ASSERT_TRUE(lapsed.ok());
  EXPECT_EQ(lapsed->ttl, absl::ZeroDuration());
  EXPECT_EQ(etcd.Value("/owner"), "");
  EXPECT_EQ(etcd.leases(), 0);
}

TEST(FakeEtcdTest, PlaysTheFaultsItIsAsked) {
  SimulatedClock clock;
  FakeEtcd etcd(&clock);
  etcd.Fail(1, absl::UnavailableError("no member answered"));
  EXPECT_EQ(etcd.Txn(PutIfAbsent("/a", "1"), absl::Seconds(1)).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(etcd.Value("/a"), "") << "a failed call changes nothing";
  etcd.LoseAnswers(1);
  EXPECT_EQ(etcd.Txn(PutIfAbsent("/a", "1"), absl::Seconds(1)).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(etcd.Value("/a"), "1") << "a lost answer's change was made";
  etcd.RefuseCompares(1);
  auto refused = etcd.Txn(PutIfAbsent("/b", "1"), absl::Seconds(1));
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->succeeded());
  const absl::Time before = clock.Now();
  etcd.AnswerLate(absl::Milliseconds(300));
  ASSERT_TRUE(etcd.Range(etcdserverpb::RangeRequest(), absl::Seconds(1)).ok());
  EXPECT_EQ(clock.Now() - before, absl::Milliseconds(300));
}

}  // namespace
}  // namespace anteroom::testing
