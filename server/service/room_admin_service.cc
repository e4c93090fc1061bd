// The operators' API (anteroom.v1.RoomAdmin): authorized, checked, converted, and run on the
// rooms the node serves.

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "server/service/grpc_services.h"
#include "server/service/rpc_call.h"

namespace anteroom::service {

using rpc::Finisher;
using rpc::Handle;
using rpc::HandleAsync;
using rpc::ParseTokenField;

void ToProto(const RoomInfo& info, v1::Room* out) {
  out->set_id(info.id);
  *out->mutable_settings() = ToProto(info.settings);
  *out->mutable_create_time() = ToProtoTime(info.created_at);
}

Api RoomAdminService::api() const { return Api{metrics_, serving_, /*gateway=*/false}; }

absl::Status RoomAdminService::Authorize(grpc::CallbackServerContext* context) const {
  if (require_client_certificate_) {
    // The handshake verified any certificate presented; here it must have been presented.
    std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
    if (auth == nullptr || !auth->IsPeerAuthenticated()) {
      return absl::UnauthenticatedError("the admin API needs a client certificate (mutual TLS)");
    }
  }
  if (expected_authorization_.empty()) return absl::OkStatus();
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "the admin API needs an 'authorization: Bearer <token>' header");
  }
  const absl::string_view given(it->second.data(), it->second.size());
  const std::string& expected = expected_authorization_;
  // Compare in constant time: timing must not reveal how much of a guess was right.
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  }
  if (diff != 0) return absl::UnauthenticatedError("wrong admin token");
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* RoomAdminService::CreateRoom(grpc::CallbackServerContext* context,
                                                       const v1::CreateRoomRequest* request,
                                                       v1::Room* response) {
  return Handle(context, api(), Authorize(context), "CreateRoom",
                [&](RoomManager* rooms) -> absl::Status {
                  if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok())
                    return s;
                  core::RoomSettings settings;
                  if (absl::Status s = ApplySettingsPatch(request->settings(), &settings); !s.ok())
                    return s;
                  absl::StatusOr<RoomInfo> info = rooms->CreateRoom(request->room(), settings);
                  if (!info.ok()) return info.status();
                  ToProto(*info, response);
                  return absl::OkStatus();
                });
}

grpc::ServerUnaryReactor* RoomAdminService::UpdateRoom(grpc::CallbackServerContext* context,
                                                       const v1::UpdateRoomRequest* request,
                                                       v1::Room* response) {
  return HandleAsync(
      context, api(), Authorize(context), "UpdateRoom", [&](RoomManager* rooms, Finisher finish) {
        if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok())
          return finish(s);
        const v1::RoomSettings& patch = request->settings();  // copied into the mutation
        rooms->UpdateRoom(
            request->room(),
            [patch](core::RoomSettings* settings) { return ApplySettingsPatch(patch, settings); },
            [response, finish](absl::StatusOr<RoomInfo> info) {
              if (info.ok()) ToProto(*info, response);
              finish(info.status());
            });
      });
}

grpc::ServerUnaryReactor* RoomAdminService::GetRoom(grpc::CallbackServerContext* context,
                                                    const v1::GetRoomRequest* request,
                                                    v1::Room* response) {
  return Handle(context, api(), Authorize(context), "GetRoom",
                [&](RoomManager* rooms) -> absl::Status {
                  if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok())
                    return s;
                  absl::StatusOr<RoomInfo> info = rooms->GetRoom(request->room());
                  if (!info.ok()) return info.status();
                  ToProto(*info, response);
                  return absl::OkStatus();
                });
}

grpc::ServerUnaryReactor* RoomAdminService::ListRooms(grpc::CallbackServerContext* context,
                                                      const v1::ListRoomsRequest*,
                                                      v1::ListRoomsResponse* response) {
  return Handle(context, api(), Authorize(context), "ListRooms",
                [&](RoomManager* rooms) -> absl::Status {
                  for (const RoomInfo& info : rooms->ListRooms())
                    ToProto(info, response->add_rooms());
                  return absl::OkStatus();
                });
}

grpc::ServerUnaryReactor* RoomAdminService::DeleteRoom(grpc::CallbackServerContext* context,
                                                       const v1::DeleteRoomRequest* request,
                                                       v1::DeleteRoomResponse*) {
  return Handle(context, api(), Authorize(context), "DeleteRoom",
                [&](RoomManager* rooms) -> absl::Status {
                  if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok())
                    return s;
                  return rooms->DeleteRoom(request->room());
                });
}

grpc::ServerUnaryReactor* RoomAdminService::GetRoomStatus(grpc::CallbackServerContext* context,
                                                          const v1::GetRoomStatusRequest* request,
                                                          v1::RoomStatus* response) {
  return Handle(
      context, api(), Authorize(context), "GetRoomStatus", [&](RoomManager* rooms) -> absl::Status {
        if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok()) return s;
        absl::StatusOr<core::RoomStats> stats = rooms->GetRoomStatus(request->room());
        if (!stats.ok()) return stats.status();
        response->set_room(request->room());
        response->set_queue_depth(static_cast<uint64_t>(stats->queue_depth));
        response->set_prequeue_depth(static_cast<uint64_t>(stats->prequeue_depth));
        response->set_active_sessions(static_cast<uint64_t>(stats->active_sessions));
        response->set_max_active_sessions(static_cast<uint32_t>(stats->max_active_sessions));
        response->set_admitted_total(static_cast<uint64_t>(stats->admitted_total));
        response->set_observed_admissions_per_minute(stats->observed_admissions_per_minute);
        *response->mutable_estimated_wait() = ToProtoDuration(stats->estimated_wait);
        response->set_estimated_wait_unknown(stats->estimated_wait_unknown);
        response->set_shadow_depth(static_cast<uint64_t>(stats->shadow_depth));
        response->set_priority_depth(static_cast<uint64_t>(stats->priority_depth));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* RoomAdminService::CreateEvent(grpc::CallbackServerContext* context,
                                                        const v1::CreateEventRequest* request,
                                                        v1::Event* response) {
  return HandleAsync(context, api(), Authorize(context), "CreateEvent",
                     [&](RoomManager* rooms, Finisher finish) {
                       if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok())
                         return finish(s);
                       if (!request->has_event())
                         return finish(absl::InvalidArgumentError("event is required"));
                       absl::StatusOr<core::Event> event = EventFromProto(request->event());
                       if (!event.ok()) return finish(event.status());
                       rooms->CreateEvent(request->room(), *event,
                                          [response, finish](absl::StatusOr<core::Event> created) {
                                            if (created.ok()) *response = ToProto(*created);
                                            finish(created.status());
                                          });
                     });
}

grpc::ServerUnaryReactor* RoomAdminService::ListEvents(grpc::CallbackServerContext* context,
                                                       const v1::ListEventsRequest* request,
                                                       v1::ListEventsResponse* response) {
  return Handle(
      context, api(), Authorize(context), "ListEvents", [&](RoomManager* rooms) -> absl::Status {
        if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok()) return s;
        absl::StatusOr<std::vector<core::Event>> events = rooms->ListEvents(request->room());
        if (!events.ok()) return events.status();
        for (const core::Event& e : *events) *response->add_events() = ToProto(e);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* RoomAdminService::CancelEvent(grpc::CallbackServerContext* context,
                                                        const v1::CancelEventRequest* request,
                                                        v1::CancelEventResponse*) {
  return HandleAsync(
      context, api(), Authorize(context), "CancelEvent", [&](RoomManager* rooms, Finisher finish) {
        if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok())
          return finish(s);
        if (request->event_id().empty()) {
          return finish(absl::InvalidArgumentError("event_id is required"));
        }
        rooms->CancelEvent(request->room(), request->event_id(),
                           [finish](const absl::StatusOr<bool>& done) { finish(done.status()); });
      });
}

grpc::ServerUnaryReactor* RoomAdminService::RevokeSession(grpc::CallbackServerContext* context,
                                                          const v1::RevokeSessionRequest* request,
                                                          v1::RevokeSessionResponse* response) {
  return HandleAsync(
      context, api(), Authorize(context), "RevokeSession",
      [&](RoomManager* rooms, Finisher finish) {
        absl::StatusOr<wire::ParsedToken> session =
            ParseTokenField(request->session(), "session", wire::TokenKind::kSession);
        if (!session.ok()) return finish(session.status());
        rooms->RevokeSession(*session, [response, finish](absl::StatusOr<bool> revoked) {
          if (revoked.ok()) response->set_revoked(*revoked);
          finish(revoked.status());
        });
      });
}

grpc::ServerUnaryReactor* RoomAdminService::CreateCheckpoint(
    grpc::CallbackServerContext* context, const v1::CreateCheckpointRequest* request,
    v1::CreateCheckpointResponse* response) {
  return HandleAsync(
      context, api(), Authorize(context), "CreateCheckpoint", [&](RoomManager*, Finisher finish) {
        const std::string& name = request->name();
        bool valid = !name.empty() && name.size() <= 100 && name[0] != '.';
        for (char c : name)
          valid = valid && (absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-');
        if (!valid) {
          return finish(absl::InvalidArgumentError(
              "name must be 1 to 100 characters of [A-Za-z0-9._-], not starting with a dot"));
        }
        const std::string dir = absl::StrCat(backup_dir_, "/", name);
        // A checkpoint flushes memtables and links files: seconds on a large store. Off the
        // RPC threads.
        checkpoints_.Post([this, dir, response, finish] {
          std::error_code error;
          std::filesystem::create_directories(backup_dir_, error);
          absl::Status s =
              std::filesystem::exists(dir, error)
                  ? absl::AlreadyExistsError(absl::StrCat("checkpoint ", dir, " already exists"))
                  : store_->Checkpoint(dir);
          if (s.ok()) {
            // As an operator would write it: no "./" or "x/.." from a relative --backup_dir.
            response->set_directory(std::filesystem::absolute(dir).lexically_normal().string());
            ANTEROOM_LOG(kInfo, "checkpoint written to %s", response->directory());
          } else {
            ANTEROOM_LOG(kError, "checkpoint to %s failed: %s", dir, s.ToString());
          }
          finish(s);
        });
      });
}

}  // namespace anteroom::service
