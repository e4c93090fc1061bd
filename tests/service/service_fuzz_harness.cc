#include "tests/service/service_fuzz_harness.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"

namespace anteroom::service {
namespace {

// Answers a request may get. UNKNOWN and INTERNAL mean the server lost track.
bool Acceptable(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::OK:
      return true;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::UNIMPLEMENTED:  // a checkpoint of the memory store
      return !s.error_message().empty();
    default:
      return false;
  }
}

template <typename Stub, typename Request, typename Response>
grpc::Status Call(Stub* stub,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                  const uint8_t* data, size_t size) {
  Request request;
  (void)request.ParsePartialFromArray(data, static_cast<int>(size));  // what parses
  Response response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status status = (stub->*method)(&context, request, &response);
  // A request the server cannot decode (a string field that is not UTF-8) never reaches
  // Anteroom: gRPC's callback server refuses it with UNIMPLEMENTED and no message.
  Request decoded;
  if (!decoded.ParseFromString(request.SerializeAsString()) &&
      status.error_code() == grpc::StatusCode::UNIMPLEMENTED && status.error_message().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "undecodable request (gRPC)");
  }
  return status;
}

}  // namespace

ServiceFuzzHarness::ServiceFuzzHarness() {
  // Checkpoints (which the memory store refuses) would create the backup directory: a
  // private one, removed at the end.
  std::string backups = (std::filesystem::temp_directory_path() / "anteroom-fuzz-XXXXXX").string();
  if (mkdtemp(backups.data()) == nullptr) std::abort();
  backup_dir_ = backups;
  auto instance = Instance::Create(&store_, &clock_, &random_);
  if (!instance.ok()) std::abort();
  instance_ = *std::move(instance);
  InstanceOptions options;
  options.listeners.listen = "127.0.0.1:0";
  options.listeners.admin_listen = "127.0.0.1:0";
  options.listeners.backup_dir = backup_dir_ + "/backups";
  if (!instance_->Serve(options).ok()) std::abort();
  gateway_ = v1::WaitingRoom::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", instance_->port()), grpc::InsecureChannelCredentials()));
  admin_ = v1::RoomAdmin::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", instance_->admin_port()), grpc::InsecureChannelCredentials()));
  // Rooms the inputs can name (the seeds do): one open, one full with a queue.
  core::RoomSettings open;
  core::RoomSettings full;
  full.max_active_sessions = 1;
  if (!instance_->rooms()->CreateRoom("hall", open).ok() ||
      !instance_->rooms()->CreateRoom("full", full).ok()) {
    std::abort();
  }
}

ServiceFuzzHarness::~ServiceFuzzHarness() {
  instance_->Stop(absl::Seconds(5));
  std::error_code error;
  std::filesystem::remove_all(backup_dir_, error);
}

std::string ServiceFuzzHarness::Run(const uint8_t* data, size_t size) {
  if (size == 0) return "";
  const uint8_t* body = data + 1;
  const size_t n = size - 1;
  using v1::RoomAdmin;
  using v1::WaitingRoom;
  grpc::Status s;
  switch (data[0] % 15) {
    case 0:
      s = Call(gateway_.get(), &WaitingRoom::Stub::Admit, body, n);
      break;
    case 1:
      s = Call(gateway_.get(), &WaitingRoom::Stub::Poll, body, n);
      break;
    case 2:
      s = Call(gateway_.get(), &WaitingRoom::Stub::Heartbeat, body, n);
      break;
    case 3:
      s = Call(gateway_.get(), &WaitingRoom::Stub::Leave, body, n);
      break;
    case 4:
      s = Call(admin_.get(), &RoomAdmin::Stub::CreateRoom, body, n);
      break;
    case 5:
      s = Call(admin_.get(), &RoomAdmin::Stub::UpdateRoom, body, n);
      break;
    case 6:
      s = Call(admin_.get(), &RoomAdmin::Stub::GetRoom, body, n);
      break;
    case 7:
      s = Call(admin_.get(), &RoomAdmin::Stub::ListRooms, body, n);
      break;
    case 8:
      s = Call(admin_.get(), &RoomAdmin::Stub::DeleteRoom, body, n);
      break;
    case 9:
      s = Call(admin_.get(), &RoomAdmin::Stub::GetRoomStatus, body, n);
      break;
    case 10:
      s = Call(admin_.get(), &RoomAdmin::Stub::CreateEvent, body, n);
      break;
    case 11:
      s = Call(admin_.get(), &RoomAdmin::Stub::ListEvents, body, n);
      break;
    case 12:
      s = Call(admin_.get(), &RoomAdmin::Stub::CancelEvent, body, n);
      break;
    case 13:
      s = Call(admin_.get(), &RoomAdmin::Stub::RevokeSession, body, n);
      break;
    default:
      s = Call(admin_.get(), &RoomAdmin::Stub::CreateCheckpoint, body, n);
      break;
  }
  if (!Acceptable(s)) {
    return absl::StrCat("method ", data[0] % 15, " answered ", s.error_code(), ": \"",
                        s.error_message(), "\"");
  }
  // Time moves on between inputs, and the server still serves.
  clock_.Advance(absl::Seconds(1));
  instance_->rooms()->TickAll();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::ListRoomsResponse rooms;
  const grpc::Status alive = admin_->ListRooms(&context, {}, &rooms);
  if (!alive.ok()) return absl::StrCat("the server stopped answering: ", alive.error_message());
  return "";
}

}  // namespace anteroom::service
