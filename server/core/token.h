#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace anteroom::core {

// Tickets and session tokens are "<kind>.<room>.<22 chars of base64url>": 128 random bits
// from a CSPRNG, prefixed with the room so Poll/Heartbeat/Leave need no room argument.
enum class TokenKind { kTicket, kSession };

struct ParsedToken {
  TokenKind kind;
  absl::string_view room;
};

std::string MakeToken(TokenKind kind, absl::string_view room, absl::string_view random_bits);

// Returns nullopt for anything that is not a well-formed token (the caller reports
// INVALID_ARGUMENT). A well-formed token may still be unknown to the room.
std::optional<ParsedToken> ParseToken(absl::string_view token);

}  // namespace anteroom::core
