#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"
#include "tests/testing/daemon.h"

namespace httplib {
class Client;
}

namespace anteroom::testing {

// Starts Debian's chromedriver on a free loopback port (set in `port`), its output going to
// `log_path`, and waits until it answers. NOT_FOUND when chromedriver or Chromium is missing.
absl::StatusOr<std::unique_ptr<Process>> StartChromedriver(const std::string& log_path, int* port);

// A W3C WebDriver client for a chromedriver on loopback, enough to drive headless Chromium
// through a page: navigate, read the title and source, click, take screenshots, cookies.
class Browser {
 public:
  struct Options {
    bool javascript = true;
    std::string user_data_dir;  // a fresh empty directory per browser
    // The browser's languages, as its Accept-Language ("ko-KR,ko"). Empty: Chromium's.
    std::string accept_language;
    // Host names mapped to loopback (Chromium's --host-resolver-rules, e.g.
    // "MAP *.example 127.0.0.1"), so a test can visit several sites by name without DNS.
    std::string host_resolver_rules;
    // The viewport's size in CSS pixels. Narrower than a desktop window can be (500), the
    // browser emulates a phone of that size (360 x 740: a common small phone).
    int width = 1024;
    int height = 900;
  };
  // Opens a new Chromium (Debian's /usr/bin/chromium) through the chromedriver at `port`.
  static absl::StatusOr<std::unique_ptr<Browser>> Open(int chromedriver_port,
                                                       const Options& options);
  ~Browser();  // closes the browser

  absl::Status Navigate(const std::string& url);
  absl::StatusOr<std::string> Title();
  absl::StatusOr<std::string> Source();
  absl::StatusOr<std::string> CurrentUrl();
  // Clicks the element matching the CSS selector.
  absl::Status Click(const std::string& css);
  // Saves a PNG of the viewport.
  absl::Status Screenshot(const std::string& path);
  // The text of the page as a visitor sees it (document.body.innerText: what is shown,
  // without markup or hidden parts).
  absl::StatusOr<std::string> VisibleText();
  // Runs `script` (a function body: `return ...;`) in the page; what it returns, as a string
  // (a script that returns something else gets it JSON-encoded).
  absl::StatusOr<std::string> Evaluate(const std::string& script);
  // The value of the named cookie (HttpOnly ones included), or NOT_FOUND.
  absl::StatusOr<std::string> Cookie(const std::string& name);

 private:
  Browser(std::unique_ptr<httplib::Client> http, std::string session);
  // The WebDriver id of the first element matching the CSS selector.
  absl::StatusOr<std::string> Element(const std::string& css);
  // Sends a command; returns the response's "value".
  absl::StatusOr<google::protobuf::Value> Command(const std::string& method,
                                                  const std::string& path,
                                                  const std::string& body = "");

  std::unique_ptr<httplib::Client> http_;
  std::string session_;
};

}  // namespace anteroom::testing
