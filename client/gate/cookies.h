#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "wire/token.h"

namespace anteroom::gate {

// The cookies of a request's Cookie header, split once: looking one up does not split the
// header again. Copyable and movable (it owns the header's text and finds cookies in it by
// offset).
class CookieJar {
 public:
  CookieJar() = default;
  explicit CookieJar(std::string header);
  // The value of the first cookie named `name`, or "".
  absl::string_view Get(absl::string_view name) const;

 private:
  struct Cookie {
    size_t name_at, name_size, value_at, value_size;  // in header_
  };
  std::string header_;
  std::vector<Cookie> cookies_;
};

// The visitor's cookie of a room, read: a token ("<ticket>~<position first seen>" for a ticket),
// or, for a newcomer not yet placed, whatever else it holds (a signed visitor id, "v.…").
struct VisitorCookie {
  std::optional<wire::Token> token;  // well formed, of the room's
  uint64_t start_position = 0;       // 0: not recorded
  std::string other;                 // the value when it holds no token of the room's
};
// `value` (the cookie's value) read for `room`.
VisitorCookie ReadVisitorCookie(absl::string_view value, absl::string_view room);

// The cookies' names. A room's own cookie is "anteroom_<room>[.<suffix>]" ('.' is in no room
// id, so no room's name with a suffix is another room's name); the others start "anteroom-",
// a prefix no room's own cookie can have, though room ids may hold '_'.
std::string RoomCookieName(absl::string_view room, absl::string_view suffix);
// Where the site puts an operator's entry token for the visitor (or X-Anteroom-Entry).
std::string EntryCookieName(absl::string_view room);
// Where the waiting page's solver puts a solved proof of work (set by script, not HttpOnly).
std::string SolutionCookieName(absl::string_view room);
// Remembers the language a visitor picked with ?lang=.
inline constexpr absl::string_view kLanguageCookie = "anteroom-lang";

// How the gate's cookies are set (GateOptions::cookie_same_site, cookie_secure).
struct CookiePolicy {
  std::string same_site = "Lax";  // Lax, Strict or None (None implies Secure)
  std::string secure = "auto";    // auto (when the request came over TLS), always or never

  // "; Path=/; HttpOnly; SameSite=…[; Secure]" for a request that came over TLS or not.
  std::string Attributes(bool tls) const;
  // The Set-Cookie value that sets `name` to `value`; an empty value clears it.
  std::string Set(absl::string_view name, absl::string_view value, bool tls) const;
};

}  // namespace anteroom::gate
