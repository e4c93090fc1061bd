#include "server/service/client_key.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

namespace anteroom::service {
namespace {
constexpr absl::string_view kSecretKey = "client_key_secret";
}

absl::StatusOr<ClientKeyer> ClientKeyer::LoadOrCreate(storage::Store* store,
                                                      base::RandomSource* random, CommitLog* log) {
  absl::StatusOr<std::optional<std::string>> stored = store->Get(storage::Table::kMeta, kSecretKey);
  if (!stored.ok()) return stored.status();
  std::array<uint8_t, 32> secret;
  if (stored->has_value()) {
    if ((*stored)->size() != secret.size()) {
      return absl::DataLossError("meta client_key_secret has the wrong size");
    }
    std::memcpy(secret.data(), (*stored)->data(), secret.size());
    return ClientKeyer(secret);
  }
  random->Fill(secret.data(), secret.size());
  storage::WriteBatch batch;
  batch.Put(storage::Table::kMeta, std::string(kSecretKey),
            std::string(reinterpret_cast<const char*>(secret.data()), secret.size()));
  if (absl::Status s = log != nullptr ? log->Append(batch) : store->Write(batch); !s.ok()) return s;
  return ClientKeyer(secret);
}

namespace {

core::ClientKey KeyOf(const std::array<uint8_t, 32>& secret, absl::string_view text) {
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const uint8_t*>(text.data()), text.size(), digest, &length);
  core::ClientKey key;
  std::memcpy(&key.hi, digest, 8);
  std::memcpy(&key.lo, digest + 8, 8);
  return key;
}

}  // namespace

core::ClientKey ClientKeyer::Of(absl::string_view client_id) const {
  return KeyOf(secret_, client_id);
}

core::ClientKey ClientKeyer::OfIdentity(absl::string_view subject) const {
  return KeyOf(DeriveKey("identity"), subject);
}

std::array<uint8_t, 32> ClientKeyer::DeriveKey(absl::string_view label) const {
  const std::string message = std::string("derived-key:") + std::string(label);
  std::array<uint8_t, 32> key;
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const uint8_t*>(message.data()), message.size(), key.data(), &length);
  return key;
}

}  // namespace anteroom::service
