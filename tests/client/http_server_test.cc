// The gate's HTTP side over real loopback HTTP, in front of a real in-process Anteroom.

#include "client/gate/http_server.h"

#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/in_process_server.h"

namespace anteroom::gate {
namespace {

using testing::InProcessServer;
using testing::SeededRandom;
using testing::SimulatedClock;

TEST(GateHttpTest, ServesOverHttpAndRefusesATakenPort) {
  InProcessServer server;
  server.CreateRoom("clinic", 1);
  client::ClientOptions co;
  co.servers = {server.address()};
  auto client = client::Client::Create(co).value();
  SimulatedClock clock;
  SeededRandom random;
  prometheus::Registry registry;
  GateOptions options;
  options.default_room = "clinic";
  Gate gate(options, client.get(), &clock, &random, &registry);
  auto http = HttpServer::Start("127.0.0.1:0", &gate, 4);
  ASSERT_TRUE(http.ok()) << http.status();

  httplib::Client browser("127.0.0.1", (*http)->port());
  auto health = browser.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto newcomer = browser.Get("/check");  // the cookie check: a visitor id to bring back
  ASSERT_TRUE(newcomer);
  EXPECT_EQ(newcomer->status, 401);
  const std::string id = newcomer->get_header_value("Set-Cookie");
  auto check = browser.Get("/check", {{"Cookie", id.substr(0, id.find(';'))}});
  ASSERT_TRUE(check);
  EXPECT_EQ(check->status, 204);
  EXPECT_TRUE(absl::StartsWith(check->get_header_value("Set-Cookie"), "anteroom_clinic=s."));
  auto second = browser.Get("/wait", {{"Accept", "application/json"}});  // another newcomer
  ASSERT_TRUE(second);
  const std::string second_id = second->get_header_value("Set-Cookie");
  auto waiting = browser.Get("/wait", {{"Accept", "application/json"},
                                       {"Cookie", second_id.substr(0, second_id.find(';'))}});
  ASSERT_TRUE(waiting);
  EXPECT_EQ(waiting->get_header_value("Content-Type"), "application/json");
  EXPECT_NE(waiting->body.find("\"position\":1"), std::string::npos) << waiting->body;

  auto taken = HttpServer::Start(absl::StrCat("127.0.0.1:", (*http)->port()), &gate, 1);
  ASSERT_FALSE(taken.ok());
  EXPECT_NE(taken.status().message().find("in use"), std::string::npos);
  EXPECT_FALSE(HttpServer::Start("nonsense", &gate, 1).ok());
  (*http)->Stop();
}

}  // namespace
}  // namespace anteroom::gate
