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
// (any kind when `kind` is nullopt).
absl::StatusOr<core::ParsedToken> ParseTokenField(absl::string_view token, absl::string_view field,
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
  return *parsed;
}

absl::Status ViewResult(const absl::StatusOr<core::VisitorView>& view, absl::string_view room,
                        v1::VisitorStatus* response) {
  if (!view.ok()) return view.status();
  ToProto(*view, room, response);
  return absl::OkStatus();
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
    absl::StatusOr<core::ParsedToken> ticket =
        ParseTokenField(request->ticket(), "ticket", core::TokenKind::kTicket);
    if (!ticket.ok()) return ticket.status();
    return ViewResult(rooms_->Poll(*ticket), ticket->room, response);
  });
}

grpc::ServerUnaryReactor* WaitingRoomService::Heartbeat(grpc::CallbackServerContext* context,
                                                        const v1::HeartbeatRequest* request,
                                                        v1::VisitorStatus* response) {
  return Handle(context, metrics_, "Heartbeat", [&]() -> absl::Status {
    absl::StatusOr<core::ParsedToken> session =
        ParseTokenField(request->session(), "session", core::TokenKind::kSession);
    if (!session.ok()) return session.status();
    return ViewResult(rooms_->Heartbeat(*session), session->room, response);
  });
}

grpc::ServerUnaryReactor* WaitingRoomService::Leave(grpc::CallbackServerContext* context,
                                                    const v1::LeaveRequest* request,
                                                    v1::LeaveResponse* response) {
  return Handle(context, metrics_, "Leave", [&]() -> absl::Status {
    absl::StatusOr<core::ParsedToken> token =
        ParseTokenField(request->token(), "token", std::nullopt);
    if (!token.ok()) return token.status();
    absl::StatusOr<bool> ended = rooms_->Leave(*token);
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
    absl::StatusOr<core::RoomStats> stats = rooms_->GetRoomStatus(request->room());
    if (!stats.ok()) return stats.status();
    response->set_room(request->room());
    response->set_queue_depth(static_cast<uint64_t>(stats->queue_depth));
    response->set_prequeue_depth(static_cast<uint64_t>(stats->prequeue_depth));
    response->set_active_sessions(static_cast<uint64_t>(stats->active_sessions));
    response->set_max_active_sessions(static_cast<uint32_t>(stats->max_active_sessions));
    response->set_admitted_total(static_cast<uint64_t>(stats->admitted_total));
    response->set_observed_admissions_per_minute(stats->observed_admissions_per_minute);
    *response->mutable_estimated_wait() = ToProtoDuration(stats->estimated_wait);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoomAdminService::CreateEvent(grpc::CallbackServerContext* context,
                                                        const v1::CreateEventRequest* request,
                                                        v1::Event* response) {
  return Handle(context, metrics_, "CreateEvent", [&]() -> absl::Status {
    if (absl::Status s = core::ValidateRoomId(request->room(), "room"); !s.ok()) return s;
    if (!request->has_event()) return absl::InvalidArgumentError("event is required");
    absl::StatusOr<core::Event> event = EventFromProto(request->event());
    if (!event.ok()) return event.status();
    absl::StatusOr<core::Event> created = rooms_->CreateEvent(request->room(), *event);
    if (!created.ok()) return created.status();
    *response = ToProto(*created);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoomAdminService::ListEvents(grpc::CallbackServerContext* context,
                                                       const v1::ListEventsRequest* request,
                                                       v1::ListEventsResponse* response) {
  return Handle(context, metrics_, "ListEvents", [&]() -> absl::Status {
    if (absl::Status s = core::ValidateRoomId(request->room(), "room"); !s.ok()) return s;
    absl::StatusOr<std::vector<core::Event>> events = rooms_->ListEvents(request->room());
    if (!events.ok()) return events.status();
    for (const core::Event& e : *events) *response->add_events() = ToProto(e);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoomAdminService::CancelEvent(grpc::CallbackServerContext* context,
                                                        const v1::CancelEventRequest* request,
                                                        v1::CancelEventResponse*) {
  return Handle(context, metrics_, "CancelEvent", [&]() -> absl::Status {
    if (absl::Status s = core::ValidateRoomId(request->room(), "room"); !s.ok()) return s;
    if (request->event_id().empty()) return absl::InvalidArgumentError("event_id is required");
    return rooms_->CancelEvent(request->room(), request->event_id());
  });
}

grpc::ServerUnaryReactor* RoomAdminService::RevokeSession(grpc::CallbackServerContext* context,
                                                          const v1::RevokeSessionRequest* request,
                                                          v1::RevokeSessionResponse* response) {
  return Handle(context, metrics_, "RevokeSession", [&]() -> absl::Status {
    absl::StatusOr<core::ParsedToken> session =
        ParseTokenField(request->session(), "session", core::TokenKind::kSession);
    if (!session.ok()) return session.status();
    absl::StatusOr<bool> revoked = rooms_->RevokeSession(*session);
    if (!revoked.ok()) return revoked.status();
    response->set_revoked(*revoked);
    return absl::OkStatus();
  });
}

}  // namespace anteroom::service
