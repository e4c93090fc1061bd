#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "server/service/grpc_services.h"
#include "server/service/metrics.h"
#include "server/service/room_manager.h"
#include "server/service/serving_rooms.h"
#include "wire/signer.h"
#include "wire/token.h"

namespace anteroom::service {

struct ListenerOptions {
  // Gateway API (anteroom.v1.WaitingRoom). Port 0 picks a free port. Default 127.0.0.1:50051.
  std::string listen = "127.0.0.1:50051";
  // Operators' API (anteroom.v1.RoomAdmin). Default 127.0.0.1:50052 (loopback only).
  std::string admin_listen = "127.0.0.1:50052";
  // Where CreateCheckpoint writes. Default ./backups.
  std::string backup_dir = "./backups";
  // TLS for both listeners: PEM certificate chain and private key. Empty (default):
  // plaintext.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // Mutual TLS: PEM CA bundle that client certificates must chain to, per listener. Empty
  // (default): no client certificate asked. Requires TLS.
  std::string gateway_client_ca_pem;
  std::string admin_client_ca_pem;
  // When not empty, every RoomAdmin call needs "authorization: Bearer <admin_token>".
  std::string admin_token;
  // Overload bounds (README "Overload"). Gateway calls worked on at once; past half of it
  // new Admits answer RESOURCE_EXHAUSTED, past all of it every gateway call does. 0: none.
  int64_t max_calls_in_flight = 4096;
  // Concurrent calls per client connection (HTTP/2 streams), on each listener.
  int max_concurrent_streams = 1024;
  // Largest request accepted, in bytes (Anteroom's requests are well under 1 KiB; the
  // admin API's under 4 KiB). A larger one answers RESOURCE_EXHAUSTED.
  int max_request_bytes = 64 * 1024;
  // Memory gRPC may use for its buffers on each listener, in bytes; past it, gRPC reads
  // less from its connections.
  int64_t grpc_memory_bytes = 256LL * 1024 * 1024;
  // The keys operators' entry tokens are signed with (anteroomd --entry_key_file; see
  // wire/entry_token.h). Null (default): an Admit that carries one is FAILED_PRECONDITION.
  std::shared_ptr<const wire::Signer> entry_keys;
  // gRPC's deadlines are real time, whatever clock the rooms run on: calls' deadlines are
  // compared with this clock, and Shutdown's grace runs on it. Must outlive the listeners.
  base::Clock* real_clock = base::SystemClock();
};

// A gRPC server on `options.listen` with the gateway listener's set-up (its TLS, stream,
// message, metadata and memory bounds), running what `add_services` registers. Listeners uses
// it; so does a server that must be set up exactly as anteroomd's gateway is (the
// benchmark's no-op WaitingRoom, which measures what gRPC alone reaches).
absl::StatusOr<std::unique_ptr<grpc::Server>> StartGatewayServer(
    const ListenerOptions& options, const std::function<void(grpc::ServerBuilder*)>& add_services,
    int* port);

// The two gRPC listeners (gateway and admin, each with server reflection and gRPC health),
// serving whatever rooms the node serves at the moment (ServingRooms): none when they start,
// then a RoomManager from Serve to Withdraw. While none are served, every call answers
// UNAVAILABLE naming the owner's address of that API (when `owner` knows it) and gRPC health
// answers NOT_SERVING, so readiness probes and load balancers send nothing here. A node keeps
// its listeners whatever its role: no call is ever cut off by a server going away, except at
// Shutdown.
//
// A listener whose port is taken fails Start: port sharing (SO_REUSEPORT) is off, so a
// second instance cannot silently split traffic with the first.
//
// Thread-safe.
class Listeners {
 public:
  // `store` serves checkpoints; `owner` names the owner while this node serves no rooms
  // (empty: nobody known); `clock` (null unless ServeUntil is used) bounds serving. All must
  // outlive the listeners.
  static absl::StatusOr<std::unique_ptr<Listeners>> Start(const ListenerOptions& options,
                                                          Metrics* metrics, storage::Store* store,
                                                          ServingRooms::OwnerFn owner = nullptr,
                                                          base::Clock* clock = nullptr);
  ~Listeners();

  // The bound ports (useful when the options asked for port 0).
  int port() const { return port_; }
  int admin_port() const { return admin_port_; }

  // Calls are served by `rooms` (which must stay until WaitReleased returns after Withdraw);
  // health answers SERVING.
  void Serve(RoomManager* rooms);
  // See ServingRooms::ServeUntil.
  void ServeUntil(absl::Time until) { serving_.ServeUntil(until); }
  // New calls are turned away (UNAVAILABLE) and health answers NOT_SERVING; waits up to
  // `grace` for the calls holding the rooms to be answered. True when all were.
  bool Withdraw(absl::Duration grace);
  // Waits until every call that held the rooms has been answered (after Withdraw; calls
  // waiting on a write are answered by the committer: stop it first).
  void WaitReleased();

  // Stops accepting calls and cancels those still open after `grace` (the process is ending).
  // Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  Listeners(Metrics* metrics, storage::Store* store, const ListenerOptions& options,
            ServingRooms::OwnerFn owner, base::Clock* clock);
  void SetHealth(bool serving);

  ServingRooms serving_;
  LoadShedder shedder_;
  base::Clock* const real_clock_;
  std::shared_ptr<const wire::Signer> entry_keys_;
  WaitingRoomService gateway_service_;
  RoomAdminService admin_service_;
  std::unique_ptr<grpc::Server> gateway_;
  std::unique_ptr<grpc::Server> admin_;
  int port_ = 0;
  int admin_port_ = 0;
  std::once_flag shutdown_;
};

}  // namespace anteroom::service
