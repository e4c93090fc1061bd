#include "wire/token.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace anteroom::wire {
namespace {
constexpr size_t kPayloadBytes = 24;
constexpr size_t kEncodedChars = 32;

void PutBigEndian(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

uint64_t GetBigEndian(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}
}  // namespace

std::string MakeToken(TokenKind kind, absl::string_view room, uint64_t id, const Secret& secret) {
  char payload[kPayloadBytes];
  PutBigEndian(id, payload);
  PutBigEndian(secret[0], payload + 8);
  PutBigEndian(secret[1], payload + 16);
  return absl::StrCat(kind == TokenKind::kTicket ? "t." : "s.", room, ".",
                      absl::WebSafeBase64Escape(absl::string_view(payload, kPayloadBytes)));
}

std::optional<ParsedToken> ParseToken(absl::string_view token) {
  if (token.size() < 2 + 1 + 1 + kEncodedChars || token[1] != '.') return std::nullopt;
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
  const absl::string_view encoded = rest.substr(dot + 1);
  if (encoded.size() != kEncodedChars || !ValidateRoomId(room, "token").ok()) return std::nullopt;
  std::string payload;
  if (!absl::WebSafeBase64Unescape(encoded, &payload) || payload.size() != kPayloadBytes) {
    return std::nullopt;
  }
  return ParsedToken{kind, room, GetBigEndian(payload.data()),
                     Secret{GetBigEndian(payload.data() + 8), GetBigEndian(payload.data() + 16)}};
}

std::optional<Token> Token::Parse(absl::string_view text) {
  std::optional<ParsedToken> parsed = ParseToken(text);
  if (!parsed) return std::nullopt;
  Token token;
  token.text_ = std::string(text);
  token.kind_ = parsed->kind;
  token.room_size_ = parsed->room.size();
  token.id_ = parsed->id;
  token.secret_ = parsed->secret;
  return token;
}

bool SecretsEqual(const Secret& a, const Secret& b) {
  // No early exit: timing does not reveal how much of a guess was right.
  volatile uint64_t diff = (a[0] ^ b[0]) | (a[1] ^ b[1]);
  return diff == 0;
}

absl::Status ValidateRoomId(absl::string_view id, absl::string_view field_name) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(field_name, " is required"));
  bool ok = id.size() <= 63 && (absl::ascii_islower(id[0]) || absl::ascii_isdigit(id[0]));
  for (char c : id) {
    ok = ok && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_');
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        field_name, " must be 1 to 63 characters of [a-z0-9_-] starting with a letter or digit"));
  }
  return absl::OkStatus();
}

}  // namespace anteroom::wire
