// The gate's HTTP server over real loopback HTTP: strict parsing, requests as sent, keep-alive,
// and the gate behind it (in front of a scripted Anteroom).

#include "client/gate/http_server.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "client/gate/gate.h"
#include "gtest/gtest.h"
#include "tests/client/gate/fake_waiting_room.h"
#include "tests/testing/daemon.h"
#include "tests/testing/http_get.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::gate {
namespace {

using testing::FakeWaitingRoom;
using testing::HttpExchange;
using testing::HttpFetch;
using testing::ParseHttpReply;
using testing::SeededRandom;
using testing::SimulatedClock;

// A server whose handler echoes what it was given.
std::unique_ptr<HttpServer> EchoServer(HttpServerOptions options = {}) {
  options.listen = "127.0.0.1:0";
  auto server = HttpServer::Start(options, [](HttpRequest request, HttpServer::Respond respond) {
    HttpResponse response;
    response.body = absl::StrCat("method=", request.method, "\npath=", request.path,
                                 "\nx-original-uri=", request.Header("x-original-uri"),
                                 "\ncookie=", request.Header("Cookie"), "\npeer=", request.peer);
    for (const char* name : {"room", "next"}) {
      auto it = request.query.find(name);
      if (it != request.query.end()) absl::StrAppend(&response.body, "\n", name, "=", it->second);
    }
    response.headers.emplace_back("Set-Cookie", "a=1");
    response.headers.emplace_back("Set-Cookie", "b=2");
    respond(std::move(response));
  });
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

std::string Address(const HttpServer& server) { return absl::StrCat("127.0.0.1:", server.port()); }

HttpServer::Handler GateHandler(Gate* gate) {
  return [gate](HttpRequest request, HttpServer::Respond respond) {
    gate->Handle(std::move(request), std::move(respond));
  };
}

TEST(HttpServerTest, TheHandlerSeesThePathAndHeadersAsSent) {
  auto server = EchoServer();
  ASSERT_NE(server, nullptr);
  // An encoded dot segment must reach the gate's routing as it was sent: decoded here, the
  // gate would route "/tickets/%2e%2e/buy" by its decoded form alone.
  auto reply = HttpFetch(Address(*server), "GET", "/%63heck?room=a%20b&next=%2Fx&room=ignored",
                         {{"X-Original-URI", "/tickets/%2e%2e/buy"}, {"Cookie", "v=%41+b"}});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 200);
  EXPECT_NE(reply->body.find("path=/%63heck\n"), std::string::npos) << reply->body;
  EXPECT_NE(reply->body.find("x-original-uri=/tickets/%2e%2e/buy\n"), std::string::npos)
      << reply->body;
  EXPECT_NE(reply->body.find("cookie=v=%41+b\n"), std::string::npos) << reply->body;
  EXPECT_NE(reply->body.find("peer=127.0.0.1"), std::string::npos) << reply->body;
  // The query's parameters are decoded, as a form's; the first of a name wins.
  EXPECT_NE(reply->body.find("room=a b"), std::string::npos) << reply->body;
  EXPECT_NE(reply->body.find("next=/x"), std::string::npos) << reply->body;
  // Repeated response headers are sent each.
  int cookies = 0;
  for (const auto& [name, value] : reply->headers)
    cookies += absl::EqualsIgnoreCase(name, "Set-Cookie");
  EXPECT_EQ(cookies, 2);
  EXPECT_EQ(reply->Header("Content-Type"), "text/plain; charset=utf-8");
}

TEST(HttpServerTest, KeepsConnectionsAliveAndAnswersPipelinedRequestsInOrder) {
  auto server = EchoServer();
  ASSERT_NE(server, nullptr);
  const std::string two =
      "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  auto raw = HttpExchange(Address(*server), two);
  ASSERT_TRUE(raw.ok()) << raw.status();
  const size_t one = raw->find("path=/one");
  const size_t second = raw->find("path=/two");
  ASSERT_NE(one, std::string::npos) << *raw;
  ASSERT_NE(second, std::string::npos) << *raw;
  EXPECT_LT(one, second);
  EXPECT_TRUE(absl::StrContains(*raw, "Connection: close")) << *raw;
}

TEST(HttpServerTest, RefusesMalformedAndOversizedRequestsWithClearCodes) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  options.max_body_bytes = 16;
  options.request_timeout = absl::Milliseconds(300);
  auto server = EchoServer(options);
  ASSERT_NE(server, nullptr);
  auto status_of = [&](const std::string& bytes) {
    auto raw = HttpExchange(Address(*server), bytes);
    if (!raw.ok()) return -1;
    auto reply = ParseHttpReply(*raw);
    if (!reply.ok()) return 0;  // closed without an answer
    // Refused requests close the connection: exactly one answer.
    if (reply->status >= 400 && raw->find("HTTP/1.", 1) != std::string::npos) return -2;
    return reply->status;
  };
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"), 200);
  // Request smuggling: a body length two servers could read two ways is refused.
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n"
                      "\r\nabcd"),
            400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked, x\r\n\r\n"),
            400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                      "Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n"),
            400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET  / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/9.9\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(2000, 'a') + "\r\n\r\n"),
            431);
  EXPECT_EQ(
      status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\n\r\n" + std::string(17, 'a')),
      413);
  // A request that never ends is cut off (request_timeout): nothing is answered.
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\n"), 0);
}

// Answers the requests for /slow only when told to, and every other at once: a handler whose
// answer waits for something (the gate's for Anteroom).
class Deferred {
 public:
  HttpServer::Handler Handler() {
    return [this](HttpRequest request, HttpServer::Respond respond) {
      if (request.path != "/slow") {
        HttpResponse response;
        response.body = "at once " + request.path;
        return respond(std::move(response));
      }
      base::MutexLock lock(&mu_);
      owed_.push_back(std::move(respond));
    };
  }
  size_t owed() {
    base::MutexLock lock(&mu_);
    return owed_.size();
  }
  // Answers every request owed, on this thread.
  void AnswerAll(const std::string& body) {
    std::vector<HttpServer::Respond> owed;
    {
      base::MutexLock lock(&mu_);
      owed.swap(owed_);
    }
    for (auto& respond : owed) {
      HttpResponse response;
      response.body = body;
      respond(std::move(response));
    }
  }

 private:
  base::Mutex mu_;
  std::vector<HttpServer::Respond> owed_ ABSL_GUARDED_BY(mu_);
};

// Stop waits for the answer still owed, sends it, closes idle connections and returns.
TEST(HttpServerTest, StopAnswersTheRequestUnderWayAndClosesTheRest) {
  Deferred handler;
  HttpServerOptions options;
  options.listen = "127.0.0.1:0";
  auto server = HttpServer::Start(options, handler.Handler());
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = Address(**server);
  std::string answer;
  std::thread slow([&] {
    auto reply = HttpFetch(address, "GET", "/slow");
    answer = reply.ok() ? reply->body : reply.status().ToString();
  });
  ASSERT_TRUE(testing::WaitUntil([&] { return handler.owed() == 1; }, absl::Seconds(10)));
  std::thread stopper([&] { (*server)->Stop(); });
  handler.AnswerAll("late");  // answered while Stop waits for it
  stopper.join();
  slow.join();
  EXPECT_EQ(answer, "late");
  EXPECT_FALSE(HttpFetch(address, "GET", "/").ok());
}

// Requests waiting for their answers hold no thread: with one thread and fifty requests
// owed, other connections are answered at once; the fifty are when their answers come.
TEST(HttpServerTest, RequestsWaitingForTheirAnswersHoldNoThread) {
  Deferred handler;
  HttpServerOptions options;
  options.listen = "127.0.0.1:0";
  options.threads = 1;
  auto server = HttpServer::Start(options, handler.Handler());
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = Address(**server);
  constexpr int kOwed = 50;
  std::vector<std::string> answers(kOwed);
  std::vector<std::thread> waiting;
  for (int i = 0; i < kOwed; ++i) {
    waiting.emplace_back([&, i] {
      auto reply = HttpFetch(address, "GET", "/slow");
      answers[i] = reply.ok() ? reply->body : reply.status().ToString();
    });
  }
  ASSERT_TRUE(testing::WaitUntil([&] { return handler.owed() == kOwed; }, absl::Seconds(10)));
  for (int i = 0; i < 3; ++i) {
    auto reply = HttpFetch(address, "GET", "/quick");
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->body, "at once /quick");
  }
  handler.AnswerAll("answered later");
  for (std::thread& t : waiting) t.join();
  for (const std::string& answer : answers) EXPECT_EQ(answer, "answered later");
}

TEST(HttpServerTest, HeadHasTheLengthButNoBody) {
  auto server = EchoServer();
  ASSERT_NE(server, nullptr);
  auto raw = HttpExchange(Address(*server), "HEAD /x HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(raw.ok()) << raw.status();
  auto reply = ParseHttpReply(*raw);
  ASSERT_TRUE(reply.ok()) << *raw;
  EXPECT_EQ(reply->status, 200);
  EXPECT_NE(reply->Header("Content-Length"), "0");
  EXPECT_EQ(reply->body, "");
}

TEST(HttpServerTest, RefusesATakenPortAndBadOptions) {
  auto server = EchoServer();
  ASSERT_NE(server, nullptr);
  HttpServerOptions taken;
  taken.listen = Address(*server);
  auto answer = [](HttpRequest, HttpServer::Respond respond) { respond(HttpResponse{}); };
  auto second = HttpServer::Start(taken, answer);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use"), std::string::npos) << second.status();
  for (const char* listen : {"nonsense", "127.0.0.1:http", "127.0.0.1:99999"}) {
    HttpServerOptions bad;
    bad.listen = listen;
    auto refused = HttpServer::Start(bad, answer);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << listen;
  }
  HttpServerOptions no_threads;
  no_threads.listen = "127.0.0.1:0";
  no_threads.threads = 0;
  EXPECT_EQ(HttpServer::Start(no_threads, answer).status().code(),
            absl::StatusCode::kInvalidArgument);
  server->Stop();
  server->Stop();  // idempotent
  // No longer listening: refused at once, not accepted and left unanswered.
  auto after = HttpFetch(taken.listen, "GET", "/");
  ASSERT_FALSE(after.ok());
  EXPECT_NE(after.status().message().find("cannot connect"), std::string::npos) << after.status();
}

TEST(GateHttpTest, ServesTheGateOverHttp) {
  FakeWaitingRoom anteroom;
  anteroom.ScriptAdmit(FakeWaitingRoom::Admitted("clinic"));
  SimulatedClock clock;
  SeededRandom random;
  prometheus::Registry registry;
  GateOptions options;
  options.default_room = "clinic";
  Gate gate(options, &anteroom, &clock, &random, &registry);
  HttpServerOptions http_options;
  http_options.listen = "127.0.0.1:0";
  auto http = HttpServer::Start(http_options, GateHandler(&gate));
  ASSERT_TRUE(http.ok()) << http.status();
  const std::string address = Address(**http);

  auto health = HttpFetch(address, "GET", "/healthz");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);
  auto newcomer = HttpFetch(address, "GET", "/check");  // the cookie check: an id to bring back
  ASSERT_TRUE(newcomer.ok()) << newcomer.status();
  EXPECT_EQ(newcomer->status, 401);
  auto check = HttpFetch(address, "GET", "/check", {{"Cookie", newcomer->CookiePair()}});
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->status, 204);
  EXPECT_TRUE(absl::StartsWith(check->Header("Set-Cookie"), "anteroom_clinic=s."));
  auto second = HttpFetch(address, "GET", "/wait", {{"Accept", "application/json"}});
  ASSERT_TRUE(second.ok()) << second.status();
  auto waiting = HttpFetch(address, "GET", "/wait",
                           {{"Accept", "application/json"}, {"Cookie", second->CookiePair()}});
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  EXPECT_EQ(waiting->Header("Content-Type"), "application/json");
  EXPECT_NE(waiting->body.find("\"position\":1"), std::string::npos) << waiting->body;
  (*http)->Stop();
}

// A visitor whose call to Anteroom is under way holds no thread: with Anteroom stalled and
// one thread, a returning visitor's /check waits while an admitted visitor the session cache
// knows, a newcomer's cookie check and /healthz are answered; once Anteroom answers, so is
// the waiting visitor.
TEST(GateHttpTest, AStalledCallHoldsNoThread) {
  FakeWaitingRoom anteroom;
  SimulatedClock clock;
  SeededRandom random;
  prometheus::Registry registry;
  GateOptions options;
  options.default_room = "clinic";
  Gate gate(options, &anteroom, &clock, &random, &registry);
  HttpServerOptions http_options;
  http_options.listen = "127.0.0.1:0";
  http_options.threads = 1;
  auto http = HttpServer::Start(http_options, GateHandler(&gate));
  ASSERT_TRUE(http.ok()) << http.status();
  const std::string address = Address(**http);
  const std::string ticket = FakeWaitingRoom::Token(wire::TokenKind::kTicket, "clinic", 1);
  const std::string session = FakeWaitingRoom::Token(wire::TokenKind::kSession, "clinic", 2);

  anteroom.Hold();
  int waiting_status = 0;
  std::thread waiting([&] {
    auto reply = HttpFetch(address, "GET", "/check", {{"Cookie", "anteroom_clinic=" + ticket}});
    waiting_status = reply.ok() ? reply->status : -1;
  });
  ASSERT_TRUE(testing::WaitUntil([&] { return anteroom.held() == 1; }, absl::Seconds(10)));

  client::SessionCheck cached;
  cached.result = client::SessionCheck::Result::kValid;
  cached.cached = true;
  anteroom.ScriptCheck(cached);
  auto admitted = HttpFetch(address, "GET", "/check", {{"Cookie", "anteroom_clinic=" + session}});
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ(admitted->status, 204);
  auto newcomer = HttpFetch(address, "GET", "/check");
  ASSERT_TRUE(newcomer.ok()) << newcomer.status();
  EXPECT_EQ(newcomer->status, 401) << "the cookie check, which needs no call";
  auto health = HttpFetch(address, "GET", "/healthz");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(anteroom.held(), 1u);

  anteroom.Release();
  waiting.join();
  EXPECT_EQ(waiting_status, 401) << "queued: the waiting page";
  EXPECT_EQ(anteroom.polled(), std::vector<std::string>{ticket});
  (*http)->Stop();
}

// Each of these reaches /tickets/buy on an origin that reads the path literally (or decodes it
// differently from the gate): a visitor with no place must never be let through by /check.
TEST(GateHttpTest, NoSpellingOfAPathWalksPastItsRoomOverHttp) {
  FakeWaitingRoom anteroom;
  SimulatedClock clock;
  SeededRandom random;
  prometheus::Registry registry;
  GateOptions options;
  auto routes = RouteTable::Parse("routes.textproto", R"(
      route { host: "shop.example" path_prefix: "/tickets" room: "tickets" }
      route { host: "shop.example" room: "rest" suspended: true })",
                                  "", RouteDefaultsOf(options), *Catalogs::Builtin());
  ASSERT_TRUE(routes.ok()) << routes.status();
  options.routes = *routes;
  Gate gate(options, &anteroom, &clock, &random, &registry);
  HttpServerOptions http_options;
  http_options.listen = "127.0.0.1:0";
  auto http = HttpServer::Start(http_options, GateHandler(&gate));
  ASSERT_TRUE(http.ok()) << http.status();
  const std::string address = Address(**http);
  auto check = [&](const std::string& uri) {
    auto reply = HttpFetch(address, "GET", "/check",
                           {{"X-Anteroom-Host", "shop.example"}, {"X-Original-URI", uri}});
    return reply.ok() ? reply->status : -1;
  };
  EXPECT_EQ(check("/buy"), 204);          // the rest of the site is suspended: everyone passes
  EXPECT_EQ(check("/tickets/buy"), 401);  // a newcomer is not let through
  for (const char* uri :
       {"/tickets/%2e%2e/buy", "/tickets/%2E%2E/buy", "/tickets/.%2e/buy", "/tickets/%2e./buy",
        "/tickets%2f..%2fbuy", "/tickets/%2e%2e%2fbuy", "/tickets/..;/buy", "/tickets/..%5cbuy",
        "/tickets/%252e%252e/buy", "/tickets/%2e%2e/", "/Tickets/%2E%2e/buy?x=1"}) {
    EXPECT_EQ(check(uri), 400) << uri;
  }
  (*http)->Stop();
}

}  // namespace
}  // namespace anteroom::gate
