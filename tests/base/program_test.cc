#include "base/program.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "base/log.h"
#include "gtest/gtest.h"

namespace anteroom::base {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/anteroom-program-test-" + std::to_string(getpid()) +
         "-" + name;
}

TEST(ProgramTest, LogLevelsByNameAndABadOneIsRefusedNamingTheFlag) {
  for (const char* name : {"debug", "info", "warning", "error"})
    EXPECT_TRUE(SetLogLevelByName(name).ok()) << name;
  const absl::Status bad = SetLogLevelByName("loud");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("--log_level"), absl::string_view::npos);
  EXPECT_TRUE(SetLogLevelByName("info").ok());
}

TEST(ProgramTest, HostOfAnAddress) {
  EXPECT_EQ(HostOf("127.0.0.1:50051"), "127.0.0.1");
  EXPECT_EQ(HostOf("[::1]:9464"), "[::1]");
  EXPECT_EQ(HostOf("localhost"), "localhost");
}

TEST(ProgramTest, FlagFilesAreReadWholeAndAMissingOneNamesTheFlag) {
  const std::string path = TempPath("flag");
  std::ofstream(path) << "line one\nline two\n";
  EXPECT_EQ(ReadFlagFile("rooms", path).value(), "line one\nline two\n");
  EXPECT_EQ(ReadFlagFile("rooms", "").value(), "") << "an empty flag reads nothing";
  std::remove(path.c_str());
  const absl::StatusOr<std::string> missing = ReadFlagFile("rooms", path);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("--rooms"), absl::string_view::npos);
  const absl::StatusOr<std::string> directory =
      ReadFlagFile("rooms", std::filesystem::temp_directory_path().string());
  EXPECT_EQ(directory.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(directory.status().message().find("is a directory"), absl::string_view::npos)
      << directory.status();
}

TEST(ProgramTest, APortsFileAppearsWholeOrNotAtAll) {
  const std::string path = TempPath("ports");
  ASSERT_TRUE(WriteFileAtomically(path, "gateway=127.0.0.1:1\n").ok());
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "gateway=127.0.0.1:1");
  EXPECT_NE(access((path + ".tmp").c_str(), F_OK), 0) << "written aside, then renamed";
  std::remove(path.c_str());
  EXPECT_FALSE(WriteFileAtomically("/nonexistent-dir/ports", "x").ok());
}

TEST(LogTest, LinesBelowTheLevelAreDroppedAndOthersAreStamped) {
  SetMinLogLevel(LogLevel::kWarning);
  ::testing::internal::CaptureStderr();
  ANTEROOM_LOG(kInfo, "quiet %d", 1);
  ANTEROOM_LOG(kError, "loud %d", 2);
  const std::string out = ::testing::internal::GetCapturedStderr();
  SetMinLogLevel(LogLevel::kInfo);
  EXPECT_EQ(out.find("quiet"), std::string::npos);
  EXPECT_NE(out.find(" ERROR loud 2\n"), std::string::npos) << out;
  EXPECT_EQ(out[4], '-') << "an RFC 3339 time first: " << out;
}

}  // namespace
}  // namespace anteroom::base
