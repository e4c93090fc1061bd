// The public API's messages to and from the core's types, and absl to gRPC status.

#include "server/service/convert.h"

#include "gtest/gtest.h"

namespace anteroom::service {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(ConvertTest, StatusCodesAndMessagesCarryOver) {
  EXPECT_TRUE(ToGrpc(absl::OkStatus()).ok());
  const grpc::Status s = ToGrpc(absl::FailedPreconditionError("room 'shop' is full"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "room 'shop' is full");
  EXPECT_EQ(ToGrpc(absl::UnavailableError("x")).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST(ConvertTest, AnEventRoundTripsAndItsMissingFieldsAreNamed) {
  v1::Event e;
  *e.mutable_prequeue_start() = ToProtoTime(kStart);
  *e.mutable_start() = ToProtoTime(kStart + absl::Minutes(10));
  *e.mutable_end() = ToProtoTime(kStart + absl::Hours(2));
  e.mutable_overrides()->set_max_active_sessions(500);
  e.set_id("ignored");
  absl::StatusOr<core::Event> event = EventFromProto(e);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->prequeue_start, kStart);
  EXPECT_EQ(event->start, kStart + absl::Minutes(10));
  EXPECT_TRUE(event->shuffle_at_start) << "shuffled unless asked not to";
  EXPECT_EQ(event->overrides.max_active_sessions, 500);
  EXPECT_FALSE(event->overrides.session_ttl);
  EXPECT_EQ(event->id, "") << "the room names its events";

  event->id = "e1";
  const v1::Event back = ToProto(*event);
  EXPECT_EQ(back.id(), "e1");
  EXPECT_EQ(back.start().seconds(), absl::ToUnixSeconds(kStart + absl::Minutes(10)));
  EXPECT_EQ(back.overrides().max_active_sessions(), 500u);
  EXPECT_FALSE(back.overrides().has_session_ttl()) << "only what the event overrides";

  v1::Event no_prequeue = e;
  no_prequeue.clear_prequeue_start();
  EXPECT_EQ(EventFromProto(no_prequeue)->prequeue_start, kStart + absl::Minutes(10));
  EXPECT_FALSE(ToProto(*EventFromProto(no_prequeue)).has_prequeue_start());

  v1::Event no_end = e;
  no_end.clear_end();
  EXPECT_EQ(EventFromProto(no_end).status().message(), "event.end is required");
  v1::Event bad_start = e;
  bad_start.mutable_start()->set_nanos(-1);
  EXPECT_EQ(EventFromProto(bad_start).status().message(), "event.start is not a valid timestamp");
}

TEST(ConvertTest, AVisitorsViewSetsOnlyWhatItsStateHas) {
  core::VisitorView queued;
  queued.state = core::VisitorState::kQueued;
  queued.ticket = "t.shop.x";
  queued.position = 7;
  queued.estimated_wait = absl::Seconds(90);
  queued.estimated_wait_max = absl::Seconds(120);
  queued.poll_after = absl::Seconds(5);
  v1::VisitorStatus out;
  ToProto(queued, "shop", &out);
  EXPECT_EQ(out.state(), v1::QUEUED);
  EXPECT_EQ(out.room(), "shop");
  EXPECT_EQ(out.position(), 7u);
  EXPECT_EQ(out.estimated_wait().seconds(), 90);
  EXPECT_EQ(out.estimated_wait_max().seconds(), 120);
  EXPECT_EQ(out.poll_after().seconds(), 5);
  EXPECT_FALSE(out.has_lease_expires_at());
  EXPECT_FALSE(out.has_event_starts_at());

  core::VisitorView admitted;
  admitted.state = core::VisitorState::kAdmitted;
  admitted.session = "s.shop.y";
  admitted.lease_expires_at = kStart;
  v1::VisitorStatus in;
  ToProto(admitted, "shop", &in);
  EXPECT_EQ(in.state(), v1::ADMITTED);
  EXPECT_EQ(in.session(), "s.shop.y");
  EXPECT_EQ(in.lease_expires_at().seconds(), absl::ToUnixSeconds(kStart));

  core::VisitorView prequeued;
  prequeued.state = core::VisitorState::kPreQueued;
  prequeued.event_starts_at = kStart;
  v1::VisitorStatus early;
  ToProto(prequeued, "shop", &early);
  EXPECT_EQ(early.state(), v1::PRE_QUEUED);
  EXPECT_EQ(early.event_starts_at().seconds(), absl::ToUnixSeconds(kStart));

  for (auto [state, expected] : {std::pair{core::VisitorState::kRejected, v1::REJECTED},
                                 std::pair{core::VisitorState::kExpired, v1::EXPIRED},
                                 std::pair{core::VisitorState::kChallenged, v1::CHALLENGED}}) {
    core::VisitorView view;
    view.state = state;
    view.reason = "why";
    v1::VisitorStatus status;
    ToProto(view, "shop", &status);
    EXPECT_EQ(status.state(), expected);
    EXPECT_EQ(status.reason(), "why");
  }
}

TEST(ConvertTest, SettingsPatchesSetOnlyTheirFieldsAndNameABadOne) {
  core::RoomSettings settings;
  settings.max_active_sessions = 10;
  v1::RoomSettings patch;
  patch.mutable_place_hold()->set_seconds(300);
  ASSERT_TRUE(ApplySettingsPatch(patch, &settings).ok());
  EXPECT_EQ(settings.place_hold, absl::Seconds(300));
  EXPECT_EQ(settings.max_active_sessions, 10) << "untouched";
  EXPECT_EQ(ToProto(settings).max_active_sessions(), 10u);
  patch.mutable_session_ttl()->set_seconds(1);
  patch.mutable_session_ttl()->set_nanos(-1);
  const absl::Status bad = ApplySettingsPatch(patch, &settings);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("settings.session_ttl"), absl::string_view::npos) << bad;
}

}  // namespace
}  // namespace anteroom::service
