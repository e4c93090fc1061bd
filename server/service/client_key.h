#pragma once

#include <array>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/random.h"
#include "server/core/room.h"
#include "server/service/commit_log.h"
#include "storage/store.h"

namespace anteroom::service {

// Turns a gateway's client_id into the room core's ClientKey: the first 128 bits of
// HMAC-SHA256 under a 256-bit secret kept in the store (meta key "client_key_secret",
// created on first start). Raw client ids are never stored, keys are stable across restarts,
// and nobody without the secret can craft a client_id that collides with another visitor's.
//
// Thread-safe (immutable once loaded).
class ClientKeyer {
 public:
  // A new secret is written through `log` (so replicas share it); null: to `store` itself.
  static absl::StatusOr<ClientKeyer> LoadOrCreate(storage::Store* store, base::RandomSource* random,
                                                  CommitLog* log = nullptr);
  core::ClientKey Of(absl::string_view client_id) const;
  // The key of a verified identity (an entry token's subject): keyed apart from client ids,
  // so no client_id can pose as an identity.
  core::ClientKey OfIdentity(absl::string_view subject) const;
  // A 256-bit key for another purpose (`label`), derived from the same secret.
  std::array<uint8_t, 32> DeriveKey(absl::string_view label) const;

 private:
  explicit ClientKeyer(std::array<uint8_t, 32> secret) : secret_(secret) {}
  std::array<uint8_t, 32> secret_;
};

}  // namespace anteroom::service
