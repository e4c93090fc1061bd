#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "anteroom/v1/waiting_room.pb.h"
#include "base/random.h"

namespace anteroom::service {

// Proofs of work (the model of ALTCHA's protocol). A challenge is a random salt that carries
// its expiry, a secret number n drawn uniformly from 0..work, and hex(SHA-256(salt + n)); the
// visitor finds n by trying numbers in order (work / 2 hashes on average). The server keeps
// nothing: the challenge is signed (HMAC-SHA256) together with the room and the client_id it
// was given to, so a solution proves work for that visitor in that room only, and a replay
// for the same client_id finds the place it already bought.
//
// Thread-safe (immutable).
class Challenges {
 public:
  // How long a challenge can be solved and brought back.
  static constexpr absl::Duration kLifetime = absl::Minutes(10);

  explicit Challenges(std::array<uint8_t, 32> key) : key_(key) {}

  // A challenge of `work` for `client_id` in `room`, valid until now + kLifetime.
  v1::Challenge Issue(absl::string_view room, absl::string_view client_id, int64_t work,
                      absl::Time now, base::RandomSource* random) const;
  // Whether `solution` solves a challenge issued here for `client_id` in `room` that has not
  // expired at `now`.
  bool Verify(absl::string_view room, absl::string_view client_id, const v1::Solution& solution,
              absl::Time now) const;

  // hex(SHA-256(salt + decimal(number))): what a solver compares with the challenge.
  static std::string Hash(absl::string_view salt, uint64_t number);

 private:
  std::string Sign(absl::string_view room, absl::string_view client_id, absl::string_view salt,
                   absl::string_view challenge) const;

  const std::array<uint8_t, 32> key_;
};

}  // namespace anteroom::service
