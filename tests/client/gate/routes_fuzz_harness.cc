#include "tests/client/gate/routes_fuzz_harness.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/gate/routes.h"

namespace anteroom::gate {
namespace {

std::string DecodeOnce(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && absl::ascii_isxdigit(s[i + 1]) &&
        absl::ascii_isxdigit(s[i + 2])) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Resolves "." and ".." among `segments`, drops empty ones when `merge`.
std::string Join(const std::vector<std::string>& segments, bool resolve, bool merge) {
  std::vector<std::string> out;
  for (const std::string& s : segments) {
    if (resolve && s == ".") continue;
    if (resolve && s == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    if (merge && s.empty()) continue;
    out.push_back(absl::AsciiStrToLower(s));
  }
  return absl::StrCat("/", absl::StrJoin(out, "/"));
}

std::vector<std::string> Segments(absl::string_view path, absl::string_view separators) {
  std::vector<std::string> segments = absl::StrSplit(path, absl::ByAnyChar(separators));
  if (!segments.empty() && segments.front().empty()) segments.erase(segments.begin());
  return segments;
}

std::string Nginx(absl::string_view path) {
  return Join(Segments(DecodeOnce(path), "/"), /*resolve=*/true, /*merge=*/true);
}

std::string Tomcat(absl::string_view path) {
  std::vector<std::string> segments;
  for (const std::string& s : Segments(path, "/"))
    segments.push_back(DecodeOnce(s.substr(0, s.find(';'))));
  return Join(segments, /*resolve=*/true, /*merge=*/true);
}

std::string Raw(absl::string_view path) {
  return Join(Segments(path, "/"), /*resolve=*/false, /*merge=*/false);
}

std::string Iis(absl::string_view path) {
  return Join(Segments(DecodeOnce(DecodeOnce(path)), "/\\"), /*resolve=*/true, /*merge=*/true);
}

// Go's net/http (a FileServer, or a router on r.URL.Path): the request target is not cut at a
// '#', decoded once, then path.Clean: dots resolved, slashes merged.
std::string Go(absl::string_view uri) {
  return Join(Segments(DecodeOnce(uri.substr(0, uri.find('?'))), "/"), /*resolve=*/true,
              /*merge=*/true);
}

// Windows names, as IIS serves files: %uXXXX and %XX decoded, '\\' a separator, a name's
// trailing dots and spaces dropped, an NTFS stream (":...") cut off.
std::string Windows(absl::string_view path) {
  std::string decoded;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 5 < path.size() && (path[i + 1] == 'u' || path[i + 1] == 'U') &&
        std::all_of(path.begin() + i + 2, path.begin() + i + 6,
                    [](char c) { return absl::ascii_isxdigit(c); })) {
      const int c = std::stoi(std::string(path.substr(i + 2, 4)), nullptr, 16);
      if (c > 0 && c < 0x80) {
        decoded += static_cast<char>(c);
        i += 5;
        continue;
      }
    }
    decoded += path[i];
  }
  std::vector<std::string> segments;
  for (std::string s : Segments(DecodeOnce(decoded), "/\\")) {
    if (s != "." && s != "..") {
      s = s.substr(0, s.find(':'));
      while (!s.empty() && (s.back() == '.' || s.back() == ' ')) s.pop_back();
    }
    segments.push_back(s);
  }
  return Join(segments, /*resolve=*/true, /*merge=*/true);
}

// The room of the longest prefix of `path` among `table`'s routes, compared in `raw` form.
std::string RoomOf(const RouteTable& table, const std::string& path, bool raw) {
  const Route* best = nullptr;
  for (const Route& r : table.routes()) {
    const std::string& prefix = raw ? r.raw_prefix : r.path_prefix;
    const bool matches =
        prefix == "/" || (absl::StartsWith(path, prefix) &&
                          (path.size() == prefix.size() || path[prefix.size()] == '/'));
    if (matches && (best == nullptr || r.path_prefix.size() > best->path_prefix.size())) best = &r;
  }
  return best == nullptr ? "(none)" : best->room;
}

const RouteTable& Table() {
  static const std::shared_ptr<const RouteTable> table = [] {
    auto parsed = RouteTable::Parse("routes.textproto", R"(
        route { path_prefix: "/tickets" room: "tickets" }
        route { path_prefix: "/tickets/vip" room: "vip" }
        route { path_prefix: "/shop" room: "shop" }
        route { path_prefix: "/티켓" room: "korean" }
        route { room: "free" suspended: true })",
                                    "", RouteDefaults(), *Catalogs::Builtin());
    if (!parsed.ok()) std::abort();
    return *parsed;
  }();
  return *table;
}

}  // namespace

std::string CheckRouting(absl::string_view uri) {
  const RouteTable& table = Table();
  absl::StatusOr<const Route*> routed = table.Match("any.example", uri);
  if (!routed.ok()) return "";  // refused: nothing reaches a server behind
  const std::string room = *routed == nullptr ? "(none)" : (*routed)->room;
  const absl::string_view path = uri.substr(0, uri.find_first_of("?#"));
  struct Server {
    const char* name;
    std::string read;
    bool raw;
  };
  for (const Server& server :
       {Server{"nginx", Nginx(path), false}, Server{"tomcat", Tomcat(path), false},
        Server{"raw", Raw(path), true}, Server{"iis", Iis(path), false},
        Server{"go", Go(uri), false}, Server{"windows", Windows(path), false}}) {
    const std::string served = RoomOf(table, server.read, server.raw);
    if (served != room) {
      return absl::StrCat("\"", absl::CHexEscape(uri), "\": the gate routes it to ", room, ", but ",
                          server.name, " reads ", absl::CHexEscape(server.read), " and serves ",
                          served);
    }
  }
  return "";
}

}  // namespace anteroom::gate
