#include "wire/signer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace anteroom::wire {
namespace {

constexpr size_t kMinKeyBytes = 32;
constexpr size_t kTagBytes = 16;

std::string Tag(absl::string_view key, absl::string_view message) {
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const uint8_t*>(message.data()), message.size(), digest, &length);
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(digest), kTagBytes));
}

}  // namespace

absl::StatusOr<Signer> Signer::FromKeys(std::vector<std::string> keys) {
  if (keys.empty()) return absl::InvalidArgumentError("at least one key is required");
  for (const std::string& key : keys) {
    if (key.size() < kMinKeyBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("a key must be at least ", kMinKeyBytes, " bytes"));
    }
  }
  return Signer(std::move(keys));
}

absl::StatusOr<Signer> Signer::FromFile(absl::string_view flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("--", flag, ": cannot read ", path));
  std::vector<std::string> keys;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    const std::string key(absl::StripAsciiWhitespace(line));
    if (key.empty() || key[0] == '#') continue;
    if (key.size() < kMinKeyBytes) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " ", path, " line ", number,
                                                     ": a key must be at least ", kMinKeyBytes,
                                                     " characters (e.g. openssl rand -hex 32)"));
    }
    keys.push_back(key);
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " ", path, " holds no key"));
  }
  return Signer(std::move(keys));
}

std::string Signer::Sign(absl::string_view message) const { return Tag(keys_.front(), message); }

bool Signer::Verify(absl::string_view message, absl::string_view tag) const {
  bool ok = false;
  for (const std::string& key : keys_) {
    const std::string expected = Tag(key, message);
    // Every key is tried, and each comparison takes the same time whatever matches.
    ok |= expected.size() == tag.size() &&
          CRYPTO_memcmp(expected.data(), tag.data(), expected.size()) == 0;
  }
  return ok;
}

}  // namespace anteroom::wire
