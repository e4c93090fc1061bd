#include "client/gate/page.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace anteroom::gate {

// Defined in the file generated from waiting_page.html.
extern const char kDefaultPageTemplate[];
extern const char kChallengeScript[];

struct PageTemplate::Node {
  enum class Type { kText, kVariable, kMessage, kSection, kInverted };
  Type type;
  std::string text;  // the text, the name, or the message id
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

// Rendered as they are, not escaped: markup the gate itself makes.
constexpr absl::string_view kRawVariable = "challenge_script";
// {{msg.<id>}}: a text of the visitor's language.
constexpr absl::string_view kMessagePrefix = "msg.";

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

const Language& LanguageOf(const PageContext& context) {
  return context.language ? *context.language : Catalogs::Builtin()->English();
}

// The texts that name each state: its title and its main sentence.
absl::string_view TitleId(PageState::Kind kind) {
  switch (kind) {
    case PageState::Kind::kWaiting:
      return "title.waiting";
    case PageState::Kind::kPrequeue:
      return "title.prequeue";
    case PageState::Kind::kFull:
      return "title.full";
    case PageState::Kind::kUnavailable:
      return "title.unavailable";
    case PageState::Kind::kLeft:
      return "title.left";
    case PageState::Kind::kConfirmLeave:
      return "title.confirm_leave";
    case PageState::Kind::kNotPlaced:
    case PageState::Kind::kCookieCheck:
      return "title.cookie_check";
    case PageState::Kind::kBusy:
      return "title.busy";
    case PageState::Kind::kChallenge:
      return "title.challenge";
  }
  return "title.waiting";
}

absl::string_view SentenceId(PageState::Kind kind) {
  switch (kind) {
    case PageState::Kind::kWaiting:
      return "waiting.explain";
    case PageState::Kind::kPrequeue:
      return "prequeue.early";
    case PageState::Kind::kFull:
      return "full.explain";
    case PageState::Kind::kUnavailable:
      return "unavailable.explain";
    case PageState::Kind::kLeft:
      return "left.explain";
    case PageState::Kind::kConfirmLeave:
      return "confirm_leave.explain";
    case PageState::Kind::kNotPlaced:
      return "not_placed.text";
    case PageState::Kind::kCookieCheck:
      return "cookie_check.explain";
    case PageState::Kind::kBusy:
      return "busy.explain";
    case PageState::Kind::kChallenge:
      return "challenge.explain";
  }
  return "waiting.explain";
}

struct Values {
  absl::flat_hash_map<std::string, std::string> vars;
  absl::flat_hash_map<std::string, bool> sections;
  const Language* language = nullptr;
  MessageArgs args;
};

Values Compute(const PageState& s, const PageContext& context) {
  using K = PageState::Kind;
  Values v;
  const Language& language = LanguageOf(context);
  v.language = &language;
  const int progress = ProgressPercent(s);
  const bool has_event = s.event_starts_at != absl::InfinitePast();
  const std::string wait = language.Wait(s.estimated_wait);
  const std::string wait_max = language.Wait(s.estimated_wait_max);
  const int64_t refresh = std::max<int64_t>(1, Seconds(s.refresh_after));
  v.vars["lang"] = language.tag();
  v.vars["dir"] = language.right_to_left() ? "rtl" : "ltr";
  v.vars["site_name"] = context.site_name;
  v.vars["room"] = s.room;
  v.vars["state"] = std::string(KindName(s.kind));
  v.vars["position"] = language.Number(static_cast<int64_t>(s.position));
  v.vars["people_ahead"] =
      language.Number(static_cast<int64_t>(s.position > 0 ? s.position - 1 : 0));
  v.vars["estimated_wait"] = wait;
  v.vars["estimated_wait_max"] = wait_max;
  v.vars["estimated_wait_seconds"] = absl::StrCat(Seconds(s.estimated_wait));
  v.vars["refresh_seconds"] = absl::StrCat(refresh);
  v.vars["progress_percent"] = absl::StrCat(std::max(progress, 0));
  v.vars["event_starts_at"] =
      has_event ? language.DateTime(s.event_starts_at, context.time_zone) : "";
  v.vars["event_starts_at_iso"] =
      has_event ? absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", s.event_starts_at, absl::UTCTimeZone())
                : "";
  v.vars["event_countdown"] = has_event ? language.Countdown(s.event_starts_at - context.now) : "";
  v.args.site_name = context.site_name;
  v.args.position = static_cast<int64_t>(s.position);
  v.args.refresh_seconds = refresh;
  v.args.wait = wait;
  v.args.wait_max = wait_max;
  v.args.progress = language.Percent(std::max(progress, 0));
  v.args.event_time = v.vars["event_starts_at"];
  v.args.countdown = v.vars["event_countdown"];
  v.args.reason = s.reason;
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
      !s.wait_unknown && wait_max != wait && s.estimated_wait_max > s.estimated_wait;
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
      case Node::Type::kMessage:
        *out += EscapeHtml(values.language->Format(n.text, values.args));
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
    if (absl::StartsWith(name, kMessagePrefix)) {
      const std::string id = name.substr(kMessagePrefix.size());
      if (!Catalogs::MessageIds().contains(id)) {
        return absl::InvalidArgumentError(
            absl::StrCat("template line ", tag_line, ": no message \"", id,
                         "\" (the ids are those of client/gate/messages/en.textproto)"));
      }
      stack.back().nodes->push_back({Node::Type::kMessage, id, {}});
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

std::string PageTemplate::Render(const PageState& state, const PageContext& context) const {
  std::string out;
  RenderNodes(*nodes_, Compute(state, context), &out);
  return out;
}

std::string RenderJson(const PageState& s, const PageContext& context) {
  const absl::Time now = context.now;
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
                    EscapeJson(c.cookie), "\"}");
  } else {
    absl::StrAppend(&out, "null");
  }
  const Values v = Compute(s, context);
  auto text_or_null = [](const std::string& text) {
    return text.empty() ? std::string("null") : absl::StrCat("\"", EscapeJson(text), "\"");
  };
  absl::StrAppend(
      &out, ",\"language\":\"", EscapeJson(v.language->tag()), "\",\"title\":\"",
      EscapeJson(v.language->Format(TitleId(s.kind), v.args)), "\",\"message\":\"",
      EscapeJson(v.language->Format(SentenceId(s.kind), v.args)), "\",\"estimated_wait_text\":",
      text_or_null(s.kind == PageState::Kind::kWaiting && !s.wait_unknown ? v.args.wait : ""),
      ",\"event_starts_at_text\":", text_or_null(v.args.event_time), "}");
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
