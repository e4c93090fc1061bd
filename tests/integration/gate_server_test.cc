// anteroom-gate's decisions, pages and cookies, against a real Anteroom server in the test
// process; and its HTTP server over loopback.

#include <algorithm>
#include <future>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "client/anteroom_client.h"
#include "client/gate/gate.h"
#include "client/gate/handoff.h"
#include "client/gate/visitor.h"
#include "gtest/gtest.h"
#include "tests/testing/challenge_solver.h"
#include "tests/testing/daemon.h"
#include "tests/testing/gate_answer.h"
#include "tests/testing/in_process_server.h"
#include "wire/entry_token.h"

namespace anteroom::gate {
namespace {

using testing::InProcessServer;
using testing::SeededRandom;
using testing::SimulatedClock;

// "name=value" of a Set-Cookie header.
std::string CookiePair(const HttpResponse& r) {
  const std::string c = r.Header("Set-Cookie");
  return c.substr(0, c.find(';'));
}

class GateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.CreateRoom("clinic", 1);
    MakeGate(client::FailureMode::kFailClosed, {server_.address()});
  }

  void MakeGate(client::FailureMode mode, std::vector<std::string> servers,
                GateOptions options = {}) {
    client::ClientOptions co;
    co.servers = std::move(servers);
    co.failure_mode = mode;
    co.clock = &clock_;
    co.max_attempts = 1;
    co.attempt_timeout = absl::Seconds(5);  // an answer, even on a loaded machine
    co.call_timeout = absl::Seconds(5);
    client_ = std::move(client::Client::Create(co).value());
    options.default_room = options.default_room.empty() ? "clinic" : options.default_room;
    options.site_name = "Vaccines <NHS>";
    registry_ = std::make_shared<prometheus::Registry>();
    gate_ = std::make_unique<Gate>(options, client_.get(), &clock_, &random_, registry_.get());
  }

  HttpResponse Get(const std::string& path, const std::string& cookie = "",
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest r;
    r.path = path;
    if (!cookie.empty()) r.headers["cookie"] = cookie;
    for (auto& [k, v] : headers) r.headers[absl::AsciiStrToLower(k)] = v;
    return testing::AnswerOf(*gate_, r);
  }

  HttpResponse PostLeave(const std::string& cookie, const std::string& next = "") {
    HttpRequest r;
    r.method = "POST";
    r.path = "/leave";
    r.headers["cookie"] = cookie;
    if (!next.empty()) r.query["next"] = next;
    return testing::AnswerOf(*gate_, r);
  }

  // A newcomer, as a browser is one: the first answer gives the visitor id to bring back
  // (the cookie check); the request that brings it back is answered for real.
  HttpResponse Arrive(const std::string& path = "/check",
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpResponse first = Get(path, "", headers);
    const std::string cookie = CookiePair(first);
    EXPECT_NE(cookie.find("=v."), std::string::npos) << "no visitor id given: " << cookie;
    return Get(path, cookie, headers);
  }

  // What nginx does on a 401: the waiting page from the handoff.
  HttpResponse WaitPage(const HttpResponse& check, bool json = false) {
    std::vector<std::pair<std::string, std::string>> h = {
        {"X-Anteroom-Handoff", check.Header("X-Anteroom-Handoff")}};
    if (json) h.emplace_back("Accept", "application/json");
    return Get("/wait", "", h);
  }

  std::string Metrics() { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

  // Visitors holding a place in `room`'s queue, as Anteroom counts them.
  uint64_t QueueDepth(const std::string& room = "clinic") {
    grpc::ClientContext ctx;
    v1::GetRoomStatusRequest req;
    req.set_room(room);
    v1::RoomStatus status;
    EXPECT_TRUE(server_.admin().GetRoomStatus(&ctx, req, &status).ok());
    return status.queue_depth();
  }

  InProcessServer server_;
  SimulatedClock clock_;
  SeededRandom random_{3};
  std::unique_ptr<client::Client> client_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Gate> gate_;
};

TEST_F(GateTest, FirstVisitorPassesTheSecondWaitsAndIsLetInWhenTheFirstLeaves) {
  HttpResponse a = Arrive("/check");
  EXPECT_EQ(a.status, 204);
  const std::string a_cookie = CookiePair(a);
  EXPECT_TRUE(absl::StartsWith(a_cookie, "anteroom_clinic=s.clinic.")) << a_cookie;
  EXPECT_NE(a.Header("Set-Cookie").find("HttpOnly"), std::string::npos);
  EXPECT_NE(a.Header("Set-Cookie").find("SameSite=Lax"), std::string::npos);
  EXPECT_EQ(a.Header("Set-Cookie").find("Secure"), std::string::npos) << "plain HTTP";
  EXPECT_EQ(Get("/check", a_cookie).status, 204);  // an admitted visitor keeps passing

  HttpResponse b = Arrive("/check");
  ASSERT_EQ(b.status, 401);
  const std::string b_cookie = CookiePair(b);
  EXPECT_TRUE(absl::StartsWith(b_cookie, "anteroom_clinic=t.clinic.")) << b_cookie;
  EXPECT_TRUE(absl::EndsWith(b_cookie, "~1")) << "first position seen, for the progress bar";

  HttpResponse page = WaitPage(b);
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.Header("Cache-Control"), "no-store");
  EXPECT_EQ(page.Header("X-Anteroom-State"), "waiting");
  EXPECT_NE(page.body.find("You are next in line"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("<dd id=\"position\">1</dd>"), std::string::npos);
  EXPECT_NE(page.body.find("http-equiv=\"refresh\""), std::string::npos);
  EXPECT_NE(page.body.find("Vaccines &lt;NHS&gt;"), std::string::npos) << "escaped";
  EXPECT_EQ(page.body.find("<script"), std::string::npos) << "works without JavaScript";

  HttpResponse json = WaitPage(b, /*json=*/true);
  EXPECT_EQ(json.Header("Content-Type"), "application/json");
  EXPECT_NE(json.body.find("\"state\":\"waiting\""), std::string::npos) << json.body;
  EXPECT_NE(json.body.find("\"position\":1,"), std::string::npos) << json.body;

  EXPECT_EQ(Get("/check", b_cookie).status, 401);  // still waiting

  HttpResponse left = PostLeave(a_cookie);
  EXPECT_EQ(left.status, 200);
  EXPECT_NE(left.body.find("Thank you"), std::string::npos);
  EXPECT_NE(left.Header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(std::count_if(left.headers.begin(), left.headers.end(),
                          [](const auto& h) { return h.first == "Cache-Control"; }),
            1)
      << "one Cache-Control";
  // The way back is named for what it does: a new place at the end of the line.
  EXPECT_EQ(left.body.find("Return to the start"), std::string::npos);
  EXPECT_NE(left.body.find("Join the queue again</a>"), std::string::npos) << left.body;
  EXPECT_NE(left.body.find("a new place at the end of the line"), std::string::npos);

  HttpResponse in = Get("/check", b_cookie);
  EXPECT_EQ(in.status, 204) << "the freed slot went to the visitor in line";
  EXPECT_TRUE(absl::StartsWith(CookiePair(in), "anteroom_clinic=s.clinic."));
  EXPECT_EQ(Get("/check", a_cookie).status, 401) << "the ended session does not pass";

  const std::string metrics = Metrics();
  EXPECT_NE(metrics.find("anteroom_gate_decisions_total{decision=\"pass\"}"), std::string::npos);
  EXPECT_NE(metrics.find("anteroom_gate_decisions_total{decision=\"wait\"}"), std::string::npos);
}

TEST_F(GateTest, TheProgressBarShowsTheShareOfTheLineServedSinceArrival) {
  server_.CreateRoom("hall", 1);
  std::vector<std::string> cookies;
  for (int i = 0; i < 5; ++i) {
    cookies.push_back(CookiePair(Arrive("/check", {{"X-Anteroom-Room", "hall"}})));
  }
  // The fifth visitor arrived at position 4: 4 steps to admission (the 3 ahead, then their
  // own turn). The session and the first in line leave, and the next one is admitted:
  // position 2, so 2 of the 4 steps are done.
  for (int i : {0, 1}) {
    HttpRequest leave;
    leave.method = "POST";
    leave.path = "/leave";
    leave.headers["cookie"] = cookies[i];
    leave.headers["x-anteroom-room"] = "hall";
    ASSERT_EQ(testing::AnswerOf(*gate_, leave).status, 200);
  }
  HttpResponse r = Get("/wait", cookies[4], {{"X-Anteroom-Room", "hall"}});
  EXPECT_NE(r.body.find("<dd id=\"position\">2</dd>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("value=\"50\""), std::string::npos) << r.body;

  // Next in line, with everyone ahead served: still waiting, so the bar is not full.
  HttpRequest leave;
  leave.method = "POST";
  leave.path = "/leave";
  leave.headers["cookie"] = cookies[2];
  leave.headers["x-anteroom-room"] = "hall";
  ASSERT_EQ(testing::AnswerOf(*gate_, leave).status, 200);
  r = Get("/wait", cookies[4], {{"X-Anteroom-Room", "hall"}});
  ASSERT_NE(r.body.find("<dd id=\"position\">1</dd>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("value=\"75\""), std::string::npos) << r.body;
  HttpResponse json =
      Get("/wait", cookies[4], {{"X-Anteroom-Room", "hall"}, {"Accept", "application/json"}});
  EXPECT_NE(json.body.find("\"progress_percent\":75,"), std::string::npos) << json.body;

  for (uint64_t start = 2; start <= 1000; ++start) {
    PageState p;
    p.position = 1;
    p.start_position = start;
    EXPECT_LT(ProgressPercent(p), 100) << "arrived at " << start << ", now next in line";
  }
}

TEST_F(GateTest, APausedRoomSaysTheWaitIsNotKnown) {
  v1::RoomSettings settings;
  settings.set_max_active_sessions(1);
  settings.set_queue_all(true);
  server_.CreateRoom("paused", settings);
  const std::vector<std::pair<std::string, std::string>> room = {{"X-Anteroom-Room", "paused"}};
  HttpResponse check = Arrive("/check", room);
  ASSERT_EQ(check.status, 401);
  HttpRequest wait;
  wait.path = "/wait";
  wait.headers["x-anteroom-room"] = "paused";
  wait.headers["x-anteroom-handoff"] = check.Header("X-Anteroom-Handoff");
  HttpResponse page = testing::AnswerOf(*gate_, wait);
  EXPECT_NE(page.body.find("<dd id=\"wait\">Not known yet</dd>"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("Nobody is being let in at the moment"), std::string::npos);
  EXPECT_EQ(page.body.find("less than a minute"), std::string::npos) << "no promised wait";
  wait.headers["accept"] = "application/json";
  HttpResponse json = testing::AnswerOf(*gate_, wait);
  EXPECT_NE(json.body.find("\"estimated_wait_seconds\":null,\"estimated_wait_max_seconds\":null,"
                           "\"estimated_wait_unknown\":true"),
            std::string::npos)
      << json.body;
}

TEST_F(GateTest, RequestsThatCannotShowAPageTakeNoPlace) {
  Arrive("/check");  // the one slot is taken: every newcomer from here on would queue
  // A favicon, a stylesheet, an image, a script, a font: what a browser fetches by itself.
  for (const char* dest : {"image", "style", "script", "font"}) {
    HttpResponse check = Get("/check", "", {{"Sec-Fetch-Dest", dest}});
    EXPECT_EQ(check.status, 401) << dest;
    EXPECT_TRUE(check.Header("Set-Cookie").empty()) << dest << ": no ticket cookie";
    HttpResponse page = WaitPage(check);
    EXPECT_EQ(page.status, 503) << dest;
    EXPECT_EQ(page.Header("X-Anteroom-State"), "not_placed");
  }
  HttpRequest head;
  head.method = "HEAD";
  head.path = "/check";
  EXPECT_TRUE(testing::AnswerOf(*gate_, head).Header("Set-Cookie").empty()) << "HEAD";
  // Through nginx: the auth subrequest is a GET, the visitor's method a header.
  EXPECT_TRUE(Get("/check", "", {{"X-Anteroom-Method", "HEAD"}}).Header("Set-Cookie").empty());
  EXPECT_EQ(QueueDepth(), 0u) << "nobody took a place";
  EXPECT_NE(Metrics().find("decision=\"not_placed\"} 6"), std::string::npos) << Metrics();

  // A page load, an app's fetch (JSON), and clients that do not say still queue.
  Arrive("/check", {{"Sec-Fetch-Dest", "document"}});
  Arrive("/check", {{"Sec-Fetch-Dest", "empty"}, {"Accept", "application/json"}});
  Arrive("/check", {{"Accept", "application/json"}});
  EXPECT_EQ(QueueDepth(), 3u);
}

TEST_F(GateTest, AClientThatKeepsNoCookieHoldsNoPlaceAndOneThatDoesHoldsOne) {
  Arrive("/check");  // the one slot is taken: newcomers from here on would queue
  std::string visitor_id;
  for (int i = 0; i < 200; ++i) {  // a script that never keeps cookies: 200 page views
    HttpResponse r = Get("/check", "", {{"Sec-Fetch-Dest", "document"}});
    ASSERT_EQ(r.status, 401);
    if (i == 0) visitor_id = CookiePair(r);
  }
  for (int i = 0; i < 200; ++i) {  // and 200 JSON requests
    HttpResponse r = Get("/wait", "", {{"Accept", "application/json"}});
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("\"state\":\"cookie_check\""), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"refresh_seconds\":1,"), std::string::npos) << r.body;
  }
  EXPECT_EQ(QueueDepth(), 0u) << "today's cookieless flood held 400 places";
  EXPECT_NE(Metrics().find("decision=\"cookie_check\"} 401"), std::string::npos)
      << "the first visitor's check, then the flood's 400" << Metrics();

  // A browser firing many requests before its first answer came back: one place.
  std::string ticket;
  for (int i = 0; i < 20; ++i) {
    HttpResponse r = Get("/check", visitor_id);
    ASSERT_EQ(r.status, 401);
    if (ticket.empty()) ticket = CookiePair(r);
    EXPECT_EQ(CookiePair(r), ticket) << "the same place every time";
  }
  EXPECT_EQ(QueueDepth(), 1u);
  EXPECT_TRUE(absl::StartsWith(ticket, "anteroom_clinic=t.clinic.")) << ticket;
}

TEST_F(GateTest, AVisitorIdIsGoodOnlyForItsRoomAndUnderTheGatesKeys) {
  server_.CreateRoom("hall", 1);
  const std::string for_clinic = CookiePair(Get("/check"));
  const std::string value = for_clinic.substr(for_clinic.find('=') + 1);
  HttpResponse elsewhere = Get("/check", "anteroom_hall=" + value, {{"X-Anteroom-Room", "hall"}});
  EXPECT_EQ(WaitPage(elsewhere).Header("X-Anteroom-State"), "cookie_check")
      << "an id signed for another room is no id";

  // Another gate with other keys does not take this one's ids; one sharing the keys does.
  GateOptions other;
  other.signer =
      std::make_shared<const wire::Signer>(*wire::Signer::FromKeys({std::string(32, 'k')}));
  MakeGate(client::FailureMode::kFailClosed, {server_.address()}, other);
  const std::string signed_by_other = CookiePair(Get("/check"));
  GateOptions rotated;
  rotated.signer = std::make_shared<const wire::Signer>(
      *wire::Signer::FromKeys({std::string(32, 'n'), std::string(32, 'k')}));
  MakeGate(client::FailureMode::kFailClosed, {server_.address()}, rotated);
  EXPECT_EQ(Get("/check", signed_by_other).status, 204) << "an old key still verifies";
  MakeGate(client::FailureMode::kFailClosed, {server_.address()});
  EXPECT_EQ(WaitPage(Get("/check", signed_by_other)).Header("X-Anteroom-State"), "cookie_check");
}

TEST_F(GateTest, AVisitorIdWithAnyCharacterChangedIsNoIdAtAll) {
  Arrive("/check");  // the slot is taken: a place would show in the queue
  const std::string real = CookiePair(Get("/check"));
  const size_t value_at = real.find('=') + 1;
  int tried = 0;
  for (size_t i = value_at; i < real.size(); ++i) {
    std::string forged = real;
    forged[i] = forged[i] == 'A' ? 'B' : 'A';
    HttpResponse r = Get("/check", forged);
    EXPECT_EQ(WaitPage(r).Header("X-Anteroom-State"), "cookie_check") << forged;
    ++tried;
  }
  EXPECT_GT(tried, 40);
  EXPECT_EQ(QueueDepth(), 0u) << "no forged id was placed";
  EXPECT_EQ(Get("/check", real).status, 401);
  EXPECT_EQ(QueueDepth(), 1u) << "the real one still works";
}

TEST_F(GateTest, WithoutTheCookieCheckEveryNewcomerIsPlacedAtOnce) {
  GateOptions options;
  options.cookie_check = false;
  MakeGate(client::FailureMode::kFailClosed, {server_.address()}, options);
  EXPECT_EQ(Get("/check").status, 204);
  EXPECT_EQ(Get("/check").status, 401);
  EXPECT_EQ(Get("/check").status, 401);
  EXPECT_EQ(QueueDepth(), 2u);
}

TEST_F(GateTest, ASourceIsAKeyedHashOfTheNetworkNeverTheAddress) {
  const wire::Signer signer = *wire::Signer::FromKeys({std::string(32, 'k')});
  auto source = [&](const std::string& address) { return NetworkSource(signer, address, 24, 56); };
  const std::string a = source("203.0.113.7");
  EXPECT_EQ(a.size(), 22u);
  EXPECT_EQ(a.find("203"), std::string::npos) << "no trace of the address";
  EXPECT_EQ(source("203.0.113.250"), a) << "the same /24";
  EXPECT_NE(source("203.0.114.7"), a);
  EXPECT_EQ(source("::ffff:203.0.113.9"), a) << "an IPv4-mapped address is its IPv4";
  EXPECT_EQ(source("2001:db8:1:ab00::1"), source("2001:db8:1:abff:ffff::2")) << "the same /56";
  EXPECT_NE(source("2001:db8:1:ab00::1"), source("2001:db8:1:ac00::1"));
  EXPECT_EQ(source(""), "") << "no address: no source";
  EXPECT_EQ(source("not an address"), "");
}

TEST_F(GateTest, APerSourceCapHoldsThroughTheGate) {
  v1::RoomSettings settings;
  settings.set_max_active_sessions(1);
  settings.set_max_places_per_source(3);
  server_.CreateRoom("capped", settings);
  int placed = 0, refused = 0;
  for (int i = 0; i < 20; ++i) {  // a bot that keeps cookies but drops each place it gets
    HttpResponse r =
        Arrive("/check", {{"X-Anteroom-Room", "capped"}, {"X-Anteroom-Client", "198.51.100.7"}});
    if (absl::StartsWith(CookiePair(r), "anteroom_capped=t.") || r.status == 204) {
      ++placed;
    } else {
      ++refused;
      EXPECT_EQ(WaitPage(r).status, 503) << "told to try later";
    }
  }
  EXPECT_EQ(placed, 3);
  EXPECT_EQ(refused, 17);
  HttpResponse honest =
      Arrive("/check", {{"X-Anteroom-Room", "capped"}, {"X-Anteroom-Client", "192.0.2.1"}});
  EXPECT_TRUE(absl::StartsWith(CookiePair(honest), "anteroom_capped=t.capped."))
      << "another network";
}

// The solution cookie the waiting page's solver sets for the challenge in `check`'s handoff.
std::string SolutionCookie(const std::string& room, const HttpResponse& check) {
  const std::optional<PageState> page = DecodeHandoff(check.Header("X-Anteroom-Handoff"));
  EXPECT_TRUE(page && page->kind == PageState::Kind::kChallenge)
      << check.Header("X-Anteroom-Handoff");
  if (!page) return "";
  v1::Challenge challenge;
  challenge.set_algorithm("SHA-256");
  challenge.set_salt(page->challenge.salt);
  challenge.set_challenge(page->challenge.challenge);
  challenge.set_signature(page->challenge.signature);
  challenge.set_max_number(page->challenge.max_number);
  const v1::Solution solved = testing::SolveChallenge(challenge);
  return absl::StrCat("anteroom-pow_", room, "=", solved.salt(), ".", solved.challenge(), ".",
                      solved.signature(), ".", solved.number());
}

TEST_F(GateTest, InAChallengedRoomASolutionBuysOnePlaceAndSkippingItBuysNone) {
  v1::RoomSettings settings;
  settings.set_max_active_sessions(1);
  settings.set_challenge_work(2'000);
  server_.CreateRoom("drop", settings);
  const std::vector<std::pair<std::string, std::string>> drop = {{"X-Anteroom-Room", "drop"}};
  auto newcomer = [&] {  // through the cookie check: the visitor id
    return CookiePair(Get("/check", "", drop));
  };

  const std::string alice = newcomer();
  const HttpResponse asked = Get("/check", alice, drop);
  ASSERT_EQ(asked.status, 401);
  EXPECT_EQ(asked.Header("Set-Cookie"), "") << "the visitor id stays as it is";
  // The page: the challenge, the solver allowed by its hash alone, and words for no script.
  std::vector<std::pair<std::string, std::string>> wait = {
      {"X-Anteroom-Room", "drop"}, {"X-Anteroom-Handoff", asked.Header("X-Anteroom-Handoff")}};
  const HttpResponse page = Get("/wait", "", wait);
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.Header("X-Anteroom-State"), "challenge");
  EXPECT_NE(page.body.find("data-max-number=\"2000\""), std::string::npos);
  EXPECT_NE(page.body.find("data-cookie=\"anteroom-pow_drop\""), std::string::npos);
  EXPECT_NE(page.body.find("<script>(function ()"), std::string::npos);
  EXPECT_NE(page.body.find("<noscript>"), std::string::npos);
  EXPECT_EQ(page.body.find("http-equiv=\"refresh\""), std::string::npos)
      << "no reload while the solver works";
  EXPECT_NE(page.Header("Content-Security-Policy").find("script-src 'sha256-"), std::string::npos);
  wait.emplace_back("Accept", "application/json");
  const HttpResponse json = Get("/wait", "", wait);
  EXPECT_NE(json.body.find("\"state\":\"challenge\""), std::string::npos) << json.body;
  EXPECT_NE(json.body.find("\"max_number\":2000,\"cookie\":\"anteroom-pow_drop\"}"),
            std::string::npos)
      << json.body;

  // Skipping the work, however often, holds nothing.
  for (int i = 0; i < 30; ++i) EXPECT_EQ(Get("/check", alice, drop).status, 401);
  EXPECT_EQ(QueueDepth("drop"), 0u);
  const std::string solution = SolutionCookie("drop", asked);
  // Alice's solution is no good to anyone else.
  const std::string mallory = newcomer();
  const HttpResponse stolen = Get("/check", absl::StrCat(mallory, "; ", solution), drop);
  EXPECT_EQ(DecodeHandoff(stolen.Header("X-Anteroom-Handoff"))->kind, PageState::Kind::kChallenge);
  // Alice, with hers: in.
  const HttpResponse in = Get("/check", absl::StrCat(alice, "; ", solution), drop);
  EXPECT_EQ(in.status, 204);
  EXPECT_TRUE(absl::StartsWith(CookiePair(in), "anteroom_drop=s.drop.")) << CookiePair(in);
  // An app sends its solution in a header: queued behind alice.
  const std::string bob = newcomer();
  const HttpResponse bob_asked = Get("/check", bob, drop);
  std::vector<std::pair<std::string, std::string>> with_header = drop;
  const std::string bob_solution = SolutionCookie("drop", bob_asked);
  with_header.emplace_back("X-Anteroom-Solution", bob_solution.substr(bob_solution.find('=') + 1));
  const HttpResponse queued = Get("/check", bob, with_header);
  EXPECT_TRUE(absl::StartsWith(CookiePair(queued), "anteroom_drop=t.drop.")) << CookiePair(queued);
  EXPECT_EQ(QueueDepth("drop"), 1u);
  EXPECT_NE(Metrics().find("anteroom_gate_decisions_total{decision=\"challenge\"} 33"),
            std::string::npos)
      << Metrics();
}

TEST_F(GateTest, WithoutTheCookieCheckAChallengedNewcomerIsGivenTheIdItsSolutionIsFor) {
  GateOptions options;
  options.cookie_check = false;
  MakeGate(client::FailureMode::kFailClosed, {server_.address()}, options);
  v1::RoomSettings settings;
  settings.set_max_active_sessions(1);
  settings.set_challenge_work(1'000);
  server_.CreateRoom("drop", settings);
  const std::vector<std::pair<std::string, std::string>> drop = {{"X-Anteroom-Room", "drop"}};
  const HttpResponse asked = Get("/check", "", drop);
  const std::string id = CookiePair(asked);
  EXPECT_NE(id.find("=v."), std::string::npos) << id;
  EXPECT_EQ(Get("/check", absl::StrCat(id, "; ", SolutionCookie("drop", asked)), drop).status, 204);
}

TEST_F(GateTest, AnEntryTokenTheSiteGaveGoesToAnteroomAndARefusedOneCountsForNothing) {
  const wire::Signer keys = *wire::Signer::FromKeys({std::string(32, 'k')});
  server_.listener_options().entry_keys = std::make_shared<const wire::Signer>(keys);
  server_.Restart();
  MakeGate(client::FailureMode::kFailClosed, {server_.address()});
  EXPECT_EQ(Arrive("/check").status, 204);      // the one slot
  const HttpResponse first = Arrive("/check");  // waits at 1
  ASSERT_EQ(first.status, 401);
  auto priority = [&](const std::string& room, absl::Duration ttl) {
    return *wire::SignEntryToken(
        keys, {room, wire::EntryKind::kPriority, "", server_.clock().Now() + ttl});
  };
  // In the site's cookie: the priority lane, ahead of the one waiting.
  HttpResponse id = Get("/check");
  const std::string vip =
      absl::StrCat(CookiePair(id), "; anteroom-entry_clinic=", priority("clinic", absl::Hours(1)));
  const HttpResponse ahead = Get("/check", vip);
  EXPECT_TRUE(absl::EndsWith(CookiePair(ahead), "~1")) << CookiePair(ahead);
  EXPECT_EQ(QueueDepth(), 2u);
  // In the header, expired: placed as anyone, at the back.
  id = Get("/check");
  const HttpResponse behind =
      Get("/check", CookiePair(id), {{"X-Anteroom-Entry", priority("clinic", -absl::Seconds(1))}});
  EXPECT_TRUE(absl::EndsWith(CookiePair(behind), "~3")) << CookiePair(behind);
  EXPECT_NE(Metrics().find("anteroom_gate_decisions_total{decision=\"entry_refused\"} 1"),
            std::string::npos);
}

TEST_F(GateTest, CookieAttributesFollowTheOptionsAndTheScheme) {
  HttpResponse tls = Arrive("/check", {{"X-Forwarded-Proto", "https"}});
  EXPECT_NE(tls.Header("Set-Cookie").find("; Secure"), std::string::npos) << "served over TLS";

  GateOptions strict;
  strict.cookie_same_site = "Strict";
  MakeGate(client::FailureMode::kFailClosed, {server_.address()}, strict);
  EXPECT_NE(Arrive("/check").Header("Set-Cookie").find("SameSite=Strict"), std::string::npos);

  GateOptions none;
  none.cookie_same_site = "None";
  EXPECT_TRUE(ValidateGateOptions(none).ok());
  none.cookie_secure = "never";
  EXPECT_FALSE(ValidateGateOptions(none).ok()) << "SameSite=None needs Secure";
  GateOptions bad;
  bad.cookie_same_site = "lax-ish";
  EXPECT_FALSE(ValidateGateOptions(bad).ok());
  bad = GateOptions();
  bad.default_room = "Not A Room";
  EXPECT_FALSE(ValidateGateOptions(bad).ok());
}

TEST_F(GateTest, AFullQueueSaysTryLaterWithRetryAfter) {
  v1::RoomSettings settings;
  settings.set_max_active_sessions(1);
  settings.set_max_queue_length(1);
  server_.CreateRoom("tiny", settings);
  const std::vector<std::pair<std::string, std::string>> room = {{"X-Anteroom-Room", "tiny"}};
  EXPECT_EQ(Arrive("/check", room).status, 204);
  EXPECT_EQ(Arrive("/check", room).status, 401);  // queued
  HttpResponse full = Arrive("/check", room);
  ASSERT_EQ(full.status, 401);
  HttpRequest wait;
  wait.path = "/wait";
  wait.headers["x-anteroom-room"] = "tiny";
  wait.headers["x-anteroom-handoff"] = full.Header("X-Anteroom-Handoff");
  HttpResponse page = testing::AnswerOf(*gate_, wait);
  EXPECT_EQ(page.status, 503);
  EXPECT_EQ(page.Header("Retry-After"), "30");
  EXPECT_EQ(page.Header("X-Anteroom-State"), "full");
  EXPECT_NE(page.body.find("Please try again later"), std::string::npos);
  EXPECT_NE(page.body.find("queue full"), std::string::npos) << "Anteroom's reason is shown";
}

TEST_F(GateTest, BeforeAnEventOpensThePageCountsDown) {
  grpc::ClientContext ctx;
  v1::CreateEventRequest req;
  req.set_room("clinic");
  const int64_t now = absl::ToUnixSeconds(server_.clock().Now());
  req.mutable_event()->mutable_prequeue_start()->set_seconds(now);
  req.mutable_event()->mutable_start()->set_seconds(now + 90 * 60);
  req.mutable_event()->mutable_end()->set_seconds(now + 5 * 3600);
  v1::Event event;
  grpc::Status s = server_.admin().CreateEvent(&ctx, req, &event);
  ASSERT_TRUE(s.ok()) << s.error_message();
  clock_.Advance(server_.clock().Now() - clock_.Now());  // the gateway's clock agrees

  HttpResponse check = Arrive("/check");
  ASSERT_EQ(check.status, 401);
  HttpResponse page = WaitPage(check);
  EXPECT_EQ(page.Header("X-Anteroom-State"), "prequeue");
  EXPECT_NE(page.body.find("The queue opens soon"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("in 90 minutes"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("Coordinated Universal Time"), std::string::npos) << page.body;
  HttpResponse json = WaitPage(check, /*json=*/true);
  EXPECT_NE(json.body.find("\"state\":\"prequeue\""), std::string::npos) << json.body;
  EXPECT_NE(json.body.find("\"event_starts_in_seconds\":5400"), std::string::npos) << json.body;
}

TEST_F(GateTest, RoutesPickTheRoomThePageAndTheCookieByHostAndPath) {
  server_.CreateRoom("tickets", 1);
  // No room "permits" on the server: its route is suspended, so it is never asked for.
  auto routes = RouteTable::Parse("routes.textproto", R"(
route { host: "vaccines.example" room: "clinic" site_name: "보건소" default_language: "ko"
        time_zone: "Asia/Seoul" }
route { host: "city.example" path_prefix: "/tickets" room: "tickets" queued_status: 429
        cookie_suffix: "v2" }
route { host: "city.example" path_prefix: "/permits" room: "permits" suspended: true }
)",
                                  "", RouteDefaults(), *Catalogs::Builtin());
  ASSERT_TRUE(routes.ok()) << routes.status();
  GateOptions options;
  options.routes = *routes;
  MakeGate(client::FailureMode::kFailClosed, {server_.address()}, options);
  auto at = [](const std::string& host, const std::string& uri,
               std::vector<std::pair<std::string, std::string>> more = {}) {
    more.emplace_back("X-Anteroom-Host", host);
    more.emplace_back("X-Original-URI", uri);
    return more;
  };

  // vaccines.example: room clinic, in Korean unless the visitor asks otherwise.
  HttpResponse first = Arrive("/check", at("vaccines.example", "/book"));
  EXPECT_EQ(first.status, 204);
  EXPECT_TRUE(absl::StartsWith(CookiePair(first), "anteroom_clinic=s.clinic."));
  HttpResponse second = Arrive("/check", at("vaccines.example", "/book"));
  ASSERT_EQ(second.status, 401);
  const std::string handoff = second.Header("X-Anteroom-Handoff");
  HttpResponse ko =
      Get("/wait", "", at("Vaccines.Example:443", "/book", {{"X-Anteroom-Handoff", handoff}}));
  EXPECT_EQ(ko.status, 200);
  EXPECT_EQ(ko.Header("Content-Language"), "ko");
  EXPECT_NE(ko.body.find("<html lang=\"ko\" dir=\"ltr\">"), std::string::npos) << ko.body;
  EXPECT_NE(ko.body.find("보건소"), std::string::npos);
  EXPECT_EQ(ko.Header("Set-Cookie"), "") << "nothing picked, nothing remembered";
  HttpResponse it =
      Get("/wait", "",
          at("vaccines.example", "/book",
             {{"X-Anteroom-Handoff", handoff}, {"Accept-Language", "it-IT,it;q=0.9"}}));
  EXPECT_EQ(it.Header("Content-Language"), "it");
  EXPECT_NE(it.body.find("Il Suo turno è il prossimo"), std::string::npos) << it.body;
  // ?lang= on the visitor's address wins, and a cookie remembers it.
  HttpResponse ar = Get("/wait", "",
                        at("vaccines.example", "/book?x=1&lang=ar",
                           {{"X-Anteroom-Handoff", handoff}, {"Accept-Language", "it"}}));
  EXPECT_NE(ar.body.find("<html lang=\"ar\" dir=\"rtl\">"), std::string::npos) << ar.body;
  EXPECT_TRUE(absl::StartsWith(ar.Header("Set-Cookie"), "anteroom-lang=ar; Path=/;"))
      << ar.Header("Set-Cookie");
  HttpResponse remembered = Get("/wait", "anteroom-lang=ar",
                                at("vaccines.example", "/book", {{"X-Anteroom-Handoff", handoff}}));
  EXPECT_EQ(remembered.Header("Content-Language"), "ar");
  HttpResponse json = Get("/wait", "anteroom-lang=ar",
                          at("vaccines.example", "/book",
                             {{"X-Anteroom-Handoff", handoff}, {"Accept", "application/json"}}));
  EXPECT_NE(json.body.find("\"language\":\"ar\""), std::string::npos) << json.body;

  // city.example/tickets: its own room, its own cookie name, 429 while queued.
  HttpResponse t1 = Arrive("/check", at("city.example", "/tickets/seat-4"));
  EXPECT_EQ(t1.status, 204);
  EXPECT_TRUE(absl::StartsWith(CookiePair(t1), "anteroom_tickets.v2=s.tickets.")) << CookiePair(t1);
  HttpResponse t2 = Arrive("/check", at("city.example", "/TICKETS/"));  // spelt otherwise
  ASSERT_EQ(t2.status, 401);
  EXPECT_TRUE(absl::StartsWith(CookiePair(t2), "anteroom_tickets.v2=t.tickets."));
  HttpResponse queued = Get(
      "/wait", "",
      at("city.example", "/tickets", {{"X-Anteroom-Handoff", t2.Header("X-Anteroom-Handoff")}}));
  EXPECT_EQ(queued.status, 429);
  EXPECT_EQ(queued.Header("X-Anteroom-State"), "waiting");
  // Clients that honour a 429 come back when the page would have reloaded.
  int64_t retry_after = 0;
  EXPECT_TRUE(absl::SimpleAtoi(queued.Header("Retry-After"), &retry_after))
      << queued.Header("Retry-After");
  EXPECT_GE(retry_after, 2);  // the room's poll hint, within --min_refresh and --max_refresh
  EXPECT_LE(retry_after, 20);
  EXPECT_EQ(QueueDepth("tickets"), 1u);
  // /leave?room= finds the host's route of that room (the address /anteroom/leave is no
  // route's path): the slot goes to the next in line.
  HttpRequest leave;
  leave.method = "POST";
  leave.path = "/leave";
  leave.query["room"] = "tickets";
  leave.headers["x-anteroom-host"] = "city.example";
  leave.headers["cookie"] = CookiePair(t1);
  HttpResponse left = testing::AnswerOf(*gate_, leave);
  EXPECT_EQ(left.status, 200);
  EXPECT_NE(left.Header("Set-Cookie").find("anteroom_tickets.v2=;"), std::string::npos);
  HttpResponse t2_in = Get("/check", CookiePair(t2), at("city.example", "/tickets"));
  EXPECT_EQ(t2_in.status, 204);

  // Without ?room=: the room whose cookie the visitor holds (the leave address is no room's
  // path). t2 was let in when t1 left; it leaves too.
  HttpRequest by_cookie;
  by_cookie.method = "POST";
  by_cookie.path = "/leave";
  by_cookie.headers["x-anteroom-host"] = "city.example";
  by_cookie.headers["x-original-uri"] = "/anteroom/leave";
  ASSERT_TRUE(absl::StartsWith(CookiePair(t2_in), "anteroom_tickets.v2=s.tickets."));
  by_cookie.headers["cookie"] = absl::StrCat("anteroom-lang=ar; ", CookiePair(t2_in));
  HttpResponse left_by_cookie = testing::AnswerOf(*gate_, by_cookie);
  EXPECT_EQ(left_by_cookie.status, 200) << left_by_cookie.body;
  EXPECT_NE(left_by_cookie.Header("Set-Cookie").find("anteroom_tickets.v2=;"), std::string::npos)
      << left_by_cookie.Header("Set-Cookie");
  EXPECT_EQ(QueueDepth("tickets"), 0u);
  EXPECT_EQ(Get("/check", CookiePair(t2_in), at("city.example", "/tickets")).status, 401)
      << "the session ended";

  leave.query["room"] = "tikets";
  HttpResponse typo = testing::AnswerOf(*gate_, leave);
  EXPECT_EQ(typo.status, 404);
  EXPECT_EQ(typo.body, "no route of host \"city.example\" has the room \"tikets\"\n");

  // city.example/permits: suspended. Everyone passes, no cookie, nothing asked.
  HttpResponse free = Get("/check", "", at("city.example", "/permits/new"));
  EXPECT_EQ(free.status, 204);
  EXPECT_EQ(free.Header("Set-Cookie"), "");
  EXPECT_NE(Metrics().find("anteroom_gate_decisions_total{decision=\"suspended\"} 1"),
            std::string::npos);

  // A host no route serves is a configuration error, said as one.
  HttpResponse lost = Get("/check", "", at("elsewhere.example", "/"));
  EXPECT_EQ(lost.status, 404);
  EXPECT_NE(lost.body.find("no route serves host \"elsewhere.example\""), std::string::npos);

  // Reloaded routes apply to the next request.
  auto reloaded = RouteTable::Parse(
      "routes.textproto",
      R"(route { host: "vaccines.example" room: "clinic" default_language: "it" })", "",
      RouteDefaults(), *Catalogs::Builtin());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  gate_->Reload(Catalogs::Builtin(), *reloaded);
  EXPECT_EQ(Get("/wait", "", at("vaccines.example", "/", {{"X-Anteroom-Handoff", handoff}}))
                .Header("Content-Language"),
            "it");
  EXPECT_EQ(Get("/check", "", at("city.example", "/permits")).status, 404);
}

TEST_F(GateTest, WithoutARoomOfItsOwnTheGateEndsTheVisitOfTheRoomLeaveNames) {
  // As the systemd unit runs it: no --room, nginx names the room (X-Anteroom-Room); a site
  // whose leave location names none says ?room=.
  GateOptions options;
  options.routes = *RouteTable::Single(RouteDefaults(), "", *Catalogs::Builtin());
  MakeGate(client::FailureMode::kFailClosed, {server_.address()}, options);
  HttpResponse in = Arrive("/check", {{"X-Anteroom-Room", "clinic"}});
  ASSERT_EQ(in.status, 204);
  HttpRequest leave;
  leave.method = "POST";
  leave.path = "/leave";
  leave.query["room"] = "clinic";
  leave.headers["cookie"] = CookiePair(in);
  HttpResponse left = testing::AnswerOf(*gate_, leave);
  EXPECT_EQ(left.status, 200) << left.body;
  EXPECT_NE(left.Header("Set-Cookie").find("anteroom_clinic=;"), std::string::npos);
  EXPECT_EQ(Get("/check", CookiePair(in), {{"X-Anteroom-Room", "clinic"}}).status, 401);
}

TEST_F(GateTest, WhenAnteroomIsUnreachableTheFailureModeDecides) {
  const std::string dead = absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort());
  MakeGate(client::FailureMode::kFailClosed, {dead});
  HttpResponse closed = Arrive("/check");
  ASSERT_EQ(closed.status, 401);
  HttpResponse page = WaitPage(closed);
  EXPECT_EQ(page.status, 503);
  EXPECT_NE(page.body.find("temporarily unavailable"), std::string::npos);
  EXPECT_NE(Metrics().find("decision=\"unavailable\"} 1"), std::string::npos) << Metrics();

  MakeGate(client::FailureMode::kFailOpen, {dead});
  HttpResponse open = Arrive("/check");
  EXPECT_EQ(open.status, 204);
  EXPECT_EQ(open.Header("X-Anteroom-Degraded"), "fail-open");
  EXPECT_NE(Metrics().find("decision=\"fail_open\"} 1"), std::string::npos) << Metrics();
  EXPECT_NE(Metrics().find("anteroom_gate_anteroom_errors_total{code=\"UNAVAILABLE\"} 1"),
            std::string::npos)
      << Metrics();
}

TEST_F(GateTest, WithoutAHandoffTheWaitPageDecidesItselfAndRedirectsWhenAdmitted) {
  HttpResponse first = Arrive("/wait", {{"X-Original-URI", "/book?slot=3"}});
  EXPECT_EQ(first.status, 303);
  EXPECT_EQ(first.Header("Location"), "/book?slot=3");
  EXPECT_FALSE(CookiePair(first).empty());
  HttpResponse offsite = Arrive("/wait", {{"X-Original-URI", "//evil.example/"}});
  EXPECT_EQ(offsite.status, 200) << "queued: the page itself";
  HttpResponse garbage = Arrive("/wait", {{"X-Anteroom-Handoff", "state=bogus"}});
  EXPECT_EQ(garbage.Header("X-Anteroom-State"), "waiting") << "bad handoff: decided afresh";
}

TEST_F(GateTest, LeaveNeedsPostAndRedirectsOnlyWithinTheSite) {
  const std::string cookie = CookiePair(Arrive("/check"));
  // A GET (a link followed) ends nothing: it shows the button that posts.
  HttpResponse ask = Get("/leave", cookie);
  EXPECT_EQ(ask.status, 200);
  EXPECT_NE(ask.body.find("<form method=\"post\">"), std::string::npos) << ask.body;
  EXPECT_TRUE(ask.Header("Set-Cookie").empty());
  EXPECT_EQ(Get("/check", cookie).status, 204) << "still admitted";
  EXPECT_EQ(Get("/leave", cookie, {{"Accept", "application/json"}}).status, 405);
  HttpResponse r = PostLeave(cookie, "/goodbye");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("Location"), "/goodbye");
  HttpResponse evil = PostLeave(cookie, "https://evil.example/");
  EXPECT_EQ(evil.status, 200);
  EXPECT_NE(evil.body.find("Thank you"), std::string::npos);
  EXPECT_EQ(PostLeave("").status, 200) << "no cookie: nothing to end, still fine";
}

TEST_F(GateTest, ARefusalIsNotAnOutageSoItNeverFailsOpen) {
  MakeGate(client::FailureMode::kFailOpen, {server_.address()});
  HttpResponse r = Arrive("/check", {{"X-Anteroom-Room", "no-such-room"}});
  EXPECT_EQ(r.status, 401) << "a missing room must not open the site";
  EXPECT_EQ(WaitPage(r).status, 503);
  EXPECT_NE(Metrics().find("decision=\"error\"} 1"), std::string::npos) << Metrics();
  EXPECT_NE(Metrics().find("code=\"NOT_FOUND\"} 1"), std::string::npos) << Metrics();
}

TEST_F(GateTest, WhenAnteroomShedsLoadNobodyLosesAPlaceGainsOneOrIsLetInUnchecked) {
  server_.listener_options().max_calls_in_flight = 2;
  server_.Restart();
  server_.CreateRoom("other", 10);
  MakeGate(client::FailureMode::kFailOpen, {server_.address()});
  const std::string a = CookiePair(Arrive("/check"));  // on the site (cached by the gate)
  const std::string b = CookiePair(Arrive("/check"));  // in line
  ASSERT_TRUE(absl::StartsWith(b, "anteroom_clinic=t.")) << b;
  const HttpResponse newcomer = Get("/check");  // given a visitor id to bring back
  const std::string newcomer_id = CookiePair(newcomer);

  // Two calls held on their writes fill every lane: the server sheds all else.
  auto stub = v1::WaitingRoom::NewStub(
      grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials()));
  v1::VisitorStatus c;
  {
    grpc::ClientContext ctx;
    v1::AdmitRequest req;
    req.set_room("other");
    req.set_client_id("c");
    ASSERT_TRUE(stub->Admit(&ctx, req, &c).ok());
  }
  server_.store().Close();
  // Whatever happens below, the held calls end before the test does.
  struct OpenOnExit {
    testing::GatedStore* store;
    ~OpenOnExit() { store->Open(); }
  } open_on_exit{&server_.store()};
  auto in_flight = [&](int n) {
    return testing::WaitUntil([&] { return server_.metrics()->CallsInFlight() == n; },
                              absl::Seconds(10));
  };
  auto held_admit = std::async(std::launch::async, [&] {
    grpc::ClientContext ctx;
    v1::AdmitRequest req;
    req.set_room("other");
    req.set_client_id("d");
    v1::VisitorStatus out;
    return stub->Admit(&ctx, req, &out);
  });
  ASSERT_TRUE(in_flight(1));  // the Admit first: past it, a newcomer would be shed
  auto held_leave = std::async(std::launch::async, [&] {
    grpc::ClientContext ctx;
    v1::LeaveRequest req;
    req.set_token(c.session());
    v1::LeaveResponse out;
    return stub->Leave(&ctx, req, &out);
  });
  ASSERT_TRUE(in_flight(2));

  // The newcomer: asked to come back in a few seconds, no place, no fail-open.
  const uint64_t depth = QueueDepth();
  HttpResponse shed = Get("/check", newcomer_id);
  EXPECT_EQ(shed.status, 401) << "overload is no reason to open the site";
  EXPECT_EQ(shed.Header("Set-Cookie"), "") << "the visitor id is kept";
  HttpResponse page = WaitPage(shed);
  EXPECT_EQ(page.status, 503);
  EXPECT_EQ(page.Header("X-Anteroom-State"), "busy");
  const int retry = std::stoi(page.Header("Retry-After"));
  EXPECT_GE(retry, 2);
  EXPECT_LE(retry, 5);
  EXPECT_NE(page.body.find("Very busy, one moment"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("you keep it"), std::string::npos);
  // The visitor in line: keeps the place (no new one, the cookie unchanged).
  HttpResponse waiting = Get("/check", b);
  EXPECT_EQ(waiting.status, 401);
  EXPECT_EQ(waiting.Header("Set-Cookie"), "");
  EXPECT_EQ(WaitPage(waiting, /*json=*/true).body.find("\"state\":\"busy\""), 1u);
  // The visitor on the site, whose session this gate has seen valid: still let in.
  clock_.Advance(absl::Seconds(11));  // past the session check interval: it asks again
  EXPECT_EQ(Get("/check", a).status, 204);
  // A gateway that never saw that session cannot vouch for it: the visitor waits a moment.
  client::ClientOptions fresh_options;
  fresh_options.servers = {server_.address()};
  fresh_options.max_attempts = 1;
  auto fresh = client::Client::Create(fresh_options).value();
  const std::string a_session = a.substr(a.find('=') + 1);
  const client::SessionCheck unknown = fresh->CheckSession(a_session);
  EXPECT_EQ(unknown.result, client::SessionCheck::Result::kBusy);
  EXPECT_TRUE(client::Client::IsBusy(unknown.status)) << unknown.status;

  server_.store().Open();
  EXPECT_TRUE(held_admit.get().ok());
  EXPECT_TRUE(held_leave.get().ok());
  EXPECT_EQ(QueueDepth(), depth) << "nobody gained or lost a place";
  EXPECT_EQ(Get("/check", b).status, 401) << "still in line, at the same place";
  EXPECT_NE(Metrics().find("decision=\"busy\"} 2"), std::string::npos) << Metrics();
  EXPECT_EQ(Metrics().find("decision=\"fail_open\"} 1"), std::string::npos);
}

TEST_F(GateTest, AdmissionCountsAsArrivalAndTheTokenIsNotCached) {
  v1::RoomSettings settings;
  settings.set_max_active_sessions(1);
  settings.mutable_session_ttl()->set_seconds(300);
  settings.mutable_arrival_ttl()->set_seconds(30);
  server_.CreateRoom("arrive", settings);
  HttpResponse in = Arrive("/check", {{"X-Anteroom-Room", "arrive"}});
  ASSERT_EQ(in.status, 204);
  EXPECT_EQ(in.Header("X-Anteroom-Cache-Control"), "private, no-store");
  // The visitor reads their first page for longer than arrival_ttl: still admitted, since
  // the request that let them in was their arrival.
  server_.clock().Advance(absl::Seconds(45));
  const std::string session = CookiePair(in).substr(CookiePair(in).find('=') + 1);
  auto beat = client_->Heartbeat(session);
  ASSERT_TRUE(beat.ok()) << beat.status();
  EXPECT_EQ(beat->state(), v1::ADMITTED) << beat->reason();
}

TEST_F(GateTest, TamperedOrForeignCookiesAreTreatedAsNewVisitors) {
  EXPECT_EQ(Arrive("/check").status, 204);  // the slot is taken
  for (const std::string& cookie :
       {std::string("anteroom_clinic=garbage"), std::string("anteroom_clinic=s.other.AAAA"),
        std::string("anteroom_clinic=s.clinic.AAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAA"),
        std::string("anteroom_clinic=t.clinic.AAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAA~x"),
        std::string("anteroom_clinic=v.forged-id.AAAAAAAAAAAAAAAAAAAAAA")}) {
    HttpResponse r = Get("/check", cookie);
    EXPECT_EQ(r.status, 401) << cookie;
    EXPECT_TRUE(absl::StartsWith(CookiePair(r), "anteroom_clinic=v.")) << cookie;
    EXPECT_EQ(WaitPage(r).Header("X-Anteroom-State"), "cookie_check") << "no place for " << cookie;
  }
  EXPECT_EQ(QueueDepth(), 0u);
}

TEST_F(GateTest, RequestsNameAValidRoom) {
  HttpResponse r = Get("/check", "", {{"X-Anteroom-Room", "Bad Room!"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("X-Anteroom-Room"), std::string::npos) << r.body;
  EXPECT_EQ(Get("/nowhere").status, 404);
  EXPECT_EQ(Get("/healthz").status, 200);
}

}  // namespace
}  // namespace anteroom::gate
