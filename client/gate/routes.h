#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/gate/catalog.h"
#include "client/gate/page.h"
#include "client/gate/path_readings.h"

namespace anteroom::gate {

// Which room a request is for, and how its page looks: one entry of the routes file
// (anteroom.gate.v1.Route), checked and with its defaults filled in.
struct Route {
  std::vector<std::string> hosts;  // lower case, no port; empty: any host
  std::string path_prefix = "/";   // canonical (CanonicalPath)
  std::string raw_prefix = "/";    // RawForm(path_prefix): what raw readings compare with
  // Empty only in the route the gate's flags make without --room: X-Anteroom-Room names it.
  std::string room;
  std::string site_name = "This site";
  std::shared_ptr<const PageTemplate> page;  // never null
  std::string default_language = "en";       // a tag the catalogs have
  std::string time_zone = "UTC";             // checked by ValidateTimeZone
  std::string cookie_suffix;                 // [A-Za-z0-9_-]{0,32}
  int queued_status = 200;                   // 200, 202 or 429
  bool suspended = false;
  int line = 0;  // in the routes file; 0 for the flags' route
};

// What a route gets for each field it leaves out (the gate's flags).
struct RouteDefaults {
  std::string site_name = "This site";
  std::shared_ptr<const PageTemplate> page;  // null: the built-in page
  std::string default_language = "en";
  std::string time_zone = "UTC";
  int queued_status = 200;
};

// The routes of one gate. Immutable; thread-safe.
class RouteTable {
 public:
  // One route for every host and path, from the defaults and `room` (may be empty).
  static absl::StatusOr<std::shared_ptr<const RouteTable>> Single(const RouteDefaults& defaults,
                                                                  const std::string& room,
                                                                  const Catalogs& catalogs);
  // A routes file's text (text-format anteroom.gate.v1.Routes). Templates are read relative
  // to `dir`. INVALID_ARGUMENT naming `file` and the line.
  static absl::StatusOr<std::shared_ptr<const RouteTable>> Parse(absl::string_view file,
                                                                 absl::string_view text,
                                                                 const std::string& dir,
                                                                 const RouteDefaults& defaults,
                                                                 const Catalogs& catalogs);
  // Reads and parses the file at `path`.
  static absl::StatusOr<std::shared_ptr<const RouteTable>> Load(const std::string& path,
                                                                const RouteDefaults& defaults,
                                                                const Catalogs& catalogs);

  // The route for a request to `host` (any case, a port is ignored) and `uri` (the path as
  // the visitor sent it; the query is ignored): among the routes that name the host, else
  // those for any host, the one with the longest path_prefix the path starts with, at a
  // segment boundary. The path is read every way a server behind may read it (PathReadings);
  // when two readings fall to different routes ("/tickets/%2e%2e/buy" is /buy decoded, but
  // under /tickets to a server that resolves dot segments before decoding) the path is
  // refused: INVALID_ARGUMENT.
  // Null when no route serves the request.
  absl::StatusOr<const Route*> Match(absl::string_view host, absl::string_view uri) const;
  // The route serving `host` whose room is `room` (for /leave?room=), or null.
  const Route* ForRoom(absl::string_view host, absl::string_view room) const;
  // Every route that serves `host`: those naming it and those for any host.
  std::vector<const Route*> ForHost(absl::string_view host) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  const Route* MatchPath(const std::string& host, const ReadPathResult& path) const;

  std::vector<Route> routes_;
};

// "example.org" of "Example.ORG:8080" (and "[::1]" of "[::1]:8080").
std::string HostWithoutPort(absl::string_view host);

}  // namespace anteroom::gate
