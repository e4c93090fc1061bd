#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace anteroom::testing {

// One HTTP/1.0 exchange on loopback, with nothing between the test and the socket: any
// method and headers (Host: `host_port` unless they name one), and optionally the local address to
// send from (any 127.x.y.z, so one test can be many networks to a server that groups visitors by
// address).
struct HttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header of that name (any case), or "".
  std::string Header(const std::string& name) const;
  // "name=value" of the first Set-Cookie, or "".
  std::string CookiePair() const;
};
absl::StatusOr<HttpReply> HttpFetch(
    const std::string& host_port, const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers = {},
    const std::string& from_address = "");

// A page load of `path` on `site` as a browser sends it (Sec-Fetch-Dest: document), from
// `from_address`, carrying the Cookie header `cookie` unless it is empty.
absl::StatusOr<HttpReply> PageView(const std::string& site, const std::string& from_address,
                                   const std::string& cookie = "", const std::string& path = "/");

// Sends `bytes` as they are and reads until the server closes the connection: every answer
// it gave, as sent.
absl::StatusOr<std::string> HttpExchange(const std::string& host_port, const std::string& bytes,
                                         const std::string& from_address = "");
// The first response in `response`.
absl::StatusOr<HttpReply> ParseHttpReply(absl::string_view response);

// A plain GET of http://<host:port><path>; the body of a 200 response. Enough to read
// /metrics without a client library.
absl::StatusOr<std::string> HttpGet(const std::string& host_port, const std::string& path);

}  // namespace anteroom::testing
