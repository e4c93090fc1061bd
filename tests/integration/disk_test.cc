// Disk trouble with the real anteroomd: a full disk (a real small file system filled by
// another file), a read-only, missing or corrupt data directory. Each gives a clear error; nothing
// unpersisted is acknowledged; the server recovers when the disk does.

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "base/program.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/admin.h"
#include "tests/testing/daemon.h"

namespace anteroom {
namespace {

constexpr char kBinary[] = ANTEROOMD_PATH;

class DiskTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { anteroom::base::PromptGrpcReconnects(); }
  void SetUp() override {
    dir_ = testing::MakeTempDir("anteroom-disk");
    data_ = dir_ + "/data";
  }
  void TearDown() override {
    // The read-only test took write permission away everywhere below dir_.
    const auto writable = [](const std::filesystem::path& p) {
      std::filesystem::permissions(p, std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add);
    };
    writable(dir_);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_))
      writable(entry.path());
    std::filesystem::remove_all(dir_);
  }

  std::vector<std::string> Args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--listen=127.0.0.1:0", "--admin_listen=127.0.0.1:0",
                                     "--metrics_listen=127.0.0.1:0", "--data_dir=" + data_};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // A data directory holding one room.
  void MakeStore() {
    auto daemon = testing::Daemon::Start(kBinary, data_);
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    ASSERT_TRUE(testing::CreateRoom((*daemon)->admin_address(), "r").ok());
    ASSERT_EQ((*daemon)->Terminate(), 0);
  }

  std::string dir_, data_;
};

TEST_F(DiskTest, AMissingDataDirectoryIsAClearError) {
  testing::ExitResult r = testing::RunToExit(kBinary, Args());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.stderr_text.find("does not exist"), std::string::npos) << r.stderr_text;
  EXPECT_FALSE(std::filesystem::exists(data_)) << "nothing was created";
}

TEST_F(DiskTest, ACorruptDataDirectoryIsAClearError) {
  MakeStore();
  std::ofstream(data_ + "/CURRENT", std::ios::trunc) << "garbage\n";
  testing::ExitResult r = testing::RunToExit(kBinary, Args());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.stderr_text.find("cannot open data directory " + data_), std::string::npos)
      << r.stderr_text;
}

TEST_F(DiskTest, AReadOnlyDataDirectoryIsAClearError) {
  MakeStore();
  // Root ignores permissions: run the server as "nobody" then.
  const int uid = getuid() == 0 ? 65534 : -1;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
    chmod(entry.path().c_str(), entry.is_directory() ? 0555 : 0444);
  }
  chmod(dir_.c_str(), 0555);
  testing::ExitResult r = testing::RunToExit(kBinary, Args(), absl::Seconds(30), uid);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.stderr_text.find("is not writable"), std::string::npos) << r.stderr_text;
}

// A real small file system (tmpfs, 64 MiB) filled up by another file, then freed.
TEST_F(DiskTest, AFullDiskAnswersUnavailableLosesNothingAndRecovers) {
  const std::string mount_point = dir_ + "/disk";
  std::filesystem::create_directories(mount_point);
  if (mount("anteroom-test", mount_point.c_str(), "tmpfs", 0, "size=64m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  }
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  data_ = mount_point + "/data";

  auto daemon = testing::Daemon::Start(kBinary, data_, {"--min_free_disk_mb=16"});
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  auto gateway = v1::WaitingRoom::NewStub(
      grpc::CreateChannel((*daemon)->gateway_address(), grpc::InsecureChannelCredentials()));
  ASSERT_TRUE(testing::CreateRoom((*daemon)->admin_address(), "r", 1).ok());
  auto admit = [&](const std::string& client, v1::VisitorStatus* out) {
    grpc::ClientContext ctx;
    v1::AdmitRequest req;
    req.set_room("r");
    req.set_client_id(client);
    return gateway->Admit(&ctx, req, out);
  };
  v1::VisitorStatus a, b;
  ASSERT_TRUE(admit("a", &a).ok());
  ASSERT_TRUE(admit("b", &b).ok());

  // Another program fills the disk to within 8 MiB.
  const std::string filler = mount_point + "/filler";
  {
    struct statvfs fs;
    ASSERT_EQ(statvfs(mount_point.c_str(), &fs), 0);
    const int64_t fill = static_cast<int64_t>(fs.f_bavail * fs.f_frsize) - (8 << 20);
    std::ofstream out(filler, std::ios::binary);
    std::string chunk(1 << 20, 'x');
    for (int64_t written = 0; written + (1 << 20) <= fill; written += 1 << 20) out << chunk;
  }
  v1::VisitorStatus c;
  grpc::Status refused = admit("c", &c);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(refused.error_message().find("disk full"), std::string::npos)
      << refused.error_message();
  {
    // The room is read back from the store after the refused write (its calls answer
    // UNAVAILABLE for those moments, which gateways retry); then reads work, full disk or not.
    v1::VisitorStatus polled;
    grpc::Status last;
    EXPECT_TRUE(testing::WaitUntil(
        [&] {
          grpc::ClientContext ctx;
          v1::PollRequest req;
          req.set_ticket(b.ticket());
          last = gateway->Poll(&ctx, req, &polled);
          return last.ok();
        },
        absl::Seconds(10)))
        << "reads still work: " << last.error_message();
    EXPECT_EQ(polled.position(), 1u);
  }

  // Space is freed: writes resume.
  std::filesystem::remove(filler);
  grpc::Status retried = admit("c", &c);
  ASSERT_TRUE(retried.ok()) << "did not recover: " << retried.error_message();
  EXPECT_EQ(c.position(), 2u) << "the refused attempt left no place behind";

  (*daemon)->Kill9();
  daemon = testing::Daemon::Start(kBinary, data_, {"--min_free_disk_mb=16"});
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  gateway = v1::WaitingRoom::NewStub(
      grpc::CreateChannel((*daemon)->gateway_address(), grpc::InsecureChannelCredentials()));
  for (const auto& [ticket, position] : {std::pair{b.ticket(), 1u}, std::pair{c.ticket(), 2u}}) {
    grpc::ClientContext ctx;
    v1::PollRequest req;
    req.set_ticket(ticket);
    v1::VisitorStatus polled;
    ASSERT_TRUE(gateway->Poll(&ctx, req, &polled).ok());
    EXPECT_EQ(polled.position(), position);
  }
  (*daemon)->Kill9();
}

}  // namespace
}  // namespace anteroom
