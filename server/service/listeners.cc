#include "server/service/listeners.h"

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace anteroom::service {
namespace {

// Plaintext, TLS, or TLS with client certificates that chain to `client_ca_pem`: required
// at the handshake, or (`per_call`) verified when presented and required by each call,
// which can then answer UNAUTHENTICATED instead of failing the connection.
std::shared_ptr<grpc::ServerCredentials> Credentials(const ListenerOptions& options,
                                                     const std::string& client_ca_pem,
                                                     bool per_call) {
  if (options.tls_cert_pem.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl(
      client_ca_pem.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
      : per_call            ? GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY
                            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = client_ca_pem;
  ssl.pem_key_cert_pairs.push_back({options.tls_key_pem, options.tls_cert_pem});
  return grpc::SslServerCredentials(ssl);
}

absl::StatusOr<std::unique_ptr<grpc::Server>> StartListener(
    const ListenerOptions& options, const std::string& address,
    std::shared_ptr<grpc::ServerCredentials> credentials,
    const std::function<void(grpc::ServerBuilder*)>& add_services, absl::string_view what,
    int* port) {
  grpc::ServerBuilder builder;
  // Without this a second server on the same port would silently share it.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Bounds on what one client can make the server hold.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams);
  builder.SetMaxReceiveMessageSize(options.max_request_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, 16 * 1024);
  grpc::ResourceQuota quota(absl::StrCat("anteroom ", what));
  quota.Resize(static_cast<size_t>(options.grpc_memory_bytes));
  builder.SetResourceQuota(quota);
  builder.AddListeningPort(address, std::move(credentials), port);
  add_services(&builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || *port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for the ", what, " on ", address,
                                               " (address in use or not valid, or bad TLS "
                                               "certificate or key?)"));
  }
  return server;
}

using AddServices = std::function<void(grpc::ServerBuilder*)>;

// Both listeners, started.
struct ListenerPair {
  std::unique_ptr<grpc::Server> gateway;
  std::unique_ptr<grpc::Server> admin;
  int port = 0;
  int admin_port = 0;
};

// The gateway and admin listeners, with the services `add_gateway` and `add_admin` register;
// when the admin one cannot start, the gateway one is shut down.
absl::StatusOr<ListenerPair> StartPair(const ListenerOptions& options,
                                       const AddServices& add_gateway,
                                       const AddServices& add_admin) {
  ListenerPair pair;
  absl::StatusOr<std::unique_ptr<grpc::Server>> gateway =
      StartGatewayServer(options, add_gateway, &pair.port);
  if (!gateway.ok()) return gateway.status();
  pair.gateway = *std::move(gateway);
  absl::StatusOr<std::unique_ptr<grpc::Server>> admin =
      StartListener(options, options.admin_listen,
                    Credentials(options, options.admin_client_ca_pem, /*per_call=*/true), add_admin,
                    "admin API", &pair.admin_port);
  if (!admin.ok()) {
    pair.gateway->Shutdown();
    return admin.status();
  }
  pair.admin = *std::move(admin);
  return pair;
}

}  // namespace

absl::StatusOr<std::unique_ptr<grpc::Server>> StartGatewayServer(const ListenerOptions& options,
                                                                 const AddServices& add_services,
                                                                 int* port) {
  return StartListener(options, options.listen,
                       Credentials(options, options.gateway_client_ca_pem, /*per_call=*/false),
                       add_services, "gateway API", port);
}

Listeners::Listeners(Metrics* metrics, storage::Store* store, const ListenerOptions& options,
                     ServingRooms::OwnerFn owner, base::Clock* clock)
    : serving_(std::move(owner), clock, options.real_clock),
      shedder_(options.max_calls_in_flight, options.real_clock),
      real_clock_(options.real_clock),
      entry_keys_(options.entry_keys),
      gateway_service_(&serving_, metrics, &shedder_, entry_keys_.get()),
      admin_service_(&serving_, metrics, store, options.backup_dir, options.admin_token,
                     /*require_client_certificate=*/!options.admin_client_ca_pem.empty()) {}

absl::StatusOr<std::unique_ptr<Listeners>> Listeners::Start(const ListenerOptions& options,
                                                            Metrics* metrics, storage::Store* store,
                                                            ServingRooms::OwnerFn owner,
                                                            base::Clock* clock) {
  grpc::EnableDefaultHealthCheckService(true);
  // Links the health protocol's descriptors so reflection can describe grpc.health.v1.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  if (options.tls_cert_pem.empty() &&
      !(options.gateway_client_ca_pem.empty() && options.admin_client_ca_pem.empty())) {
    return absl::InvalidArgumentError("client certificate CAs need a TLS certificate and key");
  }
  std::unique_ptr<Listeners> server(
      new Listeners(metrics, store, options, std::move(owner), clock));
  absl::StatusOr<ListenerPair> pair = StartPair(
      options, [&](grpc::ServerBuilder* b) { b->RegisterService(&server->gateway_service_); },
      [&](grpc::ServerBuilder* b) { b->RegisterService(&server->admin_service_); });
  if (!pair.ok()) return pair.status();
  server->gateway_ = std::move(pair->gateway);
  server->admin_ = std::move(pair->admin);
  server->port_ = pair->port;
  server->admin_port_ = pair->admin_port;
  server->SetHealth(false);  // nothing served yet
  return server;
}

Listeners::~Listeners() { Shutdown(absl::ZeroDuration()); }

void Listeners::SetHealth(bool serving) {
  for (grpc::Server* s : {gateway_.get(), admin_.get()}) {
    if (s != nullptr) s->GetHealthCheckService()->SetServingStatus(serving);
  }
}

void Listeners::Serve(RoomManager* rooms) {
  serving_.Serve(rooms);
  SetHealth(true);
}

bool Listeners::Withdraw(absl::Duration grace) {
  SetHealth(false);
  return serving_.Withdraw(grace);
}

void Listeners::WaitReleased() { serving_.WaitReleased(); }

void Listeners::Shutdown(absl::Duration grace) {
  std::call_once(shutdown_, [&] {
    serving_.Withdraw(absl::ZeroDuration());
    const auto deadline = absl::ToChronoTime(real_clock_->Now() + grace);
    if (gateway_) gateway_->Shutdown(deadline);
    if (admin_) admin_->Shutdown(deadline);
  });
}

}  // namespace anteroom::service
