// The service over real gRPC on loopback: an in-process anteroomd (memory store, simulated
// clock) called through the generated stubs and through a reflection-only client.

#include <cmath>
#include <future>
#include <map>
#include <memory>
#include <thread>

#include "anteroom/v1/room_admin.grpc.pb.h"
#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "server/service/convert.h"
#include "server/service/instance.h"
#include "tests/testing/challenge_solver.h"
#include "tests/testing/daemon.h"
#include "tests/testing/gated_store.h"
#include "tests/testing/in_process_server.h"
#include "tests/testing/reflection_client.h"
#include "tests/testing/sim_clock.h"
#include "wire/entry_token.h"

namespace anteroom::service {
namespace {

using testing::SimulatedClock;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Connect(); }

  // A restart: new manager and server over the same store, after `downtime` of simulated
  // time with the server down.
  void Restart(absl::Duration downtime = absl::ZeroDuration()) {
    server_.Restart(downtime);
    Connect();
  }

  void Connect() {
    gateway_channel_ = grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials());
    admin_channel_ =
        grpc::CreateChannel(server_.admin_address(), grpc::InsecureChannelCredentials());
    gateway_ = v1::WaitingRoom::NewStub(gateway_channel_);
    admin_ = v1::RoomAdmin::NewStub(admin_channel_);
  }

  grpc::Status CreateRoom(const std::string& room, uint32_t max_active, int64_t ttl_seconds = 300) {
    grpc::ClientContext ctx;
    v1::CreateRoomRequest req;
    req.set_room(room);
    req.mutable_settings()->set_max_active_sessions(max_active);
    req.mutable_settings()->mutable_session_ttl()->set_seconds(ttl_seconds);
    v1::Room resp;
    return admin_->CreateRoom(&ctx, req, &resp);
  }

  v1::VisitorStatus Admit(const std::string& room, const std::string& client,
                          grpc::Status* status = nullptr) {
    v1::AdmitRequest req;
    req.set_room(room);
    req.set_client_id(client);
    return Admit(req, status);
  }

  v1::VisitorStatus Admit(const v1::AdmitRequest& req, grpc::Status* status = nullptr) {
    grpc::ClientContext ctx;
    v1::VisitorStatus resp;
    grpc::Status s = gateway_->Admit(&ctx, req, &resp);
    if (status)
      *status = s;
    else
      EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  v1::VisitorStatus Poll(const std::string& ticket, grpc::Status* status = nullptr) {
    grpc::ClientContext ctx;
    v1::PollRequest req;
    req.set_ticket(ticket);
    v1::VisitorStatus resp;
    grpc::Status s = gateway_->Poll(&ctx, req, &resp);
    if (status)
      *status = s;
    else
      EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  v1::VisitorStatus Heartbeat(const std::string& session, grpc::Status* status = nullptr) {
    grpc::ClientContext ctx;
    v1::HeartbeatRequest req;
    req.set_session(session);
    v1::VisitorStatus resp;
    grpc::Status s = gateway_->Heartbeat(&ctx, req, &resp);
    if (status)
      *status = s;
    else
      EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  bool Leave(const std::string& token) {
    grpc::ClientContext ctx;
    v1::LeaveRequest req;
    req.set_token(token);
    v1::LeaveResponse resp;
    EXPECT_TRUE(gateway_->Leave(&ctx, req, &resp).ok());
    return resp.ended();
  }

  v1::RoomStatus Status(const std::string& room) {
    grpc::ClientContext ctx;
    v1::GetRoomStatusRequest req;
    req.set_room(room);
    v1::RoomStatus resp;
    EXPECT_TRUE(admin_->GetRoomStatus(&ctx, req, &resp).ok());
    return resp;
  }

  testing::InProcessServer server_;
  SimulatedClock& clock_ = server_.clock();
  // Writes can be held at a gate (a slow fsync) or failed (a broken disk).
  testing::GatedStore& store_ = server_.store();
  std::shared_ptr<grpc::Channel> gateway_channel_, admin_channel_;
  std::unique_ptr<v1::WaitingRoom::Stub> gateway_;
  std::unique_ptr<v1::RoomAdmin::Stub> admin_;
};

TEST_F(ServiceTest, TwoSlotsFiveVisitorsThenRestartThenLeave) {
  ASSERT_TRUE(CreateRoom("shop", 2).ok());
  std::vector<v1::VisitorStatus> v;
  for (int i = 0; i < 5; ++i) v.push_back(Admit("shop", "visitor-" + std::to_string(i)));
  EXPECT_EQ(v[0].state(), v1::ADMITTED);
  EXPECT_EQ(v[1].state(), v1::ADMITTED);
  for (int i = 2; i < 5; ++i) {
    EXPECT_EQ(v[i].state(), v1::QUEUED);
    EXPECT_EQ(v[i].position(), static_cast<uint64_t>(i - 1));
    EXPECT_GT(v[i].poll_after().seconds(), 0);
  }

  Restart();
  for (int i = 2; i < 5; ++i)
    EXPECT_EQ(Poll(v[i].ticket()).position(), static_cast<uint64_t>(i - 1));
  for (int i = 0; i < 2; ++i) EXPECT_EQ(Heartbeat(v[i].session()).state(), v1::ADMITTED);

  EXPECT_TRUE(Leave(v[0].session()));
  const v1::VisitorStatus now_in = Poll(v[2].ticket());
  EXPECT_EQ(now_in.state(), v1::ADMITTED);
  EXPECT_FALSE(now_in.session().empty());
  EXPECT_EQ(Poll(v[3].ticket()).position(), 1u);
  const v1::RoomStatus status = Status("shop");
  EXPECT_EQ(status.queue_depth(), 2u);
  EXPECT_EQ(status.active_sessions(), 2u);
  EXPECT_EQ(status.admitted_total(), 3u);
}

TEST_F(ServiceTest, AdmitRetriesNeverMakeASecondPlace) {
  ASSERT_TRUE(CreateRoom("shop", 1).ok());
  Admit("shop", "a");
  const v1::VisitorStatus first = Admit("shop", "b");
  const v1::VisitorStatus retry = Admit("shop", "b");
  EXPECT_EQ(first.ticket(), retry.ticket());
  EXPECT_EQ(Status("shop").queue_depth(), 1u);
}

TEST_F(ServiceTest, LeasesExpireOnTheSimulatedClockAndTheNextInLineIsAdmitted) {
  ASSERT_TRUE(CreateRoom("shop", 1, /*ttl_seconds=*/60).ok());
  const v1::VisitorStatus a = Admit("shop", "a");
  const v1::VisitorStatus b = Admit("shop", "b");
  clock_.Advance(absl::Seconds(61));
  server_.rooms()->TickAll();
  EXPECT_EQ(Heartbeat(a.session()).state(), v1::EXPIRED);
  EXPECT_EQ(Poll(b.ticket()).state(), v1::ADMITTED);
}

TEST_F(ServiceTest, BadInputGetsAClearErrorNamingTheField) {
  ASSERT_TRUE(CreateRoom("shop", 1).ok());
  grpc::Status s;
  Admit("", "a", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("room"), std::string::npos);
  Admit("shop", "", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("client_id"), std::string::npos);
  Admit("shop", std::string(129, 'x'), &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  Admit("nope", "a", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  Poll("garbage", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("ticket"), std::string::npos);
  const v1::VisitorStatus a = Admit("shop", "a");
  Poll(a.session(), &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "a session is not a ticket";
  Heartbeat("", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("session"), std::string::npos);
  // Well-formed but unknown: a business outcome, not an error.
  EXPECT_EQ(Poll("t.shop." + std::string(32, 'A')).state(), v1::EXPIRED);
  EXPECT_EQ(CreateRoom("shop", 1).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(CreateRoom("Bad Name", 1).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const grpc::Status zero = CreateRoom("zero", 0);
  EXPECT_EQ(zero.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(zero.error_message().find("settings.max_active_sessions"), std::string::npos);
}

TEST_F(ServiceTest, InvalidSettingsAreRefusedNamingTheField) {
  grpc::ClientContext ctx;
  v1::CreateRoomRequest req;
  req.set_room("held");
  req.mutable_settings()->mutable_place_hold()->set_seconds(5);
  v1::Room resp;
  const grpc::Status s = admin_->CreateRoom(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("settings.place_hold"), std::string::npos);

  ASSERT_TRUE(CreateRoom("shop", 1).ok());
  // Echoing GetRoom's settings back is accepted.
  grpc::ClientContext get_ctx;
  v1::GetRoomRequest get;
  get.set_room("shop");
  v1::Room room;
  ASSERT_TRUE(admin_->GetRoom(&get_ctx, get, &room).ok());
  grpc::ClientContext update_ctx;
  v1::UpdateRoomRequest update;
  update.set_room("shop");
  *update.mutable_settings() = room.settings();
  update.mutable_settings()->set_max_active_sessions(3);
  v1::Room updated;
  ASSERT_TRUE(admin_->UpdateRoom(&update_ctx, update, &updated).ok());
  EXPECT_EQ(updated.settings().max_active_sessions(), 3u);
}

TEST_F(ServiceTest, UpdateRoomTakesEffectAtOnceAndSurvivesRestart) {
  ASSERT_TRUE(CreateRoom("shop", 1).ok());
  Admit("shop", "a");
  const v1::VisitorStatus b = Admit("shop", "b");
  grpc::ClientContext ctx;
  v1::UpdateRoomRequest req;
  req.set_room("shop");
  req.mutable_settings()->set_max_active_sessions(2);
  v1::Room resp;
  ASSERT_TRUE(admin_->UpdateRoom(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.settings().session_ttl().seconds(), 300) << "unset fields keep their value";
  EXPECT_EQ(Poll(b.ticket()).state(), v1::ADMITTED);
  Restart();
  EXPECT_EQ(Status("shop").max_active_sessions(), 2u);
  EXPECT_EQ(Status("shop").active_sessions(), 2u);
}

TEST_F(ServiceTest, APausedRoomSaysTheWaitIsUnknownInAnswersStatusAndMetrics) {
  ASSERT_TRUE(CreateRoom("shop", 1).ok());
  Admit("shop", "a");
  grpc::ClientContext ctx;
  v1::UpdateRoomRequest req;
  req.set_room("shop");
  req.mutable_settings()->set_queue_all(true);
  v1::Room resp;
  ASSERT_TRUE(admin_->UpdateRoom(&ctx, req, &resp).ok());
  for (int i = 1; i <= 3; ++i) {
    const v1::VisitorStatus v = Admit("shop", "q" + std::to_string(i));
    EXPECT_EQ(v.position(), static_cast<uint64_t>(i));
    EXPECT_TRUE(v.estimated_wait_unknown());
    EXPECT_EQ(v.estimated_wait().seconds(), 0);
  }
  const v1::RoomStatus status = Status("shop");
  EXPECT_TRUE(status.estimated_wait_unknown());
  EXPECT_EQ(status.estimated_wait().seconds(), 0);
  const std::string text =
      prometheus::TextSerializer().Serialize(server_.metrics()->registry()->Collect());
  EXPECT_NE(text.find("anteroom_estimated_wait_seconds{room=\"shop\"} Nan"), std::string::npos)
      << text;
}

TEST_F(ServiceTest, ListAndDeleteRooms) {
  ASSERT_TRUE(CreateRoom("b-room", 1).ok());
  ASSERT_TRUE(CreateRoom("a-room", 1).ok());
  Admit("a-room", "x");
  Admit("a-room", "y");
  grpc::ClientContext list_ctx;
  v1::ListRoomsResponse list;
  ASSERT_TRUE(admin_->ListRooms(&list_ctx, {}, &list).ok());
  ASSERT_EQ(list.rooms_size(), 2);
  EXPECT_EQ(list.rooms(0).id(), "a-room");
  grpc::ClientContext del_ctx;
  v1::DeleteRoomRequest del;
  del.set_room("a-room");
  v1::DeleteRoomResponse del_resp;
  ASSERT_TRUE(admin_->DeleteRoom(&del_ctx, del, &del_resp).ok());
  Restart();
  grpc::Status s;
  Admit("a-room", "x", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(CreateRoom("a-room", 1).ok());
  EXPECT_EQ(Status("a-room").queue_depth(), 0u) << "a deleted room's queue is gone";
  EXPECT_EQ(Status("a-room").active_sessions(), 0u);
}

TEST_F(ServiceTest, AStorageFailureIsUnavailableAndNothingUnpersistedSurvives) {
  ASSERT_TRUE(CreateRoom("shop", 1).ok());
  const v1::VisitorStatus a = Admit("shop", "a");
  const v1::VisitorStatus b = Admit("shop", "b");
  store_.set_fail_writes(true);
  grpc::Status s;
  Admit("shop", "c", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  grpc::ClientContext ctx;
  v1::LeaveRequest leave;
  leave.set_token(a.session());
  v1::LeaveResponse resp;
  EXPECT_EQ(gateway_->Leave(&ctx, leave, &resp).error_code(), grpc::StatusCode::UNAVAILABLE);
  // Memory was rolled back to the store: a still holds the slot, b still waits, c has no place.
  // (The room is read back on a background thread; until then its calls answer UNAVAILABLE.)
  v1::VisitorStatus polled;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        grpc::Status status;
        polled = Poll(b.ticket(), &status);
        return status.ok();
      },
      absl::Seconds(10)));
  EXPECT_EQ(polled.state(), v1::QUEUED);
  EXPECT_EQ(Status("shop").queue_depth(), 1u);
  store_.set_fail_writes(false);
  EXPECT_EQ(Heartbeat(a.session()).state(), v1::ADMITTED);
  EXPECT_EQ(Admit("shop", "c").position(), 2u);
}

TEST_F(ServiceTest, GatewayListenerDoesNotServeTheAdminApi) {
  auto wrong = v1::RoomAdmin::NewStub(gateway_channel_);
  grpc::ClientContext ctx;
  v1::ListRoomsResponse resp;
  EXPECT_EQ(wrong->ListRooms(&ctx, {}, &resp).error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

// Acceptance: 3 slots, 60 admissions a minute, a burst of 1,000 arrivals. Visitors leave
// 2.5 s after being let in. Every 100 ms of simulated time: never more than 3 active, never
// more admissions than the rate allows (one second's burst), and admission in arrival order.
TEST_F(ServiceTest, BurstOfAThousandRespectsTheCapAndTheRate) {
  grpc::ClientContext ctx;
  v1::CreateRoomRequest req;
  req.set_room("drop");
  req.mutable_settings()->set_max_active_sessions(3);
  req.mutable_settings()->set_admissions_per_minute(60);
  v1::Room room;
  ASSERT_TRUE(admin_->CreateRoom(&ctx, req, &room).ok());

  // 1,000 concurrent arrivals from 4 gateway threads.
  std::vector<v1::VisitorStatus> arrivals(1000);
  std::vector<std::thread> gateways;
  for (int g = 0; g < 4; ++g) {
    gateways.emplace_back([&, g] {
      for (int i = g; i < 1000; i += 4) arrivals[i] = Admit("drop", "v" + std::to_string(i));
    });
  }
  for (std::thread& t : gateways) t.join();
  std::vector<std::string> line(1000);  // tickets by position
  std::vector<std::string> in;          // sessions in
  int admitted_at_once = 0;
  for (const v1::VisitorStatus& v : arrivals) {
    if (v.state() == v1::ADMITTED) {
      ++admitted_at_once;
      in.push_back(v.session());
    } else {
      ASSERT_EQ(v.state(), v1::QUEUED);
      ASSERT_LE(v.position(), 999u);
      ASSERT_TRUE(line[v.position()].empty()) << "two visitors at position " << v.position();
      line[v.position()] = v.ticket();
    }
  }
  EXPECT_EQ(admitted_at_once, 1) << "the bucket holds one second's worth: 1 admission";

  std::map<std::string, absl::Time> leave_at;
  leave_at[in[0]] = clock_.Now() + absl::Milliseconds(2500);
  size_t next = 1;  // the next position expected to be admitted
  int64_t admitted = 1;
  const absl::Time t0 = clock_.Now();
  for (int tick = 1; tick <= 600; ++tick) {
    clock_.Advance(absl::Milliseconds(100));
    for (auto it = leave_at.begin(); it != leave_at.end();) {
      if (it->second <= clock_.Now()) {
        EXPECT_TRUE(Leave(it->first));
        it = leave_at.erase(it);
      } else {
        ++it;
      }
    }
    server_.rooms()->TickAll();
    // Whoever is admitted now must be next in line: poll the head of the line.
    while (next < line.size()) {
      const v1::VisitorStatus head = Poll(line[next]);
      if (head.state() != v1::ADMITTED) {
        ASSERT_EQ(head.position(), 1u) << "FIFO: position " << next << " is not at the head";
        break;
      }
      leave_at[head.session()] = clock_.Now() + absl::Milliseconds(2500);
      ++admitted;
      ++next;
    }
    const v1::RoomStatus status = Status("drop");
    ASSERT_LE(status.active_sessions(), 3u);
    const double elapsed = absl::ToDoubleSeconds(clock_.Now() - t0);
    ASSERT_LE(admitted, 1 + static_cast<int64_t>(elapsed * 1.0) + 1) << "faster than 60/min";
    ASSERT_EQ(status.admitted_total(), static_cast<uint64_t>(admitted));
  }
  // The rate is what held the line: about one a second for the minute.
  EXPECT_GE(admitted, 55);
}

// Acceptance: an event with a pre-queue of 1,000 shuffles them at start (admission order
// uncorrelated with arrival), then admits later arrivals only after them.
TEST_F(ServiceTest, EventPrequeueOfAThousandIsShuffledAndServedFirst) {
  ASSERT_TRUE(CreateRoom("tickets", 1, /*ttl_seconds=*/86400).ok());
  const v1::VisitorStatus holder = Admit("tickets", "holder");
  ASSERT_EQ(holder.state(), v1::ADMITTED);
  grpc::ClientContext ctx;
  v1::CreateEventRequest req;
  req.set_room("tickets");
  *req.mutable_event()->mutable_prequeue_start() = ToProtoTime(clock_.Now());
  *req.mutable_event()->mutable_start() = ToProtoTime(clock_.Now() + absl::Minutes(10));
  *req.mutable_event()->mutable_end() = ToProtoTime(clock_.Now() + absl::Hours(2));
  v1::Event event;
  ASSERT_TRUE(admin_->CreateEvent(&ctx, req, &event).ok());
  EXPECT_TRUE(event.shuffle_at_start()) << "shuffling is the default";

  std::vector<std::string> pre;
  for (int i = 0; i < 1000; ++i) {
    clock_.Advance(absl::Milliseconds(500));
    const v1::VisitorStatus v = Admit("tickets", "pre" + std::to_string(i));
    ASSERT_EQ(v.state(), v1::PRE_QUEUED);
    ASSERT_EQ(v.event_starts_at().seconds(), event.start().seconds());
    pre.push_back(v.ticket());
  }
  clock_.Advance(absl::Minutes(2));  // past the start
  server_.rooms()->TickAll();
  const v1::VisitorStatus later = Admit("tickets", "later");
  EXPECT_EQ(later.position(), 1001u) << "later arrivals only after the whole pre-queue";

  std::vector<int> arrival_at_position(1001, -1);
  double sum_d2 = 0;
  for (int i = 0; i < 1000; ++i) {
    const v1::VisitorStatus v = Poll(pre[i]);
    ASSERT_EQ(v.state(), v1::QUEUED);
    arrival_at_position[v.position()] = i;
    const double d = static_cast<double>(i) - static_cast<double>(v.position() - 1);
    sum_d2 += d * d;
  }
  const double rho = 1 - 6 * sum_d2 / (1000.0 * (1000.0 * 1000.0 - 1));
  EXPECT_LT(std::abs(rho), 0.1) << "Spearman correlation of arrival and place: " << rho;

  // Admission follows the shuffled places: free the slot 50 times.
  std::string session = holder.session();
  for (int k = 1; k <= 50; ++k) {
    ASSERT_TRUE(Leave(session));
    const v1::VisitorStatus next = Poll(pre[arrival_at_position[k]]);
    ASSERT_EQ(next.state(), v1::ADMITTED) << "place " << k;
    session = next.session();
  }
  grpc::ClientContext list_ctx;
  v1::ListEventsRequest list_req;
  list_req.set_room("tickets");
  v1::ListEventsResponse list;
  ASSERT_TRUE(admin_->ListEvents(&list_ctx, list_req, &list).ok());
  ASSERT_EQ(list.events_size(), 1);
  EXPECT_TRUE(list.events(0).started());
}

TEST_F(ServiceTest, RevokedSessionFreesItsSlotAndIsToldOnItsNextHeartbeat) {
  ASSERT_TRUE(CreateRoom("shop", 1).ok());
  const v1::VisitorStatus a = Admit("shop", "a");
  const v1::VisitorStatus b = Admit("shop", "b");
  grpc::ClientContext ctx;
  v1::RevokeSessionRequest req;
  req.set_session(a.session());
  v1::RevokeSessionResponse resp;
  ASSERT_TRUE(admin_->RevokeSession(&ctx, req, &resp).ok());
  EXPECT_TRUE(resp.revoked());
  EXPECT_EQ(Poll(b.ticket()).state(), v1::ADMITTED);
  Restart();
  const v1::VisitorStatus told = Heartbeat(a.session());
  EXPECT_EQ(told.state(), v1::EXPIRED);
  EXPECT_EQ(told.reason(), "session revoked") << "remembered across a restart";
}

// No answer reveals state a crash could lose: while the write that admits b is in flight,
// b's Poll (which would show ADMITTED) does not answer; it answers once the write is done.
TEST_F(ServiceTest, AnswersWaitUntilWhatTheyShowIsDurable) {
  ASSERT_TRUE(CreateRoom("shop", 1).ok());
  const v1::VisitorStatus a = Admit("shop", "a");
  const v1::VisitorStatus b = Admit("shop", "b");
  store_.Close();
  std::thread leave([&] { Leave(a.session()); });  // frees the slot: b is admitted
  ASSERT_TRUE(store_.AwaitBlockedWriter(absl::Seconds(10)));
  std::promise<absl::StatusOr<core::VisitorView>> polled;
  server_.rooms()->Poll(*wire::ParseToken(b.ticket()), [&](absl::StatusOr<core::VisitorView> v) {
    polled.set_value(std::move(v));
  });
  auto result = polled.get_future();
  // RoomManager::Poll has run; its answer waits for the write.
  EXPECT_NE(result.wait_for(std::chrono::milliseconds(0)), std::future_status::ready);
  store_.Open();
  leave.join();
  absl::StatusOr<core::VisitorView> view = result.get();
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->state, core::VisitorState::kAdmitted);
}

TEST_F(ServiceTest, TimeTheServerWasDownIsNotChargedAgainstLeases) {
  ASSERT_TRUE(CreateRoom("shop", 1, /*ttl_seconds=*/60).ok());
  const v1::VisitorStatus a = Admit("shop", "a");
  const v1::VisitorStatus b = Admit("shop", "b");
  clock_.Advance(absl::Seconds(30));
  const int writes = store_.writes();
  server_.rooms()->TickAll();  // records that the server is alive at +30 s
  ASSERT_TRUE(testing::WaitUntil([&] { return store_.writes() > writes; }, absl::Seconds(10)));
  // A crash: no record of a stop; the last sign of life is the tick's.
  server_.RestartAfterCrash(/*downtime=*/absl::Minutes(10));
  Connect();
  server_.rooms()->TickAll();
  // Only 30 s of the 60 s lease count: the time the server was up.
  EXPECT_EQ(Heartbeat(a.session()).state(), v1::ADMITTED);
  EXPECT_EQ(Poll(b.ticket()).state(), v1::QUEUED);
  // From its renewal just now, a's lease lapses after 60 s of up-time, with another restart
  // in between: b gets the slot.
  clock_.Advance(absl::Seconds(61));
  server_.rooms()->TickAll();
  Restart();
  server_.rooms()->TickAll();
  EXPECT_EQ(Poll(b.ticket()).state(), v1::ADMITTED) << "a's lease lapsed while the server was up";
}

TEST_F(ServiceTest, MetricsCountAdmissionsDeparturesRejectionsWaitsAndErrors) {
  grpc::ClientContext ctx;
  v1::CreateRoomRequest req;
  req.set_room("m");
  req.mutable_settings()->set_max_active_sessions(1);
  req.mutable_settings()->mutable_session_ttl()->set_seconds(60);
  req.mutable_settings()->set_max_queue_length(1);
  v1::Room room;
  ASSERT_TRUE(admin_->CreateRoom(&ctx, req, &room).ok());
  Admit("m", "a");                              // admitted
  const v1::VisitorStatus b = Admit("m", "b");  // queued
  EXPECT_EQ(Admit("m", "c").state(), v1::REJECTED);
  grpc::Status bad;
  Poll("nonsense", &bad);
  clock_.Advance(absl::Seconds(61));  // a's lease lapses; b waited 61 s
  server_.rooms()->TickAll();
  EXPECT_EQ(Poll(b.ticket()).state(), v1::ADMITTED);

  const std::string text =
      prometheus::TextSerializer().Serialize(server_.metrics()->registry()->Collect());
  for (const std::string& line : {
           std::string("anteroom_admissions_total{room=\"m\"} 2"),
           std::string("anteroom_expired_total{room=\"m\"} 1"),
           std::string("anteroom_rejected_total{reason=\"queue_full\",room=\"m\"} 1"),
           std::string("anteroom_wait_seconds_count{room=\"m\"} 1"),
           std::string("anteroom_wait_seconds_bucket{room=\"m\",le=\"120\"} 1"),
           std::string("anteroom_rpc_errors_total{code=\"INVALID_ARGUMENT\",method=\"Poll\"} 1"),
           std::string("anteroom_queue_depth{room=\"m\"} 0"),
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line;
  }
  EXPECT_NE(text.find("anteroom_storage_write_seconds_count"), std::string::npos);
  EXPECT_EQ(text.find("t.m."), std::string::npos) << "a token in a label";
}

TEST_F(ServiceTest, PastTheBoundNewAdmitsAreShedFirstWhileThoseInLineAreServed) {
  server_.listener_options().max_calls_in_flight = 2;  // newcomers give way at 1
  Restart();
  ASSERT_TRUE(CreateRoom("line", 1).ok());
  ASSERT_TRUE(CreateRoom("hall", 10).ok());
  const v1::VisitorStatus a = Admit("line", "a");
  const v1::VisitorStatus b = Admit("line", "b");
  ASSERT_EQ(b.state(), v1::QUEUED);
  // One Admit held on its write: a call in flight.
  server_.store().Close();
  auto held = std::async(std::launch::async, [&] {
    grpc::Status s;
    Admit("hall", "x", &s);
    return s;
  });
  ASSERT_TRUE(server_.store().AwaitBlockedWriter(absl::Seconds(10)));
  grpc::Status shed;
  Admit("hall", "y", &shed);
  EXPECT_EQ(shed.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(shed.error_message().find("overloaded"), std::string::npos) << shed.error_message();
  EXPECT_EQ(Poll(b.ticket()).state(), v1::QUEUED) << "a visitor in line is still answered";
  EXPECT_EQ(Heartbeat(a.session()).state(), v1::ADMITTED) << "so is one on the site";
  server_.store().Open();
  EXPECT_TRUE(held.get().ok());
  grpc::Status later;
  EXPECT_EQ(Admit("hall", "y", &later).state(), v1::ADMITTED) << "once answered, room again";
  const std::string text =
      prometheus::TextSerializer().Serialize(server_.metrics()->registry()->Collect());
  EXPECT_NE(text.find("anteroom_calls_shed_total{method=\"Admit\",reason=\"overload\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("anteroom_calls_in_flight 0"), std::string::npos);
}

TEST_F(ServiceTest, ARequestOverTheSizeBoundIsRefusedBeforeAnyWork) {
  ASSERT_TRUE(CreateRoom("hall", 10).ok());
  grpc::Status status;
  Admit("hall", std::string(100 * 1024, 'x'), &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(server_.CallsAnswered("Admit"), 0) << "it never reached Anteroom";
}

TEST_F(ServiceTest, AChallengedNewcomerGetsAPlaceWithItsSolutionAndNoOneElseCanUseIt) {
  {
    grpc::ClientContext ctx;
    v1::CreateRoomRequest req;
    req.set_room("drop");
    req.mutable_settings()->set_max_active_sessions(1);
    req.mutable_settings()->set_challenge_work(2'000);
    v1::Room resp;
    ASSERT_TRUE(admin_->CreateRoom(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.settings().challenge_work(), 2'000u);
  }
  auto admit = [&](const std::string& client, const v1::Solution* solution) {
    v1::AdmitRequest req;
    req.set_room("drop");
    req.set_client_id(client);
    if (solution) *req.mutable_solution() = *solution;
    return Admit(req);
  };
  const v1::VisitorStatus asked = admit("alice", nullptr);
  ASSERT_EQ(asked.state(), v1::CHALLENGED);
  EXPECT_TRUE(asked.ticket().empty());
  EXPECT_EQ(asked.challenge().max_number(), 2'000u);
  EXPECT_EQ(Status("drop").active_sessions(), 0) << "a challenge holds nothing";
  const v1::Solution solved = testing::SolveChallenge(asked.challenge());

  EXPECT_EQ(admit("mallory", &solved).state(), v1::CHALLENGED) << "alice's work is alice's";
  v1::Solution wrong = solved;
  wrong.set_number(solved.number() + 1);
  EXPECT_EQ(admit("alice", &wrong).state(), v1::CHALLENGED);
  const v1::VisitorStatus in = admit("alice", &solved);
  EXPECT_EQ(in.state(), v1::ADMITTED);
  EXPECT_EQ(admit("alice", nullptr).session(), in.session()) << "a place is not asked again";
  EXPECT_EQ(admit("alice", &solved).session(), in.session()) << "a replay finds the same place";

  // The key lives in the store: a challenge given before a restart is solved after it.
  const v1::VisitorStatus bob = admit("bob", nullptr);
  const std::string text =
      prometheus::TextSerializer().Serialize(server_.metrics()->registry()->Collect());
  for (const char* series : {"anteroom_challenges_total{outcome=\"issued\"} 4",
                             "anteroom_challenges_total{outcome=\"solved\"} 2",
                             "anteroom_challenges_total{outcome=\"refused\"} 2"}) {
    EXPECT_NE(text.find(series), std::string::npos) << series << "\n" << text;
  }
  Restart();
  const v1::Solution bob_solved = testing::SolveChallenge(bob.challenge());
  EXPECT_EQ(admit("bob", &bob_solved).state(), v1::QUEUED);
  // ... until it expires.
  const v1::VisitorStatus carol = admit("carol", nullptr);
  clock_.Advance(Challenges::kLifetime + absl::Seconds(1));
  const v1::Solution carol_solved = testing::SolveChallenge(carol.challenge());
  EXPECT_EQ(admit("carol", &carol_solved).state(), v1::CHALLENGED);
}

TEST_F(ServiceTest, EntryTokensMakeOnePlacePerIdentityAPriorityLaneAndABypass) {
  ASSERT_TRUE(CreateRoom("clinic", 1).ok());
  auto admit = [&](const std::string& client, const std::string& entry,
                   grpc::Status* status = nullptr) {
    v1::AdmitRequest req;
    req.set_room("clinic");
    req.set_client_id(client);
    req.set_entry_token(entry);
    return Admit(req, status);
  };
  const wire::Signer keys = *wire::Signer::FromKeys({std::string(32, 'k')});
  auto token = [&](wire::EntryKind kind, const std::string& subject,
                   const std::string& room = "clinic", absl::Duration ttl = absl::Hours(1)) {
    return *wire::SignEntryToken(keys, {room, kind, subject, clock_.Now() + ttl});
  };
  grpc::Status status;
  admit("x", token(wire::EntryKind::kBypass, "staff-1"), &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("--entry_key_file"), std::string::npos);

  server_.listener_options().entry_keys = std::make_shared<const wire::Signer>(keys);
  Restart();
  EXPECT_EQ(Admit("clinic", "first").state(), v1::ADMITTED);
  // One verified identity, two devices: one place.
  const std::string patient = token(wire::EntryKind::kIdentity, "patient-1");
  const v1::VisitorStatus phone = admit("phone-cookie", patient);
  const v1::VisitorStatus laptop = admit("laptop-cookie", patient);
  ASSERT_EQ(phone.state(), v1::QUEUED);
  EXPECT_EQ(laptop.ticket(), phone.ticket());
  EXPECT_NE(Admit("clinic", "patient-1").ticket(), phone.ticket())
      << "a client_id cannot pose as an identity";
  EXPECT_NE(Admit("clinic", "identity:patient-1").ticket(), phone.ticket());
  const v1::VisitorStatus regular = Admit("clinic", "regular");
  EXPECT_EQ(regular.position(), 4u);
  // Priority: ahead of everyone waiting without it.
  const v1::VisitorStatus vip = admit("vip", token(wire::EntryKind::kPriority, ""));
  EXPECT_EQ(vip.position(), 1u);
  EXPECT_EQ(Poll(phone.ticket()).position(), 2u);
  EXPECT_EQ(Status("clinic").priority_depth(), 1u);
  // Bypass: in at once, full or not.
  const v1::VisitorStatus staff = admit("staff", token(wire::EntryKind::kBypass, "staff-1"));
  EXPECT_EQ(staff.state(), v1::ADMITTED);
  EXPECT_EQ(Status("clinic").active_sessions(), 2u);

  // Refused, naming the field: another room's, expired, forged, malformed.
  for (const std::string& bad :
       {token(wire::EntryKind::kBypass, "staff-1", "hall"),
        token(wire::EntryKind::kBypass, "staff-1", "clinic", absl::Seconds(-1)),
        token(wire::EntryKind::kBypass, "staff-1") + "x", std::string("e.clinic.bypass..1.x"),
        *wire::SignEntryToken(
            *wire::Signer::FromKeys({std::string(32, 'z')}),
            {"clinic", wire::EntryKind::kBypass, "staff-1", clock_.Now() + absl::Hours(1)})}) {
    admit("mallory", bad, &status);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_TRUE(absl::StartsWith(status.error_message(), "entry_token ")) << status.error_message();
  }
  // Survives a restart: the priority place is persisted as one.
  Restart();
  EXPECT_EQ(Poll(vip.ticket()).position(), 1u);
  EXPECT_EQ(Poll(regular.ticket()).position(), 5u);
}

// What grpcurl does: no .proto files, only server reflection.
TEST_F(ServiceTest, ReflectionAloneDiscoversAndCallsEverything) {
  testing::ReflectionClient admin(admin_channel_);
  testing::ReflectionClient gateway(gateway_channel_);
  auto services = gateway.ListServices();
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_NE(std::find(services->begin(), services->end(), "anteroom.v1.WaitingRoom"),
            services->end());
  EXPECT_NE(std::find(services->begin(), services->end(), "grpc.health.v1.Health"),
            services->end());
  auto admin_services = admin.ListServices();
  ASSERT_TRUE(admin_services.ok());
  EXPECT_NE(std::find(admin_services->begin(), admin_services->end(), "anteroom.v1.RoomAdmin"),
            admin_services->end());
  auto methods = gateway.ListMethods("anteroom.v1.WaitingRoom");
  ASSERT_TRUE(methods.ok()) << methods.status();
  EXPECT_EQ(*methods, (std::vector<std::string>{"Admit", "Poll", "Heartbeat", "Leave"}));

  auto created =
      admin.Call("anteroom.v1.RoomAdmin/CreateRoom",
                 R"({"room":"refl","settings":{"max_active_sessions":1,"session_ttl":"120s"}})");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_NE(created->find("\"session_ttl\":\"120s\""), std::string::npos) << *created;
  auto first = gateway.Call("anteroom.v1.WaitingRoom/Admit", R"({"room":"refl","client_id":"a"})");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_NE(first->find("\"state\":\"ADMITTED\""), std::string::npos) << *first;
  auto second = gateway.Call("anteroom.v1.WaitingRoom/Admit", R"({"room":"refl","client_id":"b"})");
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->find("\"position\":\"1\""), std::string::npos) << *second;
  auto health = gateway.Call("grpc.health.v1.Health/Check", "{}");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_NE(health->find("SERVING"), std::string::npos) << *health;
  auto bad = gateway.Call("anteroom.v1.WaitingRoom/Poll", R"({"ticket":"nonsense"})");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace anteroom::service
