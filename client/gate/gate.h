#pragma once

#include <functional>
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

  // Where an answer goes: called once, on the caller's thread before Handle returns when no
  // call to Anteroom is needed (/healthz, a refusal, a suspended route, an admitted visitor
  // the session cache knows, a page from nginx's hand-off), else on the thread that has
  // Anteroom's answer. Never blocks: an event loop calls Handle.
  using Respond = std::function<void(HttpResponse)>;
  void Handle(HttpRequest request, Respond respond);

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
    const Route* route = nullptr;
    std::string room;
    const Catalogs* catalogs = nullptr;
    CookieJar cookies;
  };
  // A request, with what it is for, held while Anteroom is asked (the config keeps the route
  // and the languages alive).
  struct Exchange {
    HttpRequest request;
    Config config;
    Target target;
  };
  using ExchangePtr = std::shared_ptr<const Exchange>;

  Config CurrentConfig() const;
  // The request's route and room; nullopt with `error` set when there is none.
  std::optional<Target> Resolve(const HttpRequest& request, const Config& config,
                                HttpResponse* error) const;
  void Check(const ExchangePtr& x, Respond respond);
  void Wait(const ExchangePtr& x, Respond respond);
  void LeaveVisit(const ExchangePtr& x, Respond respond);
  // /check's answer to a decision.
  HttpResponse CheckAnswer(const Exchange& x, const Outcome& d) const;
  // /leave's answer once the visit has ended (`ended`: it was live until now).
  HttpResponse LeftAnswer(const Exchange& x, bool ended) const;

  // The decision's facts, read from the request.
  RequestFacts Facts(const HttpRequest& request, const Target& target) const;
  // Counts what was decided.
  void Count(const Outcome& outcome);
  // The Set-Cookie of the visitor's room cookie holding `value` ("" clears it).
  std::string RoomCookie(const HttpRequest& request, const Target& target,
                         absl::string_view value) const;
  HttpResponse RenderPage(const HttpRequest& request, const PageState& page,
                          const Target& target) const;

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
