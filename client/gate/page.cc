#include "client/gate/page.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace anteroom::gate {

// Defined in the file generated from waiting_page.html.
extern const char kDefaultPageTemplate[];
extern const char kChallengeScript[];

namespace {

const absl::flat_hash_set<std::string>& VariableNames() {
  static const auto* names = new absl::flat_hash_set<std::string>{"site_name",
                                                                  "room",
                                                                  "position",
                                                                  "people_ahead",
                                                                  "estimated_wait",
                                                                  "estimated_wait_max",
                                                                  "estimated_wait_seconds",
                                                                  "refresh_seconds",
                                                                  "progress_percent",
                                                                  "event_starts_at",
                                                                  "event_starts_at_iso",
                                                                  "event_countdown",
                                                                  "reason",
                                                                  "state",
                                                                  "challenge_salt",
                                                                  "challenge_hash",
                                                                  "challenge_signature",
                                                                  "challenge_max_number",
                                                                  "challenge_cookie",
                                                                  "challenge_script",
                                                                  "lang",
                                                                  "dir"};
  return *names;
}

const absl::flat_hash_set<std::string>& SectionNames() {
  static const auto* names = new absl::flat_hash_set<std::string>{
      "waiting",      "prequeue",  "full",         "unavailable",   "left",         "confirm_leave",
      "cookie_check", "refresh",   "has_progress", "wait_is_range", "wait_unknown", "next_in_line",
      "has_reason",   "has_event", "busy",         "challenge"};
  return *names;
}

const Language& LanguageOf(const PageContext& context) {
  return context.language ? *context.language : Catalogs::Builtin()->English();
}

}  // namespace

PageValues ComputePageValues(const PageState& s, const PageContext& context) {
  using K = PageState::Kind;
  PageValues page;
  TemplateValues& v = page.values;
  const Language& language = LanguageOf(context);
  page.language = &language;
  const int progress = ProgressPercent(s);
  const bool has_event = s.event_starts_at != absl::InfinitePast();
  const std::string wait = language.Wait(s.estimated_wait);
  const std::string wait_max = language.Wait(s.estimated_wait_max);
  const int64_t refresh = std::max<int64_t>(1, WholeSeconds(s.refresh_after));
  v.variables["lang"] = language.tag();
  v.variables["dir"] = language.right_to_left() ? "rtl" : "ltr";
  v.variables["site_name"] = context.site_name;
  v.variables["room"] = s.room;
  v.variables["state"] = std::string(KindName(s.kind));
  v.variables["position"] = language.Number(static_cast<int64_t>(s.position));
  v.variables["people_ahead"] =
      language.Number(static_cast<int64_t>(s.position > 0 ? s.position - 1 : 0));
  v.variables["estimated_wait"] = wait;
  v.variables["estimated_wait_max"] = wait_max;
  v.variables["estimated_wait_seconds"] = absl::StrCat(WholeSeconds(s.estimated_wait));
  v.variables["refresh_seconds"] = absl::StrCat(refresh);
  v.variables["progress_percent"] = absl::StrCat(std::max(progress, 0));
  v.variables["event_starts_at"] =
      has_event ? language.DateTime(s.event_starts_at, context.time_zone) : "";
  v.variables["event_starts_at_iso"] =
      has_event ? absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", s.event_starts_at, absl::UTCTimeZone())
                : "";
  v.variables["event_countdown"] =
      has_event ? language.Countdown(s.event_starts_at - context.now) : "";
  page.args.site_name = context.site_name;
  page.args.position = static_cast<int64_t>(s.position);
  page.args.refresh_seconds = refresh;
  page.args.wait = wait;
  page.args.wait_max = wait_max;
  page.args.progress = language.Percent(std::max(progress, 0));
  page.args.event_time = v.variables["event_starts_at"];
  page.args.countdown = v.variables["event_countdown"];
  page.args.reason = s.reason;
  v.variables["reason"] = s.reason;
  v.variables["challenge_salt"] = s.challenge.salt;
  v.variables["challenge_hash"] = s.challenge.challenge;
  v.variables["challenge_signature"] = s.challenge.signature;
  v.variables["challenge_max_number"] = absl::StrCat(s.challenge.max_number);
  v.variables["challenge_cookie"] = s.challenge.cookie;
  v.variables["challenge_script"] =
      s.kind == K::kChallenge ? absl::StrCat("<script>", kChallengeScript, "</script>") : "";
  v.sections["waiting"] = s.kind == K::kWaiting;
  v.sections["prequeue"] = s.kind == K::kPrequeue;
  v.sections["full"] = s.kind == K::kFull;
  v.sections["unavailable"] = s.kind == K::kUnavailable;
  v.sections["left"] = s.kind == K::kLeft;
  v.sections["confirm_leave"] = s.kind == K::kConfirmLeave;
  v.sections["cookie_check"] = s.kind == K::kCookieCheck;
  v.sections["busy"] = s.kind == K::kBusy;
  v.sections["challenge"] = s.kind == K::kChallenge;
  // The challenge page reloads once solved, not on a timer (that would stop the solver).
  v.sections["refresh"] =
      s.kind != K::kLeft && s.kind != K::kConfirmLeave && s.kind != K::kChallenge;
  v.sections["has_progress"] = progress >= 0;
  v.sections["wait_is_range"] =
      !s.wait_unknown && wait_max != wait && s.estimated_wait_max > s.estimated_wait;
  v.sections["wait_unknown"] = s.wait_unknown;
  v.sections["next_in_line"] = s.kind == K::kWaiting && s.position == 1;
  v.sections["has_reason"] = !s.reason.empty();
  v.sections["has_event"] = has_event;
  v.message = [&language, args = page.args](absl::string_view id) {
    return language.Format(id, args);
  };
  return page;
}

absl::StatusOr<PageTemplate> PageTemplate::Parse(absl::string_view text) {
  TemplateNames names;
  names.variables = &VariableNames();
  names.sections = &SectionNames();
  names.messages = &Catalogs::MessageIds();
  names.raw_variable = "challenge_script";  // markup the gate itself makes
  auto parsed = Template::Parse(text, names);
  if (!parsed.ok()) return parsed.status();
  return PageTemplate(*std::move(parsed));
}

const PageTemplate& PageTemplate::Default() {
  static const PageTemplate* page = [] {
    auto parsed = Parse(kDefaultPageTemplate);
    // The built-in template is checked by the tests; a broken one is a build defect.
    if (!parsed.ok()) abort();
    return new PageTemplate(*std::move(parsed));
  }();
  return *page;
}

std::string PageTemplate::Render(const PageState& state, const PageContext& context) const {
  std::string out;
  template_.Render(ComputePageValues(state, context).values, &out);
  return out;
}

}  // namespace anteroom::gate
