#pragma once

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "proto/time_convert.h"
#include "server/core/settings.h"

// One conversion between the core's room settings and the messages that carry them field for
// field: the public API's anteroom.v1.RoomSettings and the store's
// anteroom.storage.v1.RoomSettingsRecord. They share field names and meanings, so one
// template serves both; their wire formats are free to part later.
namespace anteroom::service {

// INVALID_ARGUMENT naming "settings.<field>" for a duration that is not normalised.
absl::StatusOr<absl::Duration> SettingsDuration(const google::protobuf::Duration& d,
                                                absl::string_view field);
// The queueing method numbered `n` as both messages number it (0, unset, is FIFO); nullopt
// for a number neither knows.
std::optional<core::QueueingMethod> QueueingMethodFromNumber(int n);
int QueueingMethodNumber(core::QueueingMethod method);
// The same for the action over a per-source limit (0, unset, is reject).
std::optional<core::SourceLimitAction> SourceLimitActionFromNumber(int n);
int SourceLimitActionNumber(core::SourceLimitAction action);

// The fields set in `message`, as overrides. INVALID_ARGUMENT names a field that cannot be
// represented; range checks are the core's (ValidateSettings).
template <typename Message>
absl::StatusOr<core::SettingsOverrides> OverridesFromMessage(const Message& m) {
  core::SettingsOverrides o;
  if (m.has_max_active_sessions()) o.max_active_sessions = m.max_active_sessions();
  if (m.has_admissions_per_minute()) o.admissions_per_minute = m.admissions_per_minute();
  for (auto [has, duration, field, target] :
       {std::tuple{m.has_session_ttl(), &m.session_ttl(), "session_ttl", &o.session_ttl},
        std::tuple{m.has_arrival_ttl(), &m.arrival_ttl(), "arrival_ttl", &o.arrival_ttl},
        std::tuple{m.has_place_hold(), &m.place_hold(), "place_hold", &o.place_hold}}) {
    if (!has) continue;
    absl::StatusOr<absl::Duration> d = SettingsDuration(*duration, field);
    if (!d.ok()) return d.status();
    *target = *d;
  }
  if (m.has_session_renewal()) o.session_renewal = m.session_renewal();
  if (m.has_queueing_method()) {
    o.queueing_method = QueueingMethodFromNumber(static_cast<int>(m.queueing_method()));
    if (!o.queueing_method) {
      return absl::InvalidArgumentError(absl::StrCat("settings.queueing_method has unknown value ",
                                                     static_cast<int>(m.queueing_method())));
    }
  }
  if (m.has_queue_all()) o.queue_all = m.queue_all();
  if (m.has_max_queue_length()) {
    if (m.max_queue_length() > static_cast<uint64_t>(INT64_MAX)) {
      return absl::InvalidArgumentError("settings.max_queue_length is too large");
    }
    o.max_queue_length = static_cast<int64_t>(m.max_queue_length());
  }
  if (m.has_max_places_per_source()) o.max_places_per_source = m.max_places_per_source();
  if (m.has_new_places_per_source_per_minute()) {
    o.new_places_per_source_per_minute = m.new_places_per_source_per_minute();
  }
  if (m.has_challenge_work()) o.challenge_work = m.challenge_work();
  if (m.has_challenge_work_max()) o.challenge_work_max = m.challenge_work_max();
  if (m.has_challenge_work_full_at()) {
    if (m.challenge_work_full_at() > static_cast<uint64_t>(INT64_MAX)) {
      return absl::InvalidArgumentError("settings.challenge_work_full_at is too large");
    }
    o.challenge_work_full_at = static_cast<int64_t>(m.challenge_work_full_at());
  }
  if (m.has_over_source_limit()) {
    o.over_source_limit = SourceLimitActionFromNumber(static_cast<int>(m.over_source_limit()));
    if (!o.over_source_limit) {
      return absl::InvalidArgumentError(
          absl::StrCat("settings.over_source_limit has unknown value ",
                       static_cast<int>(m.over_source_limit())));
    }
  }
  return o;
}

// Only the overridden fields set.
template <typename Message>
Message OverridesToMessage(const core::SettingsOverrides& o) {
  Message out;
  if (o.max_active_sessions)
    out.set_max_active_sessions(static_cast<uint32_t>(*o.max_active_sessions));
  if (o.admissions_per_minute)
    out.set_admissions_per_minute(static_cast<uint32_t>(*o.admissions_per_minute));
  if (o.session_ttl) *out.mutable_session_ttl() = ToProtoDuration(*o.session_ttl);
  if (o.session_renewal) out.set_session_renewal(*o.session_renewal);
  if (o.arrival_ttl) *out.mutable_arrival_ttl() = ToProtoDuration(*o.arrival_ttl);
  if (o.place_hold) *out.mutable_place_hold() = ToProtoDuration(*o.place_hold);
  if (o.queueing_method) {
    out.set_queueing_method(
        static_cast<decltype(out.queueing_method())>(QueueingMethodNumber(*o.queueing_method)));
  }
  if (o.queue_all) out.set_queue_all(*o.queue_all);
  if (o.max_queue_length) out.set_max_queue_length(static_cast<uint64_t>(*o.max_queue_length));
  if (o.max_places_per_source) {
    out.set_max_places_per_source(static_cast<uint32_t>(*o.max_places_per_source));
  }
  if (o.new_places_per_source_per_minute) {
    out.set_new_places_per_source_per_minute(
        static_cast<uint32_t>(*o.new_places_per_source_per_minute));
  }
  if (o.over_source_limit) {
    out.set_over_source_limit(static_cast<decltype(out.over_source_limit())>(
        SourceLimitActionNumber(*o.over_source_limit)));
  }
  if (o.challenge_work) out.set_challenge_work(static_cast<uint32_t>(*o.challenge_work));
  if (o.challenge_work_max)
    out.set_challenge_work_max(static_cast<uint32_t>(*o.challenge_work_max));
  if (o.challenge_work_full_at) {
    out.set_challenge_work_full_at(static_cast<uint64_t>(*o.challenge_work_full_at));
  }
  return out;
}

// Every field filled in.
template <typename Message>
Message SettingsToMessage(const core::RoomSettings& s) {
  return OverridesToMessage<Message>(core::SettingsOverrides{
      s.max_active_sessions, s.admissions_per_minute, s.session_ttl, s.session_renewal,
      s.arrival_ttl, s.place_hold, s.queueing_method, s.queue_all, s.max_queue_length,
      s.max_places_per_source, s.new_places_per_source_per_minute, s.over_source_limit,
      s.challenge_work, s.challenge_work_max, s.challenge_work_full_at});
}

// `settings` with the fields set in `message` applied.
template <typename Message>
absl::Status ApplySettingsMessage(const Message& message, core::RoomSettings* settings) {
  absl::StatusOr<core::SettingsOverrides> overrides = OverridesFromMessage(message);
  if (!overrides.ok()) return overrides.status();
  *settings = core::ApplyOverrides(*settings, *overrides);
  return absl::OkStatus();
}

}  // namespace anteroom::service
