#include "server/core/settings.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace anteroom::core {

absl::Status ValidateSettings(const RoomSettings& s) {
  if (s.max_active_sessions < 1 || s.max_active_sessions > kMaxActiveSessionsLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("settings.max_active_sessions must be between 1 and ", kMaxActiveSessionsLimit,
                     ", got ", s.max_active_sessions));
  }
  if (s.session_ttl < absl::Seconds(1) || s.session_ttl > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        absl::StrCat("settings.session_ttl must be between 1s and 24h, got ",
                     absl::FormatDuration(s.session_ttl)));
  }
  if (s.admissions_per_minute < 0) {
    return absl::InvalidArgumentError("settings.admissions_per_minute must not be negative");
  }
  if (s.arrival_ttl < absl::ZeroDuration() || s.place_hold < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "settings.arrival_ttl and settings.place_hold must not be negative");
  }
  if (s.max_queue_length < 0) {
    return absl::InvalidArgumentError("settings.max_queue_length must not be negative");
  }
  // Settings designed into the API but not implemented by this version: refuse anything but
  // the default so an operator never believes a limit is in force when it is not.
  const RoomSettings defaults;
  auto unimplemented = [](absl::string_view field) {
    return absl::UnimplementedError(
        absl::StrCat("settings.", field, " is not supported by this server version yet"));
  };
  if (s.admissions_per_minute != defaults.admissions_per_minute) {
    return unimplemented("admissions_per_minute");
  }
  if (s.session_renewal != defaults.session_renewal) return unimplemented("session_renewal");
  if (s.arrival_ttl != defaults.arrival_ttl) return unimplemented("arrival_ttl");
  if (s.place_hold != defaults.place_hold) return unimplemented("place_hold");
  if (s.queueing_method != defaults.queueing_method) return unimplemented("queueing_method");
  if (s.queue_all != defaults.queue_all) return unimplemented("queue_all");
  if (s.max_queue_length != defaults.max_queue_length) return unimplemented("max_queue_length");
  return absl::OkStatus();
}

absl::Status ValidateRoomId(absl::string_view id, absl::string_view field_name) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(field_name, " is required"));
  bool ok = id.size() <= 63 && (absl::ascii_islower(id[0]) || absl::ascii_isdigit(id[0]));
  for (char c : id) {
    ok = ok && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_');
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        field_name, " must be 1 to 63 characters of [a-z0-9_-] starting with a letter or digit"));
  }
  return absl::OkStatus();
}

}  // namespace anteroom::core
