// Channels to Anteroom servers: credentials from the TLS flags' files, refused combinations
// named by flag, and a channel that reports a server that is not there. (TLS end to end, with
// real certificates: tests/integration/tls_test.cc.)

#include "client/channel.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/daemon.h"

namespace anteroom::client {
namespace {

class ChannelTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = absl::StrCat(dir_, "/", name);
    std::ofstream(path) << text;
    return path;
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  const std::string dir_ = testing::MakeTempDir("channel_test");
};

TEST_F(ChannelTest, NoCaMeansPlaintext) {
  auto credentials = CredentialsFromFiles("", "", "");
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(*credentials, nullptr);
}

TEST_F(ChannelTest, ACaMeansTls) {
  const std::string pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  auto server_only = CredentialsFromFiles(Write("ca.pem", pem), "", "");
  ASSERT_TRUE(server_only.ok()) << server_only.status();
  EXPECT_NE(*server_only, nullptr);
  auto mutual = CredentialsFromFiles(Write("ca.pem", pem), Write("cert.pem", pem),
                                     Write("key.pem", "-----BEGIN PRIVATE KEY-----\n"));
  ASSERT_TRUE(mutual.ok()) << mutual.status();
  EXPECT_NE(*mutual, nullptr);
}

TEST_F(ChannelTest, RefusedCombinationsNameTheFlags) {
  const std::string ca = Write("ca.pem", "ca");
  const std::string cert = Write("cert.pem", "cert");
  const std::string key = Write("key.pem", "key");
  const std::string missing = dir_ + "/missing.pem";
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  constexpr auto kNotFound = absl::StatusCode::kNotFound;
  struct Case {
    std::string ca, cert, key;
    absl::StatusCode code;
    std::string named;
  };
  for (const Case& c : {Case{ca, cert, "", kInvalid, "--tls_cert and --tls_key"},
                        Case{ca, "", key, kInvalid, "--tls_cert and --tls_key"},
                        Case{"", cert, key, kInvalid, "--tls_cert needs --tls_ca"},
                        Case{missing, "", "", kNotFound, "--tls_ca"},
                        Case{ca, missing, key, kNotFound, "--tls_cert"},
                        Case{ca, cert, missing, kNotFound, "--tls_key"},
                        Case{dir_, "", "", kInvalid, "--tls_ca"}}) {
    auto credentials = CredentialsFromFiles(c.ca, c.cert, c.key);
    ASSERT_FALSE(credentials.ok()) << c.ca << " " << c.cert << " " << c.key;
    EXPECT_EQ(credentials.status().code(), c.code) << credentials.status();
    EXPECT_NE(credentials.status().message().find(c.named), std::string::npos)
        << credentials.status();
  }
}

TEST_F(ChannelTest, AChannelToNoServerFailsToConnectAndSaysSo) {
  auto channel = MakeChannel(absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort()), nullptr,
                             absl::Milliseconds(50));
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(30);
  grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_TRANSIENT_FAILURE && channel->WaitForStateChange(state, deadline)) {
    state = channel->GetState(/*try_to_connect=*/true);
  }
  EXPECT_EQ(state, GRPC_CHANNEL_TRANSIENT_FAILURE);
}

}  // namespace
}  // namespace anteroom::client
