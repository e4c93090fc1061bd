#include "client/gate/page_state.h"

#include <algorithm>

namespace anteroom::gate {
namespace {

// Each state's names, in one place.
struct KindNames {
  PageState::Kind kind;
  absl::string_view name;
  absl::string_view title;
  absl::string_view sentence;
};
constexpr KindNames kKinds[] = {
    {PageState::Kind::kWaiting, "waiting", "title.waiting", "waiting.explain"},
    {PageState::Kind::kPrequeue, "prequeue", "title.prequeue", "prequeue.early"},
    {PageState::Kind::kFull, "full", "title.full", "full.explain"},
    {PageState::Kind::kUnavailable, "unavailable", "title.unavailable", "unavailable.explain"},
    {PageState::Kind::kLeft, "left", "title.left", "left.explain"},
    {PageState::Kind::kConfirmLeave, "confirm_leave", "title.confirm_leave",
     "confirm_leave.explain"},
    {PageState::Kind::kNotPlaced, "not_placed", "title.cookie_check", "not_placed.text"},
    {PageState::Kind::kCookieCheck, "cookie_check", "title.cookie_check", "cookie_check.explain"},
    {PageState::Kind::kBusy, "busy", "title.busy", "busy.explain"},
    {PageState::Kind::kChallenge, "challenge", "title.challenge", "challenge.explain"},
};

const KindNames& Names(PageState::Kind kind) {
  for (const KindNames& k : kKinds) {
    if (k.kind == kind) return k;
  }
  return kKinds[0];
}

}  // namespace

absl::string_view KindName(PageState::Kind kind) { return Names(kind).name; }
absl::string_view TitleId(PageState::Kind kind) { return Names(kind).title; }
absl::string_view SentenceId(PageState::Kind kind) { return Names(kind).sentence; }

std::optional<PageState::Kind> KindNamed(absl::string_view name) {
  for (const KindNames& k : kKinds) {
    if (k.name == name) return k.kind;
  }
  return std::nullopt;
}

int64_t WholeSeconds(absl::Duration d) {
  return d <= absl::ZeroDuration() ? 0 : absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1)));
}

int ProgressPercent(const PageState& s) {
  if (s.kind != PageState::Kind::kWaiting || s.start_position == 0 || s.position == 0) return -1;
  const uint64_t start = std::max(s.start_position, s.position);
  if (start <= 1) return -1;  // nobody was ahead: nothing to show progress through
  // Steps from `start` to admission: the start - 1 people ahead, then the visitor's own
  // turn. Rounded down, so position 1 never shows a full bar.
  return static_cast<int>(100 * (start - s.position) / start);
}

}  // namespace anteroom::gate
