#include "server/service/recovery.h"

#include "gtest/gtest.h"
#include "server/service/records.h"
#include "storage/memory_store.h"
#include "tests/testing/room_driver.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::service {
namespace {

const absl::Time kThen = absl::FromUnixSeconds(1'800'000'000);

// Writes a room of one slot with one session and two waiting visitors, as a server would.
void WriteRoom(storage::Store* store, base::RandomSource* random) {
  core::RoomSettings settings;
  settings.max_active_sessions = 1;
  core::Room room("hall", settings, kThen, random);
  storage::WriteBatch batch;
  // The record as created (no admissions yet); admissions write only the counter.
  batch.Put(storage::Table::kRooms, "hall", EncodeRoomRecord(room));
  core::Changes changes;
  for (const char* v : {"a", "b", "c"}) room.Admit(testing::Key(v), kThen, &changes);
  AppendChanges(room, changes, &batch);
  AppendAliveMark(kThen, &batch);
  ASSERT_TRUE(store->Write(batch).ok());
}

TEST(RecoveryTest, RoomsComeBackWithTheirQueueSessionsAndCounters) {
  storage::MemoryStore store;
  testing::SeededRandom random;
  WriteRoom(&store, &random);
  absl::StatusOr<Recovered> recovered = RecoverRooms(&store, kThen, &random);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_EQ(recovered->rooms.size(), 1u);
  const core::RoomStats stats = recovered->rooms[0]->Stats(kThen);
  EXPECT_EQ(stats.queue_depth, 2);
  EXPECT_EQ(stats.active_sessions, 1);
  EXPECT_EQ(stats.admitted_total, 1) << "from the counter key: the room record says 0";
  EXPECT_EQ(LoadRoom(&store, "missing", kThen, &random).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RecoveryTest, DowntimeIsCreditedToEveryLeaseOnceAndForAll) {
  storage::MemoryStore store;
  testing::SeededRandom random;
  WriteRoom(&store, &random);
  const absl::Time later = kThen + absl::Hours(3);
  absl::StatusOr<Recovered> first = RecoverRooms(&store, later, &random);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->downtime, absl::Hours(3));
  EXPECT_EQ(first->credited_sessions, 1);
  EXPECT_EQ(first->rooms[0]->Stats(later + absl::Minutes(4)).active_sessions, 1)
      << "the 5-minute lease runs from the restart, not from before the downtime";
  // A second start right after: the credit and the new alive mark were written together.
  absl::StatusOr<Recovered> second = RecoverRooms(&store, later, &random);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->downtime, absl::ZeroDuration());
  core::Changes changes;
  second->rooms[0]->Tick(later + absl::Minutes(4), &changes);
  EXPECT_EQ(changes.expired, 0) << "not credited twice, not lost either";
}

TEST(RecoveryTest, ACounterLeftByAnEarlierRoomOfTheSameNameIsNotInherited) {
  storage::MemoryStore store;
  testing::SeededRandom random;
  WriteRoom(&store, &random);
  // An older anteroomd deleted the room without the counter and made a new one.
  core::Room again("hall", core::RoomSettings(), kThen + absl::Hours(1), &random);
  storage::WriteBatch batch;
  batch.DeleteRange(storage::Table::kTickets, RoomPrefix("hall"), RoomPrefixEnd("hall"));
  batch.DeleteRange(storage::Table::kSessions, RoomPrefix("hall"), RoomPrefixEnd("hall"));
  batch.Put(storage::Table::kRooms, "hall", EncodeRoomRecord(again));
  ASSERT_TRUE(store.Write(batch).ok());
  absl::StatusOr<Recovered> recovered = RecoverRooms(&store, kThen + absl::Hours(2), &random);
  ASSERT_TRUE(recovered.ok());
  EXPECT_EQ(recovered->rooms[0]->admitted_total(), 0);
}

TEST(RecoveryTest, AnUnreadableRecordIsDataLossNamingTheRoom) {
  storage::MemoryStore store;
  storage::WriteBatch batch;
  batch.Put(storage::Table::kRooms, "broken", "\xff\xff\xff");
  ASSERT_TRUE(store.Write(batch).ok());
  testing::SeededRandom random;
  absl::StatusOr<Recovered> recovered = RecoverRooms(&store, kThen, &random);
  EXPECT_EQ(recovered.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(recovered.status().message().find("broken"), absl::string_view::npos)
      << recovered.status();
}

}  // namespace
}  // namespace anteroom::service
