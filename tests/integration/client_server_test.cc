// The gateway client library against real Anteroom servers in the test process (on its own:
// tests/client/anteroom_client_test.cc).

#include <map>
#include <set>

#include "absl/strings/str_join.h"
#include "client/anteroom_client.h"
#include "gtest/gtest.h"
#include "server/service/listeners.h"
#include "tests/testing/daemon.h"
#include "tests/testing/in_process_server.h"

namespace anteroom::client {
namespace {

using testing::InProcessServer;
using testing::SimulatedClock;
using testing::WaitUntil;

ClientOptions OptionsFor(std::vector<std::string> servers, base::Clock* clock = nullptr) {
  ClientOptions o;
  o.servers = std::move(servers);
  o.clock = clock;
  // Generous: a loaded machine (or TSan) must not turn an answer into a timeout. The
  // deadline test sets its own.
  o.attempt_timeout = absl::Seconds(5);
  o.call_timeout = absl::Seconds(20);
  o.retry_backoff = absl::Milliseconds(5);
  return o;
}

// An Admit the test needs to succeed: a failure fails the test (and gives an empty status)
// rather than aborting the whole binary on an unchecked StatusOr.
v1::VisitorStatus AdmitOrFail(Client& client, const std::string& room, const std::string& id) {
  absl::StatusOr<v1::VisitorStatus> status = client.Admit(room, id);
  EXPECT_TRUE(status.ok()) << status.status();
  return status.ok() ? *status : v1::VisitorStatus();
}

std::unique_ptr<Client> MakeClient(ClientOptions options) {
  auto client = Client::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(*client) : nullptr;
}

TEST(ClientTest, AVisitorsLifeThroughTheClient) {
  InProcessServer server;
  server.CreateRoom("hall", 1);
  auto client = MakeClient(OptionsFor({server.address()}));
  auto first = client->Admit("hall", "alice");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->state(), v1::ADMITTED);
  auto second = client->Admit("hall", "bob");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->state(), v1::QUEUED);
  EXPECT_EQ(second->position(), 1u);

  auto beat = client->Heartbeat(first->session());
  ASSERT_TRUE(beat.ok());
  EXPECT_EQ(beat->state(), v1::ADMITTED);
  auto left = client->Leave(first->session());
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(*left);
  auto polled = client->Poll(second->ticket());
  ASSERT_TRUE(polled.ok());
  EXPECT_EQ(polled->state(), v1::ADMITTED);
  EXPECT_FALSE(polled->session().empty());
}

TEST(ClientTest, MalformedTokensAreRefusedNamingTheFieldWithoutACall) {
  InProcessServer server;
  auto client = MakeClient(OptionsFor({server.address()}));
  auto poll = client->Poll("not-a-token");
  EXPECT_EQ(poll.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(poll.status().message().find("ticket"), std::string::npos) << poll.status();
  EXPECT_EQ(client->Heartbeat("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->Leave("x.y").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->stats().attempts, 0u);
  // Server-side validation still names the field.
  auto admit = client->Admit("hall", "");
  EXPECT_EQ(admit.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(admit.status().message().find("client_id"), std::string::npos) << admit.status();
}

TEST(ClientTest, EveryAttemptHasADeadlineAndRetriedAdmitsMakeOnePlace) {
  InProcessServer server;
  server.CreateRoom("hall", 1);
  ClientOptions o = OptionsFor({server.address()});
  o.attempt_timeout = absl::Milliseconds(200);
  o.call_timeout = absl::Seconds(5);
  auto client = MakeClient(o);
  ASSERT_EQ(AdmitOrFail(*client, "hall", "first").state(), v1::ADMITTED);

  // Writes hang (a stuck disk): each attempt runs into its deadline, and the call gives up.
  server.store().Close();
  auto stuck = client->Admit("hall", "patient");
  EXPECT_EQ(stuck.status().code(), absl::StatusCode::kDeadlineExceeded) << stuck.status();
  EXPECT_EQ(client->stats().attempts, 1u + 3u);
  EXPECT_EQ(client->stats().unreachable, 1u);
  server.store().Open();

  // The three attempts reached the server with one client_id: one place, not three. (Asked
  // through a client with the usual generous deadlines: only the stuck call is meant to run
  // out of time.)
  auto setup = MakeClient(OptionsFor({server.address()}));
  auto again = setup->Admit("hall", "patient");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->position(), 1u);
  auto later = setup->Admit("hall", "later");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->position(), 2u);
}

TEST(ClientTest, UnavailableIsRetriedAndTheRetrySucceeds) {
  InProcessServer server;
  server.CreateRoom("hall", 1);
  auto client = MakeClient(OptionsFor({server.address()}));
  server.store().FailNextWrites(1);  // the first attempt's write fails: UNAVAILABLE
  auto admitted = client->Admit("hall", "alice");
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ(admitted->state(), v1::ADMITTED);
  EXPECT_EQ(client->stats().retries, 1u);
  EXPECT_EQ(client->stats().unreachable, 0u);

  // Errors that are answers, not outages, are not retried.
  const uint64_t before = client->stats().attempts;
  EXPECT_EQ(client->Admit("no-such-room", "bob").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(client->stats().attempts, before + 1);
}

TEST(ClientTest, ABusySessionIsRenewedInTheBackgroundAndAnIdleOneOnItsNextRequest) {
  InProcessServer server;
  server.CreateRoom("hall", 2);
  SimulatedClock gateway_clock;
  ClientOptions o = OptionsFor({server.address()}, &gateway_clock);
  o.session_check_interval = absl::Seconds(10);
  auto client = MakeClient(o);
  auto visitor = client->Admit("hall", "alice");
  ASSERT_TRUE(visitor.ok());
  const std::string session = visitor->session();

  const int64_t before = server.CallsAnswered("Heartbeat");
  for (int i = 0; i < 100; ++i) {
    SessionCheck check = client->CheckSession(session);
    ASSERT_EQ(check.result, SessionCheck::Result::kValid);
    EXPECT_EQ(check.cached, i > 0);
    gateway_clock.Advance(absl::Milliseconds(50));  // 100 requests in 5 s
  }
  EXPECT_EQ(server.CallsAnswered("Heartbeat") - before, 1);

  // Past 3/4 of the interval: answered from memory, renewed by one Heartbeat in the
  // background.
  gateway_clock.Advance(absl::Seconds(3));
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(client->CheckSession(session).cached);
  ASSERT_TRUE(WaitUntil([&] { return client->stats().session_renewals == 1; }, absl::Seconds(10)));
  EXPECT_EQ(server.CallsAnswered("Heartbeat") - before, 2);
  gateway_clock.Advance(absl::Seconds(6));  // 14 s after the first check, 6 s after the renewal
  EXPECT_TRUE(client->CheckSession(session).cached);

  gateway_clock.Advance(absl::Seconds(11));  // idle for a whole interval
  SessionCheck renewed = client->CheckSession(session);
  EXPECT_EQ(renewed.result, SessionCheck::Result::kValid);
  EXPECT_FALSE(renewed.cached);
  EXPECT_EQ(server.CallsAnswered("Heartbeat") - before, 3);
  EXPECT_EQ(client->stats().session_cache_hits, 110u);
}

TEST(ClientTest, RevocationShowsWithinOneIntervalAndLeaveAtOnce) {
  InProcessServer server;
  server.CreateRoom("hall", 2);
  SimulatedClock gateway_clock;
  auto client = MakeClient(OptionsFor({server.address()}, &gateway_clock));
  const v1::VisitorStatus alice = AdmitOrFail(*client, "hall", "alice");
  const v1::VisitorStatus bob = AdmitOrFail(*client, "hall", "bob");
  ASSERT_EQ(client->CheckSession(alice.session()).result, SessionCheck::Result::kValid);
  ASSERT_EQ(client->CheckSession(bob.session()).result, SessionCheck::Result::kValid);

  grpc::ClientContext ctx;
  v1::RevokeSessionRequest revoke;
  revoke.set_session(alice.session());
  v1::RevokeSessionResponse revoked;
  ASSERT_TRUE(server.admin().RevokeSession(&ctx, revoke, &revoked).ok());
  EXPECT_EQ(client->CheckSession(alice.session()).result, SessionCheck::Result::kValid)
      << "cached: revocation shows only when the interval has passed";
  gateway_clock.Advance(absl::Seconds(11));
  EXPECT_EQ(client->CheckSession(alice.session()).result, SessionCheck::Result::kEnded);

  // Leave through the client forgets the cached answer at once, for good.
  ASSERT_TRUE(client->Leave(bob.session()).ok());
  EXPECT_EQ(client->CheckSession(bob.session()).result, SessionCheck::Result::kEnded);
  EXPECT_FALSE(client->CheckSession(bob.session()).cached);
}

TEST(ClientTest, AZeroIntervalMeansEveryCheckAsksTheServer) {
  InProcessServer server;
  server.CreateRoom("hall", 1);
  ClientOptions o = OptionsFor({server.address()});
  o.session_check_interval = absl::ZeroDuration();
  auto client = MakeClient(o);
  const std::string session = AdmitOrFail(*client, "hall", "alice").session();
  const int64_t before = server.CallsAnswered("Heartbeat");
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(client->CheckSession(session).cached);
  EXPECT_EQ(server.CallsAnswered("Heartbeat") - before, 3);
}

TEST(ClientTest, CachedSessionsOutliveABriefOutageForAtMostOneInterval) {
  auto server = std::make_unique<InProcessServer>();
  server->CreateRoom("hall", 1);
  SimulatedClock gateway_clock;
  ClientOptions o = OptionsFor({server->address()}, &gateway_clock);
  o.max_attempts = 1;
  auto client = MakeClient(o);
  const v1::VisitorStatus alice = AdmitOrFail(*client, "hall", "alice");
  ASSERT_EQ(client->CheckSession(alice.session()).result, SessionCheck::Result::kValid);
  server.reset();  // Anteroom goes away
  EXPECT_EQ(client->CheckSession(alice.session()).result, SessionCheck::Result::kValid);
  gateway_clock.Advance(absl::Seconds(11));
  EXPECT_EQ(client->CheckSession(alice.session()).result, SessionCheck::Result::kUnreachable);
}

TEST(ClientTest, TheSessionCacheIsBounded) {
  InProcessServer server;
  server.CreateRoom("hall", 10);
  SimulatedClock gateway_clock;
  ClientOptions o = OptionsFor({server.address()}, &gateway_clock);
  o.session_cache_size = 2;
  auto client = MakeClient(o);
  std::vector<std::string> sessions;
  for (int i = 0; i < 3; ++i) {
    sessions.push_back(AdmitOrFail(*client, "hall", absl::StrCat("v", i)).session());
    ASSERT_FALSE(client->CheckSession(sessions.back()).cached);
  }
  EXPECT_TRUE(client->CheckSession(sessions[2]).cached);
  EXPECT_TRUE(client->CheckSession(sessions[1]).cached);
  EXPECT_FALSE(client->CheckSession(sessions[0]).cached) << "the least recent was forgotten";
}

TEST(ClientTest, CallsGoToTheServerThatHoldsTheRoom) {
  InProcessServer a, b;
  auto client = MakeClient(OptionsFor({a.address(), b.address()}));
  std::set<std::string> used;
  // Rooms until both servers hold some (the ring depends on the servers' random ports).
  for (int i = 0; i < 64 && (i < 8 || used.size() < 2); ++i) {
    const std::string room = absl::StrCat("room-", i);
    InProcessServer& holder = client->ServerFor(room) == a.address() ? a : b;
    used.insert(client->ServerFor(room));
    holder.CreateRoom(room, 1);
    auto first = client->Admit(room, "alice");
    ASSERT_TRUE(first.ok()) << room << ": " << first.status();
    auto second = client->Admit(room, "bob");
    ASSERT_TRUE(second.ok());
    // Tokens name their room, so Poll, Heartbeat and Leave find the same server.
    EXPECT_EQ(client->Heartbeat(first->session())->state(), v1::ADMITTED);
    EXPECT_EQ(client->Poll(second->ticket())->position(), 1u);
    EXPECT_TRUE(*client->Leave(first->session()));
  }
  EXPECT_EQ(used.size(), 2u) << "64 rooms all landed on one server";
}

// A replicated cluster's standby answers UNAVAILABLE naming the owner; the client follows.
TEST(ClientTest, CallsToAReplicatedClusterFollowTheStandbysRedirectToTheOwner) {
  InProcessServer owner;
  owner.CreateRoom("hall", 1);
  service::ListenerOptions standby_options;
  standby_options.listen = "127.0.0.1:0";
  standby_options.admin_listen = "127.0.0.1:0";
  service::Metrics metrics;
  // Listeners that serve no rooms: a standby's.
  auto standby = service::Listeners::Start(standby_options, &metrics, /*store=*/nullptr, [&] {
    return service::ServingRooms::Owner{owner.address(), "127.0.0.1:1"};
  });
  ASSERT_TRUE(standby.ok()) << standby.status();
  const std::string standby_address = absl::StrCat("127.0.0.1:", (*standby)->port());
  // Listed first: the first call goes to the standby and is redirected.
  auto client = MakeClient(OptionsFor({absl::StrCat(standby_address, "|", owner.address())}));
  auto admitted = client->Admit("hall", "alice");
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ(admitted->state(), v1::ADMITTED);
  EXPECT_EQ(client->stats().retries, 1u);
  // Later calls go to the owner straight away.
  EXPECT_EQ(client->Heartbeat(admitted->session())->state(), v1::ADMITTED);
  EXPECT_EQ(client->stats().retries, 1u);
}

// With no owner anywhere (both nodes standbys naming none), a call is retried across the nodes
// until failover_timeout, then reported unreachable.
TEST(ClientTest, AReplicatedClusterWithNoOwnerIsUnreachableAfterTheFailoverTimeout) {
  service::Metrics metrics;
  std::vector<std::unique_ptr<service::Listeners>> standbys;
  std::vector<std::string> nodes;
  for (int i = 0; i < 2; ++i) {
    service::ListenerOptions options;
    options.listen = "127.0.0.1:0";
    options.admin_listen = "127.0.0.1:0";
    auto s = service::Listeners::Start(options, &metrics, /*store=*/nullptr,
                                       [] { return service::ServingRooms::Owner{}; });
    ASSERT_TRUE(s.ok()) << s.status();
    nodes.push_back(absl::StrCat("127.0.0.1:", (*s)->port()));
    standbys.push_back(*std::move(s));
  }
  ClientOptions options = OptionsFor({absl::StrJoin(nodes, "|")});
  options.attempt_timeout = absl::Milliseconds(500);
  options.call_timeout = absl::Seconds(1);
  options.failover_timeout = absl::Seconds(1);
  auto client = MakeClient(options);
  auto refused = client->Admit("hall", "alice");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(Client::IsUnreachable(refused.status())) << refused.status();
  EXPECT_NE(refused.status().message().find("serves no rooms right now"), std::string::npos)
      << refused.status();
  EXPECT_GT(client->stats().retries, 1u);
}

}  // namespace
}  // namespace anteroom::client
