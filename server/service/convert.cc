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

absl::Status ApplySettingsPatch(const v1::RoomSettings& patch, core::RoomSettings* s) {
  if (patch.has_max_active_sessions()) s->max_active_sessions = patch.max_active_sessions();
  if (patch.has_admissions_per_minute()) s->admissions_per_minute = patch.admissions_per_minute();
  if (patch.has_session_ttl()) {
    absl::StatusOr<absl::Duration> d = FromProtoDuration(patch.session_ttl(), "session_ttl");
    if (!d.ok()) return d.status();
    s->session_ttl = *d;
  }
  if (patch.has_session_renewal()) s->session_renewal = patch.session_renewal();
  if (patch.has_arrival_ttl()) {
    absl::StatusOr<absl::Duration> d = FromProtoDuration(patch.arrival_ttl(), "arrival_ttl");
    if (!d.ok()) return d.status();
    s->arrival_ttl = *d;
  }
  if (patch.has_place_hold()) {
    absl::StatusOr<absl::Duration> d = FromProtoDuration(patch.place_hold(), "place_hold");
    if (!d.ok()) return d.status();
    s->place_hold = *d;
  }
  if (patch.has_queueing_method()) {
    if (!v1::QueueingMethod_IsValid(patch.queueing_method())) {
      return absl::InvalidArgumentError(
          absl::StrCat("settings.queueing_method has unknown value ", patch.queueing_method()));
    }
    s->queueing_method = FromProto(patch.queueing_method());
  }
  if (patch.has_queue_all()) s->queue_all = patch.queue_all();
  if (patch.has_max_queue_length()) {
    if (patch.max_queue_length() > static_cast<uint64_t>(INT64_MAX)) {
      return absl::InvalidArgumentError("settings.max_queue_length is too large");
    }
    s->max_queue_length = static_cast<int64_t>(patch.max_queue_length());
  }
  return absl::OkStatus();
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
  out->set_reason(view.reason);
  out->set_room(std::string(room));
}

}  // namespace anteroom::service
