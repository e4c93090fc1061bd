#include "server/service/settings_message.h"

#include "anteroom/storage/v1/records.pb.h"
#include "anteroom/v1/room.pb.h"
#include "gtest/gtest.h"

namespace anteroom::service {
namespace {

TEST(SettingsMessageTest, EveryMethodHasOneNumberAndUnsetIsFifo) {
  for (core::QueueingMethod m :
       {core::QueueingMethod::kFifo, core::QueueingMethod::kRandom,
        core::QueueingMethod::kPassthrough, core::QueueingMethod::kReject}) {
    EXPECT_EQ(QueueingMethodFromNumber(QueueingMethodNumber(m)), m);
  }
  EXPECT_EQ(QueueingMethodFromNumber(0), core::QueueingMethod::kFifo);
  EXPECT_FALSE(QueueingMethodFromNumber(9).has_value());
  EXPECT_EQ(QueueingMethodNumber(core::QueueingMethod::kRandom), v1::RANDOM);
  EXPECT_EQ(QueueingMethodNumber(core::QueueingMethod::kReject), storage::v1::STORED_REJECT);
}

TEST(SettingsMessageTest, OnlyTheFieldsSetAreAppliedAndBadOnesAreNamed) {
  v1::RoomSettings patch;
  patch.set_max_active_sessions(9);
  patch.mutable_place_hold()->set_seconds(60);
  core::RoomSettings settings;
  settings.session_ttl = absl::Minutes(7);
  ASSERT_TRUE(ApplySettingsMessage(patch, &settings).ok());
  EXPECT_EQ(settings.max_active_sessions, 9);
  EXPECT_EQ(settings.place_hold, absl::Minutes(1));
  EXPECT_EQ(settings.session_ttl, absl::Minutes(7)) << "unset: kept";

  patch.mutable_arrival_ttl()->set_seconds(1);
  patch.mutable_arrival_ttl()->set_nanos(-5);
  EXPECT_NE(ApplySettingsMessage(patch, &settings).message().find("settings.arrival_ttl"),
            absl::string_view::npos);
  patch.clear_arrival_ttl();
  patch.set_queueing_method(static_cast<v1::QueueingMethod>(42));
  EXPECT_NE(ApplySettingsMessage(patch, &settings).message().find("settings.queueing_method"),
            absl::string_view::npos);
}

TEST(SettingsMessageTest, AllSettingsFillEveryField) {
  const v1::RoomSettings all = SettingsToMessage<v1::RoomSettings>(core::RoomSettings());
  EXPECT_TRUE(all.has_queue_all() && all.has_max_queue_length() && all.has_session_renewal() &&
              all.has_arrival_ttl() && all.has_queueing_method());
  EXPECT_EQ(all.queueing_method(), v1::FIFO);
  EXPECT_EQ(ToProtoDuration(absl::Milliseconds(1500)).nanos(), 500'000'000);
}

}  // namespace
}  // namespace anteroom::service
