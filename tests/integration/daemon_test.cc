// The real anteroomd binary: started, driven over loopback gRPC by a client that knows no
// .proto file (as grpcurl would), killed with SIGKILL, restarted, and compared.

#include "tests/testing/daemon.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/program.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/http_get.h"
#include "tests/testing/reflection_client.h"

namespace anteroom {
namespace {

using testing::Daemon;
using testing::ReflectionClient;

constexpr char kBinary[] = ANTEROOMD_PATH;
constexpr char kCtl[] = ANTEROOMCTL_PATH;
constexpr char kGate[] = ANTEROOM_GATE_PATH;

class DaemonTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // This process's idle client channels are polled only by gRPC's backup poller (every
    // 5 s by default), so a daemon's graceful shutdown would wait that long for them to
    // acknowledge GOAWAY. A busy gateway polls all the time; poll often here too.
    anteroom::base::PromptGrpcReconnects();
  }

  void SetUp() override {
    dir_ = testing::MakeTempDir("anteroom-it");
    data_dir_ = dir_ + "/data";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Daemon> StartDaemon(std::vector<std::string> args = {}) {
    auto daemon = Daemon::Start(kBinary, data_dir_, std::move(args));
    EXPECT_TRUE(daemon.ok()) << daemon.status();
    return daemon.ok() ? std::move(*daemon) : nullptr;
  }

  static ReflectionClient Client(const std::string& address) {
    return ReflectionClient(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }

  std::string dir_, data_dir_;
};

TEST_F(DaemonTest, PlacesAndSessionsSurviveKill9AndRestart) {
  std::unique_ptr<Daemon> daemon = StartDaemon();
  ASSERT_NE(daemon, nullptr);
  {
    ReflectionClient admin = Client(daemon->admin_address());
    ASSERT_TRUE(admin
                    .Call("anteroom.v1.RoomAdmin/CreateRoom",
                          R"({"room":"clinic","settings":{"max_active_sessions":2}})")
                    .ok());
  }
  std::vector<std::string> sessions, tickets;
  {
    ReflectionClient gateway = Client(daemon->gateway_address());
    for (int i = 0; i < 5; ++i) {
      auto r = gateway.Call("anteroom.v1.WaitingRoom/Admit",
                            absl::StrCat(R"({"room":"clinic","client_id":"v)", i, "\"}"));
      ASSERT_TRUE(r.ok()) << r.status();
      if (i < 2) {
        ASSERT_EQ(testing::JsonStringField(*r, "state"), "ADMITTED") << *r;
        sessions.push_back(testing::JsonStringField(*r, "session"));
      } else {
        ASSERT_EQ(testing::JsonStringField(*r, "state"), "QUEUED") << *r;
        ASSERT_EQ(testing::JsonStringField(*r, "position"), std::to_string(i - 1)) << *r;
        tickets.push_back(testing::JsonStringField(*r, "ticket"));
      }
    }
  }

  daemon->Kill9();
  daemon = StartDaemon();
  ASSERT_NE(daemon, nullptr);
  ReflectionClient gateway = Client(daemon->gateway_address());
  for (size_t i = 0; i < tickets.size(); ++i) {
    auto r = gateway.Call("anteroom.v1.WaitingRoom/Poll",
                          absl::StrCat(R"({"ticket":")", tickets[i], "\"}"));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(testing::JsonStringField(*r, "state"), "QUEUED") << *r;
    EXPECT_EQ(testing::JsonStringField(*r, "position"), std::to_string(i + 1)) << *r;
  }
  for (const std::string& s : sessions) {
    auto r = gateway.Call("anteroom.v1.WaitingRoom/Heartbeat",
                          absl::StrCat(R"({"session":")", s, "\"}"));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(testing::JsonStringField(*r, "state"), "ADMITTED") << *r;
  }

  auto left = gateway.Call("anteroom.v1.WaitingRoom/Leave",
                           absl::StrCat(R"({"token":")", sessions[0], "\"}"));
  ASSERT_TRUE(left.ok()) << left.status();
  auto next = gateway.Call("anteroom.v1.WaitingRoom/Poll",
                           absl::StrCat(R"({"ticket":")", tickets[0], "\"}"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(testing::JsonStringField(*next, "state"), "ADMITTED") << *next;
  EXPECT_FALSE(testing::JsonStringField(*next, "session").empty());

  auto metrics = testing::HttpGet(daemon->metrics_address(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_NE(metrics->find("anteroom_queue_depth{room=\"clinic\"} 2"), std::string::npos)
      << *metrics;
  EXPECT_NE(metrics->find("anteroom_active_sessions{room=\"clinic\"} 2"), std::string::npos);
  EXPECT_NE(metrics->find("anteroom_rpc_duration_seconds_count{method=\"Poll\"}"),
            std::string::npos);

  EXPECT_EQ(daemon->Terminate(), 0) << daemon->Stderr();
  EXPECT_NE(daemon->Stderr().find("stopped cleanly"), std::string::npos);
}

TEST_F(DaemonTest, SigtermFlushesAndEverythingIsThereAfterRestart) {
  std::unique_ptr<Daemon> daemon = StartDaemon();
  ASSERT_NE(daemon, nullptr);
  ASSERT_TRUE(Client(daemon->admin_address())
                  .Call("anteroom.v1.RoomAdmin/CreateRoom",
                        R"({"room":"r","settings":{"max_active_sessions":1}})")
                  .ok());
  ReflectionClient gateway = Client(daemon->gateway_address());
  ASSERT_TRUE(
      gateway.Call("anteroom.v1.WaitingRoom/Admit", R"({"room":"r","client_id":"a"})").ok());
  auto b = gateway.Call("anteroom.v1.WaitingRoom/Admit", R"({"room":"r","client_id":"b"})");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(daemon->Terminate(), 0) << daemon->Stderr();
  daemon = StartDaemon();
  ASSERT_NE(daemon, nullptr);
  auto again = Client(daemon->gateway_address())
                   .Call("anteroom.v1.WaitingRoom/Admit", R"({"room":"r","client_id":"b"})");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(testing::JsonStringField(*again, "ticket"), testing::JsonStringField(*b, "ticket"))
      << "an Admit retry after restart";
  EXPECT_EQ(testing::JsonStringField(*again, "position"), "1");
}

TEST_F(DaemonTest, ASecondInstanceOnTheSameDataDirectoryFailsClearly) {
  std::unique_ptr<Daemon> first = StartDaemon();
  ASSERT_NE(first, nullptr);
  testing::ExitResult second =
      testing::RunToExit(kBinary, {"--listen=127.0.0.1:0", "--admin_listen=127.0.0.1:0",
                                   "--metrics_listen=127.0.0.1:0", "--data_dir=" + data_dir_});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.stderr_text.find("in use by another process"), std::string::npos)
      << second.stderr_text;
}

TEST_F(DaemonTest, ASecondInstanceOnTheSamePortFailsClearly) {
  std::unique_ptr<Daemon> first = StartDaemon();
  ASSERT_NE(first, nullptr);
  testing::ExitResult second =
      testing::RunToExit(kBinary, {"--listen=" + first->gateway_address(),
                                   "--admin_listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                                   "--create_data_dir", "--data_dir=" + dir_ + "/other"});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(
      second.stderr_text.find("cannot listen for the gateway API on " + first->gateway_address()),
      std::string::npos)
      << second.stderr_text;
  testing::ExitResult third =
      testing::RunToExit(kBinary, {"--listen=127.0.0.1:0", "--admin_listen=127.0.0.1:0",
                                   "--metrics_listen=" + first->metrics_address(),
                                   "--create_data_dir", "--data_dir=" + dir_ + "/third"});
  EXPECT_EQ(third.exit_code, 1);
  EXPECT_NE(third.stderr_text.find("cannot serve metrics on"), std::string::npos)
      << third.stderr_text;
}

TEST_F(DaemonTest, RoomsFileCreatesRoomsAtStartAndBadFilesAreRefused) {
  const std::string rooms = dir_ + "/rooms.textproto";
  {
    std::ofstream out(rooms);
    out << R"(room { id: "demo" settings { max_active_sessions: 3 session_ttl { seconds: 120 } } })";
  }
  std::unique_ptr<Daemon> daemon = StartDaemon({"--rooms=" + rooms});
  ASSERT_NE(daemon, nullptr);
  auto room =
      Client(daemon->admin_address()).Call("anteroom.v1.RoomAdmin/GetRoom", R"({"room":"demo"})");
  ASSERT_TRUE(room.ok()) << room.status();
  EXPECT_NE(room->find("\"max_active_sessions\":3"), std::string::npos) << *room;
  EXPECT_EQ(daemon->Terminate(), 0);
  {
    std::ofstream out(rooms);
    out << R"(room { id: "demo" settings { place_hold { seconds: 5 } } })";
  }
  testing::ExitResult refused = testing::RunToExit(
      kBinary, {"--listen=127.0.0.1:0", "--admin_listen=127.0.0.1:0",
                "--metrics_listen=127.0.0.1:0", "--data_dir=" + data_dir_, "--rooms=" + rooms});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.stderr_text.find("settings.place_hold"), std::string::npos)
      << refused.stderr_text;
}

// Backup and restore as the README documents it: CreateCheckpoint, later changes, stop,
// start a server on the checkpoint directory: the state as of the checkpoint.
TEST(ProgramsTest, HelpListsEachProgramsOwnFlags) {
  for (const auto& [binary, flag] :
       {std::pair{kBinary, "--data_dir"}, std::pair{kGate, "--failure_mode"},
        std::pair{kCtl, "--admin_token_file"}}) {
    const testing::ExitResult help = testing::RunToExit(binary, {"--help"});
    EXPECT_NE(help.stderr_text.find(flag), std::string::npos) << binary << ":\n"
                                                              << help.stderr_text;
    EXPECT_EQ(help.stderr_text.find("No flags matched"), std::string::npos) << binary;
  }
}

TEST_F(DaemonTest, OverloadBoundsOutOfRangeStopStartUpNamingTheFlag) {
  for (const auto& [flag, shown] : std::vector<std::pair<std::string, std::string>>{
           {"--max_calls_in_flight=-1", "--max_calls_in_flight must be from 0 to"},
           {"--max_concurrent_streams=0", "--max_concurrent_streams must be from 1 to"},
           {"--max_request_bytes=100", "--max_request_bytes must be from 4096 to"},
           {"--grpc_memory_mb=1", "--grpc_memory_mb must be from 16 to"},
       }) {
    testing::ExitResult refused = testing::RunToExit(
        kBinary, {"--listen=127.0.0.1:0", "--admin_listen=127.0.0.1:0",
                  "--metrics_listen=127.0.0.1:0", "--data_dir=" + data_dir_, flag});
    EXPECT_EQ(refused.exit_code, 1) << flag;
    EXPECT_NE(refused.stderr_text.find(shown), std::string::npos) << refused.stderr_text;
  }
}

TEST_F(DaemonTest, ACheckpointRestoresTheStateItWasTakenAt) {
  // Written the long way round: the answer names the directory plainly.
  std::unique_ptr<Daemon> daemon = StartDaemon({"--backup_dir=" + dir_ + "/./x/../backups"});
  ASSERT_NE(daemon, nullptr);
  ReflectionClient admin = Client(daemon->admin_address());
  ReflectionClient gateway = Client(daemon->gateway_address());
  ASSERT_TRUE(admin
                  .Call("anteroom.v1.RoomAdmin/CreateRoom",
                        R"({"room":"r","settings":{"max_active_sessions":1}})")
                  .ok());
  std::vector<std::string> before, after;
  for (int i = 0; i < 3; ++i) {
    auto r = gateway.Call("anteroom.v1.WaitingRoom/Admit",
                          absl::StrCat(R"({"room":"r","client_id":"before)", i, "\"}"));
    ASSERT_TRUE(r.ok());
    before.push_back(*r);
  }
  auto checkpoint = admin.Call("anteroom.v1.RoomAdmin/CreateCheckpoint", R"({"name":"snap-1"})");
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  const std::string directory = testing::JsonStringField(*checkpoint, "directory");
  EXPECT_EQ(directory, dir_ + "/backups/snap-1");
  EXPECT_EQ(
      admin.Call("anteroom.v1.RoomAdmin/CreateCheckpoint", R"({"name":"snap-1"})").status().code(),
      absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(
      admin.Call("anteroom.v1.RoomAdmin/CreateCheckpoint", R"({"name":"../x"})").status().code(),
      absl::StatusCode::kInvalidArgument);
  for (int i = 0; i < 2; ++i) {
    auto r = gateway.Call("anteroom.v1.WaitingRoom/Admit",
                          absl::StrCat(R"({"room":"r","client_id":"after)", i, "\"}"));
    ASSERT_TRUE(r.ok());
    after.push_back(*r);
  }
  ASSERT_EQ(daemon->Terminate(), 0);

  auto restored = Daemon::Start(kBinary, directory);
  ASSERT_TRUE(restored.ok()) << restored.status();
  ReflectionClient restored_gateway = Client((*restored)->gateway_address());
  for (int i = 1; i < 3; ++i) {
    auto r = restored_gateway.Call(
        "anteroom.v1.WaitingRoom/Poll",
        absl::StrCat(R"({"ticket":")", testing::JsonStringField(before[i], "ticket"), "\"}"));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(testing::JsonStringField(*r, "position"), std::to_string(i));
  }
  for (const std::string& a : after) {
    auto r = restored_gateway.Call(
        "anteroom.v1.WaitingRoom/Poll",
        absl::StrCat(R"({"ticket":")", testing::JsonStringField(a, "ticket"), "\"}"));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(testing::JsonStringField(*r, "state"), "EXPIRED") << "taken after the checkpoint";
  }
  auto retry = restored_gateway.Call("anteroom.v1.WaitingRoom/Admit",
                                     R"({"room":"r","client_id":"before2"})");
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(testing::JsonStringField(*retry, "ticket"),
            testing::JsonStringField(before[2], "ticket"))
      << "client keys survive a restore";
}

TEST_F(DaemonTest, AnteroomctlAdministersRoomsAndPlaysAVisitor) {
  std::unique_ptr<Daemon> daemon = StartDaemon();
  ASSERT_NE(daemon, nullptr);
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(),
                {"--server=" + daemon->gateway_address(), "--admin=" + daemon->admin_address()});
    return testing::RunToExit(kCtl, args);
  };
  testing::ExitResult created =
      ctl({"create-room", "desk", "--max_active_sessions=1", "--session_ttl=90s"});
  ASSERT_EQ(created.exit_code, 0) << created.stderr_text;
  EXPECT_NE(created.stderr_text.find("\"session_ttl\": \"90s\""), std::string::npos)
      << created.stderr_text;
  testing::ExitResult first = ctl({"admit", "desk", "a"});
  EXPECT_NE(first.stderr_text.find("\"state\": \"ADMITTED\""), std::string::npos)
      << first.stderr_text;
  testing::ExitResult second = ctl({"admit", "desk", "b"});
  EXPECT_NE(second.stderr_text.find("\"state\": \"QUEUED\""), std::string::npos)
      << second.stderr_text;
  testing::ExitResult status = ctl({"status", "desk"});
  EXPECT_NE(status.stderr_text.find("\"queue_depth\": \"1\""), std::string::npos)
      << status.stderr_text;
  testing::ExitResult missing = ctl({"status", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.stderr_text.find("error: NOT_FOUND: room 'nope' does not exist"),
            std::string::npos)
      << missing.stderr_text;
  testing::ExitResult event = ctl({"create-event", "desk", "--prequeue_start=+1h", "--start=+2h",
                                   "--end=+3h", "--overrides={\"max_active_sessions\":5}"});
  ASSERT_EQ(event.exit_code, 0) << event.stderr_text;
  EXPECT_NE(event.stderr_text.find("\"id\": \"e1\""), std::string::npos) << event.stderr_text;
  testing::ExitResult events = ctl({"events", "desk"});
  EXPECT_NE(events.stderr_text.find("\"max_active_sessions\": 5"), std::string::npos)
      << events.stderr_text;
  EXPECT_EQ(ctl({"cancel-event", "desk", "e1"}).exit_code, 0);
  const std::string session_key = "\"session\": \"";
  const size_t at = first.stderr_text.find(session_key) + session_key.size();
  const std::string session = first.stderr_text.substr(at, first.stderr_text.find('"', at) - at);
  testing::ExitResult revoked = ctl({"revoke", session});
  EXPECT_NE(revoked.stderr_text.find("\"revoked\": true"), std::string::npos)
      << revoked.stderr_text;
  testing::ExitResult usage = ctl({"admit", "desk"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.stderr_text.find("anteroomctl admit ROOM CLIENT_ID"), std::string::npos)
      << usage.stderr_text;
  // Which server of a set holds a room, as the gateways route it.
  testing::ExitResult route = ctl({"route", "desk", "10.0.0.1:50051,10.0.0.2:50051"});
  EXPECT_EQ(route.exit_code, 0) << route.stderr_text;
  EXPECT_TRUE(route.stderr_text == "10.0.0.1:50051\n" || route.stderr_text == "10.0.0.2:50051\n")
      << route.stderr_text;
  EXPECT_EQ(ctl({"route", "desk", "no-port"}).exit_code, 2);
  // TLS and token files that cannot be read are errors naming the flag, not plaintext or an
  // empty token.
  testing::ExitResult no_ca = ctl({"rooms", "--tls_ca=/nonexistent/ca.pem"});
  EXPECT_EQ(no_ca.exit_code, 1);
  EXPECT_NE(no_ca.stderr_text.find("--tls_ca: cannot read"), std::string::npos)
      << no_ca.stderr_text;
  testing::ExitResult no_token = ctl({"rooms", "--admin_token_file=/nonexistent/token"});
  EXPECT_EQ(no_token.exit_code, 1);
  EXPECT_NE(no_token.stderr_text.find("--admin_token_file: cannot read"), std::string::npos)
      << no_token.stderr_text;
}

TEST_F(DaemonTest, EntryTokensSignedByAnteroomctlLetStaffBypassAFullRoom) {
  const std::string keys = dir_ + "/entry.keys";
  {
    std::ofstream out(keys);
    out << "# rotated 2026-11\n" << std::string(40, 'n') << "\n" << std::string(40, 'o') << "\n";
  }
  std::unique_ptr<Daemon> daemon = StartDaemon({"--entry_key_file=" + keys});
  ASSERT_NE(daemon, nullptr);
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(),
                {"--server=" + daemon->gateway_address(), "--admin=" + daemon->admin_address()});
    return testing::RunToExit(kCtl, args);
  };
  ASSERT_EQ(ctl({"create-room", "desk", "--max_active_sessions=1"}).exit_code, 0);
  ASSERT_NE(ctl({"admit", "desk", "a"}).stderr_text.find("ADMITTED"), std::string::npos);
  testing::ExitResult signed_token =
      ctl({"entry-token", "desk", "bypass", "--entry_key_file=" + keys, "--subject=staff-1",
           "--ttl=1h"});
  ASSERT_EQ(signed_token.exit_code, 0) << signed_token.stderr_text;
  const std::string token(absl::StripAsciiWhitespace(signed_token.stderr_text));
  EXPECT_TRUE(absl::StartsWith(token, "e.desk.bypass.")) << token;
  testing::ExitResult staff = ctl({"admit", "desk", "staff", "--entry_token=" + token});
  EXPECT_NE(staff.stderr_text.find("\"state\": \"ADMITTED\""), std::string::npos)
      << staff.stderr_text;
  testing::ExitResult other_room = ctl({"admit", "hall", "x", "--entry_token=" + token});
  EXPECT_EQ(other_room.exit_code, 1);
  EXPECT_EQ(ctl({"entry-token", "desk", "vip", "--entry_key_file=" + keys}).exit_code, 2);
  EXPECT_EQ(ctl({"entry-token", "desk", "identity", "--entry_key_file=" + keys}).exit_code, 1)
      << "an identity needs --subject";
  EXPECT_EQ(ctl({"entry-token", "desk", "bypass", "--entry_key_file=" + keys}).exit_code, 1)
      << "so does a bypass";

  for (const auto& [flag, shown] : std::vector<std::pair<std::string, std::string>>{
           {"--entry_key_file=/nonexistent/keys", "--entry_key_file"},
           {"--entry_key_file=" + dir_ + "/short.keys", "--entry_key_file"}}) {
    std::ofstream(dir_ + "/short.keys") << "short\n";
    testing::ExitResult refused = testing::RunToExit(
        kBinary, {"--listen=127.0.0.1:0", "--admin_listen=127.0.0.1:0",
                  "--metrics_listen=127.0.0.1:0", "--data_dir=" + data_dir_, flag});
    EXPECT_EQ(refused.exit_code, 1) << flag;
    EXPECT_NE(refused.stderr_text.find(shown), std::string::npos) << refused.stderr_text;
  }
}

}  // namespace
}  // namespace anteroom
