#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/gate/catalog.h"
#include "client/gate/page.h"
#include "client/gate/routes.h"
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

}  // namespace anteroom::gate
