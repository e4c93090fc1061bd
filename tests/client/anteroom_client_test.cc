// The gateway client library on its own: its options, its routing of rooms to servers, and
// what it reports when no server answers. (Against real servers: tests/integration/
// client_server_test.cc.)

#include "client/anteroom_client.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/daemon.h"

namespace anteroom::client {
namespace {

ClientOptions OptionsFor(std::vector<std::string> servers) {
  ClientOptions o;
  o.servers = std::move(servers);
  o.attempt_timeout = absl::Seconds(5);
  o.call_timeout = absl::Seconds(20);
  o.retry_backoff = absl::Milliseconds(5);
  return o;
}

std::unique_ptr<Client> MakeClient(ClientOptions options) {
  auto client = Client::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(*client) : nullptr;
}

std::string DeadAddress() { return absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort()); }

TEST(ClientTest, BadOptionsAreRefused) {
  EXPECT_FALSE(Client::Create(OptionsFor({})).ok());
  EXPECT_FALSE(Client::Create(OptionsFor({"no-port"})).ok());
  auto dup = Client::Create(OptionsFor({"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:1"}));
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("127.0.0.1:1"), std::string::npos);
  ClientOptions o = OptionsFor({"127.0.0.1:1"});
  o.max_attempts = 0;
  EXPECT_FALSE(Client::Create(o).ok());
  o = OptionsFor({"127.0.0.1:1"});
  o.call_timeout = absl::Milliseconds(10);
  EXPECT_FALSE(Client::Create(o).ok());
  EXPECT_EQ(ParseFailureMode("Open").value(), FailureMode::kFailOpen);
  EXPECT_EQ(ParseFailureMode("closed").value(), FailureMode::kFailClosed);
  EXPECT_FALSE(ParseFailureMode("maybe").ok());
  // The nodes of a replicated cluster, joined by '|', are each host:port.
  auto bad_node = Client::Create(OptionsFor({"127.0.0.1:1|no-port"}));
  ASSERT_FALSE(bad_node.ok());
  EXPECT_NE(bad_node.status().message().find("host:port|host:port"), std::string::npos);
  EXPECT_FALSE(Client::Create(OptionsFor({"127.0.0.1:1||127.0.0.1:2"})).ok());
}

TEST(ClientTest, AnUnreachableServerIsReportedAsSuchForTheFailureMode) {
  for (FailureMode mode : {FailureMode::kFailClosed, FailureMode::kFailOpen}) {
    ClientOptions o = OptionsFor({DeadAddress()});
    o.failure_mode = mode;
    o.max_attempts = 2;
    auto client = MakeClient(o);
    EXPECT_EQ(client->failure_mode(), mode);
    auto admit = client->Admit("hall", "alice");
    EXPECT_TRUE(Client::IsUnreachable(admit.status())) << admit.status();
    SessionCheck check = client->CheckSession("s.hall.AAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAA");
    EXPECT_EQ(check.result, SessionCheck::Result::kUnreachable);
    EXPECT_EQ(client->stats().attempts, 4u);
  }
}

TEST(ClientTest, RoomsAreSpreadByConsistentHashingAndFewMoveWhenAServerIsAdded) {
  const std::vector<std::string> three = {"10.0.0.1:50051", "10.0.0.2:50051", "10.0.0.3:50051"};
  auto before = MakeClient(OptionsFor(three));
  auto same = MakeClient(OptionsFor({three[2], three[0], three[1]}));  // order does not matter
  std::vector<std::string> four = three;
  four.push_back("10.0.0.4:50051");
  auto after = MakeClient(OptionsFor(four));

  std::map<std::string, int> load;
  int moved = 0;
  const int rooms = 3000;
  for (int i = 0; i < rooms; ++i) {
    const std::string room = absl::StrCat("room-", i);
    const std::string& owner = before->ServerFor(room);
    ++load[owner];
    EXPECT_EQ(same->ServerFor(room), owner);
    const std::string& new_owner = after->ServerFor(room);
    if (new_owner != owner) {
      ++moved;
      EXPECT_EQ(new_owner, four.back()) << "a room moved between two old servers";
    }
  }
  for (const auto& [server, n] : load) {
    EXPECT_GT(n, rooms / 3 / 2) << server;
    EXPECT_LT(n, rooms / 3 * 3 / 2) << server;
  }
  // About a quarter of the rooms move to the new server.
  EXPECT_GT(moved, rooms / 8);
  EXPECT_LT(moved, rooms * 3 / 8);
}

}  // namespace
}  // namespace anteroom::client
