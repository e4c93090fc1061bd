#include "client/gate/gate.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "client/gate/handoff.h"
#include "client/gate/page_response.h"
#include "client/gate/visitor.h"
#include "wire/token.h"

namespace anteroom::gate {
namespace {

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

DecisionOptions DecisionOptionsOf(const GateOptions& o) {
  DecisionOptions d;
  d.cookie_check = o.cookie_check;
  d.min_refresh = o.min_refresh;
  d.max_refresh = o.max_refresh;
  d.retry_after = o.retry_after;
  return d;
}

std::shared_ptr<const RouteTable> RoutesOf(const GateOptions& o,
                                           const std::shared_ptr<const Catalogs>& catalogs) {
  if (o.routes) return o.routes;
  // ValidateGateOptions checked what could fail here.
  auto single = RouteTable::Single(RouteDefaultsOf(o), o.default_room, *catalogs);
  if (!single.ok()) {
    ANTEROOM_LOG(kError, "gate: %s", single.status().ToString());
    abort();
  }
  return *std::move(single);
}

}  // namespace

Gate::Gate(GateOptions options, client::WaitingRoom* anteroom, base::Clock* clock,
           base::RandomSource* random, prometheus::Registry* registry)
    : options_(std::move(options)),
      anteroom_(anteroom),
      clock_(clock),
      signer_(options_.signer ? options_.signer : RandomSigner(random)),
      cookie_policy_{options_.cookie_same_site, options_.cookie_secure},
      decider_(DecisionOptionsOf(options_), anteroom, signer_.get(), random),
      metrics_(registry) {
  config_.catalogs = options_.catalogs ? options_.catalogs : Catalogs::Builtin();
  config_.routes = RoutesOf(options_, config_.catalogs);
}

void Gate::Handle(HttpRequest request, Respond respond) {
  const base::Stopwatch watch;
  const absl::string_view endpoint = request.path == "/check"     ? "check"
                                     : request.path == "/wait"    ? "wait"
                                     : request.path == "/leave"   ? "leave"
                                     : request.path == "/healthz" ? "healthz"
                                                                  : "other";
  // Every answer is timed, given here or once Anteroom has answered.
  Respond answer = [this, watch, endpoint, respond = std::move(respond)](HttpResponse response) {
    metrics_.ObserveLatency(endpoint, watch.ElapsedSeconds());
    respond(std::move(response));
  };
  if (endpoint == "healthz") return answer(PlainText(200, "ok"));
  if (endpoint == "other")
    return answer(PlainText(404, "not found: the gate serves /check, /wait, /leave and /healthz"));
  auto x = std::make_shared<Exchange>();
  x->request = std::move(request);
  x->config = CurrentConfig();
  HttpResponse refused;
  std::optional<Target> target = Resolve(x->request, x->config, &refused);
  if (!target) return answer(std::move(refused));
  x->target = *std::move(target);
  if (x->target.route->suspended && endpoint != "leave") {
    // Everyone passes, unseen by the room.
    metrics_.Count("suspended");
    HttpResponse response;
    if (endpoint == "check") {
      response.status = 204;
    } else {
      const std::string original = x->request.Header("x-original-uri");
      response.status = 303;
      response.headers.emplace_back("Location", IsLocalPath(original) ? original : "/");
      response.headers.emplace_back("Cache-Control", "no-store");
    }
    return answer(std::move(response));
  }
  if (endpoint == "check") return Check(x, std::move(answer));
  if (endpoint == "wait") return Wait(x, std::move(answer));
  LeaveVisit(x, std::move(answer));
}

std::optional<Gate::Target> Gate::Resolve(const HttpRequest& request, const Config& config,
                                          HttpResponse* error) const {
  std::string host = request.Header("x-anteroom-host");
  if (host.empty()) host = request.Header("host");
  std::string original = request.Header("x-original-uri");
  if (original.empty()) original = "/";
  std::string header_room = request.Header("x-anteroom-room");
  CookieJar cookies(request.Header("cookie"));
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
      std::vector<const Route*> held;
      for (const Route* r : config.routes->ForHost(host)) {
        if (!r->room.empty() && !cookies.Get(RoomCookieName(r->room, r->cookie_suffix)).empty() &&
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
  return Target{route, std::move(room), config.catalogs.get(), std::move(cookies)};
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

void Gate::Check(const ExchangePtr& x, Respond respond) {
  decider_.Decide(Facts(x->request, x->target),
                  [this, x, respond = std::move(respond)](const Outcome& decided) {
                    Count(decided);
                    respond(CheckAnswer(*x, decided));
                  });
}

HttpResponse Gate::CheckAnswer(const Exchange& x, const Outcome& d) const {
  HttpResponse response;
  if (d.cookie) {
    response.headers.emplace_back("Set-Cookie", RoomCookie(x.request, x.target, *d.cookie));
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

void Gate::Wait(const ExchangePtr& x, Respond respond) {
  const std::string& room = x->target.room;
  if (auto page = DecodeHandoff(x->request.Header("x-anteroom-handoff"))) {
    page->room = room;
    if (page->kind == PageState::Kind::kChallenge)
      page->challenge.cookie = SolutionCookieName(room);
    return respond(RenderPage(x->request, *page, x->target));
  }
  // Called without nginx's handoff (another proxy, or a client asking directly).
  decider_.Decide(
      Facts(x->request, x->target), [this, x, respond = std::move(respond)](const Outcome& d) {
        Count(d);
        HttpResponse response;
        if (d.pass) {
          // Their turn: back to where they were going.
          const std::string original = x->request.Header("x-original-uri");
          response.status = 303;
          response.headers.emplace_back("Location", IsLocalPath(original) ? original : "/");
          response.headers.emplace_back("Cache-Control", "no-store");
        } else {
          response = RenderPage(x->request, d.page, x->target);
        }
        if (d.cookie)
          response.headers.emplace_back("Set-Cookie", RoomCookie(x->request, x->target, *d.cookie));
        respond(std::move(response));
      });
}

void Gate::LeaveVisit(const ExchangePtr& x, Respond respond) {
  const HttpRequest& request = x->request;
  const std::string& room = x->target.room;
  if (request.method != "POST") {
    // A link followed, or the address typed: ending a visit needs the visitor's say-so (a
    // GET may be a prefetch), so show the button that posts it.
    if (WantsJson(request)) {
      HttpResponse response;
      response.status = 405;
      response.headers.emplace_back("Allow", "POST");
      response.headers.emplace_back("Cache-Control", "no-store");
      response.headers.emplace_back("Content-Type", "application/json");
      response.body = "{\"error\":\"use POST to end a visit\"}";
      return respond(std::move(response));
    }
    PageState page;
    page.kind = PageState::Kind::kConfirmLeave;
    page.room = room;
    return respond(RenderPage(request, page, x->target));
  }
  const VisitorCookie cookie = ReadVisitorCookie(
      x->target.cookies.Get(RoomCookieName(room, x->target.route->cookie_suffix)), room);
  if (!cookie.token) return respond(LeftAnswer(*x, /*ended=*/false));
  anteroom_->Leave(*cookie.token, [this, x,
                                   respond = std::move(respond)](const absl::StatusOr<bool>& left) {
    if (!left.ok() && (client::IsUnreachable(left.status()) || client::IsBusy(left.status()))) {
      // Not ended: say so, and keep the cookie so that a retry can end it.
      metrics_.CountError(left.status());
      HttpResponse response = PlainText(503, "could not end the visit just now; please try again");
      response.headers.emplace_back("Retry-After", "5");
      response.headers.emplace_back("Cache-Control", "no-store");
      return respond(std::move(response));
    }
    // Other errors: a malformed or foreign token; nothing to end.
    respond(LeftAnswer(*x, left.ok() && *left));
  });
}

HttpResponse Gate::LeftAnswer(const Exchange& x, bool ended) const {
  const HttpRequest& request = x.request;
  const bool json = WantsJson(request);
  HttpResponse response;
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
    page.room = x.target.room;
    response = RenderPage(request, page, x.target);  // sets Cache-Control
  }
  response.headers.emplace_back("Set-Cookie", RoomCookie(request, x.target, ""));
  return response;
}

RequestFacts Gate::Facts(const HttpRequest& request, const Target& target) const {
  RequestFacts facts;
  facts.room = target.room;
  facts.cookie = ReadVisitorCookie(
      target.cookies.Get(RoomCookieName(target.room, target.route->cookie_suffix)), target.room);
  facts.can_show_page = CanShowPage(request);
  facts.source = NetworkSource(*signer_, request.Header("x-anteroom-client"),
                               options_.source_prefix_v4, options_.source_prefix_v6);
  std::string solution = request.Header("x-anteroom-solution");
  if (solution.empty()) solution = std::string(target.cookies.Get(SolutionCookieName(target.room)));
  facts.solution = ParseSolution(solution);
  facts.entry_token = request.Header("x-anteroom-entry");
  if (facts.entry_token.empty())
    facts.entry_token = std::string(target.cookies.Get(EntryCookieName(target.room)));
  return facts;
}

void Gate::Count(const Outcome& outcome) {
  for (absl::string_view d : outcome.decisions) metrics_.Count(d);
  if (!outcome.error.ok()) metrics_.CountError(outcome.error);
}

std::string Gate::RoomCookie(const HttpRequest& request, const Target& target,
                             absl::string_view value) const {
  return cookie_policy_.Set(RoomCookieName(target.room, target.route->cookie_suffix), value,
                            CameOverTls(request));
}

HttpResponse Gate::RenderPage(const HttpRequest& request, const PageState& page,
                              const Target& target) const {
  return PageResponse(request, target.cookies, page, *target.route, *target.catalogs, clock_->Now(),
                      cookie_policy_);
}

}  // namespace anteroom::gate
