#include "server/service/challenges.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace anteroom::service {
namespace {

constexpr absl::string_view kAlgorithm = "SHA-256";
constexpr absl::string_view kExpires = "?expires=";

std::string Hex(const uint8_t* bytes, size_t n) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), n));
}

}  // namespace

std::string Challenges::Hash(absl::string_view salt, uint64_t number) {
  const std::string message = absl::StrCat(salt, number);
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(message.data()), message.size(), digest);
  return Hex(digest, sizeof(digest));
}

std::string Challenges::Sign(absl::string_view room, absl::string_view client_id,
                             absl::string_view salt, absl::string_view challenge) const {
  // Lengths first: no two different (room, client_id, salt) can run together the same way.
  const std::string message =
      absl::StrCat("challenge:", room.size(), ":", room, ":", client_id.size(), ":", client_id, ":",
                   salt, ":", challenge);
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const uint8_t*>(message.data()), message.size(), mac, &length);
  return Hex(mac, length);
}

v1::Challenge Challenges::Issue(absl::string_view room, absl::string_view client_id, int64_t work,
                                absl::Time now, base::RandomSource* random) const {
  const std::string salt =
      absl::StrCat(random->Hex(12), kExpires, absl::ToUnixSeconds(now + kLifetime));
  const uint64_t number = random->Uniform(static_cast<uint64_t>(work) + 1);
  v1::Challenge out;
  out.set_algorithm(std::string(kAlgorithm));
  out.set_challenge(Hash(salt, number));
  out.set_max_number(static_cast<uint64_t>(work));
  out.set_salt(salt);
  out.set_signature(Sign(room, client_id, salt, out.challenge()));
  return out;
}

bool Challenges::Verify(absl::string_view room, absl::string_view client_id,
                        const v1::Solution& solution, absl::Time now) const {
  if (solution.algorithm() != kAlgorithm) return false;
  const absl::string_view salt = solution.salt();
  const size_t at = salt.rfind(kExpires);
  int64_t expires = 0;
  if (at == absl::string_view::npos ||
      !absl::SimpleAtoi(salt.substr(at + kExpires.size()), &expires) ||
      absl::FromUnixSeconds(expires) < now) {
    return false;
  }
  const std::string expected = Sign(room, client_id, salt, solution.challenge());
  if (solution.signature().size() != expected.size() ||
      CRYPTO_memcmp(solution.signature().data(), expected.data(), expected.size()) != 0) {
    return false;
  }
  return Hash(salt, solution.number()) == solution.challenge();
}

}  // namespace anteroom::service
