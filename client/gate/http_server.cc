#include "client/gate/http_server.h"

#include <atomic>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace anteroom::gate {

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& listen, Gate* gate,
                                                              int threads) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("listen: \"", listen, "\" is not host:port"));
  }
  if (threads < 1) return absl::InvalidArgumentError("threads must be at least 1");
  std::string host = listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);

  std::unique_ptr<HttpServer> self(new HttpServer());
  self->server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *self->server_;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // SO_REUSEADDR only: with SO_REUSEPORT (the library's default) a second gate on the same
  // port would silently split traffic with the first instead of failing to start.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // A page is written as headers then body: without this, Nagle's algorithm holds the body
  // back until nginx acknowledges the headers, which it delays by 40 ms.
  server.set_tcp_nodelay(true);
  server.set_read_timeout(10, 0);
  server.set_write_timeout(10, 0);
  // Each open connection holds a worker thread, idle keep-alive ones included: keep them
  // short (nginx's upstream keepalive_timeout in deploy/nginx/ is shorter still).
  server.set_keep_alive_timeout(5);
  server.set_keep_alive_max_count(1000);
  server.set_payload_max_length(size_t{64} * 1024);
  auto handler = [gate](const httplib::Request& req, httplib::Response& res) {
    HttpRequest request;
    request.method = req.method;
    request.path = req.path;
    for (const auto& [k, v] : req.params) request.query.emplace(k, v);
    for (const auto& [k, v] : req.headers) {
      // Repeated headers: the first wins (nginx sends each of ours once).
      request.headers.emplace(absl::AsciiStrToLower(k), v);
    }
    HttpResponse response = gate->Handle(request);
    res.status = response.status;
    std::string content_type = "text/plain; charset=utf-8";
    for (const auto& [k, v] : response.headers) {
      if (absl::EqualsIgnoreCase(k, "Content-Type")) {
        content_type = v;
      } else {
        res.headers.emplace(k, v);
      }
    }
    if (!response.body.empty()) res.set_content(response.body, content_type.c_str());
  };
  server.Get(".*", handler);
  server.Post(".*", handler);
  server.Put(".*", handler);
  server.Delete(".*", handler);
  if (port == 0) {
    port = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen, " (address in use?)"));
  }
  self->port_ = port;
  auto done = std::make_shared<std::atomic<bool>>(false);
  self->thread_ = std::thread([&server, done] {
    server.listen_after_bind();
    *done = true;
  });
  // stop() is ignored until the accept loop runs: wait for it, so Stop() never hangs.
  while (!server.is_running() && !*done) std::this_thread::yield();
  if (*done) {
    self->thread_.join();
    return absl::UnavailableError(absl::StrCat("cannot serve on ", listen));
  }
  return self;
}

void HttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

HttpServer::~HttpServer() { Stop(); }

}  // namespace anteroom::gate
