// The whole chain with real parts: Debian's nginx (deploy/nginx/ as shipped) in front of a
// demo origin, anteroom-gate, anteroomd, and two headless Chromium browsers driven through
// chromedriver. Browser A gets the site; browser B (JavaScript off) waits at position 1;
// A finishes; B's page reloads itself into the site. Screenshots go to
// <build>/e2e-screenshots/.

#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/browser_stack.h"
#include "tests/testing/daemon.h"
#include "tests/testing/reflection_client.h"

namespace anteroom {
namespace {

constexpr char kAnteroomd[] = ANTEROOMD_PATH;
constexpr char kGate[] = ANTEROOM_GATE_PATH;
constexpr char kSource[] = ANTEROOM_SOURCE_DIR;
constexpr char kScreenshots[] = ANTEROOM_SCREENSHOT_DIR;

class GateEndToEndTest : public testing::BrowserStackTest {
 protected:
  void SetUp() override {
    // anteroomd with one room of one slot, the gate with its defaults, nginx as shipped.
    StartStack({kAnteroomd,
                kGate,
                kSource,
                "room { id: \"clinic\" settings { max_active_sessions: 1 "
                "session_ttl { seconds: 60 } place_hold { seconds: 60 } max_queue_length: 2 } }\n",
                "clinic",
                {"--site_name=E2E Clinic"}},
               kScreenshots);
  }

  testing::Browser* OpenBrowser(const std::string& name, bool javascript) {
    testing::Browser::Options options;
    options.javascript = javascript;
    return BrowserStackTest::OpenBrowser(name, options);
  }

  // An app's JSON request, as one that keeps cookies makes it: the first answer is the
  // cookie check; the request that brings the visitor id back is answered for real.
  httplib::Result AppGet(httplib::Client& app, const std::string& path) {
    auto first = app.Get(path, {{"Accept", "application/json"}});
    if (!first || first->get_header_value("Set-Cookie").empty()) return first;
    const std::string id = first->get_header_value("Set-Cookie");
    return app.Get(path, {{"Accept", "application/json"}, {"Cookie", id.substr(0, id.find(';'))}});
  }
};

TEST_F(GateEndToEndTest, TheSecondBrowserWaitsThenItsPageLetsItInWhenTheFirstFinishes) {
  auto a = OpenBrowser("a", /*javascript=*/true);
  auto b = OpenBrowser("b", /*javascript=*/false);
  ASSERT_TRUE(a && b);

  ASSERT_TRUE(a->Navigate(Url()).ok());
  EXPECT_TRUE(absl::StartsWith(TitleOnceItIs(*a, "Book your appointment"), "Book your appointment"))
      << a->Source().value_or("");
  EXPECT_TRUE(absl::StartsWith(a->Cookie("anteroom_clinic").value_or(""), "s.clinic."));

  ASSERT_TRUE(b->Navigate(Url("/appointments")).ok());
  EXPECT_EQ(TitleOnceItIs(*b, "You are next"), "You are next – E2E Clinic");
  const std::string waiting = b->Source().value_or("");
  EXPECT_NE(waiting.find("You are next in line"), std::string::npos) << waiting;
  EXPECT_NE(waiting.find("<dd id=\"position\">1</dd>"), std::string::npos) << waiting;
  EXPECT_TRUE(absl::StartsWith(b->Cookie("anteroom_clinic").value_or(""), "t.clinic."));
  Screenshot(*b, "waiting-page.png");

  // What cannot show a page takes no place through nginx: HEAD, an image under a protected
  // path, and the favicon (not protected at all in deploy/nginx/demo.conf.in).
  httplib::Client app("127.0.0.1", port_);
  auto head = app.Head("/appointments");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 503);
  EXPECT_FALSE(head->has_header("Set-Cookie"));
  auto image = app.Get("/appointments/photo", {{"Sec-Fetch-Dest", "image"}});
  ASSERT_TRUE(image);
  EXPECT_EQ(image->status, 503);
  EXPECT_FALSE(image->has_header("Set-Cookie"));
  auto favicon = app.Get("/favicon.ico", {{"Sec-Fetch-Dest", "image"}});
  ASSERT_TRUE(favicon);
  EXPECT_FALSE(favicon->has_header("Set-Cookie"));

  // A mobile app asks for JSON through the same nginx: it is second in line, behind B.
  auto json = AppGet(app, "/appointments");
  ASSERT_TRUE(json);
  EXPECT_EQ(json->status, 200);
  EXPECT_EQ(json->get_header_value("Content-Type"), "application/json");
  EXPECT_NE(json->body.find("\"state\":\"waiting\""), std::string::npos) << json->body;
  EXPECT_NE(json->body.find("\"position\":2,"), std::string::npos) << json->body;
  EXPECT_TRUE(absl::StartsWith(json->get_header_value("Set-Cookie"), "anteroom_clinic=t.clinic."));

  // A finishes: the site's "I have finished" button posts to /anteroom/leave.
  ASSERT_TRUE(a->Click("#finish").ok());
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return a->Title().value_or("") == "Thank you – E2E Clinic"; }, absl::Seconds(10)))
      << a->Source().value_or("");
  Screenshot(*a, "finished-page.png");

  // Nobody touches B: its page reloads itself (meta refresh, no JavaScript) into the site.
  const absl::Time left = absl::Now();
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return absl::StartsWith(b->Title().value_or(""), "Book your appointment"); },
      absl::Seconds(60)))
      << b->Source().value_or("");
  std::cout << "B was let in " << absl::FormatDuration(absl::Now() - left) << " after A finished\n";
  EXPECT_TRUE(absl::EndsWith(b->CurrentUrl().value_or(""), "/appointments"))
      << "B stays on the address it asked for";
  EXPECT_TRUE(absl::StartsWith(b->Cookie("anteroom_clinic").value_or(""), "s.clinic."));
  Screenshot(*b, "admitted.png");
}

// A script that never keeps cookies, through nginx as shipped: 200 page views and 200 JSON
// requests hold no place (before the cookie check they held 400).
TEST_F(GateEndToEndTest, AClientThatNeverKeepsCookiesHoldsNoPlace) {
  httplib::Client script("127.0.0.1", port_);
  for (int i = 0; i < 200; ++i) {
    auto page = script.Get("/appointments", {{"Sec-Fetch-Dest", "document"}});
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200);
    EXPECT_NE(page->body.find("One moment"), std::string::npos);
    auto json = script.Get("/appointments", {{"Accept", "application/json"}});
    ASSERT_TRUE(json);
    EXPECT_NE(json->body.find("\"state\":\"cookie_check\""), std::string::npos) << json->body;
  }
  testing::ReflectionClient admin(
      grpc::CreateChannel(stack_->daemon().admin_address(), grpc::InsecureChannelCredentials()));
  auto status = admin.Call("anteroom.v1.RoomAdmin/GetRoomStatus", R"({"room":"clinic"})");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(testing::JsonStringField(*status, "queue_depth"), "0") << *status;
  EXPECT_EQ(testing::JsonStringField(*status, "active_sessions"), "0") << *status;
}

// A room that asks for a proof of work: a browser's page solves it by itself and gets in;
// a script that keeps cookies but skips the work, and a browser without JavaScript, hold
// nothing (the latter is told what to do).
TEST_F(GateEndToEndTest, WithTheChallengeOnABrowserSolvesItAndAClientThatSkipsItHoldsNothing) {
  testing::ReflectionClient admin(
      grpc::CreateChannel(stack_->daemon().admin_address(), grpc::InsecureChannelCredentials()));
  auto updated = admin.Call("anteroom.v1.RoomAdmin/UpdateRoom",
                            R"({"room":"clinic","settings":{"challenge_work":300000}})");
  ASSERT_TRUE(updated.ok()) << updated.status();
  auto depth = [&](const char* field) {
    auto status = admin.Call("anteroom.v1.RoomAdmin/GetRoomStatus", R"({"room":"clinic"})");
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? testing::JsonStringField(*status, field) : "";
  };

  // The script: it brings its visitor id back every time, and never the work.
  httplib::Client script("127.0.0.1", port_);
  auto first = script.Get("/appointments", {{"Accept", "application/json"}});
  ASSERT_TRUE(first);
  const std::string id = first->get_header_value("Set-Cookie")
                             .substr(0, first->get_header_value("Set-Cookie").find(';'));
  for (int i = 0; i < 50; ++i) {
    auto r = script.Get("/appointments", {{"Accept", "application/json"}, {"Cookie", id}});
    ASSERT_TRUE(r);
    EXPECT_NE(r->body.find("\"state\":\"challenge\""), std::string::npos) << r->body;
  }
  EXPECT_EQ(depth("active_sessions"), "0");
  EXPECT_EQ(depth("queue_depth"), "0");

  // A browser without JavaScript: the page says what to do, and holds nothing.
  auto plain = OpenBrowser("no-script", /*javascript=*/false);
  ASSERT_TRUE(plain);
  ASSERT_TRUE(plain->Navigate(Url("/appointments")).ok());
  EXPECT_EQ(TitleOnceItIs(*plain, "Joining the queue"), "Joining the queue – E2E Clinic");
  EXPECT_NE(plain->Source().value_or("").find("Please turn JavaScript on"), std::string::npos)
      << plain->Source().value_or("");
  Screenshot(*plain, "challenge-no-script.png");
  EXPECT_EQ(depth("active_sessions"), "0");

  // A browser: the page solves the challenge and goes on into the site.
  auto browser = OpenBrowser("solver", /*javascript=*/true);
  ASSERT_TRUE(browser);
  const absl::Time start = absl::Now();
  ASSERT_TRUE(browser->Navigate(Url("/appointments")).ok());
  EXPECT_TRUE(
      absl::StartsWith(TitleOnceItIs(*browser, "Book your appointment"), "Book your appointment"))
      << browser->Source().value_or("");
  std::cout << "the browser solved a challenge of 300,000 and was let in "
            << absl::FormatDuration(absl::Now() - start) << " after it arrived\n";
  EXPECT_TRUE(absl::StartsWith(browser->Cookie("anteroom_clinic").value_or(""), "s.clinic."));
  EXPECT_TRUE(browser->Cookie("anteroom-pow_clinic").ok()) << "the solution it brought";
  EXPECT_EQ(depth("active_sessions"), "1");
  EXPECT_EQ(depth("queue_depth"), "0") << "neither the script nor the script-less browser";
}

TEST_F(GateEndToEndTest, WhenTheQueueIsFullABrowserIsAskedToComeBackLater) {
  // The room: 1 slot and a queue of 2. Three apps take them; a browser finds it full.
  httplib::Client app("127.0.0.1", port_);
  for (int i = 0; i < 3; ++i) {
    auto r = AppGet(app, "/");
    ASSERT_TRUE(r);
  }
  auto c = OpenBrowser("c", /*javascript=*/true);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->Navigate(Url()).ok());
  EXPECT_EQ(TitleOnceItIs(*c, "Please try again later"), "Please try again later – E2E Clinic");
  EXPECT_NE(c->Source().value_or("").find("queue is full"), std::string::npos);
  Screenshot(*c, "queue-full-page.png");
}

TEST_F(GateEndToEndTest, BeforeAnEventOpensTheBrowserSeesWhenItOpens) {
  testing::ReflectionClient admin(
      grpc::CreateChannel(stack_->daemon().admin_address(), grpc::InsecureChannelCredentials()));
  const absl::Time now = absl::Now();
  auto event = admin.Call(
      "anteroom.v1.RoomAdmin/CreateEvent",
      absl::StrCat(
          R"({"room":"clinic","event":{"prequeue_start":")",
          absl::FormatTime(absl::RFC3339_sec, now, absl::UTCTimeZone()), R"(","start":")",
          absl::FormatTime(absl::RFC3339_sec, now + absl::Minutes(30), absl::UTCTimeZone()),
          R"(","end":")",
          absl::FormatTime(absl::RFC3339_sec, now + absl::Hours(3), absl::UTCTimeZone()),
          R"("}})"));
  ASSERT_TRUE(event.ok()) << event.status();
  auto d = OpenBrowser("d", /*javascript=*/true);
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->Navigate(Url()).ok());
  EXPECT_EQ(TitleOnceItIs(*d, "The queue opens soon"), "The queue opens soon – E2E Clinic");
  const std::string page = d->Source().value_or("");
  EXPECT_TRUE(page.find("in 30 minutes") != std::string::npos ||
              page.find("in 29 minutes") != std::string::npos)
      << page;
  Screenshot(*d, "prequeue-page.png");
}

}  // namespace
}  // namespace anteroom
