#include "server/service/records.h"

#include "anteroom/v1/room.pb.h"
#include "gtest/gtest.h"
#include "server/service/settings_message.h"
#include "storage/memory_store.h"
#include "tests/testing/room_driver.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::service {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

core::RoomSettings Unusual() {
  core::RoomSettings s;
  s.max_active_sessions = 7;
  s.admissions_per_minute = 90;
  s.session_ttl = absl::Minutes(12);
  s.session_renewal = false;
  s.arrival_ttl = absl::Seconds(45);
  s.place_hold = absl::Seconds(75);
  s.queueing_method = core::QueueingMethod::kRandom;
  s.queue_all = true;
  s.max_queue_length = 123456;
  return s;
}

TEST(RecordsTest, KeysKeepQueueOrderAndRoomsApart) {
  EXPECT_LT(TicketKey("r", 255), TicketKey("r", 256)) << "big-endian: key order is seq order";
  EXPECT_LT(TicketKey("r", 1), RoomPrefixEnd("r"));
  EXPECT_GE(TicketKey("r", UINT64_MAX), RoomPrefix("r"));
  EXPECT_FALSE(TicketKey("rb", 1).starts_with(RoomPrefix("r"))) << "room r is not a prefix of rb";
}

TEST(RecordsTest, TicketsAndSessionsRoundTrip) {
  const core::Ticket t{3, 9, wire::Secret{1, 2}, core::ClientKey{3, 4}, kNow, true};
  absl::StatusOr<core::Ticket> back = FromRecord(ToRecord(t));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->id, 3u);
  EXPECT_EQ(back->seq, 9u);
  EXPECT_EQ(back->secret, t.secret);
  EXPECT_EQ(back->client, t.client);
  EXPECT_EQ(back->enqueued_at, kNow);
  EXPECT_TRUE(back->prequeued);

  core::Session s{5,    wire::Secret{6, 7},      core::ClientKey{8, 9},    3,    wire::Secret{1, 2},
                  kNow, kNow + absl::Minutes(5), kNow + absl::Minutes(10), true, false};
  absl::StatusOr<core::Session> session = FromRecord(ToRecord(s));
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session->expires_at, kNow + absl::Minutes(10))
      << "the lease as persisted: a restart never shortens it";
  EXPECT_EQ(session->origin_secret, s.origin_secret);
  EXPECT_TRUE(session->arrived);

  storage::v1::TicketRecord bad = ToRecord(t);
  bad.set_secret("short");
  EXPECT_EQ(FromRecord(bad).status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecordsTest, TheRoomRecordKeepsSettingsEventsAndCounters) {
  testing::SeededRandom random;
  core::Room room("r", Unusual(), kNow, &random);
  core::Event event;
  event.start = kNow + absl::Hours(1);
  event.end = kNow + absl::Hours(2);
  event.overrides.max_active_sessions = 500;
  event.overrides.place_hold = absl::Minutes(2);
  core::Changes changes;
  ASSERT_TRUE(room.AddEvent(event, kNow, &changes).ok());

  absl::StatusOr<std::unique_ptr<core::Room>> back =
      DecodeRoomRecord("r", EncodeRoomRecord(room), &random);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ((*back)->settings(), Unusual());
  EXPECT_EQ((*back)->created_at(), kNow);
  ASSERT_EQ((*back)->events().size(), 1u);
  EXPECT_EQ((*back)->events()[0].overrides, event.overrides);
  EXPECT_EQ((*back)->next_event_number(), 2u);
  EXPECT_EQ(DecodeRoomRecord("r", "\xff\xff", &random).status().code(),
            absl::StatusCode::kDataLoss);
}

// Format 1 embedded the public anteroom.v1.RoomSettings; the store's own message must read
// what it wrote, and write what it would have read.
TEST(RecordsTest, TheStoredSettingsMessageIsWireCompatibleWithWhatFormatOneWrote) {
  const v1::RoomSettings api = SettingsToMessage<v1::RoomSettings>(Unusual());
  storage::v1::RoomSettingsRecord stored;
  ASSERT_TRUE(stored.ParseFromString(api.SerializeAsString()));
  core::RoomSettings read;
  ASSERT_TRUE(ApplySettingsMessage(stored, &read).ok());
  EXPECT_EQ(read, Unusual());
  EXPECT_EQ(stored.SerializeAsString(), api.SerializeAsString());

  core::SettingsOverrides some;
  some.queue_all = false;  // set to its default: still an override
  some.session_ttl = absl::Seconds(90);
  v1::RoomSettings api_overrides;
  ASSERT_TRUE(api_overrides.ParseFromString(
      OverridesToMessage<storage::v1::RoomSettingsRecord>(some).SerializeAsString()));
  EXPECT_EQ(OverridesFromMessage(api_overrides).value(), some) << "presence survives";
}

TEST(RecordsTest, ChangesWriteTheRoomRecordOnlyWhenSettingsOrEventsChanged) {
  testing::SeededRandom random;
  core::RoomSettings settings;
  settings.max_active_sessions = 1;
  core::Room room("r", settings, kNow, &random);
  core::Changes admitted;
  room.Admit(testing::Key("a"), kNow, &admitted);
  storage::WriteBatch batch;
  AppendChanges(room, admitted, &batch);
  storage::MemoryStore store;
  ASSERT_TRUE(store.Write(batch).ok());
  EXPECT_FALSE(store.Get(storage::Table::kRooms, "r").value().has_value())
      << "an admission does not rewrite the room record";
  EXPECT_EQ(ReadAdmittedCount(&store, "r", kNow).value(), 1) << "only the counter";

  core::Changes updated;
  settings.max_active_sessions = 2;
  room.UpdateSettings(settings, kNow, &updated);
  storage::WriteBatch second;
  AppendChanges(room, updated, &second);
  ASSERT_TRUE(store.Write(second).ok());
  EXPECT_TRUE(store.Get(storage::Table::kRooms, "r").value().has_value());

  storage::WriteBatch removal;
  AppendRoomRemoval("r", &removal);
  ASSERT_TRUE(store.Write(removal).ok());
  EXPECT_FALSE(store.Get(storage::Table::kRooms, "r").value().has_value());
  EXPECT_EQ(ReadAdmittedCount(&store, "r", kNow).value(), 0);
  int left = 0;
  ASSERT_TRUE(store
                  .Scan(storage::Table::kSessions, RoomPrefix("r"),
                        [&](absl::string_view, absl::string_view) {
                          ++left;
                          return absl::OkStatus();
                        })
                  .ok());
  EXPECT_EQ(left, 0);
}

TEST(RecordsTest, TheAliveMarkRoundTrips) {
  storage::MemoryStore store;
  EXPECT_FALSE(ReadAliveMark(&store).value().has_value()) << "a new store";
  storage::WriteBatch batch;
  AppendAliveMark(kNow + absl::Microseconds(7), &batch);
  ASSERT_TRUE(store.Write(batch).ok());
  EXPECT_EQ(ReadAliveMark(&store).value(), kNow + absl::Microseconds(7));
}

}  // namespace
}  // namespace anteroom::service
