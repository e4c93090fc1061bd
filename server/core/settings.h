#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace anteroom::core {

// How free slots are handed out (see anteroom.v1.QueueingMethod).
enum class QueueingMethod { kFifo, kRandom, kPassthrough, kReject };

// One room's settings as the core sees them. Every field has the default a new room gets.
// The meaning of each field is documented on anteroom.v1.RoomSettings.
struct RoomSettings {
  // Concurrency budget. Default 100; 1..kMaxActiveSessionsLimit.
  int64_t max_active_sessions = 100;
  // Admissions per minute; 0 = unlimited. Default 0. (Not implemented yet.)
  int64_t admissions_per_minute = 0;
  // Lease length. Default 5 min; 1 s..24 h.
  absl::Duration session_ttl = absl::Minutes(5);
  // Heartbeats renew the lease. Default true. (false not implemented yet.)
  bool session_renewal = true;
  // No-show timeout; zero = off. Default off. (Not implemented yet.)
  absl::Duration arrival_ttl = absl::ZeroDuration();
  // Abandonment timeout; zero = off. Default off. (Not implemented yet.)
  absl::Duration place_hold = absl::ZeroDuration();
  // Default FIFO. (Only FIFO is implemented yet.)
  QueueingMethod queueing_method = QueueingMethod::kFifo;
  // Queue everyone, admit nobody. Default false. (Not implemented yet.)
  bool queue_all = false;
  // 0 = unlimited. Default 0. (Not implemented yet.)
  int64_t max_queue_length = 0;

  friend bool operator==(const RoomSettings&, const RoomSettings&) = default;
};

inline constexpr int64_t kMaxActiveSessionsLimit = 10'000'000;

// Checks a complete settings value. INVALID_ARGUMENT names the field (as in the public API,
// "settings.<field>"); UNIMPLEMENTED names a setting this version does not support yet.
absl::Status ValidateSettings(const RoomSettings& settings);

// Room names: 1..63 characters of [a-z0-9_-], first a letter or digit.
absl::Status ValidateRoomId(absl::string_view id, absl::string_view field_name);

}  // namespace anteroom::core
