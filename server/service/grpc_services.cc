#include "server/service/grpc_services.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "server/base/clock.h"
#include "server/core/token.h"
#include "server/service/convert.h"

namespace anteroom::service {
namespace {

constexpr size_t kMaxClientIdBytes = 128;

// Runs one unary handler to completion inline and records its latency.
template <typename Fn>
grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* context, Metrics* metrics,
                                 absl::string_view method, Fn&& fn) {
  base::Stopwatch stopwatch;
  const absl::Status status = fn();
  metrics->ObserveRpc(method, stopwatch.ElapsedSeconds());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpc(status));
  return reactor;
}

// Checks that `token` (the request field `field`) is a well-formed token of the wanted kind
// (any kind when `kind` is nullopt) and returns its room.
absl::StatusOr<std::string> TokenRoom(absl::string_view token, absl::string_view field,
                                      std::optional<core::TokenKind> kind) {
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  std::optional<core::ParsedToken> parsed = core::ParseToken(token);
  if (!parsed) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is not a valid Anteroom token"));
  }
  if (kind && parsed->kind != *kind) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " is a ", parsed->kind == core::TokenKind::kTicket ? "ticket" : "session token",
        ", not a ", *kind == core::TokenKind::kTicket ? "ticket" : "session token"));
  }
  return std::string(parsed->room);
}

absl::Status ViewResult(const absl::StatusOr<core::VisitorView>& view, absl::string_view room,
                        v1::VisitorStatus* response) {
  if (!view.ok()) return view.status();
  ToProto(*view, room, response);
  return absl::OkStatus();
}

absl::Status Unimplemented(absl::string_view what) {
  return absl::UnimplementedError(
      absl::StrCat(what, " is not supported by this server version yet"));
}

}  // namespace

void ToProto(const RoomInfo& info, v1::Room* out) {
  out->set_id(info.id);
  *out->mutable_settings() = ToProto(info.settings);
  *out->mutable_create_time() = ToProtoTime(info.created_at);
}

// --- WaitingRoom ---

grpc::ServerUnaryReactor* WaitingRoomService::Admit(grpc::CallbackServerContext* context,
                                                    const v1::AdmitRequest* request,
                                                    v1::VisitorStatus* response) {
  return Handle(context, metrics_, "Admit", [&]() -> absl::Status {
    if (absl::Status s = core::ValidateRoomId(request->room(), "room"); !s.ok()) return s;
    if (request->client_id().empty()) return absl::InvalidArgumentError("client_id is required");
    if (request->client_id().size() > kMaxClientIdBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("client_id must be at most ", kMaxClientIdBytes, " bytes"));
    }
    return ViewResult(rooms_->Admit(request->room(), request->client_id()), request->room(),
                      response);
  });
}

grpc::ServerUnaryReactor* WaitingRoomService::Poll(grpc::CallbackServerContext* context,
                                                   const v1::PollRequest* request,
                                                   v1::VisitorStatus* response) {
  return Handle(context, metrics_, "Poll", [&]() -> absl::Status {
    absl::StatusOr<std::string> room =
        TokenRoom(request->ticket(), "ticket", core::TokenKind::kTicket);
    if (!room.ok()) return room.status();
    return ViewResult(rooms_->Poll(*room, request->ticket()), *room, response);
  });
}

grpc::ServerUnaryReactor* WaitingRoomService::Heartbeat(grpc::CallbackServerContext* context,
                                                        const v1::HeartbeatRequest* request,
                                                        v1::VisitorStatus* response) {
  return Handle(context, metrics_, "Heartbeat", [&]() -> absl::Status {
    absl::StatusOr<std::string> room =
        TokenRoom(request->session(), "session", core::TokenKind::kSession);
    if (!room.ok()) return room.status();
    return ViewResult(rooms_->Heartbeat(*room, request->session()), *room, response);
  });
}

grpc::ServerUnaryReactor* WaitingRoomService::Leave(grpc::CallbackServerContext* context,
                                                    const v1::LeaveRequest* request,
                                                    v1::LeaveResponse* response) {
  return Handle(context, metrics_, "Leave", [&]() -> absl::Status {
    absl::StatusOr<std::string> room = TokenRoom(request->token(), "token", std::nullopt);
    if (!room.ok()) return room.status();
    absl::StatusOr<bool> ended = rooms_->Leave(*room, request->token());
    if (!ended.ok()) return ended.status();
    response->set_ended(*ended);
    return absl::OkStatus();
  });
}

// --- RoomAdmin ---

grpc::ServerUnaryReactor* RoomAdminService::CreateRoom(grpc::CallbackServerContext* context,
                                                       const v1::CreateRoomRequest* request,
                                                       v1::Room* response) {
  return Handle(context, metrics_, "CreateRoom", [&]() -> absl::Status {
    if (absl::Status s = core::ValidateRoomId(request->room(), "room"); !s.ok()) return s;
    core::RoomSettings settings;
    if (absl::Status s = ApplySettingsPatch(request->settings(), &settings); !s.ok()) return s;
    absl::StatusOr<RoomInfo> info = rooms_->CreateRoom(request->room(), settings);
    if (!info.ok()) return info.status();
    ToProto(*info, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoomAdminService::UpdateRoom(grpc::CallbackServerContext* context,
                                                       const v1::UpdateRoomRequest* request,
                                                       v1::Room* response) {
  return Handle(context, metrics_, "UpdateRoom", [&]() -> absl::Status {
    if (absl::Status s = core::ValidateRoomId(request->room(), "room"); !s.ok()) return s;
    absl::StatusOr<RoomInfo> info =
        rooms_->UpdateRoom(request->room(), [&](core::RoomSettings* settings) {
          return ApplySettingsPatch(request->settings(), settings);
        });
    if (!info.ok()) return info.status();
    ToProto(*info, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoomAdminService::GetRoom(grpc::CallbackServerContext* context,
                                                    const v1::GetRoomRequest* request,
                                                    v1::Room* response) {
  return Handle(context, metrics_, "GetRoom", [&]() -> absl::Status {
    if (absl::Status s = core::ValidateRoomId(request->room(), "room"); !s.ok()) return s;
    absl::StatusOr<RoomInfo> info = rooms_->GetRoom(request->room());
    if (!info.ok()) return info.status();
    ToProto(*info, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoomAdminService::ListRooms(grpc::CallbackServerContext* context,
                                                      const v1::ListRoomsRequest*,
                                                      v1::ListRoomsResponse* response) {
  return Handle(context, metrics_, "ListRooms", [&]() -> absl::Status {
    for (const RoomInfo& info : rooms_->ListRooms()) ToProto(info, response->add_rooms());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoomAdminService::DeleteRoom(grpc::CallbackServerContext* context,
                                                       const v1::DeleteRoomRequest* request,
                                                       v1::DeleteRoomResponse*) {
  return Handle(context, metrics_, "DeleteRoom", [&]() -> absl::Status {
    if (absl::Status s = core::ValidateRoomId(request->room(), "room"); !s.ok()) return s;
    return rooms_->DeleteRoom(request->room());
  });
}

grpc::ServerUnaryReactor* RoomAdminService::GetRoomStatus(grpc::CallbackServerContext* context,
                                                          const v1::GetRoomStatusRequest* request,
                                                          v1::RoomStatus* response) {
  return Handle(context, metrics_, "GetRoomStatus", [&]() -> absl::Status {
    if (absl::Status s = core::ValidateRoomId(request->room(), "room"); !s.ok()) return s;
    absl::StatusOr<RoomInfo> info = rooms_->GetRoom(request->room());
    if (!info.ok()) return info.status();
    absl::StatusOr<core::RoomStats> stats = rooms_->GetRoomStatus(request->room());
    if (!stats.ok()) return stats.status();
    response->set_room(request->room());
    response->set_queue_depth(static_cast<uint64_t>(stats->queue_depth));
    response->set_active_sessions(static_cast<uint64_t>(stats->active_sessions));
    response->set_max_active_sessions(static_cast<uint32_t>(info->settings.max_active_sessions));
    response->set_admitted_total(static_cast<uint64_t>(stats->admitted_total));
    *response->mutable_estimated_wait() = ToProtoDuration(stats->estimated_wait);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoomAdminService::CreateEvent(grpc::CallbackServerContext* context,
                                                        const v1::CreateEventRequest*, v1::Event*) {
  return Handle(context, metrics_, "CreateEvent", [] { return Unimplemented("CreateEvent"); });
}

grpc::ServerUnaryReactor* RoomAdminService::ListEvents(grpc::CallbackServerContext* context,
                                                       const v1::ListEventsRequest*,
                                                       v1::ListEventsResponse*) {
  return Handle(context, metrics_, "ListEvents", [] { return Unimplemented("ListEvents"); });
}

grpc::ServerUnaryReactor* RoomAdminService::CancelEvent(grpc::CallbackServerContext* context,
                                                        const v1::CancelEventRequest*,
                                                        v1::CancelEventResponse*) {
  return Handle(context, metrics_, "CancelEvent", [] { return Unimplemented("CancelEvent"); });
}

}  // namespace anteroom::service
