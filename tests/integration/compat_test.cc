// A data directory written by an earlier anteroomd opens and serves the same places.
// testdata/store-v1/ was written by the build of commit d91711e (format version 1) with
// testdata/make_store_v1.sh; store-v1.expected lists its tokens and what each must answer.
// The store is opened as an operator would after an upgrade: a copy, the real binary.

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/program.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/daemon.h"
#include "tests/testing/reflection_client.h"

namespace anteroom {
namespace {

constexpr char kBinary[] = ANTEROOMD_PATH;
constexpr char kTestData[] = ANTEROOM_TESTDATA_DIR;

TEST(CompatTest, AStoreWrittenByFormatOneServesTheSamePlacesSessionsSettingsAndEvents) {
  anteroom::base::PromptGrpcReconnects();
  const std::string dir = testing::MakeTempDir("anteroom-compat");
  std::filesystem::copy(std::string(kTestData) + "/store-v1", dir + "/data",
                        std::filesystem::copy_options::recursive);
  auto daemon = testing::Daemon::Start(kBinary, dir + "/data");
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  testing::ReflectionClient gateway(
      grpc::CreateChannel((*daemon)->gateway_address(), grpc::InsecureChannelCredentials()));
  testing::ReflectionClient admin(
      grpc::CreateChannel((*daemon)->admin_address(), grpc::InsecureChannelCredentials()));

  // "ticket|session ROOM VISITOR TOKEN EXPECTED" per line.
  std::istringstream expected(testing::ReadFile(std::string(kTestData) + "/store-v1.expected"));
  int checked = 0;
  for (std::string line; std::getline(expected, line);) {
    SCOPED_TRACE(line);
    const std::vector<std::string> f = absl::StrSplit(line, ' ');
    ASSERT_EQ(f.size(), 5u);
    const std::string& kind = f[0];
    const std::string& room = f[1];
    const std::string& visitor = f[2];
    const std::string& token = f[3];
    const std::string& want = f[4];
    auto answer = kind == "ticket" ? gateway.Call("anteroom.v1.WaitingRoom/Poll",
                                                  absl::StrCat(R"({"ticket":")", token, "\"}"))
                                   : gateway.Call("anteroom.v1.WaitingRoom/Heartbeat",
                                                  absl::StrCat(R"({"session":")", token, "\"}"));
    ASSERT_TRUE(answer.ok()) << answer.status();
    const std::string state = testing::JsonStringField(*answer, "state");
    if (want == "ADMITTED" || want == "EXPIRED" || want == "PRE_QUEUED") {
      EXPECT_EQ(state, want) << *answer;
    } else {
      EXPECT_EQ(state, "QUEUED") << *answer;
      EXPECT_EQ(testing::JsonStringField(*answer, "position"), want) << *answer;
      // The visitor's retry finds the same place: the client-key secret came along.
      auto again =
          gateway.Call("anteroom.v1.WaitingRoom/Admit",
                       absl::StrCat(R"({"room":")", room, R"(","client_id":")", visitor, "\"}"));
      ASSERT_TRUE(again.ok()) << again.status();
      EXPECT_EQ(testing::JsonStringField(*again, "ticket"), token);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 10);

  auto clinic = admin.Call("anteroom.v1.RoomAdmin/GetRoom", R"({"room":"clinic"})");
  ASSERT_TRUE(clinic.ok()) << clinic.status();
  for (const char* setting :
       {R"("max_active_sessions":2)", R"("admissions_per_minute":120)", R"("session_ttl":"600s")",
        R"("arrival_ttl":"120s")", R"("place_hold":"300s")", R"("max_queue_length":"1000")"}) {
    EXPECT_NE(clinic->find(setting), std::string::npos) << setting << " in " << *clinic;
  }
  auto launch = admin.Call("anteroom.v1.RoomAdmin/GetRoom", R"({"room":"launch"})");
  ASSERT_TRUE(launch.ok()) << launch.status();
  EXPECT_NE(launch->find(R"("session_renewal":false)"), std::string::npos) << *launch;
  EXPECT_NE(launch->find(R"("queueing_method":"RANDOM")"), std::string::npos) << *launch;
  auto events = admin.Call("anteroom.v1.RoomAdmin/ListEvents", R"({"room":"launch"})");
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_NE(events->find(R"("id":"e1")"), std::string::npos) << *events;
  EXPECT_NE(events->find(R"("start":"2099-01-01T12:00:00Z")"), std::string::npos) << *events;
  EXPECT_NE(events->find(R"("max_active_sessions":500)"), std::string::npos) << *events;
  auto status = admin.Call("anteroom.v1.RoomAdmin/GetRoomStatus", R"({"room":"clinic"})");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_NE(status->find(R"("admitted_total":"3")"), std::string::npos) << *status;

  (*daemon)->Terminate();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace anteroom
