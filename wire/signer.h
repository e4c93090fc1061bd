#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace anteroom::wire {

// HMAC-SHA256 under a set of keys: the first signs, every one verifies, so keys can be
// rotated (add the new key first, remove the old one once what it signed has lapsed). Tags
// are the first 16 bytes of the HMAC, base64url (22 characters). Used for what a gateway
// signs (a newcomer's visitor id, operators' entry tokens) and its keyed hashes (sources).
//
// Thread-safe (immutable).
class Signer {
 public:
  // Keys from a file: one per line, each at least 32 characters (blank lines and lines
  // starting with '#' are skipped). INVALID_ARGUMENT naming `flag` and the line otherwise.
  static absl::StatusOr<Signer> FromFile(absl::string_view flag, const std::string& path);
  // Keys as given; each at least 32 bytes.
  static absl::StatusOr<Signer> FromKeys(std::vector<std::string> keys);

  // The tag of `message` under the first key.
  std::string Sign(absl::string_view message) const;
  // Whether `tag` is `message`'s tag under any key (compared in constant time).
  bool Verify(absl::string_view message, absl::string_view tag) const;

 private:
  explicit Signer(std::vector<std::string> keys) : keys_(std::move(keys)) {}
  std::vector<std::string> keys_;
};

}  // namespace anteroom::wire
