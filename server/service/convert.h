#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "anteroom/v1/room.pb.h"
#include "anteroom/v1/waiting_room.pb.h"
#include "grpcpp/support/status.h"
#include "proto/time_convert.h"
#include "server/core/room.h"
#include "server/core/settings.h"
#include "server/service/settings_message.h"

// Conversions between the public protos and the core's types, and the one mapping from
// absl::Status to grpc::Status.
namespace anteroom::service {

grpc::Status ToGrpc(const absl::Status& status);

// Applies the fields set in `patch` on top of `settings`. INVALID_ARGUMENT names a field
// that cannot be represented (e.g. a negative duration); range checks are the core's.
absl::Status ApplySettingsPatch(const v1::RoomSettings& patch, core::RoomSettings* settings);

// The fields set in `patch`, as overrides (an event's, or an update's).
absl::StatusOr<core::SettingsOverrides> OverridesFromProto(const v1::RoomSettings& patch);
// Only the overridden fields set.
v1::RoomSettings ToProto(const core::SettingsOverrides& overrides);

// Every field filled in.
v1::RoomSettings ToProto(const core::RoomSettings& settings);

// An operator's event (id and started are ignored). INVALID_ARGUMENT names the field.
absl::StatusOr<core::Event> EventFromProto(const v1::Event& event);
v1::Event ToProto(const core::Event& event);

void ToProto(const core::VisitorView& view, absl::string_view room, v1::VisitorStatus* out);

}  // namespace anteroom::service
