#include "server/service/committer.h"

#include <future>
#include <vector>

#include "gtest/gtest.h"
#include "storage/memory_store.h"
#include "tests/testing/gated_store.h"

namespace anteroom::service {
namespace {

storage::WriteBatch Put(const std::string& key) {
  storage::WriteBatch b;
  b.Put(storage::Table::kTickets, key, "v");
  return b;
}

TEST(CommitterTest, ConcurrentSubmissionsShareOneWriteAndAnswerInOrder) {
  storage::MemoryStore memory;
  testing::GatedStore store(&memory);
  LocalCommitLog log(&store);
  Committer committer(&log);
  store.Close();
  std::vector<int> order;
  base::Mutex mu;
  committer.Submit("r", 0, Put("first"), [&](const absl::Status& s) {
    EXPECT_TRUE(s.ok());
    base::MutexLock lock(&mu);
    order.push_back(0);
  });
  ASSERT_TRUE(store.AwaitBlockedWriter(absl::Seconds(10)));
  // While the first write is in flight, 50 more arrive: they form the next group.
  std::promise<void> last;
  for (int i = 1; i <= 50; ++i) {
    committer.Submit(i % 2 ? "r" : "s", 0, Put("k" + std::to_string(i)),
                     [&, i](const absl::Status& s) {
                       EXPECT_TRUE(s.ok());
                       base::MutexLock lock(&mu);
                       order.push_back(i);
                       if (i == 50) last.set_value();
                     });
  }
  store.Open();
  last.get_future().wait();
  EXPECT_EQ(store.writes(), 2) << "one write for the first, one shared by the other 50";
  std::vector<int> expected(51);
  for (int i = 0; i <= 50; ++i) expected[i] = i;
  base::MutexLock lock(&mu);
  EXPECT_EQ(order, expected);
  EXPECT_TRUE(memory.Get(storage::Table::kTickets, "k50").value().has_value());
}

TEST(CommitterTest, AFailedWriteFailsLaterBatchesOfTheSameRoomAndEpochOnly) {
  storage::MemoryStore memory;
  testing::GatedStore store(&memory);
  LocalCommitLog log(&store);
  Committer committer(&log);
  store.set_fail_writes(true);
  EXPECT_FALSE(committer.SubmitAndWait("r", 0, Put("lost")).ok());
  store.set_fail_writes(false);
  EXPECT_EQ(committer.SubmitAndWait("r", 0, Put("built-on-lost")).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(committer.SubmitAndWait("s", 0, Put("other-room")).ok());
  EXPECT_TRUE(committer.SubmitAndWait("r", 1, Put("after-reload")).ok());
  EXPECT_FALSE(memory.Get(storage::Table::kTickets, "built-on-lost").value().has_value());
  EXPECT_TRUE(memory.Get(storage::Table::kTickets, "after-reload").value().has_value());
}

TEST(CommitterTest, StopWritesWhatIsPendingAndRefusesLater) {
  storage::MemoryStore memory;
  LocalCommitLog log(&memory);
  Committer committer(&log);
  std::promise<absl::Status> written;
  committer.Submit("r", 0, Put("k"), [&](const absl::Status& s) { written.set_value(s); });
  committer.Stop();
  EXPECT_TRUE(written.get_future().get().ok());
  EXPECT_EQ(committer.SubmitAndWait("r", 0, Put("late")).code(), absl::StatusCode::kUnavailable);
}

// The commit path is pluggable: whatever CommitLog stands behind the committer gets the
// merged batches, and its verdict is everyone's.
TEST(CommitterTest, WritesGoThroughTheCommitLogItIsGiven) {
  class CountingLog : public CommitLog {
   public:
    absl::Status Append(const storage::WriteBatch& batch) override {
      base::MutexLock lock(&mu_);
      ++appends_;
      entries_ += static_cast<int>(batch.size());
      return refuse_ ? absl::UnavailableError("quorum lost") : absl::OkStatus();
    }
    void Refuse() {
      base::MutexLock lock(&mu_);
      refuse_ = true;
    }
    int appends() {
      base::MutexLock lock(&mu_);
      return appends_;
    }

   private:
    base::Mutex mu_;
    int appends_ ABSL_GUARDED_BY(mu_) = 0;
    int entries_ ABSL_GUARDED_BY(mu_) = 0;
    bool refuse_ ABSL_GUARDED_BY(mu_) = false;
  };
  CountingLog log;
  Committer committer(&log);
  EXPECT_TRUE(committer.SubmitAndWait("r", 0, Put("a")).ok());
  EXPECT_EQ(log.appends(), 1);
  log.Refuse();
  // The verdict is read where it is given: a Status's shared text would cross threads, which
  // TSan cannot follow through Debian's uninstrumented Abseil.
  std::promise<std::string> refused;
  committer.Submit("r", 1, Put("b"),
                   [&](const absl::Status& s) { refused.set_value(s.ToString()); });
  const std::string verdict = refused.get_future().get();
  EXPECT_NE(verdict.find("UNAVAILABLE"), std::string::npos) << verdict;
  EXPECT_NE(verdict.find("quorum lost"), std::string::npos) << verdict;
}

}  // namespace
}  // namespace anteroom::service
