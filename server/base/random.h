#pragma once

#include <cstdint>
#include <string>

namespace anteroom::base {

// Produces unguessable random strings for tickets and session tokens.
//
// Thread-safe.
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // 128 random bits, encoded as 22 characters of unpadded base64url ([A-Za-z0-9_-]).
  virtual std::string NewTokenBits() = 0;
};

// Reads the kernel's CSPRNG (getrandom(2)); never blocks once the system is booted.
class SecureTokenSource final : public TokenSource {
 public:
  std::string NewTokenBits() override;
};

// Encodes 16 bytes as unpadded base64url.
std::string EncodeTokenBits(const uint8_t bytes[16]);

}  // namespace anteroom::base
