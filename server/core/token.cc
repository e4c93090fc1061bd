#include "server/core/token.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/core/settings.h"

namespace anteroom::core {

std::string MakeToken(TokenKind kind, absl::string_view room, absl::string_view random_bits) {
  return absl::StrCat(kind == TokenKind::kTicket ? "t." : "s.", room, ".", random_bits);
}

std::optional<ParsedToken> ParseToken(absl::string_view token) {
  if (token.size() < 2 + 1 + 1 + 22 || token[1] != '.') return std::nullopt;
  TokenKind kind;
  if (token[0] == 't') {
    kind = TokenKind::kTicket;
  } else if (token[0] == 's') {
    kind = TokenKind::kSession;
  } else {
    return std::nullopt;
  }
  const absl::string_view rest = token.substr(2);
  const size_t dot = rest.rfind('.');
  if (dot == absl::string_view::npos) return std::nullopt;
  const absl::string_view room = rest.substr(0, dot);
  const absl::string_view bits = rest.substr(dot + 1);
  if (bits.size() != 22 || !ValidateRoomId(room, "token").ok()) return std::nullopt;
  for (char c : bits) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_') return std::nullopt;
  }
  return ParsedToken{kind, room};
}

}  // namespace anteroom::core
