#include "server/core/settings.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace anteroom::core {

RoomSettings ApplyOverrides(RoomSettings s, const SettingsOverrides& o) {
  if (o.max_active_sessions) s.max_active_sessions = *o.max_active_sessions;
  if (o.admissions_per_minute) s.admissions_per_minute = *o.admissions_per_minute;
  if (o.session_ttl) s.session_ttl = *o.session_ttl;
  if (o.session_renewal) s.session_renewal = *o.session_renewal;
  if (o.arrival_ttl) s.arrival_ttl = *o.arrival_ttl;
  if (o.place_hold) s.place_hold = *o.place_hold;
  if (o.queueing_method) s.queueing_method = *o.queueing_method;
  if (o.queue_all) s.queue_all = *o.queue_all;
  if (o.max_queue_length) s.max_queue_length = *o.max_queue_length;
  if (o.max_places_per_source) s.max_places_per_source = *o.max_places_per_source;
  if (o.new_places_per_source_per_minute) {
    s.new_places_per_source_per_minute = *o.new_places_per_source_per_minute;
  }
  if (o.over_source_limit) s.over_source_limit = *o.over_source_limit;
  if (o.challenge_work) s.challenge_work = *o.challenge_work;
  if (o.challenge_work_max) s.challenge_work_max = *o.challenge_work_max;
  if (o.challenge_work_full_at) s.challenge_work_full_at = *o.challenge_work_full_at;
  return s;
}

int64_t ChallengeWork(const RoomSettings& s, int64_t waiting) {
  if (s.challenge_work == 0) return 0;
  const int64_t max = std::max(s.challenge_work, s.challenge_work_max);
  if (waiting >= s.challenge_work_full_at) return max;
  // Linear from challenge_work (nobody waits) to max (full_at waiting).
  const long double share =
      static_cast<long double>(waiting) / static_cast<long double>(s.challenge_work_full_at);
  return s.challenge_work +
         static_cast<int64_t>(share * static_cast<long double>(max - s.challenge_work));
}

absl::Status ValidateSettings(const RoomSettings& s) {
  if (s.max_active_sessions < 1 || s.max_active_sessions > kMaxActiveSessionsLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("settings.max_active_sessions must be between 1 and ", kMaxActiveSessionsLimit,
                     ", got ", s.max_active_sessions));
  }
  if (s.admissions_per_minute < 0 || s.admissions_per_minute > kMaxAdmissionsPerMinute) {
    return absl::InvalidArgumentError(
        absl::StrCat("settings.admissions_per_minute must be between 0 (unlimited) and ",
                     kMaxAdmissionsPerMinute, ", got ", s.admissions_per_minute));
  }
  if (s.session_ttl < absl::Seconds(1) || s.session_ttl > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        absl::StrCat("settings.session_ttl must be between 1s and 24h, got ",
                     absl::FormatDuration(s.session_ttl)));
  }
  if (s.arrival_ttl != absl::ZeroDuration() &&
      (s.arrival_ttl < kMinVisitorTimeout || s.arrival_ttl > absl::Hours(24))) {
    return absl::InvalidArgumentError(
        absl::StrCat("settings.arrival_ttl must be 0 (off) or between ",
                     absl::FormatDuration(kMinVisitorTimeout), " and 24h, got ",
                     absl::FormatDuration(s.arrival_ttl)));
  }
  if (s.place_hold != absl::ZeroDuration() &&
      (s.place_hold < kMinVisitorTimeout || s.place_hold > absl::Hours(24))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "settings.place_hold must be 0 (off) or between ", absl::FormatDuration(kMinVisitorTimeout),
        " and 24h, got ", absl::FormatDuration(s.place_hold)));
  }
  for (auto [value, field] :
       {std::pair{s.max_places_per_source, "max_places_per_source"},
        std::pair{s.new_places_per_source_per_minute, "new_places_per_source_per_minute"}}) {
    if (value < 0 || value > kMaxPerSourceLimit) {
      return absl::InvalidArgumentError(absl::StrCat("settings.", field,
                                                     " must be between 0 (unlimited) and ",
                                                     kMaxPerSourceLimit, ", got ", value));
    }
  }
  if (s.max_queue_length < 0) {
    return absl::InvalidArgumentError("settings.max_queue_length must not be negative");
  }
  if (s.challenge_work != 0 &&
      (s.challenge_work < kMinChallengeWork || s.challenge_work > kMaxChallengeWork)) {
    return absl::InvalidArgumentError(
        absl::StrCat("settings.challenge_work must be 0 (off) or between ", kMinChallengeWork,
                     " and ", kMaxChallengeWork, ", got ", s.challenge_work));
  }
  if (s.challenge_work_max != 0 &&
      (s.challenge_work_max < s.challenge_work || s.challenge_work_max > kMaxChallengeWork)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "settings.challenge_work_max must be 0 (as challenge_work) or between challenge_work (",
        s.challenge_work, ") and ", kMaxChallengeWork, ", got ", s.challenge_work_max));
  }
  if (s.challenge_work_full_at < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "settings.challenge_work_full_at must be at least 1, got ", s.challenge_work_full_at));
  }
  return absl::OkStatus();
}

namespace {
constexpr absl::Duration kPrequeueStartSlack = absl::Minutes(5);
}  // namespace

absl::Status ValidateEvent(const Event& e, absl::Time now, const RoomSettings& room_settings,
                           const std::vector<Event>& others) {
  if (e.start == absl::Time() || e.end == absl::Time()) {
    return absl::InvalidArgumentError("event.start and event.end are required");
  }
  if (e.end <= e.start) return absl::InvalidArgumentError("event.end must be after event.start");
  if (e.prequeue_start > e.start) {
    return absl::InvalidArgumentError("event.prequeue_start must not be after event.start");
  }
  if (e.end <= now) return absl::InvalidArgumentError("event.end is in the past");
  // "From now" arrives a little late; a start long past is more likely a typo.
  if (e.prequeue_start < now - kPrequeueStartSlack && e.prequeue_start != e.start) {
    return absl::InvalidArgumentError("event.prequeue_start is more than 5 minutes in the past");
  }
  if (absl::Status s = ValidateSettings(ApplyOverrides(room_settings, e.overrides)); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("event.overrides: ", s.message()));
  }
  for (const Event& o : others) {
    if (e.prequeue_start < o.end && o.prequeue_start < e.end) {
      return absl::FailedPreconditionError(
          absl::StrCat("event overlaps event ", o.id, " (pre-queue included)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace anteroom::core
