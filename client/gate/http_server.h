#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "client/gate/gate.h"

namespace httplib {
class Server;
}

namespace anteroom::gate {

// Serves a Gate over HTTP/1.1 (keep-alive, as nginx's upstream keepalive uses) on
// `listen` ("host:port"; port 0 picks a free one), with `threads` worker threads. Each
// request holds a thread while the gate calls Anteroom, so `threads` bounds the requests
// decided at once.
class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& listen, Gate* gate,
                                                           int threads);
  ~HttpServer();

  int port() const { return port_; }
  // Stops accepting, finishes requests in flight. Idempotent.
  void Stop();

 private:
  HttpServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace anteroom::gate
