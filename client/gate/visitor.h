#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "anteroom/v1/waiting_room.pb.h"
#include "base/random.h"
#include "wire/signer.h"

namespace anteroom::gate {

// Who a visitor is to the gate, before Anteroom has placed them: a visitor id the gate
// signs (so that a client that fires many requests before it keeps the cookie, or never
// keeps it, holds one place at most), the network they come from (for rooms' per-source
// limits), and a proof of work they bring.

// A fresh, unguessable visitor id: 128 random bits, base64url.
std::string NewVisitorId(base::RandomSource* random);
// The cookie value that carries a newcomer's visitor id for `room`: "v.<id>.<signature>".
std::string SignedVisitorCookie(const wire::Signer& signer, absl::string_view room,
                                absl::string_view id);
// The visitor id in `value` if `signer`'s keys signed it for `room`, else "".
std::string SignedVisitorId(const wire::Signer& signer, absl::string_view room,
                            absl::string_view value);

// A visitor's source for per-source limits: `signer`'s keyed hash of the network `address`
// is in (its first `v4_bits` or `v6_bits` bits; an IPv4-mapped IPv6 address counts as IPv4),
// 22 characters of [A-Za-z0-9_-]; "" when `address` is not an address. The address itself
// goes no further.
std::string NetworkSource(const wire::Signer& signer, const std::string& address, int v4_bits,
                          int v6_bits);

// A solved proof of work as the waiting page's solver or an app brings it back:
// "<salt>.<challenge>.<signature>.<number>". Anteroom checks it; here only its shape
// (nullopt when it has none).
std::optional<v1::Solution> ParseSolution(absl::string_view text);

// A key of this gate's alone, for when none is configured.
std::shared_ptr<const wire::Signer> RandomSigner(base::RandomSource* random);

}  // namespace anteroom::gate
