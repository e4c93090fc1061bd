#include "client/session_cache.h"

#include <memory>
#include <thread>

#include "base/mutex.h"
#include "gtest/gtest.h"
#include "tests/testing/daemon.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::client {
namespace {

using Result = SessionCheck::Result;

constexpr absl::Duration kInterval = absl::Seconds(10);

wire::Token Session(uint64_t id) {
  return *wire::Token::Parse(
      wire::MakeToken(wire::TokenKind::kSession, "hall", id, wire::Secret{id, id + 1}));
}

v1::VisitorStatus WithState(v1::VisitorState state) {
  v1::VisitorStatus status;
  status.set_state(state);
  return status;
}

// Anteroom as the cache sees it: answers Heartbeats with `answer`, counts them, and can hold
// them until released (to show that a check does not wait for one).
class ScriptedAnteroom {
 public:
  absl::StatusOr<v1::VisitorStatus> Heartbeat(const wire::Token&) {
    base::MutexLock lock(&mu_);
    ++calls_;
    while (held_) released_.Wait(&mu_);
    return answer_;
  }
  void Answer(absl::StatusOr<v1::VisitorStatus> answer) {
    base::MutexLock lock(&mu_);
    answer_ = std::move(answer);
  }
  void Hold() {
    base::MutexLock lock(&mu_);
    held_ = true;
  }
  void Release() {
    {
      base::MutexLock lock(&mu_);
      held_ = false;
    }
    released_.SignalAll();
  }
  int calls() {
    base::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  base::Mutex mu_;
  base::CondVar released_;
  absl::StatusOr<v1::VisitorStatus> answer_ ABSL_GUARDED_BY(mu_) = WithState(v1::ADMITTED);
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

class SessionCacheTest : public ::testing::Test {
 protected:
  std::unique_ptr<SessionCache> MakeCache(int renewal_threads = 2) {
    SessionCacheOptions options;
    options.interval = kInterval;
    options.renewal_threads = renewal_threads;
    options.clock = &clock_;
    return std::make_unique<SessionCache>(
        options, [this](const wire::Token& t) { return anteroom_.Heartbeat(t); });
  }
  bool RenewalsReach(SessionCache* cache, uint64_t n) {
    return testing::WaitUntil([&] { return cache->stats().renewals >= n; }, absl::Seconds(10));
  }

  testing::SimulatedClock clock_;
  ScriptedAnteroom anteroom_;
};

TEST_F(SessionCacheTest, TheFirstCheckAsksAndTheNextAreAnsweredFromMemory) {
  auto cache = MakeCache();
  EXPECT_EQ(cache->Check(Session(1)).result, Result::kValid);
  EXPECT_EQ(anteroom_.calls(), 1);
  clock_.Advance(absl::Seconds(7));
  const SessionCheck again = cache->Check(Session(1));
  EXPECT_EQ(again.result, Result::kValid);
  EXPECT_TRUE(again.cached);
  EXPECT_EQ(anteroom_.calls(), 1) << "no renewal before 3/4 of the interval";
  EXPECT_EQ(cache->stats().hits, 1u);
  EXPECT_EQ(cache->stats().misses, 1u);
}

TEST_F(SessionCacheTest, ABusySessionIsRenewedInTheBackgroundOnceWhileChecksGoOn) {
  auto cache = MakeCache();
  ASSERT_EQ(cache->Check(Session(1)).result, Result::kValid);
  clock_.Advance(absl::Seconds(8));
  anteroom_.Hold();
  // Answered at once although the renewal's Heartbeat is held: no check waits for it.
  for (int i = 0; i < 50; ++i) {
    const SessionCheck check = cache->Check(Session(1));
    EXPECT_EQ(check.result, Result::kValid);
    EXPECT_TRUE(check.cached);
  }
  ASSERT_TRUE(testing::WaitUntil([&] { return anteroom_.calls() == 2; }, absl::Seconds(10)));
  anteroom_.Release();
  ASSERT_TRUE(RenewalsReach(cache.get(), 1));
  EXPECT_EQ(anteroom_.calls(), 2) << "one renewal for fifty checks";
  // Renewed at 8 s: still valid at 17 s, when the first check alone would have lapsed.
  clock_.Advance(absl::Seconds(9));
  EXPECT_TRUE(cache->Check(Session(1)).cached);
  EXPECT_EQ(cache->stats().misses, 1u);
}

TEST_F(SessionCacheTest, ARevokedSessionIsNoticedByItsRenewalWithinTheInterval) {
  auto cache = MakeCache();
  ASSERT_EQ(cache->Check(Session(1)).result, Result::kValid);
  anteroom_.Answer(absl::NotFoundError("the session has ended"));
  clock_.Advance(absl::Seconds(8));
  EXPECT_EQ(cache->Check(Session(1)).result, Result::kValid) << "last seen valid 8 s ago";
  ASSERT_TRUE(RenewalsReach(cache.get(), 1));
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(cache->Check(Session(1)).result, Result::kEnded) << "9 s after its last check";
}

TEST_F(SessionCacheTest, AFailedRenewalLeavesTheSessionToLapseAndMeetTheFailureMode) {
  auto cache = MakeCache();
  ASSERT_EQ(cache->Check(Session(1)).result, Result::kValid);
  anteroom_.Answer(absl::UnavailableError("no answer"));
  clock_.Advance(absl::Seconds(8));
  EXPECT_EQ(cache->Check(Session(1)).result, Result::kValid);
  ASSERT_TRUE(RenewalsReach(cache.get(), 1));
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(cache->Check(Session(1)).result, Result::kValid) << "still within its interval";
  clock_.Advance(absl::Seconds(1));
  const SessionCheck lapsed = cache->Check(Session(1));
  EXPECT_EQ(lapsed.result, Result::kUnreachable) << "asked on the caller's thread at 10 s";
  EXPECT_FALSE(lapsed.cached);
}

TEST_F(SessionCacheTest, AnIdleSessionIsCheckedOnTheCallersThread) {
  auto cache = MakeCache();
  ASSERT_EQ(cache->Check(Session(1)).result, Result::kValid);
  clock_.Advance(kInterval);
  const SessionCheck check = cache->Check(Session(1));
  EXPECT_EQ(check.result, Result::kValid);
  EXPECT_FALSE(check.cached);
  EXPECT_EQ(cache->stats().renewals, 0u);
  EXPECT_EQ(anteroom_.calls(), 2);
}

TEST_F(SessionCacheTest, ASessionThatLeftDuringItsRenewalIsNotTakenBack) {
  auto cache = MakeCache();
  ASSERT_EQ(cache->Check(Session(1)).result, Result::kValid);
  clock_.Advance(absl::Seconds(8));
  anteroom_.Hold();
  ASSERT_TRUE(cache->Check(Session(1)).cached);
  ASSERT_TRUE(testing::WaitUntil([&] { return anteroom_.calls() == 2; }, absl::Seconds(10)));
  cache->Forget(Session(1).text());
  anteroom_.Release();  // the renewal then answers ADMITTED, from before the Leave
  ASSERT_TRUE(RenewalsReach(cache.get(), 1));
  const SessionCheck check = cache->Check(Session(1));
  EXPECT_FALSE(check.cached) << "forgotten: asked again";
  EXPECT_EQ(anteroom_.calls(), 3);
}

TEST_F(SessionCacheTest, WithoutRenewalThreadsALapsingSessionIsAskedForOnTheCallersThread) {
  auto cache = MakeCache(/*renewal_threads=*/0);
  ASSERT_EQ(cache->Check(Session(1)).result, Result::kValid);
  clock_.Advance(absl::Seconds(9));
  EXPECT_TRUE(cache->Check(Session(1)).cached);
  EXPECT_EQ(anteroom_.calls(), 1);
  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(cache->Check(Session(1)).cached);
  EXPECT_EQ(anteroom_.calls(), 2);
}

TEST_F(SessionCacheTest, StoppingWaitsForTheRenewalUnderWay) {
  auto cache = MakeCache(/*renewal_threads=*/1);
  for (uint64_t id = 1; id <= 5; ++id) ASSERT_EQ(cache->Check(Session(id)).result, Result::kValid);
  clock_.Advance(absl::Seconds(8));
  anteroom_.Hold();
  for (uint64_t id = 1; id <= 5; ++id) ASSERT_TRUE(cache->Check(Session(id)).cached);
  ASSERT_TRUE(testing::WaitUntil([&] { return anteroom_.calls() == 6; }, absl::Seconds(10)));
  // Destroying the cache returns once the held renewal is answered (the renewal thread uses
  // the cache until then); those still queued may be dropped.
  std::thread release([&] { anteroom_.Release(); });
  cache.reset();
  release.join();
  EXPECT_GE(anteroom_.calls(), 6);
  EXPECT_LE(anteroom_.calls(), 10);
}

}  // namespace
}  // namespace anteroom::client
