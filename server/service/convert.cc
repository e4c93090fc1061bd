#include "server/service/convert.h"

#include "absl/strings/str_cat.h"

namespace anteroom::service {
namespace {

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
    case core::VisitorState::kChallenged:
      return v1::CHALLENGED;
  }
  return v1::VISITOR_STATE_UNSPECIFIED;
}

}  // namespace

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

absl::StatusOr<core::SettingsOverrides> OverridesFromProto(const v1::RoomSettings& patch) {
  return OverridesFromMessage(patch);
}

v1::RoomSettings ToProto(const core::SettingsOverrides& overrides) {
  return OverridesToMessage<v1::RoomSettings>(overrides);
}

absl::Status ApplySettingsPatch(const v1::RoomSettings& patch, core::RoomSettings* settings) {
  return ApplySettingsMessage(patch, settings);
}

absl::StatusOr<core::Event> EventFromProto(const v1::Event& e) {
  core::Event out;
  auto time = [](const google::protobuf::Timestamp& t, absl::string_view field,
                 absl::Time* result) -> absl::Status {
    if (!IsValidTimestamp(t)) {
      return absl::InvalidArgumentError(absl::StrCat("event.", field, " is not a valid timestamp"));
    }
    *result = FromProtoTime(t);
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

v1::RoomSettings ToProto(const core::RoomSettings& settings) {
  return SettingsToMessage<v1::RoomSettings>(settings);
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
