#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace anteroom::core {

// How free slots are handed out (see anteroom.v1.QueueingMethod).
enum class QueueingMethod { kFifo, kRandom, kPassthrough, kReject };

// What a visitor over a per-source limit gets (see anteroom.v1.SourceLimitAction).
enum class SourceLimitAction {
  kReject,  // REJECTED, reason "too many places from your network"
  kShadow,  // a place in a shadow queue that never reaches the front
};

// One room's settings as the core sees them. Every field has the default a new room gets.
// The meaning of each field is documented on anteroom.v1.RoomSettings.
struct RoomSettings {
  // Concurrency budget. Default 100; 1..kMaxActiveSessionsLimit.
  int64_t max_active_sessions = 100;
  // Outflow from the queue; 0 = unlimited. Token bucket, burst of one second's worth
  // (at least 1). Default 0.
  int64_t admissions_per_minute = 0;
  // Lease length. Default 5 min; 1 s..24 h.
  absl::Duration session_ttl = absl::Minutes(5);
  // Heartbeats renew the lease. When false, a session ends session_ttl after admission.
  // Default true.
  bool session_renewal = true;
  // An admitted visitor who has not sent a first Heartbeat within this loses the slot;
  // zero = off. Default off; otherwise at least kMinVisitorTimeout.
  absl::Duration arrival_ttl = absl::ZeroDuration();
  // A queued visitor who has not polled for this long loses the place; zero = off.
  // Default off; otherwise at least kMinVisitorTimeout.
  absl::Duration place_hold = absl::ZeroDuration();
  // Default FIFO.
  QueueingMethod queueing_method = QueueingMethod::kFifo;
  // Queue everyone, admit nobody. Default false.
  bool queue_all = false;
  // Waiting visitors (queued and pre-queued) beyond which Admit rejects; 0 = unlimited.
  int64_t max_queue_length = 0;
  // Live places (waiting or admitted) one source (network) may hold; 0 = unlimited.
  // Default 0; at most kMaxPerSourceLimit.
  int64_t max_places_per_source = 0;
  // New places one source may take per minute (a burst of a minute's worth); 0 = unlimited.
  // Default 0; at most kMaxPerSourceLimit.
  int64_t new_places_per_source_per_minute = 0;
  // What a visitor over either per-source limit gets. Default kReject.
  SourceLimitAction over_source_limit = SourceLimitAction::kReject;
  // A proof of work before a new place: the work of a challenge (the largest number the
  // visitor's browser may have to try; it tries half of it on average) while nobody waits.
  // 0 = off (default); otherwise kMinChallengeWork..kMaxChallengeWork.
  int64_t challenge_work = 0;
  // The work once challenge_work_full_at visitors wait, rising linearly from
  // challenge_work; 0 = challenge_work (no rise). Default 0; at least challenge_work.
  int64_t challenge_work_max = 0;
  // Waiting visitors at which challenge_work_max is reached. Default 10,000; at least 1.
  int64_t challenge_work_full_at = 10'000;

  friend bool operator==(const RoomSettings&, const RoomSettings&) = default;
};

inline constexpr int64_t kMaxActiveSessionsLimit = 10'000'000;
inline constexpr int64_t kMaxAdmissionsPerMinute = 600'000'000;
inline constexpr int64_t kMaxPerSourceLimit = 1'000'000;
inline constexpr int64_t kMinChallengeWork = 1'000;
inline constexpr int64_t kMaxChallengeWork = 100'000'000;
// A place hold or arrival TTL shorter than this would drop visitors who poll at the
// customary 20 s refresh.
inline constexpr absl::Duration kMinVisitorTimeout = absl::Seconds(30);

// Per-event replacements for some settings; unset fields keep the room's value.
struct SettingsOverrides {
  std::optional<int64_t> max_active_sessions;
  std::optional<int64_t> admissions_per_minute;
  std::optional<absl::Duration> session_ttl;
  std::optional<bool> session_renewal;
  std::optional<absl::Duration> arrival_ttl;
  std::optional<absl::Duration> place_hold;
  std::optional<QueueingMethod> queueing_method;
  std::optional<bool> queue_all;
  std::optional<int64_t> max_queue_length;
  std::optional<int64_t> max_places_per_source;
  std::optional<int64_t> new_places_per_source_per_minute;
  std::optional<SourceLimitAction> over_source_limit;
  std::optional<int64_t> challenge_work;
  std::optional<int64_t> challenge_work_max;
  std::optional<int64_t> challenge_work_full_at;

  friend bool operator==(const SettingsOverrides&, const SettingsOverrides&) = default;
};

RoomSettings ApplyOverrides(RoomSettings settings, const SettingsOverrides& overrides);

// The work of a challenge for a newcomer when `waiting` visitors wait (0: no challenge).
int64_t ChallengeWork(const RoomSettings& settings, int64_t waiting);

// A scheduled window of a room: from prequeue_start to start arrivals are pre-queued; at
// start the pre-queue (shuffled if asked) joins the queue ahead of later arrivals; from start
// to end the overrides are in force.
struct Event {
  std::string id;
  absl::Time prequeue_start;  // == start when there is no pre-queue
  absl::Time start;
  absl::Time end;
  bool shuffle_at_start = true;
  SettingsOverrides overrides;
  bool started = false;  // the pre-queue has joined the queue (happens exactly once)
};

// Checks a complete settings value; INVALID_ARGUMENT names the field as in the public API
// ("settings.<field>").
absl::Status ValidateSettings(const RoomSettings& settings);

// Checks a new event against the clock and the room's other events (which must not overlap
// it, pre-queue included). Fields are named as in the public API ("event.<field>").
absl::Status ValidateEvent(const Event& event, absl::Time now, const RoomSettings& room_settings,
                           const std::vector<Event>& others);

}  // namespace anteroom::core
