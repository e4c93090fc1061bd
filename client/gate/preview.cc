#include "client/gate/preview.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/gate/page.h"

namespace anteroom::gate {
namespace {

using K = PageState::Kind;

// Every state a page shows (kNotPlaced is a line of text, not a page).
constexpr K kKinds[] = {K::kWaiting, K::kPrequeue,     K::kFull,        K::kUnavailable, K::kBusy,
                        K::kLeft,    K::kConfirmLeave, K::kCookieCheck, K::kChallenge};

// Figures like a real visitor's: far enough down the line for every text to show.
PageState Sample(K kind, const std::string& room, absl::Time now) {
  PageState s;
  s.kind = kind;
  s.room = room;
  s.refresh_after = absl::Seconds(10);
  switch (kind) {
    case K::kWaiting:
      s.position = 1234;
      s.start_position = 2000;
      s.estimated_wait = absl::Minutes(14);
      s.estimated_wait_max = absl::Minutes(25);
      break;
    case K::kPrequeue:
      // The next full hour at least two hours away, as an event would be set.
      s.event_starts_at = absl::FromUnixSeconds((absl::ToUnixSeconds(now) / 3600 + 3) * 3600);
      s.refresh_after = absl::Seconds(20);
      break;
    case K::kFull:
    case K::kUnavailable:
    case K::kBusy:
      s.refresh_after = absl::Seconds(30);
      break;
    case K::kChallenge:
      s.challenge.salt = "preview";
      s.challenge.challenge = std::string(64, '0');
      s.challenge.signature = "preview";
      s.challenge.max_number = 100000;
      s.challenge.cookie = "anteroom-pow_" + room;
      break;
    default:
      break;
  }
  return s;
}

}  // namespace

absl::StatusOr<std::vector<PreviewPage>> RenderPreviews(const std::string& spec,
                                                        const RouteTable& routes,
                                                        const Catalogs& catalogs, absl::Time now) {
  std::vector<std::string> parts = absl::StrSplit(spec == "all" ? "*/*/*" : spec, '/');
  if (parts.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("--preview: \"", spec, "\" is not ROOM/STATE/LANGUAGE (or all)"));
  }
  // Each room once, with the first route that serves it.
  std::vector<const Route*> rooms;
  std::set<std::string> seen, known;
  for (const Route& r : routes.routes()) {
    const std::string room = r.room.empty() ? "room" : r.room;
    known.insert(room);
    if ((parts[0] == "*" || parts[0] == room) && seen.insert(room).second) rooms.push_back(&r);
  }
  if (rooms.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--preview: no route has the room \"", parts[0],
                                                   "\" (rooms: ", absl::StrJoin(known, ", "), ")"));
  }
  std::vector<K> kinds;
  std::vector<std::string> names;
  for (K k : kKinds) {
    names.emplace_back(KindName(k));
    if (parts[1] == "*" || parts[1] == KindName(k)) kinds.push_back(k);
  }
  if (kinds.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--preview: no state \"", parts[1], "\" (states: ", absl::StrJoin(names, ", "), ")"));
  }
  std::vector<const Language*> languages;
  if (parts[2] == "*") {
    for (const std::string& tag : catalogs.Tags()) languages.push_back(catalogs.Find(tag));
  } else if (const Language* l = catalogs.Match(parts[2])) {
    languages.push_back(l);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--preview: no catalog for \"", parts[2],
                     "\" (languages: ", absl::StrJoin(catalogs.Tags(), ", "), ")"));
  }
  std::vector<PreviewPage> pages;
  for (const Route* route : rooms) {
    const std::string room = route->room.empty() ? "room" : route->room;
    for (K kind : kinds) {
      for (const Language* language : languages) {
        PageContext context;
        context.site_name = route->site_name;
        context.language = language;
        context.time_zone = route->time_zone;
        context.now = now;
        pages.push_back({absl::StrCat(room, "-", KindName(kind), "-", language->tag(), ".html"),
                         route->page->Render(Sample(kind, room, now), context)});
      }
    }
  }
  return pages;
}

}  // namespace anteroom::gate
