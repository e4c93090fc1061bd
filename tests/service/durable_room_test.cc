// The per-room durable unit alone: a Room, a Committer over a gated in-memory store. An
// answer waits for the write of what it changed or saw; a failed write answers UNAVAILABLE
// and puts the room back to what the store holds.

#include "server/service/durable_room.h"

#include <future>

#include "gtest/gtest.h"
#include "server/service/records.h"
#include "tests/testing/commit_path.h"
#include "tests/testing/daemon.h"
#include "tests/testing/room_driver.h"

namespace anteroom::service {
namespace {

using testing::Key;

class DurableRoomTest : public ::testing::Test {
 protected:
  void SetUp() override {
    core::RoomSettings settings;
    settings.max_active_sessions = 1;
    auto room = std::make_unique<core::Room>("hall", settings, clock_.Now(), &random_);
    // As the registry creates a room: its record is written before it serves.
    storage::WriteBatch created;
    created.Put(storage::Table::kRooms, "hall", EncodeRoomRecord(*room));
    ASSERT_TRUE(memory_.Write(created).ok());
    room_ = std::make_shared<DurableRoom>(std::move(room), path_.epochs++, path_.deps());
  }

  // Admits `client` through the durable room; the answer arrives on `answer`.
  std::future<absl::StatusOr<core::VisitorView>> Admit(const std::string& client) {
    auto answer = std::make_shared<std::promise<absl::StatusOr<core::VisitorView>>>();
    room_->Apply<core::VisitorView>(
        [&](core::Room& r, absl::Time now, core::Changes* changes) {
          return r.Admit(Key(client), now, changes);
        },
        [answer](absl::StatusOr<core::VisitorView> v) { answer->set_value(std::move(v)); });
    return answer->get_future();
  }

  // Waits until the room, read back from the store after a failed write, serves again.
  bool AwaitReloaded() {
    return testing::WaitUntil(
        [&] { return room_->Read<int>([](const core::Room&, absl::Time) { return 1; }).ok(); },
        absl::Seconds(10));
  }

  int64_t Queued() {
    return room_
        ->Read<int64_t>(
            [](const core::Room& r, absl::Time now) { return r.Stats(now).queue_depth; })
        .value();
  }

  testing::TestCommitPath path_;
  testing::SimulatedClock& clock_ = path_.clock;
  testing::SeededRandom& random_ = path_.random;
  storage::MemoryStore& memory_ = path_.memory;
  testing::GatedStore& store_ = path_.store;
  Committer& committer_ = path_.committer;
  std::shared_ptr<DurableRoom> room_;
};

TEST_F(DurableRoomTest, AnAnswerWaitsUntilWhatItChangedIsWritten) {
  store_.Close();
  auto first = Admit("a");
  ASSERT_TRUE(store_.AwaitBlockedWriter(absl::Seconds(10)));
  EXPECT_EQ(first.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout)
      << "answered before its write";
  store_.Open();
  ASSERT_TRUE(first.get().ok());
  EXPECT_EQ(ReadAdmittedCount(&memory_, "hall", clock_.Now()).value(), 1)
      << "the admission counter went with the session";
}

TEST_F(DurableRoomTest, AReadOfUnwrittenStateWaitsToo) {
  ASSERT_TRUE(Admit("a").get().ok());  // the one slot
  store_.Close();
  auto queued = Admit("b");  // its write is held at the gate
  ASSERT_TRUE(store_.AwaitBlockedWriter(absl::Seconds(10)));
  // The same visitor again changes nothing, but sees the unwritten place: it waits as well.
  auto again = Admit("b");
  EXPECT_EQ(again.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  store_.Open();
  ASSERT_TRUE(queued.get().ok());
  absl::StatusOr<core::VisitorView> seen = again.get();
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->position, 1);
}

TEST_F(DurableRoomTest, AFailedWriteAnswersUnavailableAndTheRoomForgetsWhatWasLost) {
  ASSERT_TRUE(Admit("a").get().ok());
  store_.set_fail_writes(true);
  absl::StatusOr<core::VisitorView> lost = Admit("b").get();
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(AwaitReloaded());
  EXPECT_EQ(Queued(), 0) << "reloaded from the store: the unwritten place is gone";
  store_.set_fail_writes(false);
  absl::StatusOr<core::VisitorView> retried = Admit("b").get();
  ASSERT_TRUE(retried.ok()) << "later writes go under a new epoch";
  EXPECT_EQ(retried->position, 1);
  EXPECT_EQ(Queued(), 1);
  EXPECT_EQ(room_->Read<int64_t>([](const core::Room& r, absl::Time) { return r.admitted_total(); })
                .value(),
            1)
      << "the count came back from the store with the room";
}

TEST_F(DurableRoomTest, ADeletedRoomAnswersNotFoundUntilUndeleted) {
  room_->MarkDeleted();
  EXPECT_EQ(Admit("a").get().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(room_->Read<int>([](const core::Room&, absl::Time) { return 1; }).status().code(),
            absl::StatusCode::kNotFound);
  room_->Undelete();
  EXPECT_TRUE(Admit("a").get().ok());
}

TEST_F(DurableRoomTest, TheTickAdmitsAndWritesWithoutAnyoneWaiting) {
  ASSERT_TRUE(Admit("a").get().ok());
  ASSERT_TRUE(Admit("b").get().ok());
  const int writes = store_.writes();
  clock_.Advance(absl::Minutes(6));  // a's lease (5 min) lapses
  room_->Tick();
  committer_.Stop();  // joins: the tick's write is done
  EXPECT_EQ(store_.writes(), writes + 1);
  EXPECT_EQ(Queued(), 0) << "b took the freed slot";
}

}  // namespace
}  // namespace anteroom::service
