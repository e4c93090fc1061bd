// The daemon's rooms file (--rooms), applied to a server's rooms.

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "server/daemon/daemon.h"
#include "storage/memory_store.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::daemon {
namespace {

class RoomsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto instance = service::Instance::Create(&store_, &clock_, &random_);
    ASSERT_TRUE(instance.ok()) << instance.status();
    instance_ = *std::move(instance);
  }
  std::string Write(const std::string& text) {
    std::ofstream(path_) << text;
    return path_.string();
  }
  void TearDown() override { std::filesystem::remove(path_); }

  testing::SimulatedClock clock_;
  testing::SeededRandom random_;
  storage::MemoryStore store_;
  std::unique_ptr<service::Instance> instance_;
  std::filesystem::path path_ = std::filesystem::path(::testing::TempDir()) / "rooms.textproto";
};

TEST_F(RoomsFileTest, CreatesTheRoomsThenUpdatesThemAndLeavesOthersAlone) {
  ASSERT_TRUE(instance_->rooms()->CreateRoom("other", core::RoomSettings()).ok());
  const std::string file = Write(R"(
    room { id: "demo" settings { max_active_sessions: 2 session_ttl { seconds: 300 } } }
    room { id: "clinic" settings { admissions_per_minute: 60 } }
  )");
  ASSERT_TRUE(ApplyRoomsFile(file, instance_->rooms()).ok());
  absl::StatusOr<service::RoomInfo> demo = instance_->rooms()->GetRoom("demo");
  ASSERT_TRUE(demo.ok()) << demo.status();
  EXPECT_EQ(demo->settings.max_active_sessions, 2);
  EXPECT_EQ(demo->settings.session_ttl, absl::Minutes(5));
  EXPECT_EQ(instance_->rooms()->GetRoom("clinic")->settings.admissions_per_minute, 60);

  // Applied again (the next start, or a replica taking the rooms): an update, not an error.
  Write(R"(room { id: "demo" settings { max_active_sessions: 5 } })");
  ASSERT_TRUE(ApplyRoomsFile(file, instance_->rooms()).ok());
  demo = instance_->rooms()->GetRoom("demo");
  EXPECT_EQ(demo->settings.max_active_sessions, 5);
  EXPECT_EQ(demo->settings.session_ttl, absl::Minutes(5)) << "what the file leaves out stays";
  EXPECT_TRUE(instance_->rooms()->GetRoom("clinic").ok()) << "not in the file: kept";
  EXPECT_TRUE(instance_->rooms()->GetRoom("other").ok());
}

TEST_F(RoomsFileTest, ErrorsNameTheFileAndTheRoom) {
  const std::string file = Write("room { id: \"demo\" settings { max_active_sessions: 0 } }");
  const absl::Status bad = ApplyRoomsFile(file, instance_->rooms());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find(file), absl::string_view::npos) << bad;
  EXPECT_NE(bad.message().find("room 'demo'"), absl::string_view::npos) << bad;
  EXPECT_NE(bad.message().find("max_active_sessions"), absl::string_view::npos) << bad;

  Write("room { id: \"demo\" settings { no_such_field: 1 } }");
  const absl::Status unparsable = ApplyRoomsFile(file, instance_->rooms());
  EXPECT_EQ(unparsable.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unparsable.message().find("not a valid text-format RoomsConfig"),
            absl::string_view::npos)
      << unparsable;
  EXPECT_FALSE(ApplyRoomsFile("/nonexistent/rooms.textproto", instance_->rooms()).ok());
}

}  // namespace
}  // namespace anteroom::daemon
