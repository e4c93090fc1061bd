#include "client/gate/cookies.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace anteroom::gate {

CookieJar::CookieJar(std::string header) : header_(std::move(header)) {
  for (absl::string_view part : absl::StrSplit(header_, ';')) {
    part = absl::StripAsciiWhitespace(part);
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos) continue;
    const size_t at = static_cast<size_t>(part.data() - header_.data());
    cookies_.push_back(Cookie{at, eq, at + eq + 1, part.size() - eq - 1});
  }
}

absl::string_view CookieJar::Get(absl::string_view name) const {
  const absl::string_view header = header_;
  for (const Cookie& c : cookies_) {
    if (header.substr(c.name_at, c.name_size) == name)
      return header.substr(c.value_at, c.value_size);
  }
  return "";
}

VisitorCookie ReadVisitorCookie(absl::string_view value, absl::string_view room) {
  VisitorCookie cookie;
  const size_t tilde = value.find('~');
  std::optional<wire::Token> token = wire::Token::Parse(value.substr(0, tilde));
  if (!token || token->room() != room) {
    cookie.other = std::string(value);
    return cookie;
  }
  cookie.token = std::move(token);
  if (tilde != absl::string_view::npos &&
      !absl::SimpleAtoi(value.substr(tilde + 1), &cookie.start_position))
    cookie.start_position = 0;
  return cookie;
}

std::string RoomCookieName(absl::string_view room, absl::string_view suffix) {
  return absl::StrCat("anteroom_", room, suffix.empty() ? "" : ".", suffix);
}

std::string EntryCookieName(absl::string_view room) {
  return absl::StrCat("anteroom-entry_", room);
}

std::string SolutionCookieName(absl::string_view room) {
  return absl::StrCat("anteroom-pow_", room);
}

std::string CookiePolicy::Attributes(bool tls) const {
  const bool secure_cookie =
      this->secure == "always" || same_site == "None" || (this->secure == "auto" && tls);
  return absl::StrCat("; Path=/; HttpOnly; SameSite=", same_site, secure_cookie ? "; Secure" : "");
}

std::string CookiePolicy::Set(absl::string_view name, absl::string_view value, bool tls) const {
  std::string cookie = absl::StrCat(name, "=", value, Attributes(tls));
  if (value.empty()) cookie += "; Max-Age=0";
  return cookie;
}

}  // namespace anteroom::gate
