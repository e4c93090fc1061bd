#include "tests/testing/webdriver.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "httplib.h"

namespace anteroom::testing {
namespace {

std::string Quote(const std::string& s) {
  google::protobuf::Value v;
  v.set_string_value(s);
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(v, &out);
  return out;
}

}  // namespace

Browser::Browser(std::unique_ptr<httplib::Client> http, std::string session)
    : http_(std::move(http)), session_(std::move(session)) {}

absl::StatusOr<std::unique_ptr<Process>> StartChromedriver(const std::string& log_path, int* port) {
  for (const char* tool : {"/usr/bin/chromedriver", "/usr/bin/chromium"}) {
    if (!std::filesystem::exists(tool))
      return absl::NotFoundError(absl::StrCat(tool, " is missing: run .ci/install-deps"));
  }
  // chromedriver is told its port: one taken meanwhile makes it exit, and it starts again on
  // another.
  return WithFreshPorts<std::unique_ptr<Process>>(
      [&]() -> absl::StatusOr<std::unique_ptr<Process>> {
        *port = FreeLoopbackPort();
        auto driver =
            Process::Start("/usr/bin/chromedriver", {absl::StrCat("--port=", *port)}, log_path);
        if (!driver.ok()) return driver.status();
        const int p = *port;
        absl::Status serving = WaitServing(
            **driver, "chromedriver", log_path,
            [p] {
              httplib::Client c("127.0.0.1", p);
              c.set_connection_timeout(1, 0);
              auto r = c.Get("/status");
              // chromedriver's own answer, not that of whoever else holds the port.
              return r && r->status == 200 && absl::StrContains(r->body, "\"ready\"");
            },
            absl::Seconds(30));
        if (!serving.ok()) return serving;
        return driver;
      });
}

Browser::~Browser() { (void)Command("DELETE", ""); }

absl::StatusOr<std::unique_ptr<Browser>> Browser::Open(int port, const Options& options) {
  auto http = std::make_unique<httplib::Client>("127.0.0.1", port);
  http->set_read_timeout(60, 0);
  // Flags for a closed network: no background connections, no first-run or sync.
  std::vector<std::string> args = {
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
      absl::StrCat("--window-size=", std::max(options.width, 500), ",", options.height),
      absl::StrCat("--user-data-dir=", options.user_data_dir)};
  if (!options.host_resolver_rules.empty())
    args.push_back(absl::StrCat("--host-resolver-rules=", options.host_resolver_rules));
  std::string arg_list;
  for (const auto& a : args) absl::StrAppend(&arg_list, arg_list.empty() ? "" : ",", Quote(a));
  std::string prefs;
  if (!options.javascript)
    absl::StrAppend(&prefs, R"("profile.managed_default_content_settings.javascript":2)");
  if (!options.accept_language.empty()) {
    absl::StrAppend(&prefs, prefs.empty() ? "" : ",", R"("intl.accept_languages":)",
                    Quote(options.accept_language));
  }
  prefs = absl::StrCat("{", prefs, "}");
  std::string emulation;
  if (options.width < 500) {
    emulation = absl::StrCat(R"(,"mobileEmulation":{"deviceMetrics":{"width":)", options.width,
                             R"(,"height":)", options.height, R"(,"pixelRatio":2,"touch":true}})");
  }
  const std::string body = absl::StrCat(
      R"({"capabilities":{"alwaysMatch":{"browserName":"chrome","goog:chromeOptions":{"binary":"/usr/bin/chromium","args":[)",
      arg_list, R"(],"prefs":)", prefs, emulation, "}}}}");
  auto res = http->Post("/session", body, "application/json");
  if (!res) return absl::UnavailableError("chromedriver did not answer POST /session");
  google::protobuf::Value reply;
  if (!google::protobuf::util::JsonStringToMessage(res->body, &reply).ok())
    return absl::InternalError(absl::StrCat("chromedriver: ", res->body));
  const auto& top = reply.struct_value().fields();
  if (res->status != 200 || !top.contains("value") ||
      !top.at("value").struct_value().fields().contains("sessionId"))
    return absl::UnavailableError(absl::StrCat("cannot start Chromium: ", res->body));
  return std::unique_ptr<Browser>(new Browser(
      std::move(http), top.at("value").struct_value().fields().at("sessionId").string_value()));
}

absl::StatusOr<google::protobuf::Value> Browser::Command(const std::string& method,
                                                         const std::string& path,
                                                         const std::string& body) {
  const std::string url = absl::StrCat("/session/", session_, path);
  httplib::Result res = method == "GET" ? http_->Get(url)
                        : method == "POST"
                            ? http_->Post(url, body.empty() ? "{}" : body, "application/json")
                            : http_->Delete(url);
  if (!res)
    return absl::UnavailableError(absl::StrCat("chromedriver: no answer to ", method, " ", path));
  google::protobuf::Value reply;
  if (!google::protobuf::util::JsonStringToMessage(res->body, &reply).ok())
    return absl::InternalError(
        absl::StrCat("chromedriver: unparsable reply: ", res->body.substr(0, 200)));
  if (res->status != 200)
    return absl::InternalError(
        absl::StrCat("chromedriver ", method, " ", path, ": ", res->body.substr(0, 500)));
  if (!reply.struct_value().fields().contains("value"))
    return absl::InternalError(
        absl::StrCat("chromedriver: no value in ", res->body.substr(0, 200)));
  return reply.struct_value().fields().at("value");
}

absl::Status Browser::Navigate(const std::string& url) {
  return Command("POST", "/url", absl::StrCat(R"({"url":)", Quote(url), "}")).status();
}

absl::StatusOr<std::string> Browser::Title() {
  auto v = Command("GET", "/title");
  if (!v.ok()) return v.status();
  return v->string_value();
}

absl::StatusOr<std::string> Browser::Source() {
  auto v = Command("GET", "/source");
  if (!v.ok()) return v.status();
  return v->string_value();
}

absl::StatusOr<std::string> Browser::CurrentUrl() {
  auto v = Command("GET", "/url");
  if (!v.ok()) return v.status();
  return v->string_value();
}

absl::StatusOr<std::string> Browser::Element(const std::string& css) {
  auto found = Command("POST", "/element",
                       absl::StrCat(R"({"using":"css selector","value":)", Quote(css), "}"));
  if (!found.ok()) return found.status();
  const auto& fields = found->struct_value().fields();
  if (fields.empty()) return absl::NotFoundError(absl::StrCat("no element ", css));
  return fields.begin()->second.string_value();
}

absl::Status Browser::Click(const std::string& css) {
  auto id = Element(css);
  if (!id.ok()) return id.status();
  return Command("POST", absl::StrCat("/element/", *id, "/click")).status();
}

absl::StatusOr<std::string> Browser::VisibleText() {
  auto id = Element("body");
  if (!id.ok()) return id.status();
  auto v = Command("GET", absl::StrCat("/element/", *id, "/text"));
  if (!v.ok()) return v.status();
  return v->string_value();
}

absl::Status Browser::Screenshot(const std::string& path) {
  auto v = Command("GET", "/screenshot");
  if (!v.ok()) return v.status();
  std::string png;
  if (!absl::Base64Unescape(v->string_value(), &png))
    return absl::InternalError("screenshot is not base64");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << png;
  return out ? absl::OkStatus() : absl::UnavailableError(absl::StrCat("cannot write ", path));
}

absl::StatusOr<std::string> Browser::Evaluate(const std::string& script) {
  auto v = Command("POST", "/execute/sync",
                   absl::StrCat(R"({"script":)", Quote(script), R"(,"args":[]})"));
  if (!v.ok()) return v.status();
  if (v->kind_case() == google::protobuf::Value::kStringValue) return v->string_value();
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(*v, &json).ok())
    return absl::InternalError("unprintable script result");
  return json;
}

absl::StatusOr<std::string> Browser::Cookie(const std::string& name) {
  auto v = Command("GET", absl::StrCat("/cookie/", name));
  if (!v.ok())
    return absl::NotFoundError(absl::StrCat("no cookie ", name, ": ", v.status().message()));
  const auto& fields = v->struct_value().fields();
  if (!fields.contains("value")) return absl::NotFoundError(absl::StrCat("no cookie ", name));
  return fields.at("value").string_value();
}

}  // namespace anteroom::testing
