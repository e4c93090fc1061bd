#include "client/session_cache.h"

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "gtest/gtest.h"
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

// Anteroom as the cache sees it: answers Heartbeats with `answer` at once, counts them, and
// can hold them until released (to show that a check does not wait for one).
class ScriptedAnteroom {
 public:
  void Heartbeat(const wire::Token&, Done<absl::StatusOr<v1::VisitorStatus>> done) {
    absl::StatusOr<v1::VisitorStatus> answer;
    {
      base::MutexLock lock(&mu_);
      ++calls_;
      if (held_) return owed_.push_back(std::move(done));
      answer = answer_;
    }
    done(answer);
  }
  void Answer(absl::StatusOr<v1::VisitorStatus> answer) {
    base::MutexLock lock(&mu_);
    answer_ = std::move(answer);
  }
  void Hold() {
    base::MutexLock lock(&mu_);
    held_ = true;
  }
  // Answers the held Heartbeats, on this thread.
  void Release() {
    std::vector<Done<absl::StatusOr<v1::VisitorStatus>>> owed;
    absl::StatusOr<v1::VisitorStatus> answer;
    {
      base::MutexLock lock(&mu_);
      held_ = false;
      owed.swap(owed_);
      answer = answer_;
    }
    for (auto& done : owed) done(answer);
  }
  int calls() {
    base::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  base::Mutex mu_;
  absl::StatusOr<v1::VisitorStatus> answer_ ABSL_GUARDED_BY(mu_) = WithState(v1::ADMITTED);
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Done<absl::StatusOr<v1::VisitorStatus>>> owed_ ABSL_GUARDED_BY(mu_);
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

class SessionCacheTest : public ::testing::Test {
 protected:
  std::unique_ptr<SessionCache> MakeCache() {
    SessionCacheOptions options;
    options.interval = kInterval;
    options.clock = &clock_;
    return std::make_unique<SessionCache>(
        options, [this](const wire::Token& t, Done<absl::StatusOr<v1::VisitorStatus>> done) {
          anteroom_.Heartbeat(t, std::move(done));
        });
  }
  // The check's answer, which must come before Check returns (nullopt when it did not).
  static std::optional<SessionCheck> Check(SessionCache* cache, const wire::Token& session) {
    std::optional<SessionCheck> answer;
    cache->Check(session, [&answer](SessionCheck check) { answer = check; });
    return answer;
  }

  testing::SimulatedClock clock_;
  ScriptedAnteroom anteroom_;
};

TEST_F(SessionCacheTest, TheFirstCheckAsksAndTheNextAreAnsweredFromMemory) {
  auto cache = MakeCache();
  EXPECT_EQ(Check(cache.get(), Session(1))->result, Result::kValid);
  EXPECT_EQ(anteroom_.calls(), 1);
  clock_.Advance(absl::Seconds(7));
  const std::optional<SessionCheck> again = Check(cache.get(), Session(1));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->result, Result::kValid);
  EXPECT_TRUE(again->cached);
  EXPECT_EQ(anteroom_.calls(), 1) << "no renewal before 3/4 of the interval";
  EXPECT_EQ(cache->stats().hits, 1u);
  EXPECT_EQ(cache->stats().misses, 1u);
}

TEST_F(SessionCacheTest, ABusySessionIsRenewedInTheBackgroundOnceWhileChecksGoOn) {
  auto cache = MakeCache();
  ASSERT_EQ(Check(cache.get(), Session(1))->result, Result::kValid);
  clock_.Advance(absl::Seconds(8));
  anteroom_.Hold();
  // Answered at once although the renewal's Heartbeat is held: no check waits for it.
  for (int i = 0; i < 50; ++i) {
    const std::optional<SessionCheck> check = Check(cache.get(), Session(1));
    ASSERT_TRUE(check.has_value());
    EXPECT_EQ(check->result, Result::kValid);
    EXPECT_TRUE(check->cached);
  }
  EXPECT_EQ(anteroom_.calls(), 2) << "one renewal for fifty checks";
  EXPECT_EQ(cache->stats().renewals, 0u);
  anteroom_.Release();
  EXPECT_EQ(cache->stats().renewals, 1u);
  // Renewed at 8 s: still valid at 17 s, when the first check alone would have lapsed.
  clock_.Advance(absl::Seconds(9));
  EXPECT_TRUE(Check(cache.get(), Session(1))->cached);
  EXPECT_EQ(cache->stats().misses, 1u);
}

TEST_F(SessionCacheTest, ARevokedSessionIsNoticedByItsRenewalWithinTheInterval) {
  auto cache = MakeCache();
  ASSERT_EQ(Check(cache.get(), Session(1))->result, Result::kValid);
  anteroom_.Answer(absl::NotFoundError("the session has ended"));
  clock_.Advance(absl::Seconds(8));
  EXPECT_EQ(Check(cache.get(), Session(1))->result, Result::kValid) << "last seen valid 8 s ago";
  EXPECT_EQ(cache->stats().renewals, 1u);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Check(cache.get(), Session(1))->result, Result::kEnded) << "9 s after its last check";
}

TEST_F(SessionCacheTest, AFailedRenewalLeavesTheSessionToLapseAndMeetTheFailureMode) {
  auto cache = MakeCache();
  ASSERT_EQ(Check(cache.get(), Session(1))->result, Result::kValid);
  anteroom_.Answer(absl::UnavailableError("no answer"));
  clock_.Advance(absl::Seconds(8));
  EXPECT_EQ(Check(cache.get(), Session(1))->result, Result::kValid);
  EXPECT_EQ(cache->stats().renewals, 1u);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Check(cache.get(), Session(1))->result, Result::kValid) << "still within its interval";
  clock_.Advance(absl::Seconds(1));
  const std::optional<SessionCheck> lapsed = Check(cache.get(), Session(1));
  EXPECT_EQ(lapsed->result, Result::kUnreachable) << "a check at 10 s waits for a Heartbeat";
  EXPECT_FALSE(lapsed->cached);
}

TEST_F(SessionCacheTest, AnIdleSessionWaitsForAHeartbeat) {
  auto cache = MakeCache();
  ASSERT_EQ(Check(cache.get(), Session(1))->result, Result::kValid);
  clock_.Advance(kInterval);
  const std::optional<SessionCheck> check = Check(cache.get(), Session(1));
  EXPECT_EQ(check->result, Result::kValid);
  EXPECT_FALSE(check->cached);
  EXPECT_EQ(cache->stats().renewals, 0u);
  EXPECT_EQ(anteroom_.calls(), 2);
}

// The check that asks is answered when Anteroom is; meanwhile other checks of the session
// are answered at once, as valid at its last check.
TEST_F(SessionCacheTest, ACheckThatAsksIsAnsweredWhenTheHeartbeatIs) {
  auto cache = MakeCache();
  ASSERT_EQ(Check(cache.get(), Session(1))->result, Result::kValid);
  clock_.Advance(kInterval);
  anteroom_.Hold();
  std::optional<SessionCheck> asked;
  cache->Check(Session(1), [&asked](SessionCheck check) { asked = check; });
  EXPECT_FALSE(asked.has_value()) << "Check returned without waiting";
  const std::optional<SessionCheck> meanwhile = Check(cache.get(), Session(1));
  ASSERT_TRUE(meanwhile.has_value());
  EXPECT_TRUE(meanwhile->cached);
  EXPECT_EQ(anteroom_.calls(), 2) << "one Heartbeat under way for the session";
  anteroom_.Release();
  ASSERT_TRUE(asked.has_value());
  EXPECT_EQ(asked->result, Result::kValid);
  EXPECT_FALSE(asked->cached);
}

TEST_F(SessionCacheTest, ASessionThatLeftDuringItsRenewalIsNotTakenBack) {
  auto cache = MakeCache();
  ASSERT_EQ(Check(cache.get(), Session(1))->result, Result::kValid);
  clock_.Advance(absl::Seconds(8));
  anteroom_.Hold();
  ASSERT_TRUE(Check(cache.get(), Session(1))->cached);
  ASSERT_EQ(anteroom_.calls(), 2);
  cache->Forget(Session(1).text());
  anteroom_.Release();  // the renewal then answers ADMITTED, from before the Leave
  EXPECT_EQ(cache->stats().renewals, 1u);
  const std::optional<SessionCheck> check = Check(cache.get(), Session(1));
  EXPECT_FALSE(check->cached) << "forgotten: asked again";
  EXPECT_EQ(anteroom_.calls(), 3);
}

TEST_F(SessionCacheTest, DestroyingTheCacheWaitsForTheHeartbeatsUnderWay) {
  auto cache = MakeCache();
  for (uint64_t id = 1; id <= 5; ++id) ASSERT_TRUE(Check(cache.get(), Session(id)).has_value());
  clock_.Advance(absl::Seconds(8));
  anteroom_.Hold();
  for (uint64_t id = 1; id <= 5; ++id) ASSERT_TRUE(Check(cache.get(), Session(id))->cached);
  ASSERT_EQ(anteroom_.calls(), 10);
  // The held renewals answer into the cache: destroying it returns only once they have
  // (they are released on another thread, after the destruction has begun).
  std::atomic<bool> released{false};
  std::thread release([&] {
    released = true;
    anteroom_.Release();
  });
  cache.reset();
  EXPECT_TRUE(released.load()) << "the cache was gone before its Heartbeats were answered";
  release.join();
}

}  // namespace
}  // namespace anteroom::client
