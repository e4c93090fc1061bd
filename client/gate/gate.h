#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/random.h"
#include "client/gate/catalog.h"
#include "client/gate/cookies.h"
#include "client/gate/decision.h"
#include "client/gate/gate_metrics.h"
#include "client/gate/gate_options.h"
#include "client/gate/http_message.h"
#include "client/gate/page_state.h"
#include "client/gate/routes.h"
#include "client/waiting_room.h"
#include "prometheus/registry.h"
#include "wire/signer.h"

namespace anteroom::gate {

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
  // `anteroom`, `clock`, `random` and `registry` must outlive the gate.
  Gate(GateOptions options, client::WaitingRoom* anteroom, base::Clock* clock,
       base::RandomSource* random, prometheus::Registry* registry);

  HttpResponse Handle(const HttpRequest& request);
  // Handle's answer when it needs no call to Anteroom (/healthz, a refusal, a suspended
  // route, an admitted visitor's /check answered from the session cache), else nullopt.
  // Never blocks: the HTTP server calls it on its event loop and hands the rest to Handle
  // on a handler thread.
  std::optional<HttpResponse> HandleWithoutCalls(const HttpRequest& request);

  // Swaps in new languages and routes (SIGHUP); requests under way finish with the old.
  void Reload(std::shared_ptr<const Catalogs> catalogs, std::shared_ptr<const RouteTable> routes);

 private:
  // The languages and routes in force; a request holds them until it is answered.
  struct Config {
    std::shared_ptr<const Catalogs> catalogs;
    std::shared_ptr<const RouteTable> routes;
  };
  // What a request is for: its route, its room, and the languages; and its cookies, split.
  struct Target {
    const Route* route;
    std::string room;
    const Catalogs* catalogs;
    CookieJar cookies;
  };

  Config CurrentConfig() const;
  // The request's route and room; nullopt with `error` set when there is none.
  std::optional<Target> Resolve(const HttpRequest& request, const Config& config,
                                HttpResponse* error) const;
  // Handle and HandleWithoutCalls (`may_call` false: nullopt where Anteroom must be asked).
  std::optional<HttpResponse> Answer(const HttpRequest& request, bool may_call);
  std::optional<HttpResponse> Check(const HttpRequest& request, const Target& target,
                                    bool may_call);
  HttpResponse Wait(const HttpRequest& request, const Target& target);
  HttpResponse LeaveVisit(const HttpRequest& request, const Target& target);

  // The decision's facts, read from the request.
  RequestFacts Facts(const HttpRequest& request, const Target& target) const;
  // Decides (Decider) and counts what was decided.
  Outcome Decide(const HttpRequest& request, const Target& target);
  void Count(const Outcome& outcome);
  // The Set-Cookie of the visitor's room cookie holding `value` ("" clears it).
  std::string RoomCookie(const HttpRequest& request, const Target& target,
                         absl::string_view value) const;
  HttpResponse RenderPage(const HttpRequest& request, const PageState& page, const Target& target);

  const GateOptions options_;
  client::WaitingRoom* const anteroom_;
  base::Clock* const clock_;
  std::shared_ptr<const wire::Signer> signer_;  // options_.signer, or a random key
  const CookiePolicy cookie_policy_;
  const Decider decider_;
  GateMetrics metrics_;
  mutable base::Mutex config_mu_;
  Config config_ ABSL_GUARDED_BY(config_mu_);
};

}  // namespace anteroom::gate
