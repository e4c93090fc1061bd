#include "tests/testing/http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace anteroom::testing {

std::string HttpReply::Header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (absl::EqualsIgnoreCase(k, name)) return v;
  return "";
}

std::string HttpReply::CookiePair() const {
  const std::string cookie = Header("Set-Cookie");
  return cookie.substr(0, cookie.find(';'));
}

absl::StatusOr<std::string> HttpExchange(const std::string& host_port, const std::string& bytes,
                                         const std::string& from_address) {
  const size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(absl::StrCat("bad address ", host_port));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("not an IPv4 address: ", host_port));
  }
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (!from_address.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (inet_pton(AF_INET, from_address.c_str(), &local.sin_addr) != 1 ||
        bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
      close(fd);
      return absl::InvalidArgumentError(absl::StrCat("cannot send from ", from_address));
    }
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect to ", host_port));
  }
  if (write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    close(fd);
    return absl::UnavailableError("write failed");
  }
  std::string response;
  char buffer[8192];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      response.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      const int error = errno;
      close(fd);
      return absl::UnavailableError(absl::StrCat("reading the answer failed after ",
                                                 response.size(), " bytes: ", strerror(error)));
    }
  }
  close(fd);
  return response;
}

absl::StatusOr<HttpReply> ParseHttpReply(absl::string_view response) {
  const size_t end = response.find("\r\n\r\n");
  if (!absl::StartsWith(response, "HTTP/1.") || end == absl::string_view::npos) {
    return absl::DataLossError("not an HTTP response");
  }
  HttpReply reply;
  const absl::string_view head = response.substr(0, end);
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  std::vector<absl::string_view> first = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (first.size() < 2 || !absl::SimpleAtoi(first[1], &reply.status)) {
    return absl::DataLossError("no HTTP status");
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t sep = lines[i].find(':');
    if (sep == absl::string_view::npos) continue;
    reply.headers.emplace_back(std::string(lines[i].substr(0, sep)),
                               std::string(absl::StripAsciiWhitespace(lines[i].substr(sep + 1))));
  }
  reply.body = std::string(response.substr(end + 4));
  return reply;
}

absl::StatusOr<HttpReply> HttpFetch(const std::string& host_port, const std::string& method,
                                    const std::string& target,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    const std::string& from_address) {
  std::string request = absl::StrCat(method, " ", target, " HTTP/1.0\r\n");
  bool host = false;
  for (const auto& [k, v] : headers) {
    absl::StrAppend(&request, k, ": ", v, "\r\n");
    host = host || absl::EqualsIgnoreCase(k, "Host");
  }
  if (!host) absl::StrAppend(&request, "Host: ", host_port, "\r\n");
  request += "\r\n";
  absl::StatusOr<std::string> response = HttpExchange(host_port, request, from_address);
  if (!response.ok()) return response.status();
  return ParseHttpReply(*response);
}

absl::StatusOr<std::string> HttpGet(const std::string& host_port, const std::string& path) {
  absl::StatusOr<HttpReply> reply = HttpFetch(host_port, "GET", path);
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return absl::UnavailableError(absl::StrCat("HTTP error: ", reply->status));
  }
  return reply->body;
}

absl::StatusOr<HttpReply> PageView(const std::string& site, const std::string& from_address,
                                   const std::string& cookie, const std::string& path) {
  std::vector<std::pair<std::string, std::string>> headers = {{"Sec-Fetch-Dest", "document"}};
  if (!cookie.empty()) headers.emplace_back("Cookie", cookie);
  return HttpFetch(site, "GET", path, headers, from_address);
}

}  // namespace anteroom::testing
