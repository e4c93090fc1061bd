// anteroom-noop: gRPC alone, the benchmark's ceiling. It serves anteroom.v1.WaitingRoom with
// canned answers (the size and shape of anteroomd's) on a gRPC server set up exactly as
// anteroomd's gateway listener is (service::StartGatewayServer), so that what anteroomd
// reaches can be printed as a share of what the same gRPC set-up reaches on the same machine
// with the same generator.
//
// It takes anteroomd's listener flags so that the tests' Daemon runner starts it the same
// way; --data_dir and the admin and metrics listeners are accepted and ignored (the ports
// file names the gateway address for all three).

#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "base/log.h"
#include "base/program.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/service/listeners.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50061", "WaitingRoom address.");
ABSL_FLAG(std::string, admin_listen, "", "Ignored (anteroomd's flag).");
ABSL_FLAG(std::string, metrics_listen, "", "Ignored (anteroomd's flag).");
ABSL_FLAG(std::string, data_dir, "", "Ignored (anteroomd's flag).");
ABSL_FLAG(bool, create_data_dir, false, "Ignored (anteroomd's flag).");
ABSL_FLAG(bool, sync_writes, false, "Ignored (anteroomd's flag).");
ABSL_FLAG(std::string, ports_file, "", "Where to write the bound address (as anteroomd does).");

namespace anteroom::bench {
namespace {

// Fills `out` as anteroomd answers a visitor waiting in a large room.
void Queued(v1::VisitorStatus* out) {
  out->set_state(v1::QUEUED);
  out->set_ticket("t1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  out->set_position(123'456);
  out->mutable_estimated_wait()->set_seconds(600);
  out->mutable_estimated_wait_max()->set_seconds(600);
  out->mutable_poll_after()->set_seconds(20);
  out->set_room("bench");
}

class NoopWaitingRoom final : public v1::WaitingRoom::CallbackService {
 public:
  grpc::ServerUnaryReactor* Admit(grpc::CallbackServerContext* context,
                                  const v1::AdmitRequest* /*request*/,
                                  v1::VisitorStatus* response) override {
    Queued(response);
    return Done(context);
  }
  grpc::ServerUnaryReactor* Poll(grpc::CallbackServerContext* context,
                                 const v1::PollRequest* /*request*/,
                                 v1::VisitorStatus* response) override {
    Queued(response);
    return Done(context);
  }
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* context,
                                      const v1::HeartbeatRequest* /*request*/,
                                      v1::VisitorStatus* response) override {
    response->set_state(v1::ADMITTED);
    response->set_session("s1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    response->mutable_lease_expires_at()->set_seconds(1'800'000'300);
    response->mutable_poll_after()->set_seconds(100);
    response->set_room("bench");
    return Done(context);
  }
  grpc::ServerUnaryReactor* Leave(grpc::CallbackServerContext* context,
                                  const v1::LeaveRequest* /*request*/,
                                  v1::LeaveResponse* /*response*/) override {
    return Done(context);
  }

 private:
  static grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

int Run() {
  const sigset_t stop_signals = base::BlockStopSignals();
  grpc::EnableDefaultHealthCheckService(true);  // as anteroomd's gateway
  service::ListenerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  NoopWaitingRoom service;
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server = service::StartGatewayServer(
      options, [&](grpc::ServerBuilder* b) { b->RegisterService(&service); }, &port);
  if (!server.ok()) {
    ANTEROOM_LOG(kError, "%s", server.status().message());
    return 1;
  }
  const std::string address = absl::StrCat(base::HostOf(options.listen), ":", port);
  if (!absl::GetFlag(FLAGS_ports_file).empty()) {
    absl::Status written = base::WriteFileAtomically(
        absl::GetFlag(FLAGS_ports_file),
        absl::StrCat("gateway=", address, "\nadmin=", address, "\nmetrics=", address, "\n"));
    if (!written.ok()) {
      ANTEROOM_LOG(kError, "%s", written.message());
      return 1;
    }
  }
  ANTEROOM_LOG(kInfo, "anteroom-noop serving WaitingRoom on %s", address);
  base::WaitForStopSignal(stop_signals);
  (*server)->Shutdown();
  return 0;
}

}  // namespace
}  // namespace anteroom::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return anteroom::bench::Run();
}
