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
#include "server/service/instance.h"
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

  // Builds and serves a server over the store, as anteroomd does (service::Instance).
  void Start() {
    auto instance = service::Instance::Create(&gated_, &clock_, &random_);
    ASSERT_TRUE(instance.ok()) << instance.status();
    instance_ = *std::move(instance);
    service::InstanceOptions options;
    options.listeners = listener_options_;
    options.listeners.listen = "127.0.0.1:0";
    options.listeners.admin_listen = "127.0.0.1:0";
    ASSERT_TRUE(instance_->Serve(options).ok());
    admin_ = v1::RoomAdmin::NewStub(
        grpc::CreateChannel(admin_address(), grpc::InsecureChannelCredentials()));
  }

  // Stops as anteroomd does (service::Instance::Stop), in-flight calls given 5 s.
  void Stop() {
    if (instance_) instance_->Stop(absl::Seconds(5));
    instance_.reset();
  }

  // A clean restart (SIGTERM, then a new server over the same store) after `downtime` of
  // simulated time. The ports change.
  void Restart(absl::Duration downtime = absl::ZeroDuration()) {
    Stop();
    clock_.Advance(downtime);
    Start();
  }

  // A restart as after kill -9: from now on nothing more reaches the store (not the record
  // of the stop, nor a write still on its way), then a new server starts over it after
  // `downtime`.
  void RestartAfterCrash(absl::Duration downtime = absl::ZeroDuration()) {
    gated_.set_fail_writes(true);
    Stop();
    gated_.set_fail_writes(false);
    clock_.Advance(downtime);
    Start();
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", instance_->port()); }
  std::string admin_address() const { return absl::StrCat("127.0.0.1:", instance_->admin_port()); }
  // The listeners' options (addresses aside) for the next Start or Restart.
  service::ListenerOptions& listener_options() { return listener_options_; }
  SimulatedClock& clock() { return clock_; }
  GatedStore& store() { return gated_; }
  v1::RoomAdmin::Stub& admin() { return *admin_; }
  service::RoomManager* rooms() { return instance_->rooms(); }
  service::Metrics* metrics() { return instance_->metrics(); }

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
        prometheus::TextSerializer().Serialize(metrics()->registry()->Collect());
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
  service::ListenerOptions listener_options_;
  std::unique_ptr<service::Instance> instance_;
  std::unique_ptr<v1::RoomAdmin::Stub> admin_;
};

}  // namespace anteroom::testing
