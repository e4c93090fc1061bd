#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/gate/http_message.h"

namespace anteroom::gate {

struct HttpServerOptions {
  // "host:port" ("[::1]:port" for IPv6); port 0 picks a free one. Default 127.0.0.1:8090.
  std::string listen = "127.0.0.1:8090";
  // Threads that accept, read and write connections and run the handler. Connections are
  // served by events: an open connection, idle or waiting for its answer, costs memory, not
  // a thread. Default 1.
  int threads = 1;
  // Connections the kernel queues for accepting (listen()'s backlog; the kernel caps it at
  // net.core.somaxconn). A full queue drops a connecting client's SYN, which it repeats only
  // a second later. Default 4096.
  int backlog = 4096;
  // Largest request head (request line and headers), in bytes; past it the answer is 431.
  // nginx's auth subrequest carries every header the visitor sent (up to 4 x 8 KiB by
  // nginx's defaults) and the gate's own. Default 64 KiB.
  size_t max_header_bytes = size_t{64} * 1024;
  // Largest request body, in bytes; past it the answer is 413. Default 64 KiB.
  size_t max_body_bytes = size_t{64} * 1024;
  // A connection must deliver each request whole within this of connecting or of the last
  // answer: an idle keep-alive connection is closed after it, and so is a client that sends
  // too slowly. Keep the gateway's own idle timeout for its upstream connections shorter
  // (nginx's keepalive_timeout in deploy/nginx/ is 4 s). Default 5 s.
  absl::Duration request_timeout = absl::Seconds(5);
};

// Serves HTTP/1.1 (and 1.0) on one address: each request, parsed strictly, goes to
// `handler`, whose answer is written back; connections are kept alive as the client asks.
//
// The request reaches the handler as it was sent: the path and the header values are not
// decoded (only the query's parameters are, as a form's are). A request the parser refuses
// (a malformed request line or header, a conflicting or invalid Content-Length or
// Transfer-Encoding, a head or body over its bound) is answered 400, 431 or 413 and its
// connection closed: the handler never sees it.
//
// The handler runs on the server's threads, concurrently when there are several, and must
// never block: it answers through `respond`, at once or later from any thread (once what it
// waits for has come), exactly once.
//
// Thread-safe (Stop waits for the answers still owed), but Stop must not be called from the
// handler.
class HttpServer {
 public:
  using Respond = std::function<void(HttpResponse)>;
  using Handler = std::function<void(HttpRequest, Respond)>;

  // Binds and starts serving. UNAVAILABLE when the address cannot be bound (in use), and
  // INVALID_ARGUMENT naming the option when an option is wrong.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           Handler handler);
  // Stop().
  ~HttpServer();

  int port() const;
  // Stops accepting, waits for the answers to the requests being handled (sent with
  // "Connection: close"), closes every connection and joins the threads. Idempotent.
  void Stop();

 private:
  class Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace anteroom::gate
