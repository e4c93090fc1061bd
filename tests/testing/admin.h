#pragma once

#include <string>

#include "absl/time/time.h"
#include "anteroom/v1/room_admin.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace anteroom::testing {

// Creates `room` through the plaintext admin listener at `admin_address`: at most
// `max_active_sessions` at once and sessions of `session_ttl` (the room defaults when 0).
inline grpc::Status CreateRoom(const std::string& admin_address, const std::string& room,
                               uint32_t max_active_sessions = 0,
                               absl::Duration session_ttl = absl::ZeroDuration()) {
  auto admin = v1::RoomAdmin::NewStub(
      grpc::CreateChannel(admin_address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  v1::CreateRoomRequest req;
  req.set_room(room);
  if (max_active_sessions > 0) req.mutable_settings()->set_max_active_sessions(max_active_sessions);
  if (session_ttl > absl::ZeroDuration()) {
    req.mutable_settings()->mutable_session_ttl()->set_seconds(absl::ToInt64Seconds(session_ttl));
  }
  v1::Room created;
  return admin->CreateRoom(&ctx, req, &created);
}

}  // namespace anteroom::testing
