#include "client/gate/page.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace anteroom::gate {

// Defined in the file generated from waiting_page.html.
extern const char kDefaultPageTemplate[];
extern const char kChallengeScript[];

struct PageTemplate::Node {
  enum class Type { kText, kVariable, kSection, kInverted };
  Type type;
  std::string text;  // the text, or the name
  std::vector<Node> children;
};

namespace {

using Node = PageTemplate::Node;

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
                                                                  "challenge_script"};
  return *names;
}

const absl::flat_hash_set<std::string>& SectionNames() {
  static const auto* names = new absl::flat_hash_set<std::string>{
      "waiting",      "prequeue",  "full",         "unavailable",   "left",         "confirm_leave",
      "cookie_check", "refresh",   "has_progress", "wait_is_range", "wait_unknown", "next_in_line",
      "has_reason",   "has_event", "busy",         "challenge"};
  return *names;
}

// Rendered as they are, not escaped: markup the gate itself makes.
constexpr absl::string_view kRawVariable = "challenge_script";

std::string EscapeHtml(absl::string_view s) {
  return absl::StrReplaceAll(
      s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

std::string EscapeJson(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

int64_t Seconds(absl::Duration d) {
  return d <= absl::ZeroDuration() ? 0 : absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1)));
}

struct Values {
  absl::flat_hash_map<std::string, std::string> vars;
  absl::flat_hash_map<std::string, bool> sections;
};

Values Compute(const PageState& s, absl::string_view site_name, absl::Time now) {
  using K = PageState::Kind;
  Values v;
  const int progress = ProgressPercent(s);
  const bool has_event = s.event_starts_at != absl::InfinitePast();
  v.vars["site_name"] = std::string(site_name);
  v.vars["room"] = s.room;
  v.vars["state"] = std::string(KindName(s.kind));
  v.vars["position"] = absl::StrCat(s.position);
  v.vars["people_ahead"] = absl::StrCat(s.position > 0 ? s.position - 1 : 0);
  v.vars["estimated_wait"] = HumanDuration(s.estimated_wait);
  v.vars["estimated_wait_max"] = HumanDuration(s.estimated_wait_max);
  v.vars["estimated_wait_seconds"] = absl::StrCat(Seconds(s.estimated_wait));
  v.vars["refresh_seconds"] = absl::StrCat(std::max<int64_t>(1, Seconds(s.refresh_after)));
  v.vars["progress_percent"] = absl::StrCat(std::max(progress, 0));
  v.vars["event_starts_at"] =
      has_event ? absl::FormatTime("%Y-%m-%d %H:%M UTC", s.event_starts_at, absl::UTCTimeZone())
                : "";
  v.vars["event_starts_at_iso"] =
      has_event ? absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", s.event_starts_at, absl::UTCTimeZone())
                : "";
  v.vars["event_countdown"] = has_event ? HumanDuration(s.event_starts_at - now) : "";
  v.vars["reason"] = s.reason;
  v.vars["challenge_salt"] = s.challenge.salt;
  v.vars["challenge_hash"] = s.challenge.challenge;
  v.vars["challenge_signature"] = s.challenge.signature;
  v.vars["challenge_max_number"] = absl::StrCat(s.challenge.max_number);
  v.vars["challenge_cookie"] = s.challenge.cookie;
  v.vars["challenge_script"] =
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
      !s.wait_unknown && HumanDuration(s.estimated_wait_max) != HumanDuration(s.estimated_wait) &&
      s.estimated_wait_max > s.estimated_wait;
  v.sections["wait_unknown"] = s.wait_unknown;
  v.sections["next_in_line"] = s.kind == K::kWaiting && s.position == 1;
  v.sections["has_reason"] = !s.reason.empty();
  v.sections["has_event"] = has_event;
  return v;
}

void RenderNodes(const std::vector<Node>& nodes, const Values& values, std::string* out) {
  for (const Node& n : nodes) {
    switch (n.type) {
      case Node::Type::kText:
        *out += n.text;
        break;
      case Node::Type::kVariable:
        *out +=
            n.text == kRawVariable ? values.vars.at(n.text) : EscapeHtml(values.vars.at(n.text));
        break;
      case Node::Type::kSection:
        if (values.sections.at(n.text)) RenderNodes(n.children, values, out);
        break;
      case Node::Type::kInverted:
        if (!values.sections.at(n.text)) RenderNodes(n.children, values, out);
        break;
    }
  }
}

}  // namespace

int ProgressPercent(const PageState& s) {
  if (s.kind != PageState::Kind::kWaiting || s.start_position == 0 || s.position == 0) return -1;
  const uint64_t start = std::max(s.start_position, s.position);
  if (start <= 1) return -1;  // nobody was ahead: nothing to show progress through
  // Steps from `start` to admission: the start - 1 people ahead, then the visitor's own
  // turn. Rounded down, so position 1 never shows a full bar.
  return static_cast<int>(100 * (start - s.position) / start);
}

absl::string_view KindName(PageState::Kind kind) {
  switch (kind) {
    case PageState::Kind::kWaiting:
      return "waiting";
    case PageState::Kind::kPrequeue:
      return "prequeue";
    case PageState::Kind::kFull:
      return "full";
    case PageState::Kind::kUnavailable:
      return "unavailable";
    case PageState::Kind::kLeft:
      return "left";
    case PageState::Kind::kConfirmLeave:
      return "confirm_leave";
    case PageState::Kind::kNotPlaced:
      return "not_placed";
    case PageState::Kind::kCookieCheck:
      return "cookie_check";
    case PageState::Kind::kBusy:
      return "busy";
    case PageState::Kind::kChallenge:
      return "challenge";
  }
  return "waiting";
}

std::string HumanDuration(absl::Duration d) {
  const int64_t minutes = absl::ToInt64Minutes(absl::Ceil(d, absl::Minutes(1)));
  if (d < absl::Minutes(1)) return "less than a minute";
  if (minutes < 60) return absl::StrCat("about ", minutes, minutes == 1 ? " minute" : " minutes");
  const int64_t hours = minutes / 60, rest = minutes % 60;
  std::string out = absl::StrCat("about ", hours, hours == 1 ? " hour" : " hours");
  if (rest > 0) absl::StrAppend(&out, " ", rest, rest == 1 ? " minute" : " minutes");
  return out;
}

absl::StatusOr<PageTemplate> PageTemplate::Parse(absl::string_view text) {
  struct Open {
    std::vector<Node>* nodes;
    std::string name;
    int line;
  };
  auto root = std::make_shared<std::vector<Node>>();
  std::vector<Open> stack{{root.get(), "", 0}};
  int line = 1;
  size_t pos = 0;
  auto advance_lines = [&](absl::string_view chunk) {
    for (char c : chunk) line += c == '\n';
  };
  while (pos < text.size()) {
    const size_t open = text.find("{{", pos);
    const absl::string_view literal =
        text.substr(pos, open == absl::string_view::npos ? absl::string_view::npos : open - pos);
    if (!literal.empty())
      stack.back().nodes->push_back({Node::Type::kText, std::string(literal), {}});
    advance_lines(literal);
    if (open == absl::string_view::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == absl::string_view::npos)
      return absl::InvalidArgumentError(
          absl::StrCat("template line ", line, ": \"{{\" is not closed"));
    absl::string_view tag = text.substr(open + 2, close - open - 2);
    const int tag_line = line;
    advance_lines(tag);
    pos = close + 2;
    const char sigil = tag.empty() ? '\0' : tag[0];
    if (sigil == '#' || sigil == '^' || sigil == '/') tag.remove_prefix(1);
    const std::string name(tag);
    if (sigil == '/') {
      if (stack.size() == 1 || stack.back().name != name) {
        return absl::InvalidArgumentError(absl::StrCat("template line ", tag_line, ": {{/", name,
                                                       "}} closes no open {{#", name, "}}"));
      }
      stack.pop_back();
      continue;
    }
    if (sigil == '#' || sigil == '^') {
      if (!SectionNames().contains(name)) {
        return absl::InvalidArgumentError(
            absl::StrCat("template line ", tag_line, ": unknown section \"", name, "\""));
      }
      auto& nodes = *stack.back().nodes;
      nodes.push_back({sigil == '#' ? Node::Type::kSection : Node::Type::kInverted, name, {}});
      stack.push_back({&nodes.back().children, name, tag_line});
      continue;
    }
    if (!VariableNames().contains(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("template line ", tag_line, ": unknown name \"", name, "\""));
    }
    stack.back().nodes->push_back({Node::Type::kVariable, name, {}});
  }
  if (stack.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat("template line ", stack.back().line, ": {{#",
                                                   stack.back().name, "}} is never closed"));
  }
  PageTemplate t;
  t.nodes_ = std::move(root);
  return t;
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

std::string PageTemplate::Render(const PageState& state, absl::string_view site_name,
                                 absl::Time now) const {
  std::string out;
  RenderNodes(*nodes_, Compute(state, site_name, now), &out);
  return out;
}

std::string RenderJson(const PageState& s, absl::Time now) {
  const bool has_event = s.event_starts_at != absl::InfinitePast();
  const int progress = ProgressPercent(s);
  auto seconds_or_null = [&](absl::Duration d) {
    return s.wait_unknown ? std::string("null") : absl::StrCat(Seconds(d));
  };
  std::string out = absl::StrCat(
      "{\"state\":\"", KindName(s.kind), "\",\"room\":\"", EscapeJson(s.room),
      "\",\"position\":", s.position,
      ",\"estimated_wait_seconds\":", seconds_or_null(s.estimated_wait),
      ",\"estimated_wait_max_seconds\":", seconds_or_null(s.estimated_wait_max),
      ",\"estimated_wait_unknown\":", s.wait_unknown ? "true" : "false",
      ",\"refresh_seconds\":", std::max<int64_t>(1, Seconds(s.refresh_after)),
      ",\"progress_percent\":", progress < 0 ? std::string("null") : absl::StrCat(progress),
      ",\"event_starts_at\":");
  if (has_event) {
    absl::StrAppend(&out, "\"",
                    absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", s.event_starts_at, absl::UTCTimeZone()),
                    "\",\"event_starts_in_seconds\":", Seconds(s.event_starts_at - now));
  } else {
    absl::StrAppend(&out, "null,\"event_starts_in_seconds\":null");
  }
  absl::StrAppend(&out, ",\"reason\":\"", EscapeJson(s.reason), "\",\"challenge\":");
  if (s.kind == PageState::Kind::kChallenge) {
    const PageState::Challenge& c = s.challenge;
    absl::StrAppend(&out, "{\"algorithm\":\"SHA-256\",\"salt\":\"", EscapeJson(c.salt),
                    "\",\"challenge\":\"", EscapeJson(c.challenge), "\",\"signature\":\"",
                    EscapeJson(c.signature), "\",\"max_number\":", c.max_number, ",\"cookie\":\"",
                    EscapeJson(c.cookie), "\"}}");
  } else {
    absl::StrAppend(&out, "null}");
  }
  return out;
}

const std::string& PageSecurityPolicy() {
  static const std::string* policy = [] {
    const absl::string_view script(kChallengeScript);
    uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const uint8_t*>(script.data()), script.size(), digest);
    return new std::string(
        absl::StrCat("default-src 'none'; script-src 'sha256-",
                     absl::Base64Escape(
                         absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest))),
                     "'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
                     "form-action 'self'"));
  }();
  return *policy;
}

}  // namespace anteroom::gate
