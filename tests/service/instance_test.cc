// The composition root: a whole server over a store, started and stopped in order.

#include "server/service/instance.h"

#include <atomic>
#include <future>
#include <map>
#include <thread>

#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "server/service/records.h"
#include "storage/memory_store.h"
#include "tests/testing/daemon.h"
#include "tests/testing/gated_store.h"
#include "tests/testing/reflection_client.h"
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

// A replica's terms: the node's listeners stay while one term's rooms are withdrawn and
// another's served. Calls that arrive meanwhile, or are in flight, are answered (UNAVAILABLE
// naming the owner while none are served); none is cut off (CANCELLED), and health follows.
TEST_F(InstanceTest, TermsComeAndGoOnListenersThatStayAndNoCallIsCutOff) {
  Metrics metrics;
  std::atomic<bool> known_owner{false};
  auto listeners = Listeners::Start(
      [] {
        ListenerOptions o;
        o.listen = "127.0.0.1:0";
        o.admin_listen = "127.0.0.1:0";
        return o;
      }(),
      &metrics, &store_,
      [&] {
        return known_owner ? ServingRooms::Owner{"10.0.0.2:50051", "10.0.0.2:50052"}
                           : ServingRooms::Owner{};
      });
  ASSERT_TRUE(listeners.ok()) << listeners.status();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*listeners)->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::WaitingRoom::NewStub(channel);
  testing::ReflectionClient health(channel);
  auto serving_status = [&] {
    absl::StatusOr<std::string> answer = health.Call("grpc.health.v1.Health/Check", "{}");
    return answer.ok() ? testing::JsonStringField(*answer, "status") : answer.status().ToString();
  };
  EXPECT_EQ(serving_status(), "NOT_SERVING");

  // Callers poll and admit without pause, through every change below.
  std::atomic<bool> done{false};
  base::Mutex mu;
  std::map<grpc::StatusCode, int> codes;
  std::map<std::string, int> owners_named;
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; !done; ++i) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        v1::AdmitRequest req;
        req.set_room("hall");
        req.set_client_id(absl::StrCat("visitor-", t, "-", i));
        v1::VisitorStatus resp;
        const grpc::Status status = stub->Admit(&ctx, req, &resp);
        base::MutexLock lock(&mu);
        ++codes[status.error_code()];
        auto owner = ctx.GetServerTrailingMetadata().find("anteroom-owner");
        if (owner != ctx.GetServerTrailingMetadata().end())
          ++owners_named[std::string(owner->second.data(), owner->second.size())];
      }
    });
  }
  // However the test ends (an ASSERT returns early), the threads stop and are joined.
  testing::StopAndJoin join_on_exit(&done, &callers);
  auto calls = [&] {
    base::MutexLock lock(&mu);
    int n = 0;
    for (const auto& [code, count] : codes) n += count;
    return n;
  };
  for (int term = 0; term < 3; ++term) {
    auto instance = Instance::Create(&store_, &clock_, &random_, nullptr, &metrics);
    ASSERT_TRUE(instance.ok()) << instance.status();
    if (term == 0) {
      ASSERT_TRUE((*instance)->rooms()->CreateRoom("hall", core::RoomSettings()).ok());
    }
    (*instance)->ServeOn(listeners->get(), absl::Milliseconds(100));
    EXPECT_EQ(serving_status(), "SERVING");
    const int before = calls();
    ASSERT_TRUE(testing::WaitUntil([&] { return calls() > before + 200; }, absl::Seconds(30)));
    known_owner = term == 1;              // the second step-down knows who took over
    (*instance)->Stop(absl::Seconds(1));  // the term ends while calls arrive
    EXPECT_EQ(serving_status(), "NOT_SERVING");
    const int between = calls();
    ASSERT_TRUE(testing::WaitUntil([&] { return calls() > between + 50; }, absl::Seconds(30)));
  }
  done = true;
  for (std::thread& t : callers) t.join();
  callers.clear();
  base::MutexLock lock(&mu);
  EXPECT_GT(codes[grpc::StatusCode::OK], 600);
  EXPECT_GT(codes[grpc::StatusCode::UNAVAILABLE], 150);
  EXPECT_EQ(codes.count(grpc::StatusCode::CANCELLED), 0u) << "a call was cut off";
  for (const auto& [code, count] : codes) {
    EXPECT_TRUE(code == grpc::StatusCode::OK || code == grpc::StatusCode::UNAVAILABLE)
        << "code " << code << ": " << count << " calls";
  }
  EXPECT_GT(owners_named["10.0.0.2:50051"], 0) << "turned-away calls name the owner";
  EXPECT_EQ(owners_named.size(), 1u) << "only the gateway address, and only when known";
}

}  // namespace
}  // namespace anteroom::service
