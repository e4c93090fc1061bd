#include "client/gate/gate.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/log.h"
#include "wire/token.h"

namespace anteroom::gate {
namespace {

absl::Duration ToDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

bool WantsJson(const HttpRequest& request) {
  return absl::StrContains(absl::AsciiStrToLower(request.Header("accept")), "application/json");
}

// The cookie's value for `name` in a Cookie header, or "".
std::string CookieValue(absl::string_view header, absl::string_view name) {
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) {
      return std::string(part);
    }
  }
  return "";
}

// Only same-site paths ("/x", not "//host" or "http://"), so ?next= cannot send visitors
// elsewhere.
bool IsLocalPath(absl::string_view path) {
  return absl::StartsWith(path, "/") && !absl::StartsWith(path, "//") &&
         !absl::StartsWith(path, "/\\") &&
         std::none_of(path.begin(), path.end(), [](char c) { return c < 0x21 || c == 0x7f; });
}

// The visitor's cookie for a room: "<token>" or "<ticket>~<position first seen>".
struct VisitorCookie {
  std::string token;
  uint64_t start_position = 0;  // 0: not recorded
};

VisitorCookie ReadCookie(const HttpRequest& request, absl::string_view name) {
  const std::string value = CookieValue(request.Header("cookie"), name);
  const size_t tilde = value.find('~');
  VisitorCookie cookie;
  cookie.token = value.substr(0, tilde);
  if (tilde != std::string::npos &&
      !absl::SimpleAtoi(value.substr(tilde + 1), &cookie.start_position))
    cookie.start_position = 0;
  return cookie;
}

constexpr absl::string_view kEndpoints[] = {"check", "wait", "leave", "healthz", "other"};
constexpr absl::string_view kDecisions[] = {
    "pass",       "wait",         "prequeue", "full",      "unavailable",   "fail_open", "error",
    "not_placed", "cookie_check", "busy",     "challenge", "entry_refused", "suspended"};

// A newcomer's visitor id, and the signed cookie value that carries it: "v.<id>.<tag>".
constexpr absl::string_view kVisitorPrefix = "v.";

std::string VisitorMessage(absl::string_view room, absl::string_view id) {
  return absl::StrCat("visitor:", room, ":", id);
}

// The visitor id in `value` if this gate (its keys) signed it for `room`, else "".
std::string SignedVisitorId(const wire::Signer& signer, absl::string_view room,
                            absl::string_view value) {
  if (!absl::ConsumePrefix(&value, kVisitorPrefix)) return "";
  const size_t dot = value.find('.');
  if (dot == absl::string_view::npos) return "";
  const absl::string_view id = value.substr(0, dot);
  if (id.empty() || !signer.Verify(VisitorMessage(room, id), value.substr(dot + 1))) return "";
  return std::string(id);
}

// Whether a response to this request can show the waiting page to someone: a page load
// (document or frame), a script's fetch (an app's JSON call), or a client that does not say
// (no Sec-Fetch-Dest: native apps, curl). Images, scripts, styles, fonts (a favicon the
// browser fetches by itself) and HEAD cannot; they must not take places in line.
bool CanShowPage(const HttpRequest& request) {
  // nginx's auth subrequest is a GET whatever the visitor sent; the snippet passes the
  // visitor's method on.
  const std::string method = request.Header("x-anteroom-method");
  if ((method.empty() ? request.method : method) == "HEAD") return false;
  const std::string dest = absl::AsciiStrToLower(request.Header("sec-fetch-dest"));
  return dest.empty() || dest == "document" || dest == "iframe" || dest == "frame" ||
         dest == "empty";
}

// A solved proof of work, from the X-Anteroom-Solution header (apps) or the room's solution
// cookie (the waiting page's solver): "<salt>.<challenge>.<signature>.<number>". Anteroom
// checks it; here only its shape.
std::optional<v1::Solution> ReadSolution(const HttpRequest& request, absl::string_view cookie) {
  std::string text = request.Header("x-anteroom-solution");
  if (text.empty()) text = CookieValue(request.Header("cookie"), cookie);
  if (text.empty()) return std::nullopt;
  std::vector<std::string> parts = absl::StrSplit(text, '.');
  v1::Solution solution;
  uint64_t number = 0;
  // Fields as Anteroom bounds them (a longer one could only be refused).
  if (parts.size() != 4 || !absl::SimpleAtoi(parts[3], &number) ||
      std::any_of(parts.begin(), parts.begin() + 3,
                  [](const std::string& p) { return p.size() > 128; })) {
    return std::nullopt;
  }
  solution.set_algorithm("SHA-256");
  solution.set_salt(std::move(parts[0]));
  solution.set_challenge(std::move(parts[1]));
  solution.set_signature(std::move(parts[2]));
  solution.set_number(number);
  return solution;
}

// The cookie that remembers a language the visitor picked with ?lang=: "anteroom-…", a
// prefix no room's own cookie ("anteroom_<room>") can have.
constexpr absl::string_view kLanguageCookie = "anteroom-lang";

// ?lang= of the gate's own request, else of the visitor's (X-Original-URI); "" when absent
// or not shaped like a language tag.
std::string LanguageParameter(const HttpRequest& request) {
  std::string value;
  if (auto it = request.query.find("lang"); it != request.query.end()) {
    value = it->second;
  } else {
    const std::string original = request.Header("x-original-uri");
    const size_t question = original.find('?');
    if (question == std::string::npos) return "";
    for (absl::string_view pair :
         absl::StrSplit(absl::string_view(original).substr(question + 1), '&')) {
      if (absl::ConsumePrefix(&pair, "lang=")) value = std::string(pair);
    }
  }
  const bool tag_like =
      !value.empty() && value.size() <= 35 && std::all_of(value.begin(), value.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '-' || c == '_';
      });
  return tag_like ? value : "";
}

HttpResponse PlainText(int status, absl::string_view text) {
  HttpResponse response;
  response.status = status;
  response.body = absl::StrCat(text, "\n");
  response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  return response;
}

// A key of this gate's alone, for when none is configured.
std::shared_ptr<const wire::Signer> RandomSigner(base::RandomSource* random) {
  uint8_t bytes[32];
  random->Fill(bytes, sizeof(bytes));
  const std::string key =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), 32));
  return std::make_shared<const wire::Signer>(*wire::Signer::FromKeys({key}));
}

}  // namespace

std::string HttpRequest::Header(absl::string_view name) const {
  auto it = headers.find(absl::AsciiStrToLower(name));
  return it == headers.end() ? "" : it->second;
}

std::string HttpResponse::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers)
    if (absl::EqualsIgnoreCase(k, name)) return v;
  return "";
}

absl::Status ValidateGateOptions(const GateOptions& o) {
  if (!o.default_room.empty()) {
    if (auto s = wire::ValidateRoomId(o.default_room, "room"); !s.ok()) return s;
  }
  if (o.cookie_same_site != "Lax" && o.cookie_same_site != "Strict" &&
      o.cookie_same_site != "None") {
    return absl::InvalidArgumentError("cookie_same_site must be Lax, Strict or None");
  }
  if (o.cookie_secure != "auto" && o.cookie_secure != "always" && o.cookie_secure != "never") {
    return absl::InvalidArgumentError("cookie_secure must be auto, always or never");
  }
  if (o.cookie_same_site == "None" && o.cookie_secure == "never") {
    return absl::InvalidArgumentError(
        "cookie_same_site=None needs Secure cookies (browsers drop the cookie otherwise)");
  }
  if (o.min_refresh < absl::Seconds(1) || o.max_refresh < o.min_refresh) {
    return absl::InvalidArgumentError("refresh bounds: need 1s <= min_refresh <= max_refresh");
  }
  if (o.retry_after < absl::Seconds(1))
    return absl::InvalidArgumentError("retry_after must be at least 1s");
  if (o.source_prefix_v4 < 8 || o.source_prefix_v4 > 32)
    return absl::InvalidArgumentError("source_prefix_v4 must be between 8 and 32");
  if (o.source_prefix_v6 < 16 || o.source_prefix_v6 > 128)
    return absl::InvalidArgumentError("source_prefix_v6 must be between 16 and 128");
  // The route the flags make is checked as a routes file's would be.
  auto single = RouteTable::Single(RouteDefaultsOf(o), o.default_room,
                                   o.catalogs ? *o.catalogs : *Catalogs::Builtin());
  return single.status();
}

std::string EncodeHandoff(const PageState& p) {
  std::string out =
      absl::StrCat("state=", KindName(p.kind), "&position=", p.position,
                   "&start=", p.start_position, "&wait=", absl::ToInt64Seconds(p.estimated_wait),
                   "&wait_max=", absl::ToInt64Seconds(p.estimated_wait_max),
                   "&refresh=", absl::ToInt64Seconds(p.refresh_after));
  if (p.wait_unknown) absl::StrAppend(&out, "&unknown=1");
  if (p.event_starts_at != absl::InfinitePast())
    absl::StrAppend(&out, "&event=", absl::ToUnixSeconds(p.event_starts_at));
  if (!p.reason.empty()) absl::StrAppend(&out, "&reason=", absl::WebSafeBase64Escape(p.reason));
  if (p.kind == PageState::Kind::kChallenge) {
    absl::StrAppend(&out, "&salt=", absl::WebSafeBase64Escape(p.challenge.salt),
                    "&challenge=", absl::WebSafeBase64Escape(p.challenge.challenge),
                    "&signature=", absl::WebSafeBase64Escape(p.challenge.signature),
                    "&max=", p.challenge.max_number);
  }
  return out;
}

std::optional<PageState> DecodeHandoff(absl::string_view text) {
  if (text.empty()) return std::nullopt;
  PageState p;
  bool has_state = false;
  for (absl::string_view pair : absl::StrSplit(text, '&')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    const std::string& value = kv.second;
    int64_t n = 0;
    const bool numeric = absl::SimpleAtoi(value, &n) && n >= 0;
    if (kv.first == "state") {
      has_state = true;
      if (value == "waiting")
        p.kind = PageState::Kind::kWaiting;
      else if (value == "prequeue")
        p.kind = PageState::Kind::kPrequeue;
      else if (value == "full")
        p.kind = PageState::Kind::kFull;
      else if (value == "unavailable")
        p.kind = PageState::Kind::kUnavailable;
      else if (value == "not_placed")
        p.kind = PageState::Kind::kNotPlaced;
      else if (value == "cookie_check")
        p.kind = PageState::Kind::kCookieCheck;
      else if (value == "busy")
        p.kind = PageState::Kind::kBusy;
      else if (value == "challenge")
        p.kind = PageState::Kind::kChallenge;
      else
        return std::nullopt;
    } else if (kv.first == "reason") {
      if (!absl::WebSafeBase64Unescape(value, &p.reason)) return std::nullopt;
    } else if (kv.first == "salt" || kv.first == "challenge" || kv.first == "signature") {
      std::string* field = kv.first == "salt"        ? &p.challenge.salt
                           : kv.first == "challenge" ? &p.challenge.challenge
                                                     : &p.challenge.signature;
      if (!absl::WebSafeBase64Unescape(value, field)) return std::nullopt;
    } else if (!numeric) {
      return std::nullopt;
    } else if (kv.first == "position") {
      p.position = n;
    } else if (kv.first == "start") {
      p.start_position = n;
    } else if (kv.first == "wait") {
      p.estimated_wait = absl::Seconds(n);
    } else if (kv.first == "wait_max") {
      p.estimated_wait_max = absl::Seconds(n);
    } else if (kv.first == "refresh") {
      p.refresh_after = absl::Seconds(n);
    } else if (kv.first == "unknown") {
      p.wait_unknown = n != 0;
    } else if (kv.first == "event") {
      p.event_starts_at = absl::FromUnixSeconds(n);
    } else if (kv.first == "max") {
      p.challenge.max_number = static_cast<uint64_t>(n);
    }
  }
  if (!has_state) return std::nullopt;
  return p;
}

Gate::Gate(GateOptions options, client::Client* client, base::Clock* clock,
           base::RandomSource* random, prometheus::Registry* registry)
    : options_(std::move(options)),
      client_(client),
      clock_(clock),
      random_(random),
      signer_(options_.signer ? options_.signer : RandomSigner(random)),
      errors_(prometheus::BuildCounter()
                  .Name("anteroom_gate_anteroom_errors_total")
                  .Help("Calls to Anteroom that failed, by gRPC code (after retries)")
                  .Register(*registry)) {
  config_.catalogs = options_.catalogs ? options_.catalogs : Catalogs::Builtin();
  if (options_.routes) {
    config_.routes = options_.routes;
  } else {
    // ValidateGateOptions checked what could fail here.
    auto single =
        RouteTable::Single(RouteDefaultsOf(options_), options_.default_room, *config_.catalogs);
    if (!single.ok()) {
      ANTEROOM_LOG(kError, "gate: %s", single.status().ToString());
      abort();
    }
    config_.routes = *std::move(single);
  }
  // Decision and latency series made up front: answering a request only increments.
  auto& decisions = prometheus::BuildCounter()
                        .Name("anteroom_gate_decisions_total")
                        .Help(
                            "Requests decided, by outcome: pass, wait, prequeue, full, "
                            "unavailable (unreachable, failed closed), fail_open (unreachable, "
                            "let through unchecked), error (Anteroom refused: misconfiguration), "
                            "not_placed, cookie_check, busy (Anteroom shed the call: overloaded), "
                            "challenge (a proof of work to solve before a place is given), "
                            "entry_refused (an entry token Anteroom refused: placed without it), "
                            "suspended (the route is suspended: let through, nothing asked)")
                        .Register(*registry);
  for (absl::string_view d : kDecisions)
    decisions_[d] = &decisions.Add({{"decision", std::string(d)}});
  auto& latency = prometheus::BuildHistogram()
                      .Name("anteroom_gate_request_duration_seconds")
                      .Help("Time to answer an HTTP request, by endpoint")
                      .Register(*registry);
  for (absl::string_view e : kEndpoints) {
    latency_[e] =
        &latency.Add({{"endpoint", std::string(e)}},
                     prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                             0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
  }
}

void Gate::Count(absl::string_view decision) { decisions_.at(decision)->Increment(); }

void Gate::CountError(const absl::Status& status) {
  errors_.Add({{"code", absl::StatusCodeToString(status.code())}}).Increment();
}

HttpResponse Gate::Handle(const HttpRequest& request) {
  base::Stopwatch watch;
  const Config config = CurrentConfig();
  HttpResponse response;
  absl::string_view endpoint = "other";
  if (request.path == "/healthz") {
    endpoint = "healthz";
    response.body = "ok\n";
    response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  } else if (request.path != "/check" && request.path != "/wait" && request.path != "/leave") {
    response = PlainText(404, "not found: the gate serves /check, /wait, /leave and /healthz");
  } else {
    endpoint = absl::string_view(request.path).substr(1);
    std::optional<Target> target = Resolve(request, config, &response);
    if (!target) {
      // `response` says why.
    } else if (target->route->suspended && request.path != "/leave") {
      // Everyone passes, unseen by the room.
      Count("suspended");
      if (request.path == "/check") {
        response.status = 204;
      } else {
        const std::string original = request.Header("x-original-uri");
        response.status = 303;
        response.headers.emplace_back("Location", IsLocalPath(original) ? original : "/");
        response.headers.emplace_back("Cache-Control", "no-store");
      }
    } else if (request.path == "/check") {
      response = Check(request, *target);
    } else if (request.path == "/wait") {
      response = Wait(request, *target);
    } else {
      response = LeaveVisit(request, *target);
    }
  }
  latency_.at(endpoint)->Observe(watch.ElapsedSeconds());
  return response;
}

std::optional<Gate::Target> Gate::Resolve(const HttpRequest& request, const Config& config,
                                          HttpResponse* error) const {
  std::string host = request.Header("x-anteroom-host");
  if (host.empty()) host = request.Header("host");
  std::string original = request.Header("x-original-uri");
  if (original.empty()) original = "/";
  std::string header_room = request.Header("x-anteroom-room");
  const Route* route = nullptr;
  if (request.path == "/leave") {
    // Ending a visit of one of the host's rooms: the one ?room= names, else the one whose
    // cookie the visitor holds (the leave address is no room's path).
    auto named = request.query.find("room");
    if (named != request.query.end()) {
      route = config.routes->ForRoom(host, named->second);
      if (route == nullptr) {
        *error = PlainText(404, absl::StrCat("no route of host \"", host, "\" has the room \"",
                                             named->second, "\""));
        return std::nullopt;
      }
      if (route->room.empty() && header_room.empty()) header_room = named->second;
    } else if (header_room.empty()) {
      const std::string cookies = request.Header("cookie");
      std::vector<const Route*> held;
      for (const Route* r : config.routes->ForHost(host)) {
        if (!r->room.empty() &&
            !CookieValue(cookies, CookieName(Target{r, r->room, nullptr})).empty() &&
            std::none_of(held.begin(), held.end(),
                         [&](const Route* h) { return h->room == r->room; }))
          held.push_back(r);
      }
      if (held.size() > 1) {
        *error = PlainText(400, absl::StrCat("the visitor holds places in ", held.size(),
                                             " rooms of this host: name one with ?room="));
        return std::nullopt;
      }
      if (held.size() == 1) route = held[0];
    }
  }
  if (route == nullptr) {
    absl::StatusOr<const Route*> matched = config.routes->Match(host, original);
    if (!matched.ok()) {
      *error = PlainText(400, matched.status().message());
      return std::nullopt;
    }
    route = *matched;
  }
  if (route == nullptr) {
    // nginx sends the gate a request no route covers: a configuration error, shown as one
    // (nginx answers 500) rather than guessed at.
    const std::string path = CanonicalPath(original);
    ANTEROOM_LOG(kWarning, "gate: no route serves host \"%s\", path \"%s\"", host, path);
    *error = PlainText(404, absl::StrCat("no route serves host \"", host, "\", path \"", path,
                                         "\" (see the gate's --routes)"));
    return std::nullopt;
  }
  std::string room = header_room.empty() ? route->room : header_room;
  if (auto valid =
          wire::ValidateRoomId(room, "X-Anteroom-Room header (or --room, or the route's room)");
      !valid.ok()) {
    *error = PlainText(400, valid.message());
    return std::nullopt;
  }
  return Target{route, std::move(room), config.catalogs.get()};
}

Gate::Config Gate::CurrentConfig() const {
  base::MutexLock lock(&config_mu_);
  return config_;
}

void Gate::Reload(std::shared_ptr<const Catalogs> catalogs,
                  std::shared_ptr<const RouteTable> routes) {
  base::MutexLock lock(&config_mu_);
  config_.catalogs = std::move(catalogs);
  config_.routes = std::move(routes);
}

HttpResponse Gate::Check(const HttpRequest& request, const Target& target) {
  Decision d = Decide(request, target);
  HttpResponse response;
  if (!d.set_cookie.empty()) {
    response.headers.emplace_back("Set-Cookie", d.set_cookie);
    // The response that carries a visitor's token must not be stored by a shared cache
    // (which would hand the token to others); nginx adds this to the site's response.
    response.headers.emplace_back("X-Anteroom-Cache-Control", "private, no-store");
  }
  if (d.pass) {
    response.status = 204;
    if (d.failed_open) response.headers.emplace_back("X-Anteroom-Degraded", "fail-open");
    return response;
  }
  response.status = 401;
  response.headers.emplace_back("X-Anteroom-Handoff", EncodeHandoff(d.page));
  return response;
}

HttpResponse Gate::Wait(const HttpRequest& request, const Target& target) {
  const std::string& room = target.room;
  if (auto page = DecodeHandoff(request.Header("x-anteroom-handoff"))) {
    page->room = room;
    if (page->kind == PageState::Kind::kChallenge)
      page->challenge.cookie = SolutionCookieName(room);
    return RenderPage(request, *page, target);
  }
  // Called without nginx's handoff (another proxy, or a client asking directly).
  Decision d = Decide(request, target);
  HttpResponse response;
  if (d.pass) {
    // Their turn: back to where they were going.
    const std::string original = request.Header("x-original-uri");
    response.status = 303;
    response.headers.emplace_back("Location", IsLocalPath(original) ? original : "/");
    response.headers.emplace_back("Cache-Control", "no-store");
  } else {
    response = RenderPage(request, d.page, target);
  }
  if (!d.set_cookie.empty()) response.headers.emplace_back("Set-Cookie", d.set_cookie);
  return response;
}

HttpResponse Gate::LeaveVisit(const HttpRequest& request, const Target& target) {
  const std::string& room = target.room;
  HttpResponse response;
  const bool json = WantsJson(request);
  if (request.method != "POST") {
    // A link followed, or the address typed: ending a visit needs the visitor's say-so (a
    // GET may be a prefetch), so show the button that posts it.
    if (json) {
      response.status = 405;
      response.headers.emplace_back("Allow", "POST");
      response.headers.emplace_back("Cache-Control", "no-store");
      response.headers.emplace_back("Content-Type", "application/json");
      response.body = "{\"error\":\"use POST to end a visit\"}";
      return response;
    }
    PageState page;
    page.kind = PageState::Kind::kConfirmLeave;
    page.room = room;
    return RenderPage(request, page, target);
  }
  const std::string token = ReadCookie(request, CookieName(target)).token;
  bool ended = false;
  if (!token.empty()) {
    absl::StatusOr<bool> left = client_->Leave(token);
    if (left.ok()) {
      ended = *left;
    } else if (client::Client::IsUnreachable(left.status()) ||
               client::Client::IsBusy(left.status())) {
      // Not ended: say so, and keep the cookie so that a retry can end it.
      CountError(left.status());
      response.status = 503;
      response.headers.emplace_back("Retry-After", "5");
      response.headers.emplace_back("Cache-Control", "no-store");
      response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
      response.body = "could not end the visit just now; please try again\n";
      return response;
    }
    // Other errors: a malformed or foreign token; nothing to end.
  }
  const std::string next = request.query.contains("next") ? request.query.at("next") : "";
  if (IsLocalPath(next) && !json) {
    response.status = 303;
    response.headers.emplace_back("Location", next);
    response.headers.emplace_back("Cache-Control", "no-store");
  } else if (json) {
    response.headers.emplace_back("Cache-Control", "no-store");
    response.headers.emplace_back("Content-Type", "application/json");
    response.body = absl::StrCat("{\"state\":\"left\",\"ended\":", ended ? "true" : "false", "}");
  } else {
    PageState page;
    page.kind = PageState::Kind::kLeft;
    page.room = room;
    response = RenderPage(request, page, target);  // sets Cache-Control
  }
  response.headers.emplace_back("Set-Cookie", MakeCookie(request, target, ""));
  return response;
}

Gate::Decision Gate::Decide(const HttpRequest& request, const Target& target) {
  const std::string& room = target.room;
  const VisitorCookie cookie = ReadCookie(request, CookieName(target));
  const std::string& token = cookie.token;
  auto parsed = wire::ParseToken(token);
  if (!parsed || parsed->room != room) return Enter(request, target, token);

  if (parsed->kind == wire::TokenKind::kSession) {
    client::SessionCheck check = client_->CheckSession(token);
    switch (check.result) {
      case client::SessionCheck::Result::kValid: {
        Decision d;
        d.pass = true;
        Count("pass");
        return d;
      }
      case client::SessionCheck::Result::kUnreachable:
      case client::SessionCheck::Result::kBusy:
        return Failed(target, check.status);
      case client::SessionCheck::Result::kEnded:
        return Enter(request, target, "");
    }
  }
  absl::StatusOr<v1::VisitorStatus> status = client_->Poll(token);
  if (!status.ok()) {
    if (client::Client::IsUnreachable(status.status()) || client::Client::IsBusy(status.status())) {
      return Failed(target, status.status());  // the place is kept
    }
    return Enter(request, target, "");  // e.g. the room was deleted and made again
  }
  // An ended token is no newcomer's id: a well-formed but dead token must not buy a place
  // without the cookie check.
  if (status->state() == v1::EXPIRED) return Enter(request, target, "");
  return FromStatus(request, target, *status, cookie.start_position);
}

Gate::Decision Gate::Enter(const HttpRequest& request, const Target& target,
                           const std::string& cookie) {
  const std::string& room = target.room;
  Decision d;
  d.page.room = room;
  if (!CanShowPage(request)) {
    d.page.kind = PageState::Kind::kNotPlaced;
    d.page.refresh_after = options_.retry_after;
    Count("not_placed");
    return d;
  }
  std::string client_id = SignedVisitorId(*signer_, room, cookie);
  const bool returning = !client_id.empty();
  if (!returning) {
    // A fresh, unguessable visitor id: Admit's retries (same id) can never make two places.
    uint8_t bytes[16];
    random_->Fill(bytes, sizeof(bytes));
    client_id = absl::WebSafeBase64Escape(
        absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
    if (options_.cookie_check) {
      // Placed only once the id comes back: however many requests a client fires before
      // then, it holds one place, and a client that keeps no cookie holds none.
      d.page.kind = PageState::Kind::kCookieCheck;
      d.page.refresh_after = absl::Seconds(1);
      d.set_cookie = MakeCookie(request, target, SignedVisitorCookie(room, client_id));
      Count("cookie_check");
      return d;
    }
  }
  const std::string source = NetworkSource(*signer_, request.Header("x-anteroom-client"),
                                           options_.source_prefix_v4, options_.source_prefix_v6);
  const std::optional<v1::Solution> solution = ReadSolution(request, SolutionCookieName(room));
  // An entry token the site gave the visitor (README "Entry tokens").
  std::string entry = request.Header("x-anteroom-entry");
  if (entry.empty()) entry = CookieValue(request.Header("cookie"), EntryCookieName(room));
  absl::StatusOr<v1::VisitorStatus> status =
      client_->Admit(room, client_id, source, solution ? &*solution : nullptr, entry);
  if (!entry.empty() && !status.ok() &&
      absl::StartsWith(status.status().message(), "entry_token")) {
    // Expired, another room's, not signed with Anteroom's keys: the visitor comes in as
    // anyone does.
    ANTEROOM_LOG(kWarning, "gate: entry token refused in room %s: %s", room,
                 status.status().message());
    Count("entry_refused");
    status = client_->Admit(room, client_id, source, solution ? &*solution : nullptr);
  }
  if (!status.ok()) return Failed(target, status.status());
  Decision placed = FromStatus(request, target, *status, /*start_position=*/0);
  if (placed.page.kind == PageState::Kind::kChallenge && !returning) {
    // The challenge is for this visitor id: the solution must come back with it.
    placed.set_cookie = MakeCookie(request, target, SignedVisitorCookie(room, client_id));
  }
  return placed;
}

Gate::Decision Gate::FromStatus(const HttpRequest& request, const Target& target,
                                const v1::VisitorStatus& status, uint64_t start_position) {
  const std::string& room = target.room;
  Decision d;
  d.page.room = room;
  d.page.refresh_after = Refresh(status);
  switch (status.state()) {
    case v1::ADMITTED:
      // This request is the visitor arriving on the site: say so (a room's arrival_ttl
      // would otherwise end the session of someone reading their first page), and cache
      // the session for their next requests.
      client_->CheckSession(status.session());
      d.pass = true;
      d.set_cookie = MakeCookie(request, target, status.session());
      Count("pass");
      return d;
    case v1::QUEUED:
      d.page.kind = PageState::Kind::kWaiting;
      d.page.position = status.position();
      d.page.start_position = start_position ? start_position : status.position();
      d.page.estimated_wait = ToDuration(status.estimated_wait());
      d.page.estimated_wait_max = ToDuration(status.estimated_wait_max());
      d.page.wait_unknown = status.estimated_wait_unknown();
      if (start_position == 0) {
        d.set_cookie =
            MakeCookie(request, target, absl::StrCat(status.ticket(), "~", status.position()));
      }
      Count("wait");
      return d;
    case v1::PRE_QUEUED:
      d.page.kind = PageState::Kind::kPrequeue;
      d.page.event_starts_at = ToTime(status.event_starts_at());
      if (start_position == 0) d.set_cookie = MakeCookie(request, target, status.ticket());
      Count("prequeue");
      return d;
    case v1::CHALLENGED:
      // A newcomer in a room that wants a proof of work first; nothing is held meanwhile.
      d.page.kind = PageState::Kind::kChallenge;
      d.page.challenge.salt = status.challenge().salt();
      d.page.challenge.challenge = status.challenge().challenge();
      d.page.challenge.signature = status.challenge().signature();
      d.page.challenge.max_number = status.challenge().max_number();
      d.page.challenge.cookie = SolutionCookieName(room);
      Count("challenge");
      return d;
    default:
      d.page.kind = PageState::Kind::kFull;
      d.page.reason = status.reason();
      d.page.refresh_after = options_.retry_after;
      d.set_cookie = MakeCookie(request, target, "");
      Count("full");
      return d;
  }
}

Gate::Decision Gate::Failed(const Target& target, const absl::Status& status) {
  const std::string& room = target.room;
  CountError(status);
  Decision d;
  if (client::Client::IsBusy(status)) {
    // Shed under load: neither an outage (no failing open: the load is why the room exists)
    // nor a misconfiguration. Back in a few seconds, spread so the retries do not arrive
    // together; the cookie stays as it is.
    d.page.kind = PageState::Kind::kBusy;
    d.page.room = room;
    d.page.refresh_after = options_.min_refresh + absl::Milliseconds(random_->Uniform(3000));
    Count("busy");
    return d;
  }
  const bool unreachable = client::Client::IsUnreachable(status);
  if (unreachable && client_->failure_mode() == client::FailureMode::kFailOpen) {
    d.pass = true;
    d.failed_open = true;
    Count("fail_open");
    return d;
  }
  if (!unreachable) {
    // Anteroom answered, and the answer is a misconfiguration (most often NOT_FOUND: the
    // room does not exist on the server it routes to). Never fail open on that: the site
    // would be unprotected with nobody noticing.
    ANTEROOM_LOG(kError, "gate: Anteroom refused room %s: %s", room, status.ToString());
  }
  d.page.kind = PageState::Kind::kUnavailable;
  d.page.room = room;
  d.page.refresh_after = options_.retry_after;
  Count(unreachable ? "unavailable" : "error");
  return d;
}

absl::Duration Gate::Refresh(const v1::VisitorStatus& status) const {
  return std::clamp(ToDuration(status.poll_after()), options_.min_refresh, options_.max_refresh);
}

std::string Gate::CookieName(const Target& target) const {
  const std::string& suffix = target.route->cookie_suffix;
  // '.' is in no room id: no room's name with a suffix is another room's name.
  return absl::StrCat("anteroom_", target.room, suffix.empty() ? "" : ".", suffix);
}

std::string Gate::SignedVisitorCookie(const std::string& room, const std::string& client_id) const {
  return absl::StrCat(kVisitorPrefix, client_id, ".",
                      signer_->Sign(VisitorMessage(room, client_id)));
}

// "anteroom-…_<room>": a prefix no room's own cookie ("anteroom_<room>") can have, though
// room names may hold '_'.
std::string Gate::EntryCookieName(const std::string& room) const {
  return absl::StrCat("anteroom-entry_", room);
}

std::string Gate::SolutionCookieName(const std::string& room) const {
  return absl::StrCat("anteroom-pow_", room);
}

RouteDefaults RouteDefaultsOf(const GateOptions& options) {
  RouteDefaults defaults;
  defaults.site_name = options.site_name;
  defaults.page = options.page;
  defaults.default_language = options.default_language;
  defaults.time_zone = options.time_zone;
  defaults.queued_status = options.queued_status;
  return defaults;
}

std::string NetworkSource(const wire::Signer& signer, const std::string& address, int v4_bits,
                          int v6_bits) {
  uint8_t bytes[16] = {};
  int bits = 0;
  if (inet_pton(AF_INET, address.c_str(), bytes) == 1) {
    bits = v4_bits;
  } else if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
    static constexpr uint8_t kMappedV4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(bytes, kMappedV4, sizeof(kMappedV4)) == 0) {  // ::ffff:a.b.c.d
      std::memmove(bytes, bytes + 12, 4);
      std::memset(bytes + 4, 0, 12);
      bits = v4_bits;
    } else {
      bits = v6_bits;
    }
  } else {
    return "";  // no address (or not one): no per-source limit applies
  }
  // The network: the first `bits` bits, the rest zero.
  for (int i = 0; i < 16; ++i) {
    const int keep = std::clamp(bits - 8 * i, 0, 8);
    bytes[i] &= static_cast<uint8_t>(0xff00 >> keep);
  }
  return signer.Sign(absl::StrCat(
      "source:", bits, ":",
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), 16))));
}

std::string Gate::MakeCookie(const HttpRequest& request, const Target& target,
                             const std::string& value) const {
  std::string cookie = absl::StrCat(CookieName(target), "=", value, CookieAttributes(request));
  if (value.empty()) cookie += "; Max-Age=0";
  return cookie;
}

std::string Gate::CookieAttributes(const HttpRequest& request) const {
  const bool tls = absl::EqualsIgnoreCase(request.Header("x-forwarded-proto"), "https");
  const bool secure = options_.cookie_secure == "always" || options_.cookie_same_site == "None" ||
                      (options_.cookie_secure == "auto" && tls);
  return absl::StrCat("; Path=/; HttpOnly; SameSite=", options_.cookie_same_site,
                      secure ? "; Secure" : "");
}

HttpResponse Gate::RenderPage(const HttpRequest& request, const PageState& page,
                              const Target& target) {
  using K = PageState::Kind;
  const Route& route = *target.route;
  const Catalogs& catalogs = *target.catalogs;
  // The visitor's language: one they picked (?lang=, then the cookie that remembers it),
  // else their browser's, else the route's.
  std::string chosen = LanguageParameter(request);
  const bool picked = !chosen.empty();
  if (!picked) chosen = CookieValue(request.Header("cookie"), kLanguageCookie);
  const Language* fallback = catalogs.Find(route.default_language);
  const Language& language = catalogs.Choose(chosen, request.Header("accept-language"),
                                             fallback ? *fallback : catalogs.English());
  PageContext context;
  context.site_name = route.site_name;
  context.language = &language;
  context.time_zone = route.time_zone;
  context.now = clock_->Now();

  HttpResponse response;
  const bool busy = page.kind == K::kFull || page.kind == K::kUnavailable ||
                    page.kind == K::kNotPlaced || page.kind == K::kBusy;
  const bool queued = page.kind == K::kWaiting || page.kind == K::kPrequeue ||
                      page.kind == K::kCookieCheck || page.kind == K::kChallenge;
  response.status = busy ? 503 : queued ? route.queued_status : 200;
  const int64_t refresh = std::max<int64_t>(1, absl::ToInt64Seconds(page.refresh_after));
  // 503, and a 429 while in line: clients and crawlers that honour either come back when the
  // page would have reloaded, not at once.
  if (busy || response.status == 429)
    response.headers.emplace_back("Retry-After", absl::StrCat(refresh));
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Anteroom-State", std::string(KindName(page.kind)));
  response.headers.emplace_back("Content-Language", language.tag());
  if (picked && catalogs.Match(chosen) != nullptr) {
    response.headers.emplace_back(
        "Set-Cookie", absl::StrCat(kLanguageCookie, "=", language.tag(), CookieAttributes(request),
                                   "; Max-Age=31536000"));
  }
  if (page.kind == K::kNotPlaced && !WantsJson(request)) {
    // Nobody sees this (an image, a script, HEAD): no page, and no place taken.
    response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    response.body = absl::StrCat(language.Format("not_placed.text", MessageArgs()), "\n");
  } else if (WantsJson(request)) {
    response.headers.emplace_back("Content-Type", "application/json");
    response.body = RenderJson(page, context);
  } else {
    response.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
    response.headers.emplace_back("Content-Security-Policy", PageSecurityPolicy());
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    response.headers.emplace_back("Referrer-Policy", "no-referrer");
    response.body = route.page->Render(page, context);
  }
  return response;
}

}  // namespace anteroom::gate
