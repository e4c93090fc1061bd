// Whole replicas in the test process, over an etcd in memory (tests/testing/fake_etcd.h) and
// memory stores, serving real gRPC on loopback: who owns the rooms, what standbys follow,
// and every rule by which an owner stops serving, with etcd's faults played on cue and the
// lease's time on a simulated clock.

#include "server/replication/replica.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "storage/memory_store.h"
#include "tests/testing/daemon.h"
#include "tests/testing/fake_etcd.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::replication {
namespace {

using testing::FakeEtcd;
using testing::SeededRandom;
using testing::SimulatedClock;

constexpr absl::Duration kLease = absl::Seconds(2);

struct Node {
  storage::MemoryStore store;
  service::Metrics metrics;
  std::unique_ptr<Replica> replica;
  std::unique_ptr<v1::WaitingRoom::Stub> stub;
};

class ReplicaTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (auto& node : nodes_) {
      if (node->replica) node->replica->Stop(absl::ZeroDuration());
    }
  }

  Node& Start() {
    auto node = std::make_unique<Node>();
    ReplicaOptions options;
    options.prefix = "/t";
    options.node = absl::StrCat("n", nodes_.size());
    options.lease_ttl = kLease;
    options.follow_interval = absl::Milliseconds(5);
    options.step_down_grace = absl::Milliseconds(200);
    options.instance.listeners.listen = "127.0.0.1:0";
    options.instance.listeners.admin_listen = "127.0.0.1:0";
    options.instance.tick_interval = absl::Milliseconds(20);
    options.on_elected = [](service::Instance* instance) {
      if (instance->rooms()->GetRoom("hall").ok()) return absl::OkStatus();
      core::RoomSettings settings;
      settings.max_active_sessions = 1;
      return instance->rooms()->CreateRoom("hall", settings).status();
    };
    node->replica =
        std::make_unique<Replica>(&etcd_, &node->store, &clock_, &random_, &node->metrics, options);
    EXPECT_TRUE(node->replica->Start().ok());
    node->stub = v1::WaitingRoom::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", node->replica->port()), grpc::InsecureChannelCredentials()));
    nodes_.push_back(std::move(node));
    return *nodes_.back();
  }

  // Admit on node `i`: the status, and the answer.
  grpc::Status Admit(Node& node, const std::string& visitor, v1::VisitorStatus* out = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::AdmitRequest req;
    req.set_room("hall");
    req.set_client_id(visitor);
    v1::VisitorStatus resp;
    grpc::Status s = node.stub->Admit(&ctx, req, &resp);
    if (out != nullptr) *out = resp;
    return s;
  }

  // The node serving the rooms, waiting up to 10 s for one; null when none.
  Node* Owner() {
    Node* owner = nullptr;
    testing::WaitUntil(
        [&] {
          for (auto& node : nodes_) {
            if (Admit(*node, "probe").ok()) owner = node.get();
          }
          return owner != nullptr;
        },
        absl::Seconds(10));
    return owner;
  }

  int TicketsIn(Node& node) {
    int n = 0;
    (void)node.store.Scan(storage::Table::kTickets, "", [&](absl::string_view, absl::string_view) {
      ++n;
      return absl::OkStatus();
    });
    return n;
  }

  SimulatedClock clock_;
  SeededRandom random_;
  FakeEtcd etcd_{&clock_};
  std::vector<std::unique_ptr<Node>> nodes_;
};

TEST_F(ReplicaTest, OneNodeOwnsTheRoomsAndTheOtherFollowsItsLog) {
  Start();
  Start();
  Node* owner = Owner();
  ASSERT_NE(owner, nullptr);
  Node* standby = owner == nodes_[0].get() ? nodes_[1].get() : nodes_[0].get();
  v1::VisitorStatus answer;
  const grpc::Status refused = Admit(*standby, "alice", &answer);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  ASSERT_TRUE(Admit(*owner, "bob", &answer).ok());
  EXPECT_EQ(answer.state(), v1::QUEUED);  // "probe" holds the one slot
  EXPECT_TRUE(testing::WaitUntil([&] { return TicketsIn(*standby) >= 1; }, absl::Seconds(5)))
      << "the standby applies the owner's log";
}

// The owner key's create revision: the current term's number (0: no owner).
int64_t Term(FakeEtcd& etcd) {
  etcdserverpb::RangeRequest read;
  read.set_key("/t/owner");
  auto owner = etcd.Range(read, absl::Seconds(1));
  return owner.ok() && owner->kvs_size() > 0 ? owner->kvs(0).create_revision() : 0;
}

TEST_F(ReplicaTest, ALapsedLeaseEndsTheTermAndANewTermServesEveryPlace) {
  Start();
  Start();
  Node* owner = Owner();
  ASSERT_NE(owner, nullptr);
  const int64_t first_term = Term(etcd_);
  v1::VisitorStatus bob;
  ASSERT_TRUE(Admit(*owner, "bob", &bob).ok());
  ASSERT_EQ(bob.state(), v1::QUEUED);
  etcd_.LapseAllLeases();  // as if no renewal had reached etcd for the lease's time
  // A node claims the rooms anew (either: the old owner stepped down and follows again).
  ASSERT_TRUE(testing::WaitUntil([&] { return Term(etcd_) > first_term; }, absl::Seconds(15)))
      << "nobody claimed the rooms again";
  // The new owner serves once it has caught up (until then a node answers UNAVAILABLE, which
  // a client retries): ask until one answers for bob.
  v1::VisitorStatus again;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        for (auto& node : nodes_) {
          if (Admit(*node, "bob", &again).ok()) return true;
        }
        return false;
      },
      absl::Seconds(15)))
      << "no node served bob's place again";
  EXPECT_EQ(again.ticket(), bob.ticket()) << "the acknowledged place is the same one";
}

TEST_F(ReplicaTest, AnOwnerThatCannotRenewStopsServingBeforeItsLeaseCanLapse) {
  Start();
  Node* owner = Owner();
  ASSERT_NE(owner, nullptr);
  // etcd answers nothing from now on; the lease's time passes on the simulated clock.
  etcd_.Fail(1'000'000, absl::UnavailableError("no member answered"));
  clock_.Advance(LeasePolicyFor(kLease).serve_for);
  // Refused at once, whatever the node's renewer has done yet: etcd could let the lease
  // lapse within the margin that is left.
  EXPECT_EQ(Admit(*owner, "late").error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ReplicaTest, ADeposedOwnerCanWriteNothingAndStepsDown) {
  Start();
  Node* owner = Owner();
  ASSERT_NE(owner, nullptr);
  // Another claim replaces its own (as after its lease lapsed unseen).
  etcdserverpb::TxnRequest take;
  take.add_success()->mutable_request_delete_range()->set_key("/t/owner");
  ASSERT_TRUE(etcd_.Txn(take, absl::Seconds(1)).ok());
  storage::v1::OwnerRecord other;
  other.set_node("elsewhere");
  other.set_gateway_address("10.0.0.9:50051");
  ASSERT_TRUE(etcd_.Txn(ClaimRequest(LogKeys("/t"), other, 0), absl::Seconds(1))->succeeded());
  const int entries = etcd_.CountPrefix("/t/log/");
  const grpc::Status refused = Admit(*owner, "dana");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  EXPECT_EQ(etcd_.CountPrefix("/t/log/"), entries) << "etcd took no write of a deposed owner";
  // It follows the log again and names the new owner.
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        grpc::ClientContext ctx;
        v1::AdmitRequest req;
        req.set_room("hall");
        req.set_client_id("erin");
        v1::VisitorStatus resp;
        owner->stub->Admit(&ctx, req, &resp);
        auto named = ctx.GetServerTrailingMetadata().find("anteroom-owner");
        return named != ctx.GetServerTrailingMetadata().end() &&
               std::string(named->second.data(), named->second.size()) == "10.0.0.9:50051";
      },
      absl::Seconds(5)));
}

}  // namespace
}  // namespace anteroom::replication
