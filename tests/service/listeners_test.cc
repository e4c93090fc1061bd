// The two listeners alone: what they answer while no rooms are served, health, their
// options' checks, and calls' deadlines read on the clock they are given.

#include "server/service/listeners.h"

#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "server/service/instance.h"
#include "storage/memory_store.h"
#include "tests/testing/reflection_client.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::service {
namespace {

ListenerOptions OnFreePorts() {
  ListenerOptions o;
  o.listen = "127.0.0.1:0";
  o.admin_listen = "127.0.0.1:0";
  return o;
}

grpc::Status Admit(int port, std::string* owner = nullptr) {
  auto stub = v1::WaitingRoom::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::AdmitRequest req;
  req.set_room("hall");
  req.set_client_id("visitor");
  v1::VisitorStatus resp;
  const grpc::Status status = stub->Admit(&ctx, req, &resp);
  if (owner != nullptr) {
    auto it = ctx.GetServerTrailingMetadata().find("anteroom-owner");
    *owner = it == ctx.GetServerTrailingMetadata().end()
                 ? ""
                 : std::string(it->second.data(), it->second.size());
  }
  return status;
}

std::string Health(int port) {
  testing::ReflectionClient health(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  absl::StatusOr<std::string> answer = health.Call("grpc.health.v1.Health/Check", "{}");
  return answer.ok() ? testing::JsonStringField(*answer, "status") : answer.status().ToString();
}

class ListenersTest : public ::testing::Test {
 protected:
  testing::SimulatedClock clock_;
  testing::SeededRandom random_;
  storage::MemoryStore store_;
  Metrics metrics_;
};

TEST_F(ListenersTest, WithNoRoomsServedEveryCallIsUnavailableNamingTheOwner) {
  auto listeners = Listeners::Start(OnFreePorts(), &metrics_, &store_, [] {
    return ServingRooms::Owner{"10.0.0.2:50051", "10.0.0.2:50052"};
  });
  ASSERT_TRUE(listeners.ok()) << listeners.status();
  std::string owner;
  EXPECT_EQ(Admit((*listeners)->port(), &owner).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(owner, "10.0.0.2:50051");
  EXPECT_EQ(Health((*listeners)->port()), "NOT_SERVING");
  EXPECT_EQ(Health((*listeners)->admin_port()), "NOT_SERVING");

  auto instance = Instance::Create(&store_, &clock_, &random_, nullptr, &metrics_);
  ASSERT_TRUE(instance.ok()) << instance.status();
  ASSERT_TRUE((*instance)->rooms()->CreateRoom("hall", core::RoomSettings()).ok());
  (*instance)->ServeOn(listeners->get(), absl::Milliseconds(100));
  EXPECT_TRUE(Admit((*listeners)->port()).ok());
  EXPECT_EQ(Health((*listeners)->port()), "SERVING");
  (*instance)->Stop(absl::Seconds(1));
  EXPECT_EQ(Admit((*listeners)->port()).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Health((*listeners)->port()), "NOT_SERVING");
}

TEST_F(ListenersTest, CallsDeadlinesAreReadOnTheRealClockTheyAreGiven) {
  // A "real" clock a day ahead: every call's deadline has passed on arrival.
  testing::SimulatedClock ahead(absl::Now() + absl::Hours(24));
  ListenerOptions options = OnFreePorts();
  options.real_clock = &ahead;
  auto listeners = Listeners::Start(options, &metrics_, &store_);
  ASSERT_TRUE(listeners.ok()) << listeners.status();
  auto instance = Instance::Create(&store_, &clock_, &random_, nullptr, &metrics_);
  ASSERT_TRUE(instance.ok());
  ASSERT_TRUE((*instance)->rooms()->CreateRoom("hall", core::RoomSettings()).ok());
  (*instance)->ServeOn(listeners->get(), absl::Milliseconds(100));
  EXPECT_EQ(Admit((*listeners)->port()).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ((*instance)->rooms()->GetRoomStatus("hall")->admitted_total, 0)
      << "a call past its deadline does nothing";
  (*instance)->Stop(absl::Seconds(1));
}

TEST_F(ListenersTest, OptionsThatCannotWorkFailStart) {
  ListenerOptions ca_without_tls = OnFreePorts();
  ca_without_tls.gateway_client_ca_pem = "-----BEGIN CERTIFICATE-----";
  EXPECT_EQ(Listeners::Start(ca_without_tls, &metrics_, &store_).status().code(),
            absl::StatusCode::kInvalidArgument);

  auto first = Listeners::Start(OnFreePorts(), &metrics_, &store_);
  ASSERT_TRUE(first.ok());
  ListenerOptions taken = OnFreePorts();
  taken.admin_listen = absl::StrCat("127.0.0.1:", (*first)->admin_port());
  EXPECT_FALSE(Listeners::Start(taken, &metrics_, &store_).ok())
      << "no port sharing: a second listener cannot split the first's traffic";
}

}  // namespace
}  // namespace anteroom::service
