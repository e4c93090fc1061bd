#pragma once

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "anteroom/v1/room_admin.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "server/service/server.h"
#include "storage/memory_store.h"
#include "tests/testing/gated_store.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::testing {

// A whole Anteroom server in the test process: memory store (behind a GatedStore, to slow
// or fail writes), simulated clock, seeded randomness, both gRPC listeners on loopback ports.
class InProcessServer {
 public:
  explicit InProcessServer(uint64_t seed = 1) : gated_(&memory_), random_(seed) { Start(); }
  ~InProcessServer() { Stop(); }

  void Start() {
    metrics_ = std::make_unique<service::Metrics>();
    auto keyer = service::ClientKeyer::LoadOrCreate(&gated_, &random_);
    ASSERT_TRUE(keyer.ok()) << keyer.status();
    keyer_ = std::make_unique<service::ClientKeyer>(*keyer);
    committer_ = std::make_unique<service::Committer>(&gated_, metrics_.get());
    rooms_ = std::make_unique<service::RoomManager>(&gated_, committer_.get(), &clock_, &random_,
                                                    keyer_.get(), metrics_.get());
    ASSERT_TRUE(rooms_->Load().ok());
    service::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.admin_listen = "127.0.0.1:0";
    auto server = service::Server::Start(options, rooms_.get(), metrics_.get(), &gated_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    admin_ = v1::RoomAdmin::NewStub(
        grpc::CreateChannel(admin_address(), grpc::InsecureChannelCredentials()));
  }

  // The order anteroomd stops in: stop serving, then drain the committer (its thread
  // finishes the calls waiting on their writes, and joining it orders those calls before
  // what follows), and only then destroy the gRPC server they answered through.
  void Stop() {
    if (server_) server_->Shutdown(absl::Seconds(5));
    if (committer_) committer_->Stop();
    server_.reset();
    rooms_.reset();
    committer_.reset();
  }

  // A restart: new manager and server over the same store, after `downtime` of simulated
  // time with the server down. The ports change.
  void Restart(absl::Duration downtime = absl::ZeroDuration()) {
    Stop();
    clock_.Advance(downtime);
    Start();
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", server_->port()); }
  std::string admin_address() const { return absl::StrCat("127.0.0.1:", server_->admin_port()); }
  SimulatedClock& clock() { return clock_; }
  GatedStore& store() { return gated_; }
  v1::RoomAdmin::Stub& admin() { return *admin_; }
  service::RoomManager* rooms() { return rooms_.get(); }
  service::Metrics* metrics() { return metrics_.get(); }

  void CreateRoom(const std::string& room, uint32_t max_active, int64_t ttl_seconds = 300) {
    v1::RoomSettings settings;
    settings.set_max_active_sessions(max_active);
    settings.mutable_session_ttl()->set_seconds(ttl_seconds);
    CreateRoom(room, settings);
  }
  void CreateRoom(const std::string& room, const v1::RoomSettings& settings) {
    grpc::ClientContext ctx;
    v1::CreateRoomRequest req;
    req.set_room(room);
    *req.mutable_settings() = settings;
    v1::Room resp;
    grpc::Status s = admin_->CreateRoom(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Calls of `method` the server has answered (from its RPC latency histogram).
  int64_t CallsAnswered(const std::string& method) {
    const std::string text =
        prometheus::TextSerializer().Serialize(metrics_->registry()->Collect());
    int64_t total = 0;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      if (!absl::StartsWith(line, "anteroom_rpc_duration_seconds_count{") ||
          !absl::StrContains(line, absl::StrCat("method=\"", method, "\"")))
        continue;
      int64_t n = 0;
      if (absl::SimpleAtoi(line.substr(line.rfind(' ') + 1), &n)) total += n;
    }
    return total;
  }

 private:
  storage::MemoryStore memory_;
  GatedStore gated_;
  SimulatedClock clock_;
  SeededRandom random_;
  std::unique_ptr<service::Metrics> metrics_;
  std::unique_ptr<service::ClientKeyer> keyer_;
  std::unique_ptr<service::Committer> committer_;
  std::unique_ptr<service::RoomManager> rooms_;
  std::unique_ptr<service::Server> server_;
  std::unique_ptr<v1::RoomAdmin::Stub> admin_;
};

}  // namespace anteroom::testing
