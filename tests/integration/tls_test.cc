// TLS, mutual TLS and the admin token on the real anteroomd, with certificates this test
// makes with openssl: plaintext clients are refused by a TLS server; without a client
// certificate admin calls are UNAUTHENTICATED under mTLS; without the token an
// admin call is UNAUTHENTICATED while the gateway API needs none.

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "base/program.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/daemon.h"
#include "tests/testing/reflection_client.h"

namespace anteroom {
namespace {

constexpr char kBinary[] = ANTEROOMD_PATH;
constexpr char kToken[] = "test-admin-token-0123456789";

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    anteroom::base::PromptGrpcReconnects();
    dir_ = new std::string(testing::MakeTempDir("anteroom-tls"));
    const std::string d = *dir_;
    // A CA, a server certificate for 127.0.0.1 and a client (operator) certificate.
    const std::string script = absl::StrCat(
        "set -e; cd '", d, "';",
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
        "  -subj /CN=anteroom-test-ca 2>/dev/null;",
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext;",
        "for who in server client; do",
        "  openssl req -newkey rsa:2048 -nodes -keyout $who.key -out $who.csr -subj /CN=$who "
        "    2>/dev/null;",
        "  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "    -out $who.pem -days 2 -extfile san.ext 2>/dev/null;",
        "done;", "printf '%s\\n' '", kToken, "' > token");
    std::ofstream(d + "/make-certs.sh") << script;
    ASSERT_EQ(std::system(absl::StrCat("bash '", d, "/make-certs.sh'").c_str()), 0);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }

  std::unique_ptr<testing::Daemon> Start(std::vector<std::string> args) {
    auto d = testing::Daemon::Start(kBinary, Path("data-") + std::to_string(++runs_), args);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? std::move(*d) : nullptr;
  }

  static std::shared_ptr<grpc::Channel> Secure(const std::string& address, bool client_cert) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = testing::ReadFile(Path("ca.pem"));
    if (client_cert) {
      ssl.pem_private_key = testing::ReadFile(Path("client.key"));
      ssl.pem_cert_chain = testing::ReadFile(Path("client.pem"));
    }
    return grpc::CreateChannel(address, grpc::SslCredentials(ssl));
  }

  static absl::StatusCode ListRooms(
      std::shared_ptr<grpc::Channel> channel,
      std::vector<std::pair<std::string, std::string>> metadata = {}) {
    testing::ReflectionClient client(std::move(channel), absl::Seconds(10), std::move(metadata));
    return client.Call("anteroom.v1.RoomAdmin/ListRooms", "{}").status().code();
  }

  static std::string* dir_;
  static inline int runs_ = 0;  // each daemon gets a data directory of its own
};

std::string* TlsTest::dir_ = nullptr;

TEST_F(TlsTest, TlsServesEncryptedAndRefusesPlaintext) {
  auto daemon = Start({"--tls_cert=" + Path("server.pem"), "--tls_key=" + Path("server.key")});
  ASSERT_NE(daemon, nullptr);
  EXPECT_EQ(ListRooms(Secure(daemon->admin_address(), false)), absl::StatusCode::kOk);
  testing::ReflectionClient gateway(Secure(daemon->gateway_address(), false));
  auto services = gateway.ListServices();
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_EQ(
      ListRooms(grpc::CreateChannel(daemon->admin_address(), grpc::InsecureChannelCredentials())),
      absl::StatusCode::kUnavailable);
}

TEST_F(TlsTest, MutualTlsOnTheAdminListenerRequiresAClientCertificate) {
  auto daemon = Start({"--tls_cert=" + Path("server.pem"), "--tls_key=" + Path("server.key"),
                       "--admin_client_ca=" + Path("ca.pem")});
  ASSERT_NE(daemon, nullptr);
  EXPECT_EQ(ListRooms(Secure(daemon->admin_address(), /*client_cert=*/true)),
            absl::StatusCode::kOk);
  EXPECT_EQ(ListRooms(Secure(daemon->admin_address(), /*client_cert=*/false)),
            absl::StatusCode::kUnauthenticated)
      << "no client certificate: every admin call is refused";
  // The gateway listener did not ask for client certificates.
  testing::ReflectionClient gateway(Secure(daemon->gateway_address(), false));
  EXPECT_TRUE(gateway.ListServices().ok());
}

TEST_F(TlsTest, MutualTlsOnTheGatewayListenerRefusesTheHandshakeWithoutACertificate) {
  auto daemon = Start({"--tls_cert=" + Path("server.pem"), "--tls_key=" + Path("server.key"),
                       "--gateway_client_ca=" + Path("ca.pem")});
  ASSERT_NE(daemon, nullptr);
  testing::ReflectionClient without(Secure(daemon->gateway_address(), false));
  EXPECT_EQ(without.ListServices().status().code(), absl::StatusCode::kUnavailable);
  testing::ReflectionClient with(Secure(daemon->gateway_address(), true));
  EXPECT_TRUE(with.ListServices().ok());
}

TEST_F(TlsTest, TheAdminTokenIsRequiredOnAdminCallsOnly) {
  auto daemon = Start({"--admin_token_file=" + Path("token")});
  ASSERT_NE(daemon, nullptr);
  auto admin = [&] {
    return grpc::CreateChannel(daemon->admin_address(), grpc::InsecureChannelCredentials());
  };
  EXPECT_EQ(ListRooms(admin()), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ListRooms(admin(), {{"authorization", "Bearer wrong-token-0123456789"}}),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ListRooms(admin(), {{"authorization", absl::StrCat("Bearer ", kToken)}}),
            absl::StatusCode::kOk);
  testing::ReflectionClient with_token(admin(), absl::Seconds(10),
                                       {{"authorization", absl::StrCat("Bearer ", kToken)}});
  ASSERT_TRUE(with_token.Call("anteroom.v1.RoomAdmin/CreateRoom", R"({"room":"t"})").ok());
  testing::ReflectionClient gateway(
      grpc::CreateChannel(daemon->gateway_address(), grpc::InsecureChannelCredentials()));
  EXPECT_TRUE(gateway.Call("anteroom.v1.WaitingRoom/Admit", R"({"room":"t","client_id":"v"})").ok())
      << "visitors need no token";
}

TEST_F(TlsTest, BadTlsSettingsStopStartUpClearly) {
  testing::ExitResult half = testing::RunToExit(
      kBinary,
      {"--listen=127.0.0.1:0", "--admin_listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
       "--create_data_dir", "--data_dir=" + Path("bad1"), "--tls_cert=" + Path("server.pem")});
  EXPECT_EQ(half.exit_code, 1);
  EXPECT_NE(half.stderr_text.find("--tls_cert and --tls_key go together"), std::string::npos)
      << half.stderr_text;
  testing::ExitResult missing = testing::RunToExit(
      kBinary, {"--listen=127.0.0.1:0", "--admin_listen=127.0.0.1:0",
                "--metrics_listen=127.0.0.1:0", "--create_data_dir", "--data_dir=" + Path("bad2"),
                "--admin_token_file=" + Path("no-such-token")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.stderr_text.find("--admin_token_file: cannot read"), std::string::npos)
      << missing.stderr_text;
}

}  // namespace
}  // namespace anteroom
