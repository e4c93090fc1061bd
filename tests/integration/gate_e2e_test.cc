// The whole chain with real parts: Debian's nginx (deploy/nginx/ as shipped) in front of a
// demo origin, anteroom-gate, anteroomd, and two headless Chromium browsers driven through
// chromedriver. Browser A gets the site; browser B (JavaScript off) waits at position 1;
// A finishes; B's page reloads itself into the site. Screenshots go to
// <build>/e2e-screenshots/.

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/daemon.h"
#include "tests/testing/reflection_client.h"
#include "tests/testing/webdriver.h"

namespace anteroom {
namespace {

namespace fs = std::filesystem;
constexpr char kAnteroomd[] = ANTEROOMD_PATH;
constexpr char kGate[] = ANTEROOM_GATE_PATH;
constexpr char kSource[] = ANTEROOM_SOURCE_DIR;
constexpr char kScreenshots[] = ANTEROOM_SCREENSHOT_DIR;
constexpr char kNginx[] = "/usr/sbin/nginx";
constexpr char kChromedriver[] = "/usr/bin/chromedriver";

bool Answers(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(1, 0);
  auto r = c.Get(path);
  return r && r->status > 0;
}

class GateEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "20", 1);
    for (const char* tool : {kNginx, kChromedriver, "/usr/bin/chromium"}) {
      ASSERT_TRUE(fs::exists(tool)) << tool << " is missing: run .ci/install-deps";
    }
    dir_ = testing::MakeTempDir("anteroom-e2e");
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    fs::create_directories(kScreenshots);

    // anteroomd with one room of one slot.
    std::ofstream(dir_ + "/rooms.textproto")
        << "room { id: \"clinic\" settings { max_active_sessions: 1 "
           "session_ttl { seconds: 60 } place_hold { seconds: 60 } max_queue_length: 2 } }\n";
    auto daemon = testing::Daemon::Start(kAnteroomd, dir_ + "/data",
                                         {"--rooms=" + dir_ + "/rooms.textproto"});
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = std::move(*daemon);

    // anteroom-gate, with its defaults but for the addresses.
    const std::string gate_ports = dir_ + "/gate.ports";
    auto gate = testing::Process::Start(
        kGate,
        {"--anteroom=" + daemon_->gateway_address(), "--room=clinic", "--site_name=E2E Clinic",
         "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0", "--ports_file=" + gate_ports},
        dir_ + "/gate.log");
    ASSERT_TRUE(gate.ok()) << gate.status();
    gate_ = std::move(*gate);
    ASSERT_TRUE(testing::WaitUntil([&] { return fs::exists(gate_ports); }, absl::Seconds(30)))
        << testing::ReadFile(dir_ + "/gate.log");
    const std::string gate_port =
        testing::PortsFileValue(gate_ports, "http")
            .substr(testing::PortsFileValue(gate_ports, "http").rfind(':') + 1);

    // nginx from deploy/nginx/, as `make demo` runs it.
    port_ = testing::FreeLoopbackPort();
    const int origin_port = testing::FreeLoopbackPort();
    fs::copy(std::string(kSource) + "/deploy/nginx/demo-site", dir_ + "/site",
             fs::copy_options::recursive);
    const std::string conf =
        absl::StrReplaceAll(testing::ReadFile(std::string(kSource) + "/deploy/nginx/demo.conf.in"),
                            {{"@RUN_DIR@", dir_},
                             {"@CONF_DIR@", std::string(kSource) + "/deploy/nginx"},
                             {"@SITE_DIR@", dir_ + "/site"},
                             {"@GATE_PORT@", gate_port},
                             {"@ORIGIN_PORT@", absl::StrCat(origin_port)},
                             {"@PORT@", absl::StrCat(port_)},
                             {"@ROOM@", "clinic"}});
    std::ofstream(dir_ + "/nginx.conf") << conf;
    // nginx stops gracefully, with its workers, on SIGQUIT.
    auto nginx = testing::Process::Start(kNginx, {"-p", dir_, "-c", dir_ + "/nginx.conf"},
                                         dir_ + "/nginx.log", SIGQUIT);
    ASSERT_TRUE(nginx.ok()) << nginx.status();
    nginx_ = std::move(*nginx);
    ASSERT_TRUE(testing::WaitUntil([&] { return Answers(origin_port, "/"); }, absl::Seconds(30)))
        << testing::ReadFile(dir_ + "/nginx.log") << testing::ReadFile(dir_ + "/nginx-error.log");

    const int driver_port = testing::FreeLoopbackPort();
    auto driver = testing::Process::Start(kChromedriver, {absl::StrCat("--port=", driver_port)},
                                          dir_ + "/chromedriver.log");
    ASSERT_TRUE(driver.ok()) << driver.status();
    driver_ = std::move(*driver);
    driver_port_ = driver_port;
    ASSERT_TRUE(
        testing::WaitUntil([&] { return Answers(driver_port, "/status"); }, absl::Seconds(30)))
        << testing::ReadFile(dir_ + "/chromedriver.log");
  }

  void TearDown() override {
    if (HasFailure()) {
      // Kept for a look: the logs, and the browsers' profiles.
      for (const char* log : {"/gate.log", "/nginx-error.log", "/chromedriver.log"})
        std::cerr << "---- " << log << "\n"
                  << testing::ReadFile(dir_ + log).substr(0, 4000) << "\n";
      return;
    }
    // Each stops as it expects, and nothing it started may outlive it.
    for (auto* p : {&driver_, &nginx_, &gate_}) {
      if (absl::Status s = (*p)->Stop(); !s.ok()) ADD_FAILURE() << s;
    }
    daemon_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::unique_ptr<testing::Browser> OpenBrowser(const std::string& name, bool javascript) {
    testing::Browser::Options options;
    options.javascript = javascript;
    options.user_data_dir = dir_ + "/profile-" + name;
    auto browser = testing::Browser::Open(driver_port_, options);
    EXPECT_TRUE(browser.ok()) << browser.status();
    return browser.ok() ? std::move(*browser) : nullptr;
  }

  std::string Url(const std::string& path = "/") {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }

  std::string dir_;
  int port_ = 0;
  int driver_port_ = 0;
  std::unique_ptr<testing::Daemon> daemon_;
  std::unique_ptr<testing::Process> gate_, nginx_, driver_;
};

TEST_F(GateEndToEndTest, TheSecondBrowserWaitsThenItsPageLetsItInWhenTheFirstFinishes) {
  auto a = OpenBrowser("a", /*javascript=*/true);
  auto b = OpenBrowser("b", /*javascript=*/false);
  ASSERT_TRUE(a && b);

  ASSERT_TRUE(a->Navigate(Url()).ok());
  EXPECT_TRUE(absl::StartsWith(a->Title().value_or(""), "Book your appointment"))
      << a->Source().value_or("");
  EXPECT_TRUE(absl::StartsWith(a->Cookie("anteroom_clinic").value_or(""), "s.clinic."));

  ASSERT_TRUE(b->Navigate(Url("/appointments")).ok());
  EXPECT_EQ(b->Title().value_or(""), "You are next – E2E Clinic");
  const std::string waiting = b->Source().value_or("");
  EXPECT_NE(waiting.find("You are next in line"), std::string::npos) << waiting;
  EXPECT_NE(waiting.find("<dd id=\"position\">1</dd>"), std::string::npos) << waiting;
  EXPECT_TRUE(absl::StartsWith(b->Cookie("anteroom_clinic").value_or(""), "t.clinic."));
  const std::string shot = std::string(kScreenshots) + "/waiting-page.png";
  ASSERT_TRUE(b->Screenshot(shot).ok());
  EXPECT_GT(fs::file_size(shot), 10000u);
  std::cout << "waiting page screenshot: " << shot << "\n";

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
  auto json = app.Get("/appointments", {{"Accept", "application/json"}});
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
  ASSERT_TRUE(a->Screenshot(std::string(kScreenshots) + "/finished-page.png").ok());

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
  ASSERT_TRUE(b->Screenshot(std::string(kScreenshots) + "/admitted.png").ok());
}

TEST_F(GateEndToEndTest, WhenTheQueueIsFullABrowserIsAskedToComeBackLater) {
  // The room: 1 slot and a queue of 2. Three apps take them; a browser finds it full.
  httplib::Client app("127.0.0.1", port_);
  for (int i = 0; i < 3; ++i) {
    auto r = app.Get("/", {{"Accept", "application/json"}});
    ASSERT_TRUE(r);
  }
  auto c = OpenBrowser("c", /*javascript=*/true);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->Navigate(Url()).ok());
  EXPECT_EQ(c->Title().value_or(""), "Please try again later – E2E Clinic");
  EXPECT_NE(c->Source().value_or("").find("queue is full"), std::string::npos);
  ASSERT_TRUE(c->Screenshot(std::string(kScreenshots) + "/queue-full-page.png").ok());
}

TEST_F(GateEndToEndTest, BeforeAnEventOpensTheBrowserSeesWhenItOpens) {
  testing::ReflectionClient admin(
      grpc::CreateChannel(daemon_->admin_address(), grpc::InsecureChannelCredentials()));
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
  EXPECT_EQ(d->Title().value_or(""), "The queue opens soon – E2E Clinic");
  const std::string page = d->Source().value_or("");
  EXPECT_TRUE(page.find("about 30 minutes") != std::string::npos ||
              page.find("about 29 minutes") != std::string::npos)
      << page;
  ASSERT_TRUE(d->Screenshot(std::string(kScreenshots) + "/prequeue-page.png").ok());
}

}  // namespace
}  // namespace anteroom
