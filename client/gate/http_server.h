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
// `listen` ("host:port"; port 0 picks a free one), with `threads` worker threads. Each open
// connection holds a thread (idle keep-alive connections for up to 5 s), and each request
// holds it while the gate calls Anteroom: `threads` bounds the connections served at once,
// so keep it above nginx's workers x upstream keepalive.
class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& listen, Gate* gate,
                                                           int threads);
  ~HttpServer();

  int port() const { return port_; }
  // Stops accepting and closes connections once their request is answered (an idle
  // keep-alive connection may take up to its 5 s timeout). Idempotent.
  void Stop();

 private:
  HttpServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace anteroom::gate
