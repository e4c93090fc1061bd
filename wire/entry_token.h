#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "wire/signer.h"

namespace anteroom::wire {

// Operators' entry tokens: what a site hands a visitor it vouches for, signed with keys only
// the site and anteroomd hold (--entry_key_file; HMAC-SHA256, see Signer, so keys rotate:
// the first signs, every one verifies). A token is for one room until it expires:
//
//   e.<room>.<kind>.<subject, base64url>.<expiry, unix seconds>.<tag>
//
// - identity: the subject (required) is a verified identity (an account, a booking
//   reference): whatever device or browser brings it, it is one visitor with one place.
// - priority: a place in the room's priority lane, ahead of everyone waiting without one.
// - bypass (subject required: a leaked code is then one visitor, not a crowd): in at once,
//   whatever the line and the room's count (staff, the site's checks).
// With a subject, a priority token is one visitor per subject too; without one it is a code
// for any number of visitors (invitees) until it expires.
enum class EntryKind { kIdentity, kPriority, kBypass };

struct EntryToken {
  std::string room;
  EntryKind kind = EntryKind::kIdentity;
  std::string subject;  // up to kMaxEntrySubjectBytes bytes, any bytes
  absl::Time expires;
};

inline constexpr size_t kMaxEntrySubjectBytes = 128;
inline constexpr size_t kMaxEntryTokenBytes = 512;

// "identity", "priority", "bypass".
absl::string_view EntryKindName(EntryKind kind);
std::optional<EntryKind> EntryKindFromName(absl::string_view name);

// The token, signed with `keys`' first key. INVALID_ARGUMENT for a bad room name, a subject
// that is too long, or an identity token without one.
absl::StatusOr<std::string> SignEntryToken(const Signer& keys, const EntryToken& token);

// The token `text` if `keys` signed it for `room` and it has not expired at `now`. Otherwise
// INVALID_ARGUMENT naming `field` and saying why (malformed, another room's, expired, not
// signed by these keys).
absl::StatusOr<EntryToken> VerifyEntryToken(const Signer& keys, absl::string_view text,
                                            absl::string_view room, absl::Time now,
                                            absl::string_view field);

}  // namespace anteroom::wire
