// The composition root: a whole server over a store, started and stopped in order.

#include "server/service/instance.h"

#include <future>

#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "server/service/records.h"
#include "storage/memory_store.h"
#include "tests/testing/gated_store.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::service {
namespace {

class InstanceTest : public ::testing::Test {
 protected:
  std::unique_ptr<Instance> Serving() {
    auto instance = Instance::Create(&store_, &clock_, &random_);
    EXPECT_TRUE(instance.ok()) << instance.status();
    InstanceOptions options;
    options.listeners.listen = "127.0.0.1:0";
    options.listeners.admin_listen = "127.0.0.1:0";
    EXPECT_TRUE((*instance)->Serve(options).ok());
    return *std::move(instance);
  }

  testing::SimulatedClock clock_;
  testing::SeededRandom random_;
  storage::MemoryStore memory_;
  testing::GatedStore store_{&memory_};
};

TEST_F(InstanceTest, StopAnswersTheCallsWaitingOnAWriteAndRecordsTheStop) {
  std::unique_ptr<Instance> instance = Serving();
  ASSERT_TRUE(instance->rooms()->CreateRoom("hall", core::RoomSettings()).ok());
  auto stub = v1::WaitingRoom::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", instance->port()), grpc::InsecureChannelCredentials()));

  store_.Close();  // the next write (this Admit's) hangs, as a slow disk would
  std::promise<grpc::Status> answered;
  grpc::ClientContext ctx;
  v1::AdmitRequest req;
  req.set_room("hall");
  req.set_client_id("visitor");
  v1::VisitorStatus resp;
  std::thread caller([&] { answered.set_value(stub->Admit(&ctx, req, &resp)); });
  ASSERT_TRUE(store_.AwaitBlockedWriter(absl::Seconds(10)));
  clock_.Advance(absl::Minutes(1));
  std::thread stopper([&] { instance->Stop(absl::Seconds(30)); });
  store_.Open();  // the write completes; Stop goes on
  stopper.join();
  caller.join();
  EXPECT_TRUE(answered.get_future().get().ok()) << "the waiting call was answered, not dropped";
  EXPECT_EQ(resp.state(), v1::ADMITTED);
  EXPECT_EQ(ReadAliveMark(&memory_).value(), clock_.Now())
      << "the stop was recorded: the next start credits only real downtime";
  instance->Stop(absl::Seconds(1));  // idempotent
}

TEST_F(InstanceTest, AStoreThatCannotBeReadFailsCreateAndIsLeftAsItWas) {
  storage::WriteBatch broken;
  broken.Put(storage::Table::kRooms, "broken", "\xff\xff");
  AppendAliveMark(clock_.Now() - absl::Hours(1), &broken);
  ASSERT_TRUE(memory_.Write(broken).ok());
  auto instance = Instance::Create(&store_, &clock_, &random_);
  EXPECT_EQ(instance.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReadAliveMark(&memory_).value(), clock_.Now() - absl::Hours(1))
      << "no alive mark from a start that served nothing: the downtime stays credited";
}

TEST_F(InstanceTest, ATakenPortFailsServe) {
  std::unique_ptr<Instance> first = Serving();
  auto second = Instance::Create(&store_, &clock_, &random_);
  ASSERT_TRUE(second.ok());
  InstanceOptions options;
  options.listeners.listen = absl::StrCat("127.0.0.1:", first->port());
  options.listeners.admin_listen = "127.0.0.1:0";
  EXPECT_FALSE((*second)->Serve(options).ok());
}

}  // namespace
}  // namespace anteroom::service
