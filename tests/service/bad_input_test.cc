// Every request field of both APIs, bad: each answers INVALID_ARGUMENT (or NOT_FOUND) and
// the message names the field. Through a client that knows only reflection, as grpcurl.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/testing/in_process_server.h"
#include "tests/testing/reflection_client.h"

namespace anteroom {
namespace {

struct Case {
  std::string method;  // "Admit" (WaitingRoom) or "RoomAdmin/CreateRoom"
  std::string json;    // $TICKET, $SESSION, $LONG, $FOREIGN are replaced
  absl::StatusCode code;
  std::string names;  // what the message must name
};

std::string Settings(const std::string& fields) {
  return absl::StrCat(R"({"room":"new","settings":{)", fields, "}}");
}

const std::vector<Case>& Cases() {
  using C = absl::StatusCode;
  static const auto* cases = new std::vector<Case>{
      // WaitingRoom.Admit: room, client_id, source.
      {"Admit", R"({"client_id":"a"})", C::kInvalidArgument, "room"},
      {"Admit", R"({"room":"Bad Room","client_id":"a"})", C::kInvalidArgument, "room"},
      {"Admit", R"({"room":"$LONG","client_id":"a"})", C::kInvalidArgument, "room"},
      {"Admit", R"({"room":"nope","client_id":"a"})", C::kNotFound, "nope"},
      {"Admit", R"({"room":"hall"})", C::kInvalidArgument, "client_id"},
      {"Admit", R"({"room":"hall","client_id":"$LONG"})", C::kInvalidArgument, "client_id"},
      {"Admit", R"({"room":"hall","client_id":"a","source":"1.2.3.4"})", C::kInvalidArgument,
       "source"},
      {"Admit", R"({"room":"hall","client_id":"a","source":"$LONG"})", C::kInvalidArgument,
       "source"},
      {"Admit", R"({"room":"hall","client_id":"a","solution":{"salt":"$LONG"}})",
       C::kInvalidArgument, "solution.salt"},
      {"Admit", R"({"room":"hall","client_id":"a","solution":{"challenge":"$LONG"}})",
       C::kInvalidArgument, "solution.challenge"},
      {"Admit", R"({"room":"hall","client_id":"a","solution":{"signature":"$LONG"}})",
       C::kInvalidArgument, "solution.signature"},
      {"Admit", R"({"room":"hall","client_id":"a","solution":{"algorithm":"$LONG"}})",
       C::kInvalidArgument, "solution.algorithm"},
      {"Admit", R"({"room":"hall","client_id":"a","entry_token":"e.hall.bypass..1.x"})",
       C::kFailedPrecondition, "entry_token"},
      // Poll, Heartbeat, Leave: their token.
      {"Poll", R"({})", C::kInvalidArgument, "ticket"},
      {"Poll", R"({"ticket":"garbage"})", C::kInvalidArgument, "ticket"},
      {"Poll", R"({"ticket":"$SESSION"})", C::kInvalidArgument, "ticket"},
      {"Poll", R"({"ticket":"$FOREIGN"})", C::kNotFound, "nope"},
      {"Heartbeat", R"({})", C::kInvalidArgument, "session"},
      {"Heartbeat", R"({"session":"$TICKET"})", C::kInvalidArgument, "session"},
      {"Heartbeat", R"({"session":"s.hall.short"})", C::kInvalidArgument, "session"},
      {"Leave", R"({})", C::kInvalidArgument, "token"},
      {"Leave", R"({"token":"$LONG"})", C::kInvalidArgument, "token"},
      // RoomAdmin: rooms and every setting.
      {"RoomAdmin/CreateRoom", R"({"settings":{}})", C::kInvalidArgument, "room"},
      {"RoomAdmin/CreateRoom", R"({"room":"hall"})", C::kAlreadyExists, "hall"},
      {"RoomAdmin/CreateRoom", Settings(R"("max_active_sessions":0)"), C::kInvalidArgument,
       "settings.max_active_sessions"},
      {"RoomAdmin/CreateRoom", Settings(R"("max_active_sessions":20000000)"), C::kInvalidArgument,
       "settings.max_active_sessions"},
      {"RoomAdmin/CreateRoom", Settings(R"("admissions_per_minute":4000000000)"),
       C::kInvalidArgument, "settings.admissions_per_minute"},
      {"RoomAdmin/CreateRoom", Settings(R"("session_ttl":"0s")"), C::kInvalidArgument,
       "settings.session_ttl"},
      {"RoomAdmin/CreateRoom", Settings(R"("session_ttl":"90000s")"), C::kInvalidArgument,
       "settings.session_ttl"},
      {"RoomAdmin/CreateRoom", Settings(R"("session_ttl":"-5s")"), C::kInvalidArgument,
       "settings.session_ttl"},
      {"RoomAdmin/CreateRoom", Settings(R"("arrival_ttl":"5s")"), C::kInvalidArgument,
       "settings.arrival_ttl"},
      {"RoomAdmin/CreateRoom", Settings(R"("place_hold":"29s")"), C::kInvalidArgument,
       "settings.place_hold"},
      {"RoomAdmin/CreateRoom", Settings(R"("queueing_method":7)"), C::kInvalidArgument,
       "settings.queueing_method"},
      {"RoomAdmin/CreateRoom", Settings(R"("max_places_per_source":2000000)"), C::kInvalidArgument,
       "settings.max_places_per_source"},
      {"RoomAdmin/CreateRoom", Settings(R"("new_places_per_source_per_minute":2000000)"),
       C::kInvalidArgument, "settings.new_places_per_source_per_minute"},
      {"RoomAdmin/CreateRoom", Settings(R"("over_source_limit":9)"), C::kInvalidArgument,
       "settings.over_source_limit"},
      {"RoomAdmin/CreateRoom", Settings(R"("challenge_work":10)"), C::kInvalidArgument,
       "settings.challenge_work"},
      {"RoomAdmin/CreateRoom", Settings(R"("challenge_work":200000000)"), C::kInvalidArgument,
       "settings.challenge_work"},
      {"RoomAdmin/CreateRoom", Settings(R"("challenge_work":5000,"challenge_work_max":4000)"),
       C::kInvalidArgument, "settings.challenge_work_max"},
      {"RoomAdmin/CreateRoom", Settings(R"("challenge_work_full_at":0)"), C::kInvalidArgument,
       "settings.challenge_work_full_at"},
      {"RoomAdmin/UpdateRoom", R"({"room":"nope","settings":{}})", C::kNotFound, "nope"},
      {"RoomAdmin/UpdateRoom", R"({"room":"hall","settings":{"max_active_sessions":0}})",
       C::kInvalidArgument, "settings.max_active_sessions"},
      {"RoomAdmin/GetRoom", R"({})", C::kInvalidArgument, "room"},
      {"RoomAdmin/GetRoom", R"({"room":"nope"})", C::kNotFound, "nope"},
      {"RoomAdmin/GetRoomStatus", R"({"room":"BAD"})", C::kInvalidArgument, "room"},
      {"RoomAdmin/DeleteRoom", R"({"room":"nope"})", C::kNotFound, "nope"},
      {"RoomAdmin/ListEvents", R"({"room":""})", C::kInvalidArgument, "room"},
      // Events: required fields, times, overrides.
      {"RoomAdmin/CreateEvent", R"({"room":"hall"})", C::kInvalidArgument, "event"},
      {"RoomAdmin/CreateEvent", R"({"room":"hall","event":{"end":"2099-01-01T00:00:00Z"}})",
       C::kInvalidArgument, "event.start"},
      {"RoomAdmin/CreateEvent", R"({"room":"hall","event":{"start":"2099-01-01T00:00:00Z"}})",
       C::kInvalidArgument, "event.end"},
      {"RoomAdmin/CreateEvent",
       R"({"room":"hall","event":{"start":"2099-01-02T00:00:00Z","end":"2099-01-01T00:00:00Z"}})",
       C::kInvalidArgument, "event.end"},
      {"RoomAdmin/CreateEvent",
       R"({"room":"hall","event":{"prequeue_start":"2000-01-01T00:00:00Z","start":"2099-01-01T00:00:00Z","end":"2099-01-02T00:00:00Z"}})",
       C::kInvalidArgument, "event.prequeue_start"},
      {"RoomAdmin/CreateEvent",
       R"({"room":"hall","event":{"start":"2099-01-01T00:00:00Z","end":"2099-01-02T00:00:00Z","overrides":{"max_active_sessions":0}}})",
       C::kInvalidArgument, "max_active_sessions"},
      {"RoomAdmin/CreateEvent",
       R"({"room":"nope","event":{"start":"2099-01-01T00:00:00Z","end":"2099-01-02T00:00:00Z"}})",
       C::kNotFound, "nope"},
      {"RoomAdmin/CancelEvent", R"({"room":"hall","event_id":"e99"})", C::kNotFound, "e99"},
      {"RoomAdmin/CancelEvent", R"({"room":"hall"})", C::kInvalidArgument, "event_id"},
      {"RoomAdmin/RevokeSession", R"({"session":"garbage"})", C::kInvalidArgument, "session"},
      {"RoomAdmin/RevokeSession", R"({"session":"$TICKET"})", C::kInvalidArgument, "session"},
      {"RoomAdmin/CreateCheckpoint", R"({"name":"../escape"})", C::kInvalidArgument, "name"},
      {"RoomAdmin/CreateCheckpoint", R"({})", C::kInvalidArgument, "name"},
  };
  return *cases;
}

TEST(BadInputTest, EveryBadFieldIsAClearErrorNamingIt) {
  testing::InProcessServer server;
  server.CreateRoom("hall", 1);
  testing::ReflectionClient gateway(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
  testing::ReflectionClient admin(
      grpc::CreateChannel(server.admin_address(), grpc::InsecureChannelCredentials()));
  auto session =
      gateway.Call("anteroom.v1.WaitingRoom/Admit", R"({"room":"hall","client_id":"a"})");
  auto ticket = gateway.Call("anteroom.v1.WaitingRoom/Admit", R"({"room":"hall","client_id":"b"})");
  ASSERT_TRUE(session.ok() && ticket.ok());
  const std::string t = testing::JsonStringField(*ticket, "ticket");
  const std::string s = testing::JsonStringField(*session, "session");
  ASSERT_FALSE(t.empty() || s.empty());

  int checked = 0;
  for (const Case& c : Cases()) {
    const std::string json =
        absl::StrReplaceAll(c.json, {{"$TICKET", t},
                                     {"$SESSION", s},
                                     {"$LONG", std::string(200, 'x')},
                                     {"$FOREIGN", "t.nope." + t.substr(t.rfind('.') + 1)}});
    SCOPED_TRACE(absl::StrCat(c.method, " ", json));
    const bool admin_call = c.method.find('/') != std::string::npos;
    auto result = admin_call ? admin.Call("anteroom.v1." + c.method, json)
                             : gateway.Call("anteroom.v1.WaitingRoom/" + c.method, json);
    ASSERT_FALSE(result.ok()) << "accepted: " << *result;
    EXPECT_EQ(result.status().code(), c.code) << result.status();
    EXPECT_NE(result.status().message().find(c.names), absl::string_view::npos)
        << "the message does not name " << c.names << ": " << result.status();
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(Cases().size()));
  // Nothing bad changed anything: the room holds its two visitors.
  auto status = admin.Call("anteroom.v1.RoomAdmin/GetRoomStatus", R"({"room":"hall"})");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(testing::JsonStringField(*status, "queue_depth"), "1") << *status;
}

}  // namespace
}  // namespace anteroom
