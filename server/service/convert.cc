#include "server/service/convert.h"

#include "absl/strings/str_cat.h"

namespace anteroom::service {
namespace {

absl::StatusOr<absl::Duration> FromProtoDuration(const google::protobuf::Duration& d,
                                                 absl::string_view field) {
  if (d.nanos() <= -1'000'000'000 || d.nanos() >= 1'000'000'000 ||
      (d.seconds() > 0 && d.nanos() < 0) || (d.seconds() < 0 && d.nanos() > 0)) {
    return absl::InvalidArgumentError(absl::StrCat("settings.", field, " is not a valid duration"));
  }
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

core::QueueingMethod FromProto(v1::QueueingMethod m) {
  switch (m) {
    case v1::RANDOM:
      return core::QueueingMethod::kRandom;
    case v1::PASSTHROUGH:
      return core::QueueingMethod::kPassthrough;
    case v1::REJECT:
      return core::QueueingMethod::kReject;
    default:
      return core::QueueingMethod::kFifo;
  }
}

v1::QueueingMethod ToProto(core::QueueingMethod m) {
  switch (m) {
    case core::QueueingMethod::kRandom:
      return v1::RANDOM;
    case core::QueueingMethod::kPassthrough:
      return v1::PASSTHROUGH;
    case core::QueueingMethod::kReject:
      return v1::REJECT;
    case core::QueueingMethod::kFifo:
      break;
  }
  return v1::FIFO;
}

v1::VisitorState ToProto(core::VisitorState s) {
  switch (s) {
    case core::VisitorState::kAdmitted:
      return v1::ADMITTED;
    case core::VisitorState::kQueued:
      return v1::QUEUED;
    case core::VisitorState::kPreQueued:
      return v1::PRE_QUEUED;
    case core::VisitorState::kRejected:
      return v1::REJECTED;
    case core::VisitorState::kExpired:
      return v1::EXPIRED;
  }
  return v1::VISITOR_STATE_UNSPECIFIED;
}

}  // namespace

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t nanos = absl::ToInt64Nanoseconds(d);
  out.set_seconds(nanos / 1'000'000'000);
  out.set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  return out;
}

google::protobuf::Timestamp ToProtoTime(absl::Time t) {
  google::protobuf::Timestamp out;
  const int64_t micros = absl::ToUnixMicros(t);
  int64_t seconds = micros / 1'000'000;
  int64_t rem = micros % 1'000'000;
  if (rem < 0) {
    rem += 1'000'000;
    --seconds;
  }
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(rem * 1000));
  return out;
}

absl::StatusOr<core::SettingsOverrides> OverridesFromProto(const v1::RoomSettings& p) {
  core::SettingsOverrides o;
  if (p.has_max_active_sessions()) o.max_active_sessions = p.max_active_sessions();
  if (p.has_admissions_per_minute()) o.admissions_per_minute = p.admissions_per_minute();
  if (p.has_session_ttl()) {
    absl::StatusOr<absl::Duration> d = FromProtoDuration(p.session_ttl(), "session_ttl");
    if (!d.ok()) return d.status();
    o.session_ttl = *d;
  }
  if (p.has_session_renewal()) o.session_renewal = p.session_renewal();
  if (p.has_arrival_ttl()) {
    absl::StatusOr<absl::Duration> d = FromProtoDuration(p.arrival_ttl(), "arrival_ttl");
    if (!d.ok()) return d.status();
    o.arrival_ttl = *d;
  }
  if (p.has_place_hold()) {
    absl::StatusOr<absl::Duration> d = FromProtoDuration(p.place_hold(), "place_hold");
    if (!d.ok()) return d.status();
    o.place_hold = *d;
  }
  if (p.has_queueing_method()) {
    if (!v1::QueueingMethod_IsValid(p.queueing_method())) {
      return absl::InvalidArgumentError(
          absl::StrCat("settings.queueing_method has unknown value ", p.queueing_method()));
    }
    o.queueing_method = FromProto(p.queueing_method());
  }
  if (p.has_queue_all()) o.queue_all = p.queue_all();
  if (p.has_max_queue_length()) {
    if (p.max_queue_length() > static_cast<uint64_t>(INT64_MAX)) {
      return absl::InvalidArgumentError("settings.max_queue_length is too large");
    }
    o.max_queue_length = static_cast<int64_t>(p.max_queue_length());
  }
  return o;
}

v1::RoomSettings ToProto(const core::SettingsOverrides& o) {
  v1::RoomSettings out;
  if (o.max_active_sessions)
    out.set_max_active_sessions(static_cast<uint32_t>(*o.max_active_sessions));
  if (o.admissions_per_minute) {
    out.set_admissions_per_minute(static_cast<uint32_t>(*o.admissions_per_minute));
  }
  if (o.session_ttl) *out.mutable_session_ttl() = ToProtoDuration(*o.session_ttl);
  if (o.session_renewal) out.set_session_renewal(*o.session_renewal);
  if (o.arrival_ttl) *out.mutable_arrival_ttl() = ToProtoDuration(*o.arrival_ttl);
  if (o.place_hold) *out.mutable_place_hold() = ToProtoDuration(*o.place_hold);
  if (o.queueing_method) out.set_queueing_method(ToProto(*o.queueing_method));
  if (o.queue_all) out.set_queue_all(*o.queue_all);
  if (o.max_queue_length) out.set_max_queue_length(static_cast<uint64_t>(*o.max_queue_length));
  return out;
}

absl::Status ApplySettingsPatch(const v1::RoomSettings& patch, core::RoomSettings* settings) {
  absl::StatusOr<core::SettingsOverrides> overrides = OverridesFromProto(patch);
  if (!overrides.ok()) return overrides.status();
  *settings = core::ApplyOverrides(*settings, *overrides);
  return absl::OkStatus();
}

absl::StatusOr<core::Event> EventFromProto(const v1::Event& e) {
  core::Event out;
  auto time = [](const google::protobuf::Timestamp& t, absl::string_view field,
                 absl::Time* result) -> absl::Status {
    if (t.nanos() < 0 || t.nanos() >= 1'000'000'000) {
      return absl::InvalidArgumentError(absl::StrCat("event.", field, " is not a valid timestamp"));
    }
    *result = absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
    return absl::OkStatus();
  };
  if (!e.has_start()) return absl::InvalidArgumentError("event.start is required");
  if (!e.has_end()) return absl::InvalidArgumentError("event.end is required");
  if (absl::Status s = time(e.start(), "start", &out.start); !s.ok()) return s;
  if (absl::Status s = time(e.end(), "end", &out.end); !s.ok()) return s;
  out.prequeue_start = out.start;
  if (e.has_prequeue_start()) {
    if (absl::Status s = time(e.prequeue_start(), "prequeue_start", &out.prequeue_start); !s.ok()) {
      return s;
    }
  }
  out.shuffle_at_start = !e.has_shuffle_at_start() || e.shuffle_at_start();
  absl::StatusOr<core::SettingsOverrides> overrides = OverridesFromProto(e.overrides());
  if (!overrides.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("event.overrides: ", overrides.status().message()));
  }
  out.overrides = *overrides;
  return out;
}

v1::Event ToProto(const core::Event& e) {
  v1::Event out;
  out.set_id(e.id);
  if (e.prequeue_start != e.start) *out.mutable_prequeue_start() = ToProtoTime(e.prequeue_start);
  *out.mutable_start() = ToProtoTime(e.start);
  *out.mutable_end() = ToProtoTime(e.end);
  out.set_shuffle_at_start(e.shuffle_at_start);
  *out.mutable_overrides() = ToProto(e.overrides);
  out.set_started(e.started);
  return out;
}

v1::RoomSettings ToProto(const core::RoomSettings& s) {
  v1::RoomSettings out;
  out.set_max_active_sessions(static_cast<uint32_t>(s.max_active_sessions));
  out.set_admissions_per_minute(static_cast<uint32_t>(s.admissions_per_minute));
  *out.mutable_session_ttl() = ToProtoDuration(s.session_ttl);
  out.set_session_renewal(s.session_renewal);
  *out.mutable_arrival_ttl() = ToProtoDuration(s.arrival_ttl);
  *out.mutable_place_hold() = ToProtoDuration(s.place_hold);
  out.set_queueing_method(ToProto(s.queueing_method));
  out.set_queue_all(s.queue_all);
  out.set_max_queue_length(static_cast<uint64_t>(s.max_queue_length));
  return out;
}

void ToProto(const core::VisitorView& view, absl::string_view room, v1::VisitorStatus* out) {
  out->set_state(ToProto(view.state));
  out->set_ticket(view.ticket);
  out->set_session(view.session);
  out->set_position(static_cast<uint64_t>(view.position));
  *out->mutable_estimated_wait() = ToProtoDuration(view.estimated_wait);
  *out->mutable_poll_after() = ToProtoDuration(view.poll_after);
  if (view.lease_expires_at != absl::InfinitePast()) {
    *out->mutable_lease_expires_at() = ToProtoTime(view.lease_expires_at);
  }
  *out->mutable_estimated_wait_max() = ToProtoDuration(view.estimated_wait_max);
  out->set_estimated_wait_unknown(view.wait_unknown);
  if (view.event_starts_at != absl::InfinitePast()) {
    *out->mutable_event_starts_at() = ToProtoTime(view.event_starts_at);
  }
  out->set_reason(view.reason);
  out->set_room(std::string(room));
}

}  // namespace anteroom::service
