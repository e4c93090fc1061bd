#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "base/random.h"
#include "client/anteroom_client.h"
#include "client/gate/catalog.h"
#include "client/gate/http_message.h"
#include "client/gate/page.h"
#include "client/gate/routes.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "wire/signer.h"

namespace anteroom::gate {

struct GateOptions {
  // The room when a request names none (nginx sets X-Anteroom-Room). Empty: rooms must be
  // named per request. Ignored when `routes` is set.
  std::string default_room;
  // Shown in the page's header and title. Default "This site". This, the next three and
  // `page` are the defaults of every route (the routes file's fields of the same names).
  std::string site_name = "This site";
  // The language of a visitor whose browser asks for none the gate speaks. Default "en".
  std::string default_language = "en";
  // The IANA time zone the event's opening time is shown in. Default "UTC".
  std::string time_zone = "UTC";
  // The HTTP status of the page while a visitor waits (200, 202 or 429). Default 200.
  int queued_status = 200;
  // SameSite attribute of the visitor's cookie: "Lax" (default), "Strict" or "None" (None
  // implies Secure, as browsers require).
  std::string cookie_same_site = "Lax";
  // Secure attribute: "auto" (default: when the request came over TLS, per
  // X-Forwarded-Proto), "always" or "never".
  std::string cookie_secure = "auto";
  // The page reloads itself at Anteroom's poll-after hint, within these bounds.
  absl::Duration min_refresh = absl::Seconds(2);
  absl::Duration max_refresh = absl::Seconds(20);
  // Retry-After (and reload) for "queue full" and "temporarily unavailable". Default 30 s.
  absl::Duration retry_after = absl::Seconds(30);
  // The waiting page; default PageTemplate::Default().
  std::shared_ptr<const PageTemplate> page;
  // The languages; default Catalogs::Builtin().
  std::shared_ptr<const Catalogs> catalogs;
  // Host and path to room and page (anteroom-gate --routes). Default: one route for every
  // request, made of the fields above.
  std::shared_ptr<const RouteTable> routes;
  // A newcomer (no cookie of the room's) first gets a signed visitor id in the cookie and a
  // page that reloads in a second; only a request that brings the id back is given a place,
  // keyed by it. So a client that fires many requests before it holds the cookie, or never
  // keeps cookies, holds one place at most. Default true. False: every cookieless request
  // is placed at once, as a new visitor.
  bool cookie_check = true;
  // Signs the visitor ids (and keys the sources). Several gates in front of one site must
  // share the keys (anteroom-gate --key_file). Default (null): a random key of this gate's.
  std::shared_ptr<const wire::Signer> signer;
  // A visitor's source, for rooms' per-source limits, is the gate's keyed hash of the
  // network their address is in (X-Anteroom-Client, nginx's $remote_addr): these many
  // leading bits. Defaults 24 (IPv4) and 56 (IPv6, a customer's usual allocation).
  int source_prefix_v4 = 24;
  int source_prefix_v6 = 56;
};

absl::Status ValidateGateOptions(const GateOptions& options);

// The route defaults GateOptions gives (site name, page, language, time zone, status).
RouteDefaults RouteDefaultsOf(const GateOptions& options);

// The HTTP side of a gateway, for nginx's auth_request (see deploy/nginx/):
//
//   GET  /check   auth subrequest: 204 = let the request through; 401 = show the waiting
//                 page. Either may set the visitor's cookie. On 401, X-Anteroom-Handoff
//                 carries what the page shows, so /wait needs no second call.
//   GET  /wait    the waiting page (or JSON for Accept: application/json), from the handoff
//                 nginx passes on, or, without one, after deciding as /check does.
//   POST /leave   ends the visitor's visit (frees the slot at once) and clears the cookie;
//                 303 to ?next=/path when given, else the "thank you" page. A GET shows a
//                 button that posts (a link or a prefetch must not end a visit).
//   GET  /healthz 200 "ok".
//
// Each request is for the route its host and path match (X-Anteroom-Host and
// X-Original-URI, which nginx sets; see RouteTable::Match; /leave?room= picks the host's
// route of that room, and is refused when the host has no such room; /leave without it,
// the host's room whose cookie the visitor holds): the route gives the room
// (X-Anteroom-Room, when set, overrides it), the page, its default language and time zone, the
// cookie's name and the status while queued. A suspended route lets everyone through without asking
// Anteroom. Pages speak the visitor's language: ?lang= (remembered in the "anteroom-lang" cookie),
// else the browser's Accept-Language, else the route's default. The cookie is
// "anteroom_<room>[.<suffix>]" = "<token>", "<ticket>~<position first seen>", or, for a newcomer
// not yet placed, "v.<visitor id>.<signature>" (see GateOptions::cookie_check). In a room that asks
// for a proof of work, a newcomer is shown a challenge (state "challenge") first; the page solves
// it and brings it back in "anteroom-pow_<room>" (an app: in the X-Anteroom-Solution header),
// "<salt>.<challenge>.<signature>.<number>". An entry token the site gave the visitor comes in
// "anteroom-entry_<room>" (or X-Anteroom-Entry) and goes to Admit with the newcomer.
//
// Thread-safe.
class Gate {
 public:
  Gate(GateOptions options, client::Client* client, base::Clock* clock, base::RandomSource* random,
       prometheus::Registry* registry);

  HttpResponse Handle(const HttpRequest& request);

  // Swaps in new languages and routes (SIGHUP); requests under way finish with the old.
  void Reload(std::shared_ptr<const Catalogs> catalogs, std::shared_ptr<const RouteTable> routes);

 private:
  // The languages and routes in force; a request holds them until it is answered.
  struct Config {
    std::shared_ptr<const Catalogs> catalogs;
    std::shared_ptr<const RouteTable> routes;
  };
  // What a request is for: its route, its room, and the languages.
  struct Target {
    const Route* route;
    std::string room;
    const Catalogs* catalogs;
  };

  // What to do with a request, and the cookie to set.
  struct Decision {
    bool pass = false;
    bool failed_open = false;
    PageState page;
    std::string set_cookie;  // a whole Set-Cookie value; empty: leave the cookie alone
  };

  Config CurrentConfig() const;
  // The request's route and room; nullopt with `error` set when there is none.
  std::optional<Target> Resolve(const HttpRequest& request, const Config& config,
                                HttpResponse* error) const;
  HttpResponse Check(const HttpRequest& request, const Target& target);
  HttpResponse Wait(const HttpRequest& request, const Target& target);
  HttpResponse LeaveVisit(const HttpRequest& request, const Target& target);

  Decision Decide(const HttpRequest& request, const Target& target);
  // A visitor with no usable token: placed if the request brings back a visitor id this
  // gate signed (or when there is no cookie check), else given one to bring back; nothing
  // for a request that cannot show a page to anyone (an image, a script, HEAD: see
  // CanShowPage in gate.cc).
  Decision Enter(const HttpRequest& request, const Target& target, const std::string& cookie);
  // No answer to act on: when Anteroom was unreachable the failure mode decides; a refusal
  // (misconfiguration, e.g. an unknown room) always fails closed.
  Decision Failed(const Target& target, const absl::Status& status);
  Decision FromStatus(const HttpRequest& request, const Target& target,
                      const v1::VisitorStatus& status, uint64_t start_position);
  HttpResponse RenderPage(const HttpRequest& request, const PageState& page, const Target& target);

  std::string CookieName(const Target& target) const;
  // The cookie value that carries a newcomer's visitor id: "v.<id>.<signature>".
  std::string SignedVisitorCookie(const std::string& room, const std::string& client_id) const;
  // Where the site puts an operator's entry token for the visitor (or X-Anteroom-Entry).
  std::string EntryCookieName(const std::string& room) const;
  // Where the waiting page's solver puts a solved proof of work (set by script, not HttpOnly).
  std::string SolutionCookieName(const std::string& room) const;
  // The Set-Cookie value holding `value`; an empty value clears the cookie.
  std::string MakeCookie(const HttpRequest& request, const Target& target,
                         const std::string& value) const;
  // "; Path=/; HttpOnly; SameSite=…[; Secure]".
  std::string CookieAttributes(const HttpRequest& request) const;
  absl::Duration Refresh(const v1::VisitorStatus& status) const;
  void Count(absl::string_view decision);  // one of the decisions in the metric's help
  void CountError(const absl::Status& status);

  const GateOptions options_;
  client::Client* const client_;
  base::Clock* const clock_;
  base::RandomSource* const random_;
  std::shared_ptr<const wire::Signer> signer_;  // options_.signer, or a random key
  mutable base::Mutex config_mu_;
  Config config_ ABSL_GUARDED_BY(config_mu_);

  // By gRPC code, added on a code's first failure (a failed call costs far more anyway).
  prometheus::Family<prometheus::Counter>& errors_;
  // By decision and by endpoint, made in the constructor.
  absl::flat_hash_map<std::string, prometheus::Counter*> decisions_;
  absl::flat_hash_map<std::string, prometheus::Histogram*> latency_;
};

// A visitor's source for per-source limits: `signer`'s keyed hash of the network `address`
// is in (its first `v4_bits` or `v6_bits` bits; an IPv4-mapped IPv6 address counts as IPv4),
// 22 characters of [A-Za-z0-9_-]; "" when `address` is not an address. The address itself
// goes no further.
std::string NetworkSource(const wire::Signer& signer, const std::string& address, int v4_bits,
                          int v6_bits);

// The handoff from /check to /wait: the page state as a query string.
std::string EncodeHandoff(const PageState& page);
std::optional<PageState> DecodeHandoff(absl::string_view text);

}  // namespace anteroom::gate
