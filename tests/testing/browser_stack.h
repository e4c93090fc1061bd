#pragma once

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/program.h"
#include "gtest/gtest.h"
#include "tests/testing/daemon.h"
#include "tests/testing/nginx_stack.h"
#include "tests/testing/webdriver.h"

namespace anteroom::testing {

// A test fixture for end-to-end tests in a browser: the waiting room in front of a site as
// deploy/nginx/ ships it (NginxStack), chromedriver, and headless Chromium browsers. At the
// end every browser closes, chromedriver and the stack stop the way each expects, and a
// failure prints their logs and keeps the directory (logs, profiles) for a look.
class BrowserStackTest : public ::testing::Test {
 protected:
  // Starts the stack and chromedriver; screenshots go to `screenshots` (created).
  void StartStack(const NginxStack::Options& options, const std::string& screenshots) {
    base::PromptGrpcReconnects();
    screenshots_ = screenshots;
    std::filesystem::create_directories(screenshots_);
    auto stack = NginxStack::Start(options);
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    port_ = stack_->port();
    dir_ = stack_->dir();
    auto driver = StartChromedriver(dir_ + "/chromedriver.log", &driver_port_);
    ASSERT_TRUE(driver.ok()) << driver.status();
    driver_ = *std::move(driver);
  }

  void TearDown() override {
    const bool failed = HasFailure();
    if (failed && stack_) {
      std::cerr << stack_->Logs() << "---- chromedriver.log\n"
                << ReadFile(dir_ + "/chromedriver.log").substr(0, 4000) << "\n";
    }
    browsers_.clear();  // each closes its Chromium
    if (driver_) {
      if (absl::Status s = driver_->Stop(); !s.ok()) ADD_FAILURE() << s;
    }
    if (stack_) {
      if (absl::Status s = stack_->Stop(/*keep=*/failed); !s.ok()) ADD_FAILURE() << s;
    }
  }

  // A browser with its own profile (`name`), kept until the test ends; null (and a
  // failure) when it cannot start.
  Browser* OpenBrowser(const std::string& name, Browser::Options options = {}) {
    options.user_data_dir = dir_ + "/profile-" + name;
    auto browser = Browser::Open(driver_port_, options);
    EXPECT_TRUE(browser.ok()) << browser.status();
    if (!browser.ok()) return nullptr;
    browsers_.push_back(*std::move(browser));
    return browsers_.back().get();
  }

  // The browser's title once it starts with `want` (a newcomer's first page is the cookie
  // check, which reloads itself within a second), or what it is after 15 s.
  static std::string TitleOnceItIs(Browser& browser, const std::string& want) {
    std::string title;
    WaitUntil(
        [&] {
          title = browser.Title().value_or("");
          return absl::StartsWith(title, want);
        },
        absl::Seconds(15));
    return title;
  }

  // Saves what `browser` shows as <screenshots>/<name>.
  void Screenshot(Browser& browser, const std::string& name) {
    const std::string path = absl::StrCat(screenshots_, "/", name);
    ASSERT_TRUE(browser.Screenshot(path).ok());
    EXPECT_GT(std::filesystem::file_size(path), 10000u);
    std::cout << "screenshot: " << path << "\n";
  }

  // http://<host>:<the site's port><path>.
  std::string Url(const std::string& path = "/", const std::string& host = "127.0.0.1") const {
    return absl::StrCat("http://", host, ":", port_, path);
  }

  std::unique_ptr<NginxStack> stack_;
  std::string dir_;
  int port_ = 0;

 private:
  std::string screenshots_;
  int driver_port_ = 0;
  std::unique_ptr<Process> driver_;
  std::vector<std::unique_ptr<Browser>> browsers_;
};

}  // namespace anteroom::testing
