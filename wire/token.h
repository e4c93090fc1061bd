#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

// The wire format that servers and gateways share: tokens and room names. A small library
// of its own, so that a gateway links it without the server's room core.
namespace anteroom::wire {

// 128 random bits that make a token unguessable.
using Secret = std::array<uint64_t, 2>;

// Tickets and session tokens are "<kind>.<room>.<32 chars of base64url>", the base64url
// encoding 8 bytes of id and 16 bytes of secret. The id finds the ticket or session; the
// secret, 128 bits from a CSPRNG, is compared in constant time, so a token cannot be guessed
// or forged from another. The room prefix lets Poll, Heartbeat and Leave take no room.
enum class TokenKind { kTicket, kSession };

struct ParsedToken {
  TokenKind kind;
  absl::string_view room;
  uint64_t id;
  Secret secret;
};

std::string MakeToken(TokenKind kind, absl::string_view room, uint64_t id, const Secret& secret);

// nullopt for anything that is not a well-formed token (the caller reports
// INVALID_ARGUMENT). A well-formed token may still be unknown to the room.
std::optional<ParsedToken> ParseToken(absl::string_view token);

// A token with its parts, parsed once where it came in (a cookie, a request's field) and
// passed inward as it is: nothing downstream parses its text again. Copyable.
class Token {
 public:
  // nullopt for anything that is not a well-formed token.
  static std::optional<Token> Parse(absl::string_view text);

  const std::string& text() const { return text_; }
  TokenKind kind() const { return kind_; }
  absl::string_view room() const { return absl::string_view(text_).substr(2, room_size_); }
  uint64_t id() const { return id_; }
  const Secret& secret() const { return secret_; }
  ParsedToken parsed() const { return ParsedToken{kind_, room(), id_, secret_}; }

 private:
  Token() = default;
  std::string text_;
  TokenKind kind_ = TokenKind::kTicket;
  size_t room_size_ = 0;  // the room is text_[2, 2 + room_size_)
  uint64_t id_ = 0;
  Secret secret_{};
};

// Constant-time comparison.
bool SecretsEqual(const Secret& a, const Secret& b);

// Room names: 1..63 characters of [a-z0-9_-], first a letter or digit. INVALID_ARGUMENT
// naming `field_name` otherwise.
absl::Status ValidateRoomId(absl::string_view id, absl::string_view field_name);

// The trailing metadata in which a standby of a replicated cluster names the owner's address
// (anteroomd answers UNAVAILABLE with it; the client library follows it).
inline constexpr absl::string_view kOwnerMetadata = "anteroom-owner";

}  // namespace anteroom::wire
