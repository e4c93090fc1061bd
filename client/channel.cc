#include "client/channel.h"

#include <algorithm>
#include <cstdint>

#include "base/program.h"
#include "grpcpp/create_channel.h"

namespace anteroom::client {

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> CredentialsFromFiles(
    const std::string& ca_path, const std::string& cert_path, const std::string& key_path) {
  auto ca = base::ReadFlagFile("tls_ca", ca_path);
  auto cert = base::ReadFlagFile("tls_cert", cert_path);
  auto key = base::ReadFlagFile("tls_key", key_path);
  for (const auto* r : {&ca, &cert, &key})
    if (!r->ok()) return r->status();
  if (cert->empty() != key->empty())
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  if (!cert->empty() && ca->empty())
    return absl::InvalidArgumentError("--tls_cert needs --tls_ca (client certificates need TLS)");
  if (ca->empty()) return nullptr;
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *ca;
  ssl.pem_cert_chain = *cert;
  ssl.pem_private_key = *key;
  return grpc::SslCredentials(ssl);
}

std::shared_ptr<grpc::Channel> MakeChannel(
    const std::string& address, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    absl::Duration max_reconnect_backoff) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  const int max_ms =
      static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(max_reconnect_backoff)));
  // Start small and grow (x1.6, jittered) to the bound: a server that is restarting is
  // retried at once, one that stays down at most once per bound.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, std::min(100, max_ms));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, max_ms);
  return grpc::CreateCustomChannel(
      address, credentials ? credentials : grpc::InsecureChannelCredentials(), args);
}

}  // namespace anteroom::client
