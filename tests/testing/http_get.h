#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace anteroom::testing {

// A plain HTTP/1.0 GET of http://<host:port><path> on loopback; returns the body of a
// 200 response. Enough to read /metrics without a client library.
absl::StatusOr<std::string> HttpGet(const std::string& host_port, const std::string& path);

}  // namespace anteroom::testing
