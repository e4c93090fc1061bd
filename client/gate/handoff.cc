#include "client/gate/handoff.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace anteroom::gate {

std::string EncodeHandoff(const PageState& p) {
  std::string out =
      absl::StrCat("state=", KindName(p.kind), "&position=", p.position,
                   "&start=", p.start_position, "&wait=", absl::ToInt64Seconds(p.estimated_wait),
                   "&wait_max=", absl::ToInt64Seconds(p.estimated_wait_max),
                   "&refresh=", absl::ToInt64Seconds(p.refresh_after));
  if (p.wait_unknown) absl::StrAppend(&out, "&unknown=1");
  if (p.event_starts_at != absl::InfinitePast())
    absl::StrAppend(&out, "&event=", absl::ToUnixSeconds(p.event_starts_at));
  if (!p.reason.empty()) absl::StrAppend(&out, "&reason=", absl::WebSafeBase64Escape(p.reason));
  if (p.kind == PageState::Kind::kChallenge) {
    absl::StrAppend(&out, "&salt=", absl::WebSafeBase64Escape(p.challenge.salt),
                    "&challenge=", absl::WebSafeBase64Escape(p.challenge.challenge),
                    "&signature=", absl::WebSafeBase64Escape(p.challenge.signature),
                    "&max=", p.challenge.max_number);
  }
  return out;
}

std::optional<PageState> DecodeHandoff(absl::string_view text) {
  if (text.empty()) return std::nullopt;
  PageState p;
  bool has_state = false;
  for (absl::string_view pair : absl::StrSplit(text, '&')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    const std::string& value = kv.second;
    int64_t n = 0;
    const bool numeric = absl::SimpleAtoi(value, &n) && n >= 0;
    if (kv.first == "state") {
      has_state = true;
      // The states /check hands off (not "left" or "confirm_leave", which /leave draws).
      std::optional<PageState::Kind> kind = KindNamed(value);
      if (!kind || *kind == PageState::Kind::kLeft || *kind == PageState::Kind::kConfirmLeave)
        return std::nullopt;
      p.kind = *kind;
    } else if (kv.first == "reason") {
      if (!absl::WebSafeBase64Unescape(value, &p.reason)) return std::nullopt;
    } else if (kv.first == "salt" || kv.first == "challenge" || kv.first == "signature") {
      std::string* field = kv.first == "salt"        ? &p.challenge.salt
                           : kv.first == "challenge" ? &p.challenge.challenge
                                                     : &p.challenge.signature;
      if (!absl::WebSafeBase64Unescape(value, field)) return std::nullopt;
    } else if (!numeric) {
      return std::nullopt;
    } else if (kv.first == "position") {
      p.position = n;
    } else if (kv.first == "start") {
      p.start_position = n;
    } else if (kv.first == "wait") {
      p.estimated_wait = absl::Seconds(n);
    } else if (kv.first == "wait_max") {
      p.estimated_wait_max = absl::Seconds(n);
    } else if (kv.first == "refresh") {
      p.refresh_after = absl::Seconds(n);
    } else if (kv.first == "unknown") {
      p.wait_unknown = n != 0;
    } else if (kv.first == "event") {
      p.event_starts_at = absl::FromUnixSeconds(n);
    } else if (kv.first == "max") {
      p.challenge.max_number = static_cast<uint64_t>(n);
    }
  }
  if (!has_state) return std::nullopt;
  return p;
}

}  // namespace anteroom::gate
