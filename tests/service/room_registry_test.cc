#include "server/service/room_registry.h"

#include <future>

#include "gtest/gtest.h"
#include "server/service/records.h"
#include "tests/testing/commit_path.h"
#include "tests/testing/daemon.h"

namespace anteroom::service {
namespace {

class RoomRegistryTest : public ::testing::Test {
 protected:
  bool Stored(const std::string& id) {
    return memory_.Get(storage::Table::kRooms, id).value().has_value();
  }

  testing::TestCommitPath path_;
  testing::SimulatedClock& clock_ = path_.clock;
  storage::MemoryStore& memory_ = path_.memory;
  testing::GatedStore& store_ = path_.store;
  RoomRegistry registry_{path_.deps()};
};

TEST_F(RoomRegistryTest, ARoomIsWrittenBeforeItIsServedAndNamesAreUnique) {
  ASSERT_TRUE(registry_.Create("a", core::RoomSettings(), clock_.Now()).ok());
  EXPECT_TRUE(Stored("a"));
  EXPECT_NE(registry_.Find("a"), nullptr);
  EXPECT_EQ(registry_.Create("a", core::RoomSettings(), clock_.Now()).status().code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(registry_.Create("b", core::RoomSettings(), clock_.Now()).ok());
  ASSERT_EQ(registry_.All().size(), 2u);
  EXPECT_EQ(registry_.All()[0]->id(), "a");
}

TEST_F(RoomRegistryTest, AFailedCreateLeavesNoRoom) {
  store_.set_fail_writes(true);
  EXPECT_EQ(registry_.Create("a", core::RoomSettings(), clock_.Now()).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(registry_.Find("a"), nullptr);
}

TEST_F(RoomRegistryTest, DeleteRemovesEverythingAndAFailedOneKeepsTheRoom) {
  std::shared_ptr<DurableRoom> room =
      registry_.Create("a", core::RoomSettings(), clock_.Now()).value();
  store_.set_fail_writes(true);
  EXPECT_EQ(registry_.Delete("a").code(), absl::StatusCode::kUnavailable);
  store_.set_fail_writes(false);
  EXPECT_NE(registry_.Find("a"), nullptr);
  EXPECT_TRUE(room->Read<bool>([](const core::Room&, absl::Time) { return true; }).ok())
      << "still served";
  ASSERT_TRUE(registry_.Delete("a").ok());
  EXPECT_EQ(registry_.Find("a"), nullptr);
  EXPECT_FALSE(Stored("a"));
  EXPECT_EQ(room->Read<bool>([](const core::Room&, absl::Time) { return true; }).status().code(),
            absl::StatusCode::kNotFound)
      << "a call that found the room before the delete is told it is gone";
  EXPECT_EQ(registry_.Delete("a").code(), absl::StatusCode::kNotFound);
}

TEST_F(RoomRegistryTest, WhileARoomIsBeingWrittenOtherRoomsAndLookupsDoNotWait) {
  ASSERT_TRUE(registry_.Create("busy", core::RoomSettings(), clock_.Now()).ok());
  store_.Close();  // the next write hangs, as a slow disk would
  auto created = std::async(std::launch::async, [&] {
    return registry_.Create("new", core::RoomSettings(), clock_.Now()).status();
  });
  ASSERT_TRUE(store_.AwaitBlockedWriter(absl::Seconds(10)));
  EXPECT_EQ(registry_.Find("new"), nullptr) << "not served before it is written";
  EXPECT_NE(registry_.Find("busy"), nullptr);
  EXPECT_EQ(registry_.All().size(), 1u);
  EXPECT_EQ(registry_.Create("new", core::RoomSettings(), clock_.Now()).status().code(),
            absl::StatusCode::kAlreadyExists)
      << "the name is taken while its create is written";
  store_.Open();
  EXPECT_TRUE(created.get().ok());
  EXPECT_NE(registry_.Find("new"), nullptr);
}

TEST_F(RoomRegistryTest, ARoomMadeAgainAfterADeleteStartsFromNothing) {
  std::shared_ptr<DurableRoom> room =
      registry_.Create("a", core::RoomSettings(), clock_.Now()).value();
  std::promise<absl::StatusOr<core::VisitorView>> admitted;
  room->Apply<core::VisitorView>(
      [](core::Room& r, absl::Time now, core::Changes* changes) {
        return r.Admit(core::ClientKey{1, 1}, now, changes);
      },
      [&](absl::StatusOr<core::VisitorView> v) { admitted.set_value(std::move(v)); });
  ASSERT_TRUE(admitted.get_future().get().ok());
  ASSERT_TRUE(registry_.Delete("a").ok());
  clock_.Advance(absl::Seconds(1));
  std::shared_ptr<DurableRoom> again =
      registry_.Create("a", core::RoomSettings(), clock_.Now()).value();
  EXPECT_EQ(
      again->Read<core::RoomStats>([](const core::Room& r, absl::Time now) { return r.Stats(now); })
          .value()
          .admitted_total,
      0);
  EXPECT_EQ(ReadAdmittedCount(&memory_, "a", clock_.Now()).value(), 0);
}

// A failed write reads the room back from the store: a scan that takes seconds for millions
// of places. It runs off the committer's thread and without the room's lock, so the other
// rooms go on meanwhile, and this one refuses calls until it is back.
TEST_F(RoomRegistryTest, OneRoomReloadingAfterAFailedWriteHoldsUpNoOtherRoom) {
  std::shared_ptr<DurableRoom> broken =
      registry_.Create("broken", core::RoomSettings(), clock_.Now()).value();
  std::shared_ptr<DurableRoom> fine =
      registry_.Create("fine", core::RoomSettings(), clock_.Now()).value();
  auto admit = [](const std::shared_ptr<DurableRoom>& room, uint64_t who) {
    std::promise<absl::StatusCode> answered;
    room->Apply<core::VisitorView>(
        [who](core::Room& r, absl::Time now, core::Changes* changes) {
          return r.Admit(core::ClientKey{who, who}, now, changes);
        },
        [&](absl::StatusOr<core::VisitorView> v) { answered.set_value(v.status().code()); });
    return answered.get_future().get();
  };
  store_.CloseScans();
  store_.FailNextWrites(1);
  EXPECT_EQ(admit(broken, 1), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(store_.AwaitBlockedScanner(absl::Seconds(10))) << "the reload started";
  // While it reads: the other room answers (its writes go through), this one says retry.
  for (uint64_t who = 1; who <= 5; ++who) EXPECT_EQ(admit(fine, who), absl::StatusCode::kOk);
  EXPECT_EQ(admit(broken, 2), absl::StatusCode::kUnavailable);
  EXPECT_EQ(broken->Read<int>([](const core::Room&, absl::Time) { return 0; }).status().code(),
            absl::StatusCode::kUnavailable)
      << "nothing unpersisted is shown meanwhile";
  store_.OpenScans();
  ASSERT_TRUE(testing::WaitUntil([&] { return admit(broken, 3) == absl::StatusCode::kOk; },
                                 absl::Seconds(10)));
  EXPECT_EQ(broken
                ->Read<int64_t>([](const core::Room& r, absl::Time now) {
                  return r.Stats(now).active_sessions;
                })
                .value(),
            1)
      << "the lost admission is gone, the retry is in";
}

TEST_F(RoomRegistryTest, RoomsAdoptedAtStartUpAreServed) {
  std::vector<std::unique_ptr<core::Room>> rooms;
  rooms.push_back(
      std::make_unique<core::Room>("x", core::RoomSettings(), clock_.Now(), &path_.random));
  registry_.Adopt(std::move(rooms));
  ASSERT_NE(registry_.Find("x"), nullptr);
  EXPECT_EQ(registry_.Find("x")->id(), "x");
}

}  // namespace
}  // namespace anteroom::service
