// Many rooms behind one gate, in the visitor's language, with real parts: one anteroom-gate
// with a routes file, one nginx server block (deploy/nginx/ as shipped), anteroomd, and
// headless Chromium asking for Korean, Italian, Arabic and English. Two hosts and two paths
// of a third are four rooms. Screenshots go to <build>/e2e-screenshots/routes-*.png.

#include <signal.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/gate/catalog.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/browser_stack.h"
#include "tests/testing/daemon.h"
#include "tests/testing/http_get.h"

namespace anteroom {
namespace {

namespace fs = std::filesystem;
constexpr char kAnteroomd[] = ANTEROOMD_PATH;
constexpr char kGate[] = ANTEROOM_GATE_PATH;
constexpr char kSource[] = ANTEROOM_SOURCE_DIR;
constexpr char kScreenshots[] = ANTEROOM_SCREENSHOT_DIR;

constexpr char kRoutes[] = R"(# Four rooms: two hosts, and two paths of a third.
route { host: "vaccines.example" room: "vaccines" site_name: "예방접종 예약"
        default_language: "ko" time_zone: "Asia/Seoul" }
route { host: "tickets.example" room: "tickets" site_name: "Biglietteria del Comune"
        default_language: "it" time_zone: "Europe/Rome" queued_status: 202 }
route { host: "city.example" path_prefix: "/permits" room: "permits" site_name: "City permits" }
route { host: "city.example" path_prefix: "/parking" room: "parking" site_name: "مواقف البلدية"
        time_zone: "Asia/Dubai" cookie_suffix: "p" }
route { host: "city.example" room: "city" suspended: true }
)";

// Whether `text` holds at least `n` characters of the Unicode block [first, last].
bool HasScript(const std::string& text, char32_t first, char32_t last, int n) {
  int count = 0;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = text[i];
    char32_t cp = c;
    int len = 1;
    if (c >= 0xf0) {
      cp = c & 0x07, len = 4;
    } else if (c >= 0xe0) {
      cp = c & 0x0f, len = 3;
    } else if (c >= 0xc0) {
      cp = c & 0x1f, len = 2;
    }
    for (int k = 1; k < len && i + k < text.size(); ++k) cp = (cp << 6) | (text[i + k] & 0x3f);
    if (cp >= first && cp <= last) ++count;
    i += len;
  }
  return count >= n;
}

class GateRoutesEndToEndTest : public testing::BrowserStackTest {
 protected:
  void SetUp() override {
    // Korean needs a font with Hangul (DejaVu, always there, has Arabic).
    ASSERT_TRUE(fs::exists("/usr/share/fonts/truetype/nanum"))
        << "fonts-nanum is missing: run .ci/install-deps";
    routes_dir_ = testing::MakeTempDir("anteroom-routes");
    routes_ = routes_dir_ + "/routes.textproto";
    std::ofstream(routes_) << kRoutes;
    std::string rooms;
    for (const char* room : {"vaccines", "tickets", "permits", "parking"}) {
      absl::StrAppend(&rooms, "room { id: \"", room,
                      "\" settings { max_active_sessions: 1 session_ttl { seconds: 120 } "
                      "place_hold { seconds: 120 } } }\n");
    }
    // The room comes from the routes: nginx's $anteroom_room is left empty.
    StartStack({kAnteroomd, kGate, kSource, rooms, "", {"--routes=" + routes_}}, kScreenshots);
  }

  void TearDown() override {
    BrowserStackTest::TearDown();
    std::error_code ignored;
    fs::remove_all(routes_dir_, ignored);
  }

  // A browser whose languages are `accept_language`, reaching every *.example on loopback.
  testing::Browser* OpenBrowser(const std::string& name, const std::string& accept_language) {
    testing::Browser::Options options;
    options.accept_language = accept_language;
    options.host_resolver_rules = "MAP *.example 127.0.0.1";
    return BrowserStackTest::OpenBrowser(name, options);
  }

  std::string Url(const std::string& host, const std::string& path) {
    return BrowserStackTest::Url(path, host);
  }

  // An app with no browser takes the room's one slot: the cookie check, then in.
  void TakeTheSlot(const std::string& host, const std::string& path) {
    httplib::Client app("127.0.0.1", port_);
    auto first = app.Get(path, {{"Host", host}});
    ASSERT_TRUE(first);
    const std::string id = first->get_header_value("Set-Cookie");
    auto in = app.Get(path, {{"Host", host}, {"Cookie", id.substr(0, id.find(';'))}});
    ASSERT_TRUE(in);
    ASSERT_EQ(in->status, 200) << host << path << ": " << in->body.substr(0, 300);
    EXPECT_EQ(in->get_header_value("X-Anteroom-State"), "") << "the site itself answered";
  }

  // The page's visible text once its title is `title` (a newcomer's first page is the
  // cookie check, which reloads itself within a second), or what it shows after 15 s.
  std::string TextOnceTitled(testing::Browser& browser, const std::string& title) {
    testing::WaitUntil([&] { return absl::StartsWith(browser.Title().value_or(""), title); },
                       absl::Seconds(15));
    EXPECT_TRUE(absl::StartsWith(browser.Title().value_or(""), title))
        << browser.Title().value_or("") << "\n"
        << browser.Source().value_or("");
    return browser.VisibleText().value_or("");
  }

  // A text of the built-in catalog for `tag`, for the one in line at position 1.
  static std::string Text(const std::string& tag, const std::string& id,
                          const std::string& site_name = "") {
    gate::MessageArgs args;
    args.position = 1;
    args.site_name = site_name;
    args.refresh_seconds = 2;
    return gate::Catalogs::Builtin()->Find(tag)->Format(id, args);
  }

  // Sends the gate SIGHUP and waits for its log to say `line` (one more time than now).
  bool ReloadAndWaitFor(const std::string& line) {
    auto count = [&] {
      const std::string log = testing::ReadFile(dir_ + "/gate.log");
      int n = 0;
      for (size_t at = log.find(line); at != std::string::npos; at = log.find(line, at + 1)) ++n;
      return n;
    };
    const int before = count();
    kill(stack_->gate_pid(), SIGHUP);
    return testing::WaitUntil([&] { return count() > before; }, absl::Seconds(10));
  }

  std::string routes_dir_, routes_;
};

TEST_F(GateRoutesEndToEndTest, FourRoomsBehindOneGateEachInTheVisitorsLanguage) {
  for (const auto& [host, path] :
       std::vector<std::pair<std::string, std::string>>{{"vaccines.example", "/"},
                                                        {"tickets.example", "/"},
                                                        {"city.example", "/permits/"},
                                                        {"city.example", "/parking/"}}) {
    TakeTheSlot(host, path);
  }

  // Korean: the browser asks for it; vaccines.example's default is Korean too.
  testing::Browser* ko = OpenBrowser("ko", "ko-KR,ko");
  ASSERT_NE(ko, nullptr);
  ASSERT_TRUE(ko->Navigate(Url("vaccines.example", "/book")).ok());
  std::string text = TextOnceTitled(*ko, Text("ko", "title.waiting"));
  EXPECT_NE(text.find(Text("ko", "waiting.heading")), std::string::npos) << text;
  EXPECT_NE(text.find(Text("ko", "waiting.explain")), std::string::npos) << text;
  EXPECT_NE(text.find(Text("ko", "footer", "예방접종 예약")), std::string::npos) << text;
  EXPECT_EQ(text.find(Text("en", "waiting.explain")), std::string::npos) << text;
  EXPECT_TRUE(HasScript(text, 0xac00, 0xd7a3, 100)) << "Hangul: " << text;
  EXPECT_NE(ko->Source().value_or("").find("<html lang=\"ko\" dir=\"ltr\">"), std::string::npos);
  EXPECT_TRUE(absl::StartsWith(ko->Cookie("anteroom_vaccines").value_or(""), "t.vaccines."));
  Screenshot(*ko, "routes-waiting-ko.png");

  // Italian: tickets.example, for a browser that asks for Italian first.
  testing::Browser* it = OpenBrowser("it", "it-IT,it;q=0.9,en;q=0.5");
  ASSERT_NE(it, nullptr);
  ASSERT_TRUE(it->Navigate(Url("tickets.example", "/")).ok());
  text = TextOnceTitled(*it, Text("it", "title.waiting"));
  EXPECT_NE(text.find(Text("it", "waiting.explain")), std::string::npos) << text;
  EXPECT_NE(text.find(Text("it", "waiting.keep_open")), std::string::npos) << text;
  EXPECT_EQ(text.find(Text("en", "waiting.explain")), std::string::npos) << text;
  EXPECT_TRUE(absl::StartsWith(it->Cookie("anteroom_tickets").value_or(""), "t.tickets."));
  Screenshot(*it, "routes-waiting-it.png");
  // The route's status while queued, for an app asking the same room.
  httplib::Client app("127.0.0.1", port_);
  auto first = app.Get("/", {{"Host", "tickets.example"}, {"Accept", "application/json"}});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 202) << first->body;  // the cookie check: in line already
  EXPECT_NE(first->body.find("\"language\":\"it\""), std::string::npos) << first->body;

  // Arabic: city.example/parking for a browser that asks for English, picking Arabic with
  // ?lang=; the choice is remembered. The page reads right to left.
  testing::Browser* ar = OpenBrowser("ar", "en-US,en");
  ASSERT_NE(ar, nullptr);
  ASSERT_TRUE(ar->Navigate(Url("city.example", "/parking/spaces?lang=ar")).ok());
  text = TextOnceTitled(*ar, Text("ar", "title.waiting"));
  EXPECT_NE(text.find(Text("ar", "waiting.explain")), std::string::npos) << text;
  EXPECT_TRUE(HasScript(text, 0x0600, 0x06ff, 100)) << "Arabic: " << text;
  EXPECT_NE(ar->Source().value_or("").find("<html lang=\"ar\" dir=\"rtl\">"), std::string::npos);
  EXPECT_EQ(ar->Cookie("anteroom-lang").value_or(""), "ar");
  EXPECT_TRUE(absl::StartsWith(ar->Cookie("anteroom_parking.p").value_or(""), "t.parking."));
  Screenshot(*ar, "routes-waiting-ar.png");
  ASSERT_TRUE(ar->Navigate(Url("city.example", "/parking/")).ok());
  text = TextOnceTitled(*ar, Text("ar", "title.waiting"));
  EXPECT_NE(text.find(Text("ar", "waiting.explain")), std::string::npos) << "remembered";

  // English: city.example/permits, another room on the same host.
  testing::Browser* en = OpenBrowser("en", "en-GB,en");
  ASSERT_NE(en, nullptr);
  ASSERT_TRUE(en->Navigate(Url("city.example", "/permits/apply")).ok());
  text = TextOnceTitled(*en, "You are next – City permits");
  EXPECT_NE(text.find(Text("en", "waiting.explain")), std::string::npos) << text;
  EXPECT_TRUE(absl::StartsWith(en->Cookie("anteroom_permits").value_or(""), "t.permits."));
  Screenshot(*en, "routes-waiting-en.png");

  // The gate says where its rooms come from.
  const std::string log = testing::ReadFile(dir_ + "/gate.log");
  EXPECT_NE(log.find("(rooms from the routes in " + routes_), std::string::npos) << log;
  EXPECT_EQ(log.find("X-Anteroom-Room"), std::string::npos) << log;

  // A broken routes file is refused on SIGHUP, naming its line; the running routes stay.
  std::ofstream(routes_, std::ios::trunc)
      << kRoutes << "route { host: \"new.example\" room: \"vaccines\" time_zone: \"Mars\" }\n";
  ASSERT_TRUE(ReloadAndWaitFor("SIGHUP: kept the running routes"))
      << testing::ReadFile(dir_ + "/gate.log");
  EXPECT_NE(testing::ReadFile(dir_ + "/gate.log").find("routes.textproto line 10: time_zone"),
            std::string::npos)
      << testing::ReadFile(dir_ + "/gate.log");
  auto still = app.Get("/", {{"Host", "vaccines.example"}, {"Accept", "application/json"}});
  ASSERT_TRUE(still);
  EXPECT_NE(still->body.find("\"language\":\"ko\""), std::string::npos) << still->body;
  // A good one is taken: vaccines.example now speaks Italian by default.
  std::string changed = kRoutes;
  changed.replace(changed.find("default_language: \"ko\""), 22, "default_language: \"it\"");
  std::ofstream(routes_, std::ios::trunc) << changed;
  ASSERT_TRUE(ReloadAndWaitFor("SIGHUP: reloaded 5 route(s)"))
      << testing::ReadFile(dir_ + "/gate.log");
  auto now_it = app.Get("/", {{"Host", "vaccines.example"}, {"Accept", "application/json"}});
  ASSERT_TRUE(now_it);
  EXPECT_NE(now_it->body.find("\"language\":\"it\""), std::string::npos) << now_it->body;
}

// No spelling of a path takes a visitor without a place past a room to the site: with
// /permits a room and the rest of city.example open, each of these is /apply to a server that
// decodes before resolving "..", and /permits/... to one that does not.
TEST_F(GateRoutesEndToEndTest, NoSpellingOfAPathReachesTheSiteWithoutAPlace) {
  TakeTheSlot("city.example", "/permits/");
  auto get = [&](const std::string& path, const std::string& cookie) {
    std::vector<std::pair<std::string, std::string>> headers = {{"Host", "city.example"}};
    if (!cookie.empty()) headers.emplace_back("Cookie", cookie);
    return testing::HttpFetch(stack_->site(), "GET", path, headers);
  };
  // A visitor who waits: the cookie check, then a place in line.
  auto id = get("/permits/apply", "");
  ASSERT_TRUE(id.ok()) << id.status();
  auto placed = get("/permits/apply", id->CookiePair());
  ASSERT_TRUE(placed.ok()) << placed.status();
  ASSERT_EQ(placed->Header("X-Anteroom-State"), "waiting") << placed->body.substr(0, 300);
  const std::string waiting = placed->CookiePair();
  const std::string origin_log = dir_ + "/origin-access.log";
  const size_t before = testing::ReadFile(origin_log).size();
  EXPECT_EQ(get("/apply", "")->status, 200);  // the open part of the site: everyone passes

  for (const char* path :
       {"/permits/%2e%2e/apply", "/permits/%2E%2E/apply", "/permits/.%2e/apply",
        "/permits/%2e./apply", "/permits%2f..%2fapply", "/permits/%2e%2e%2fapply",
        "/permits/..;/apply", "/permits/..%5capply", "/permits/%252e%252e/apply",
        "/permits;x=1/apply", "//permits/apply", "/permits%2Fapply"}) {
    for (const std::string& cookie : {std::string(), waiting}) {
      auto reply = get(path, cookie);
      ASSERT_TRUE(reply.ok()) << path << ": " << reply.status();
      EXPECT_NE(reply->status, 200) << path << (cookie.empty() ? " (newcomer)" : " (waiting)")
                                    << ": " << reply->body.substr(0, 300);
    }
  }
  // What reached the site: only the open page asked for above.
  const std::string reached = testing::ReadFile(origin_log).substr(before);
  EXPECT_EQ(reached.find("permits"), std::string::npos) << reached;
  EXPECT_NE(reached.find("GET /apply "), std::string::npos) << reached;
}

}  // namespace
}  // namespace anteroom
