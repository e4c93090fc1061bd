#pragma once

#include "anteroom/v1/room_admin.grpc.pb.h"
#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "base/task_thread.h"
#include "server/service/load_shedder.h"
#include "server/service/metrics.h"
#include "server/service/room_manager.h"
#include "server/service/serving_rooms.h"
#include "wire/entry_token.h"

namespace anteroom::service {

struct Api;  // what a handler needs of its API (rpc_call.h)

// The gateway API: adapts anteroom.v1.WaitingRoom to the RoomManager `serving` gives each
// call (UNAVAILABLE naming the owner when it gives none). Validates requests (an
// INVALID_ARGUMENT names the field), converts between protos and the core's types, maps
// statuses, and records each call's latency. Handlers never block on anything but a room's
// lock and its storage write.
//
// Thread-safe.
class WaitingRoomService final : public v1::WaitingRoom::CallbackService {
 public:
  // `shedder` decides which calls are served under load; `entry_keys` (may be null: none)
  // check operators' entry tokens.
  WaitingRoomService(ServingRooms* serving, Metrics* metrics, LoadShedder* shedder,
                     const wire::Signer* entry_keys = nullptr)
      : serving_(serving), metrics_(metrics), shedder_(shedder), entry_keys_(entry_keys) {}

  grpc::ServerUnaryReactor* Admit(grpc::CallbackServerContext* context,
                                  const v1::AdmitRequest* request,
                                  v1::VisitorStatus* response) override;
  grpc::ServerUnaryReactor* Poll(grpc::CallbackServerContext* context,
                                 const v1::PollRequest* request,
                                 v1::VisitorStatus* response) override;
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* context,
                                      const v1::HeartbeatRequest* request,
                                      v1::VisitorStatus* response) override;
  grpc::ServerUnaryReactor* Leave(grpc::CallbackServerContext* context,
                                  const v1::LeaveRequest* request,
                                  v1::LeaveResponse* response) override;

 private:
  // The entry token of `request`, checked at `now` (FAILED_PRECONDITION without entry keys).
  absl::StatusOr<wire::EntryToken> CheckEntryToken(const v1::AdmitRequest& request,
                                                   absl::Time now) const;
  Api api() const;

  ServingRooms* const serving_;
  Metrics* const metrics_;
  LoadShedder* const shedder_;
  const wire::Signer* const entry_keys_;
};

// The operators' API: adapts anteroom.v1.RoomAdmin to the RoomManager `serving` gives each
// call.
//
// Thread-safe.
class RoomAdminService final : public v1::RoomAdmin::CallbackService {
 public:
  // Checkpoints are written under `backup_dir` from `store`. When `admin_token` is not
  // empty, every call must carry "authorization: Bearer <admin_token>"; with
  // `require_client_certificate`, every call must come over TLS with a verified client
  // certificate. Otherwise calls answer UNAUTHENTICATED.
  RoomAdminService(ServingRooms* serving, Metrics* metrics, storage::Store* store,
                   std::string backup_dir, const std::string& admin_token = "",
                   bool require_client_certificate = false)
      : serving_(serving),
        metrics_(metrics),
        store_(store),
        backup_dir_(std::move(backup_dir)),
        expected_authorization_(admin_token.empty() ? "" : "Bearer " + admin_token),
        require_client_certificate_(require_client_certificate) {}

  grpc::ServerUnaryReactor* CreateRoom(grpc::CallbackServerContext* context,
                                       const v1::CreateRoomRequest* request,
                                       v1::Room* response) override;
  grpc::ServerUnaryReactor* UpdateRoom(grpc::CallbackServerContext* context,
                                       const v1::UpdateRoomRequest* request,
                                       v1::Room* response) override;
  grpc::ServerUnaryReactor* GetRoom(grpc::CallbackServerContext* context,
                                    const v1::GetRoomRequest* request, v1::Room* response) override;
  grpc::ServerUnaryReactor* ListRooms(grpc::CallbackServerContext* context,
                                      const v1::ListRoomsRequest* request,
                                      v1::ListRoomsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteRoom(grpc::CallbackServerContext* context,
                                       const v1::DeleteRoomRequest* request,
                                       v1::DeleteRoomResponse* response) override;
  grpc::ServerUnaryReactor* GetRoomStatus(grpc::CallbackServerContext* context,
                                          const v1::GetRoomStatusRequest* request,
                                          v1::RoomStatus* response) override;
  grpc::ServerUnaryReactor* CreateEvent(grpc::CallbackServerContext* context,
                                        const v1::CreateEventRequest* request,
                                        v1::Event* response) override;
  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* context,
                                       const v1::ListEventsRequest* request,
                                       v1::ListEventsResponse* response) override;
  grpc::ServerUnaryReactor* CancelEvent(grpc::CallbackServerContext* context,
                                        const v1::CancelEventRequest* request,
                                        v1::CancelEventResponse* response) override;
  grpc::ServerUnaryReactor* RevokeSession(grpc::CallbackServerContext* context,
                                          const v1::RevokeSessionRequest* request,
                                          v1::RevokeSessionResponse* response) override;
  grpc::ServerUnaryReactor* CreateCheckpoint(grpc::CallbackServerContext* context,
                                             const v1::CreateCheckpointRequest* request,
                                             v1::CreateCheckpointResponse* response) override;

 private:
  Api api() const;
  ServingRooms* const serving_;
  Metrics* const metrics_;
  // OK, or UNAUTHENTICATED when a token is required and missing or wrong.
  absl::Status Authorize(grpc::CallbackServerContext* context) const;

  storage::Store* const store_;
  const std::string backup_dir_;
  const std::string expected_authorization_;  // "Bearer <token>"; empty when none is required
  const bool require_client_certificate_;
  // Writes checkpoints (seconds each on a large store) off the RPC threads, one at a time.
  // Last: stopped (its pending work run) before what it uses goes.
  base::TaskThread checkpoints_;
};

// Converts a room to its public form.
void ToProto(const RoomInfo& info, v1::Room* out);

}  // namespace anteroom::service
