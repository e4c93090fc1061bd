#include "client/gate/routes.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "anteroom/gate/v1/routes.pb.h"
#include "base/program.h"
#include "client/gate/text_proto.h"
#include "google/protobuf/text_format.h"
#include "wire/token.h"

namespace anteroom::gate {
namespace {

bool IsHostName(absl::string_view host) {
  return !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '.' || c == '-';
  });
}

bool IsCookieSuffix(absl::string_view s) {
  return s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return absl::ascii_isalnum(c) || c == '_' || c == '-';
         });
}

// Prefix and path in the same form: "/" serves every path, "/a" serves /a and /a/...
bool PrefixMatches(absl::string_view prefix, absl::string_view path) {
  if (prefix == "/") return true;
  if (!absl::StartsWith(path, prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

// Fills in and checks what every route shares with the flags' route.
absl::Status Complete(const RouteDefaults& defaults, const Catalogs& catalogs, Route* route) {
  if (route->site_name.empty()) route->site_name = defaults.site_name;
  if (!route->page) route->page = defaults.page;
  if (!route->page) {
    route->page =
        std::shared_ptr<const PageTemplate>(&PageTemplate::Default(), [](const PageTemplate*) {});
  }
  if (route->default_language.empty()) route->default_language = defaults.default_language;
  // The catalog for the tag or a regional form of it ("ko-KR" gets "ko"), not a language
  // CLDR falls back to (Swahili readers get English as visitors, but a default names its
  // language).
  const Language* language = catalogs.Match(route->default_language);
  auto language_of = [](absl::string_view tag) {
    return absl::AsciiStrToLower(tag.substr(0, tag.find_first_of("-_")));
  };
  if (language != nullptr && language_of(language->tag()) != language_of(route->default_language))
    language = nullptr;
  if (language == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("default_language: no catalog for \"", route->default_language,
                     "\" (there are: ", absl::StrJoin(catalogs.Tags(), ", "), ")"));
  }
  route->default_language = language->tag();
  if (route->time_zone.empty()) route->time_zone = defaults.time_zone;
  if (absl::Status s = ValidateTimeZone("time_zone", route->time_zone); !s.ok()) return s;
  if (route->queued_status == 0) route->queued_status = defaults.queued_status;
  if (route->queued_status != 200 && route->queued_status != 202 && route->queued_status != 429) {
    return absl::InvalidArgumentError(
        absl::StrCat("queued_status: ", route->queued_status, " is not 200, 202 or 429"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string HostWithoutPort(absl::string_view host) {
  if (absl::StartsWith(host, "[")) {
    const size_t close = host.find(']');
    if (close != absl::string_view::npos) host = host.substr(0, close + 1);
  } else if (const size_t colon = host.rfind(':'); colon != absl::string_view::npos) {
    host = host.substr(0, colon);
  }
  return absl::AsciiStrToLower(host);
}

absl::StatusOr<std::shared_ptr<const RouteTable>> RouteTable::Single(const RouteDefaults& defaults,
                                                                     const std::string& room,
                                                                     const Catalogs& catalogs) {
  Route route;
  route.room = room;
  route.site_name = "";
  route.default_language = "";
  route.time_zone = "";
  route.queued_status = 0;
  if (absl::Status s = Complete(defaults, catalogs, &route); !s.ok()) return s;
  auto table = std::make_shared<RouteTable>();
  table->routes_.push_back(std::move(route));
  return std::shared_ptr<const RouteTable>(std::move(table));
}

absl::StatusOr<std::shared_ptr<const RouteTable>> RouteTable::Parse(absl::string_view file,
                                                                    absl::string_view text,
                                                                    const std::string& dir,
                                                                    const RouteDefaults& defaults,
                                                                    const Catalogs& catalogs) {
  v1::Routes routes;
  google::protobuf::TextFormat::ParseInfoTree locations;
  if (absl::Status s = ParseTextProto(file, text, &routes, &locations); !s.ok()) return s;
  if (routes.route_size() == 0)
    return absl::InvalidArgumentError(absl::StrCat(file, ": no route { ... } in it"));
  const auto* route_field = v1::Routes::descriptor()->FindFieldByName("route");
  auto table = std::make_shared<RouteTable>();
  std::map<std::pair<std::string, std::string>, int> seen;               // (host, prefix) -> line
  std::map<std::string, std::shared_ptr<const PageTemplate>> templates;  // by file
  std::map<std::string, std::pair<std::string, int>> suffixes;           // room -> (suffix, line)
  for (int i = 0; i < routes.route_size(); ++i) {
    const v1::Route& r = routes.route(i);
    Route route;
    route.line = locations.GetLocation(route_field, i).line + 1;
    auto fail = [&](absl::string_view message) {
      return absl::InvalidArgumentError(absl::StrCat(file, " line ", route.line, ": ", message));
    };
    if (r.room().empty()) return fail("room: every route names its room");
    if (absl::Status s = wire::ValidateRoomId(r.room(), "room"); !s.ok()) return fail(s.message());
    route.room = r.room();
    for (const std::string& host : r.host()) {
      const std::string lower = absl::AsciiStrToLower(host);
      if (!IsHostName(lower)) {
        return fail(absl::StrCat("host: \"", host,
                                 "\" is not a host name (letters, digits, '.', '-'; no port)"));
      }
      route.hosts.push_back(lower);
    }
    const std::string prefix = r.path_prefix().empty() ? "/" : r.path_prefix();
    if (prefix[0] != '/' || absl::StrContains(prefix, "?") || absl::StrContains(prefix, "#")) {
      return fail(absl::StrCat("path_prefix: \"", r.path_prefix(),
                               "\" must start with '/' and hold no '?' or '#'"));
    }
    route.path_prefix = CanonicalPath(prefix);
    route.raw_prefix = RawForm(route.path_prefix);
    for (const std::string& host :
         route.hosts.empty() ? std::vector<std::string>{""} : route.hosts) {
      auto [it, inserted] = seen.emplace(std::make_pair(host, route.path_prefix), route.line);
      if (!inserted) {
        return fail(absl::StrCat("the route at line ", it->second, " already serves ",
                                 host.empty() ? "any host" : host, " at ", route.path_prefix));
      }
    }
    route.site_name = r.site_name();
    if (!r.template_().empty()) {
      std::filesystem::path path(r.template_());
      if (path.is_relative() && !dir.empty()) path = std::filesystem::path(dir) / path;
      auto& page = templates[path.string()];
      if (!page) {
        auto html = base::ReadFlagFile("routes", path.string());
        if (!html.ok()) return fail(absl::StrCat("template: cannot read ", path.string()));
        auto parsed = PageTemplate::Parse(*html);
        if (!parsed.ok())
          return fail(absl::StrCat("template ", path.string(), ": ", parsed.status().message()));
        page = std::make_shared<const PageTemplate>(*std::move(parsed));
      }
      route.page = page;
    }
    route.default_language = r.default_language();
    route.time_zone = r.time_zone();
    if (!IsCookieSuffix(r.cookie_suffix())) {
      return fail(absl::StrCat("cookie_suffix: \"", r.cookie_suffix(),
                               "\" may hold only letters, digits, '_' and '-', at most 32"));
    }
    route.cookie_suffix = r.cookie_suffix();
    // One cookie per room, whichever of its routes the visitor came by.
    auto [suffix, first] =
        suffixes.emplace(route.room, std::make_pair(route.cookie_suffix, route.line));
    if (suffix->second.first != route.cookie_suffix) {
      return fail(absl::StrCat("cookie_suffix: the route at line ", suffix->second.second,
                               " gives room ", route.room, " the cookie_suffix \"",
                               suffix->second.first, "\"; a room's routes share one"));
    }
    route.queued_status = r.queued_status();
    route.suspended = r.suspended();
    if (absl::Status s = Complete(defaults, catalogs, &route); !s.ok()) return fail(s.message());
    table->routes_.push_back(std::move(route));
  }
  return std::shared_ptr<const RouteTable>(std::move(table));
}

absl::StatusOr<std::shared_ptr<const RouteTable>> RouteTable::Load(const std::string& path,
                                                                   const RouteDefaults& defaults,
                                                                   const Catalogs& catalogs) {
  auto text = base::ReadFlagFile("routes", path);
  if (!text.ok()) return text.status();
  return Parse(path, *text, std::filesystem::path(path).parent_path().string(), defaults, catalogs);
}

absl::StatusOr<const Route*> RouteTable::Match(absl::string_view host,
                                               absl::string_view uri) const {
  const std::string name = HostWithoutPort(host);
  const absl::string_view path = uri.substr(0, uri.find('?'));
  if (path.find('#') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "the path holds a '#': a fragment is never sent, and servers read what follows it "
        "differently: refused");
  }
  if (HasShortName(path)) {
    return absl::InvalidArgumentError(
        "a segment of the path looks like a Windows short name (\"NAME~1\"), another "
        "spelling of a name that cannot be told: refused");
  }
  const std::vector<ReadPathResult> readings = PathReadings(uri);
  const Route* route = MatchPath(name, readings[0]);
  for (size_t i = 1; i < readings.size(); ++i) {
    const Route* other = MatchPath(name, readings[i]);
    if (other == route) continue;
    auto room = [](const Route* r) {
      return r == nullptr ? std::string("no route") : absl::StrCat("room ", r->room);
    };
    return absl::InvalidArgumentError(
        absl::StrCat("the path reads as ", readings[0].path, " (", room(route), ") and as ",
                     readings[i].path, " (", room(other),
                     "), depending on how a server reads it: refused (no browser sends "
                     "such a path)"));
  }
  return route;
}

std::vector<const Route*> RouteTable::ForHost(absl::string_view host) const {
  const std::string name = HostWithoutPort(host);
  std::vector<const Route*> out;
  for (const Route& r : routes_) {
    if (r.hosts.empty() || std::find(r.hosts.begin(), r.hosts.end(), name) != r.hosts.end())
      out.push_back(&r);
  }
  return out;
}

const Route* RouteTable::MatchPath(const std::string& name, const ReadPathResult& path) const {
  const Route* best_named = nullptr;
  const Route* best_any = nullptr;
  for (const Route& r : routes_) {
    if (!PrefixMatches(path.raw ? r.raw_prefix : r.path_prefix, path.path)) continue;
    if (r.hosts.empty()) {
      if (!best_any || r.path_prefix.size() > best_any->path_prefix.size()) best_any = &r;
    } else if (std::find(r.hosts.begin(), r.hosts.end(), name) != r.hosts.end()) {
      if (!best_named || r.path_prefix.size() > best_named->path_prefix.size()) best_named = &r;
    }
  }
  return best_named ? best_named : best_any;
}

const Route* RouteTable::ForRoom(absl::string_view host, absl::string_view room) const {
  const std::string name = HostWithoutPort(host);
  const Route* any = nullptr;
  for (const Route& r : routes_) {
    // The flags' route without --room serves whichever room nginx names.
    if (r.room != room && !r.room.empty()) continue;
    if (std::find(r.hosts.begin(), r.hosts.end(), name) != r.hosts.end()) return &r;
    if (r.hosts.empty() && !any) any = &r;
  }
  return any;
}

}  // namespace anteroom::gate
