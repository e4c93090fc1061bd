#include "client/gate/page_json.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace anteroom::gate {

// Defined in the file generated from waiting_page.html.
extern const char kChallengeScript[];

namespace {

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

}  // namespace

std::string RenderJson(const PageState& s, const PageContext& context) {
  const absl::Time now = context.now;
  const bool has_event = s.event_starts_at != absl::InfinitePast();
  const int progress = ProgressPercent(s);
  auto seconds_or_null = [&](absl::Duration d) {
    return s.wait_unknown ? std::string("null") : absl::StrCat(WholeSeconds(d));
  };
  std::string out = absl::StrCat(
      "{\"state\":\"", KindName(s.kind), "\",\"room\":\"", EscapeJson(s.room),
      "\",\"position\":", s.position,
      ",\"estimated_wait_seconds\":", seconds_or_null(s.estimated_wait),
      ",\"estimated_wait_max_seconds\":", seconds_or_null(s.estimated_wait_max),
      ",\"estimated_wait_unknown\":", s.wait_unknown ? "true" : "false",
      ",\"refresh_seconds\":", std::max<int64_t>(1, WholeSeconds(s.refresh_after)),
      ",\"progress_percent\":", progress < 0 ? std::string("null") : absl::StrCat(progress),
      ",\"event_starts_at\":");
  if (has_event) {
    absl::StrAppend(&out, "\"",
                    absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", s.event_starts_at, absl::UTCTimeZone()),
                    "\",\"event_starts_in_seconds\":", WholeSeconds(s.event_starts_at - now));
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
  const PageValues v = ComputePageValues(s, context);
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
