#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"

namespace anteroom::client {

// Channel credentials from the PEM files of the flags --tls_ca, --tls_cert and --tls_key:
// null (plaintext) when `ca_path` is empty; otherwise TLS verifying the servers against the
// CA, presenting the client certificate when one is given. A file that cannot be read, a
// certificate without its key (or the reverse) and a certificate without a CA are refused,
// naming the flag.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> CredentialsFromFiles(
    const std::string& ca_path, const std::string& cert_path, const std::string& key_path);

// The longest pause between attempts to reconnect to a server that went away. gRPC's own
// default grows towards two minutes, which would keep gateways failing long after a
// restarted server is back; one second notices a restart within about a second.
inline constexpr absl::Duration kMaxReconnectBackoff = absl::Seconds(1);

// A channel to one Anteroom server that reconnects within `max_reconnect_backoff` of the
// server coming back, with gRPC's own retries off (the caller decides what to retry). Used
// by Client and anteroomctl.
std::shared_ptr<grpc::Channel> MakeChannel(
    const std::string& address, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    absl::Duration max_reconnect_backoff = kMaxReconnectBackoff);

}  // namespace anteroom::client
