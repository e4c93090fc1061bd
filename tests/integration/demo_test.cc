// `make demo` (deploy/nginx/demo.sh) as a newcomer runs it: it says the demo is running only
// once the site answers, refuses a taken port saying how to choose another, and Ctrl-C (here
// SIGTERM) stops every part it started.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/daemon.h"

namespace anteroom {
namespace {

constexpr char kSource[] = ANTEROOM_SOURCE_DIR;
constexpr char kBuild[] = ANTEROOM_BUILD_DIR;

std::string DemoScript() { return std::string(kSource) + "/deploy/nginx/demo.sh"; }

TEST(DemoTest, SaysItIsRunningOnlyOnceTheSiteAnswersAndStopsEverything) {
  const std::string dir = testing::MakeTempDir("anteroom-demo-test");
  chmod(dir.c_str(), 0755);  // nginx's workers serve the demo site from inside it
  const int port = testing::FreeLoopbackPort();
  const std::string log = dir + "/demo.log";
  auto demo = testing::Process::Start(
      "/usr/bin/env",
      {absl::StrCat("PORT=", port), absl::StrCat("ORIGIN_PORT=", testing::FreeLoopbackPort()),
       absl::StrCat("BUILD_DIR=", kBuild), "RUN_DIR=" + dir + "/run", DemoScript()},
      log);
  ASSERT_TRUE(demo.ok()) << demo.status();
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return absl::StrContains(testing::ReadFile(log), "Anteroom demo is running"); },
      absl::Seconds(60)))
      << testing::ReadFile(log);
  // Announced: the site answers now, not a moment later (a newcomer's first page is the
  // cookie check; bringing the visitor id back gets the site).
  httplib::Client site("127.0.0.1", port);
  auto check = site.Get("/");
  ASSERT_TRUE(check) << "nothing answers on the announced port";
  const std::string id = check->get_header_value("Set-Cookie");
  ASSERT_NE(id.find("anteroom_demo=v."), std::string::npos) << check->body;
  auto first = site.Get("/", {{"Cookie", id.substr(0, id.find(';'))}});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_NE(first->body.find("Book your appointment"), std::string::npos) << first->body;
  EXPECT_TRUE(absl::StrContains(testing::ReadFile(log), absl::StrCat("127.0.0.1:", port)));
  // Static files are not behind the waiting room: no place, no cookie.
  auto favicon = site.Get("/favicon.ico");
  ASSERT_TRUE(favicon);
  EXPECT_TRUE(favicon->get_header_value("Set-Cookie").empty());

  // Ctrl-C: every part stops (Stop fails if anything of the demo's outlives it).
  if (absl::Status s = (*demo)->Stop(); !s.ok()) ADD_FAILURE() << s;
  EXPECT_TRUE(absl::StrContains(testing::ReadFile(log), "Stopped."));
  EXPECT_FALSE(site.Get("/")) << "nginx still answers";
  std::filesystem::remove_all(dir);
}

TEST(DemoTest, ATakenPortIsRefusedSayingHowToChooseAnother) {
  // Another program holds the port, on every address.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);

  const std::string dir = testing::MakeTempDir("anteroom-demo-test");
  const testing::ExitResult run =
      testing::RunToExit("/usr/bin/env",
                         {absl::StrCat("PORT=", port), absl::StrCat("BUILD_DIR=", kBuild),
                          "RUN_DIR=" + dir + "/run", DemoScript()},
                         absl::Seconds(60));
  close(fd);
  EXPECT_EQ(run.exit_code, 1) << run.stderr_text;
  EXPECT_NE(run.stderr_text.find(absl::StrCat("Port ", port, " is already in use")),
            std::string::npos)
      << run.stderr_text;
  EXPECT_NE(run.stderr_text.find("PORT=9000 make demo"), std::string::npos) << run.stderr_text;
  EXPECT_EQ(run.stderr_text.find("is running"), std::string::npos) << "announced nonetheless";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace anteroom
