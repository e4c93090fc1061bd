#include "client/gate/http_server.h"

#include <atomic>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/log.h"
#include "base/mutex.h"
#include "boost/asio/dispatch.hpp"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core/basic_stream.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http/error.hpp"
#include "boost/beast/http/parser.hpp"
#include "boost/beast/http/read.hpp"
#include "boost/beast/http/string_body.hpp"
#include "boost/beast/http/write.hpp"

namespace anteroom::gate {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
// Each connection's operations run on its own strand, named by its concrete type (a
// type-erased executor costs a call through a table on every operation).
using Strand = asio::strand<asio::io_context::executor_type>;
using Socket = asio::basic_stream_socket<tcp, Strand>;
using Stream = beast::basic_stream<tcp, Strand>;

// The answer to a request the parser refused, and why (for the log).
struct Refusal {
  int status;
  absl::string_view reason;
};

std::optional<Refusal> RefusalFor(const ErrorCode& ec) {
  if (ec == http::error::header_limit) return Refusal{431, "request head too large"};
  if (ec == http::error::body_limit) return Refusal{413, "request body too large"};
  // The client closed the connection, between requests or in the middle of one.
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
  // bad_method, bad_target, bad_version, bad_field, bad_value, bad_content_length,
  // bad_transfer_encoding, bad_chunk, ...: a malformed or ambiguous request.
  if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
    return Refusal{400, "malformed request"};
  }
  return std::nullopt;  // a timeout, or the connection failed
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const HttpServerOptions& options, Handler handler)
      : options_(options),
        handler_(std::move(handler)),
        io_(options.threads),
        acceptor_(asio::make_strand(io_)) {}

  absl::Status Bind(const std::string& host, int port);
  void Run();
  void Stop();
  int port() const { return port_; }

 private:
  class Connection;
  void Accept();

  const HttpServerOptions options_;
  const Handler handler_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> open_{0};  // connections not yet destroyed

  std::mutex stop_mu_;  // held by Stop, from start to end
  base::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::weak_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);
};

// One client connection: reads a request, hands it to the handler, writes the answer once it
// comes, and reads the next while the client keeps the connection alive. Its operations run
// on its own strand, one at a time.
class HttpServer::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Impl* server, Socket socket) : server_(server), stream_(std::move(socket)) {
    ++server_->open_;
    ErrorCode ignored;
    const tcp::endpoint peer = stream_.socket().remote_endpoint(ignored);
    if (!ignored) peer_ = peer.address().to_string();
  }
  ~Connection() { --server_->open_; }

  // Starts reading, on the connection's own strand.
  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

  // Closes the connection unless a request is being handled (its answer closes it).
  void CloseIfIdle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->handling_) self->stream_.socket().close();
    });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_->options_.max_header_bytes));
    parser_->body_limit(server_->options_.max_body_bytes);
    stream_.expires_after(absl::ToChronoNanoseconds(server_->options_.request_timeout));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](const ErrorCode& ec, size_t) { self->OnHeader(ec); });
  }

  // The head is in: refuse what no body length can be read from safely, then read the body.
  void OnHeader(const ErrorCode& ec) {
    if (ec) return OnRead(ec);
    const auto& message = parser_->get();
    // Only one Transfer-Encoding, and only "chunked": with "gzip, chunked", chunked not last,
    // or codings over several fields, two servers may read two different bodies.
    const auto [first, last] = message.equal_range(http::field::transfer_encoding);
    if (first != last &&
        (std::next(first) != last ||
         !absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(absl::string_view(
                                     first->value().data(), first->value().size())),
                                 "chunked"))) {
      return OnRead(http::make_error_code(http::error::bad_transfer_encoding));
    }
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](const ErrorCode& ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(const ErrorCode& ec) {
    if (ec) {
      if (std::optional<Refusal> refusal = RefusalFor(ec)) {
        ANTEROOM_LOG(kDebug, "gate http: refused a request (%d, %s): %s", refusal->status,
                     refusal->reason, ec.message());
        HttpResponse response;
        response.status = refusal->status;
        response.body = absl::StrCat(refusal->reason, "\n");
        refused_ = true;
        return Write(std::move(response), /*keep_alive=*/false, /*head=*/false);
      }
      return Close();  // the client went away, or was too slow
    }
    // The server is stopping: no new request starts (Stop waits for those under way).
    if (server_->stopping_.load()) return Close();
    const http::request<http::string_body>& message = parser_->get();
    HttpRequest request;
    request.method = std::string(message.method_string());
    const absl::string_view target(message.target().data(), message.target().size());
    const size_t question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (question != absl::string_view::npos)
      ParseQuery(target.substr(question + 1), &request.query);
    for (const auto& field : message) {
      request.headers.emplace(absl::AsciiStrToLower(absl::string_view(field.name_string().data(),
                                                                      field.name_string().size())),
                              std::string(field.value()));
    }
    request.peer = peer_;
    const bool keep_alive = message.keep_alive();
    const bool head = message.method() == http::verb::head;
    handling_ = true;
    stream_.expires_never();
    // The answer may come at once or from another thread: it is written on this strand.
    server_->handler_(
        std::move(request), [self = shared_from_this(), keep_alive, head](HttpResponse response) {
          asio::dispatch(self->stream_.get_executor(), [self, response = std::move(response),
                                                        keep_alive, head]() mutable {
            self->handling_ = false;
            self->Write(std::move(response), keep_alive && !self->server_->stopping_.load(), head);
          });
        });
  }

  void Write(HttpResponse response, bool keep_alive, bool head) {
    response_ = {};
    response_.version(11);
    response_.result(static_cast<unsigned>(response.status));
    bool typed = false;
    for (auto& [name, value] : response.headers) {
      if (absl::EqualsIgnoreCase(name, "Content-Type")) typed = true;
      response_.insert(name, value);
    }
    if (!typed && !response.body.empty())
      response_.set(http::field::content_type, "text/plain; charset=utf-8");
    response_.keep_alive(keep_alive);
    const size_t length = response.body.size();
    if (response.status != 204 && response.status != 304 && response.status >= 200) {
      response_.content_length(length);
      if (!head) response_.body() = std::move(response.body);
    }
    stream_.expires_after(absl::ToChronoNanoseconds(server_->options_.request_timeout));
    http::async_write(stream_, response_,
                      [self = shared_from_this(), keep_alive](const ErrorCode& ec, size_t) {
                        if (ec) return self->Close();
                        if (self->refused_) return self->Drain();
                        if (!keep_alive) return self->Close();
                        self->Read();
                      });
  }

  // After refusing a request whose bytes may not all have been read: stop sending, then read
  // and drop what the client still sends (for up to a second) before closing. Closing with
  // unread bytes would reset the connection, and the reset can destroy the answer before the
  // client reads it.
  void Drain() {
    ErrorCode ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(1));
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](const ErrorCode& ec, size_t) {
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    ErrorCode ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  Impl* const server_;
  Stream stream_;
  std::string peer_;  // the client's address, "" when unknown
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool handling_ = false;  // on the strand
  bool refused_ = false;   // a request was refused: close once answered
};

absl::Status HttpServer::Impl::Bind(const std::string& host, int port) {
  ErrorCode ec;
  tcp::resolver resolver(io_);
  const tcp::resolver::results_type found =
      resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
  if (ec || found.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("listen: \"", host,
                                                   "\" is not an address or a host name that "
                                                   "resolves (e.g. 127.0.0.1, [::1], localhost)"));
  }
  const tcp::endpoint endpoint = found.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), ec);
  // SO_REUSEADDR only (a restart binds at once), never SO_REUSEPORT: a second gate on the
  // same port must fail to start rather than silently split the traffic.
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(options_.backlog, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", host, ":", port, " (address in use?): ", ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  return absl::OkStatus();
}

void HttpServer::Impl::Run() {
  // The threads run until Stop says so, not until they run out of work: while every
  // connection waits for its answer, none has an operation pending.
  work_.emplace(io_.get_executor());
  Accept();
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { io_.run(); });
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](const ErrorCode& ec, Socket socket) {
    if (!ec) {
      ErrorCode ignored;
      // A page is written as headers then body: without this, Nagle's algorithm holds the
      // body back until the gateway acknowledges the headers, which it delays by 40 ms.
      socket.set_option(tcp::no_delay(true), ignored);
      auto connection = std::make_shared<Connection>(this, std::move(socket));
      {
        base::MutexLock lock(&mu_);
        if (stopped_) return;  // closed as it goes
        // Forget the connections that are gone, now and then.
        if (connections_.size() >= 1024 && connections_.size() % 1024 == 0) {
          std::erase_if(connections_, [](const auto& c) { return c.expired(); });
        }
        connections_.push_back(connection);
      }
      connection->Start();
    } else if (ec == asio::error::operation_aborted || stopping_.load()) {
      return;
    } else {
      // Out of descriptors, say: try again in a moment, without spinning and without holding
      // up the connections served on this thread.
      ANTEROOM_LOG(kWarning, "gate http: accept failed: %s", ec.message());
      auto timer = std::make_shared<asio::steady_timer>(acceptor_.get_executor(),
                                                        std::chrono::milliseconds(10));
      timer->async_wait([this, timer](const ErrorCode&) {
        if (!stopping_.load()) Accept();
      });
      return;
    }
    Accept();
  });
}

void HttpServer::Impl::Stop() {
  std::lock_guard<std::mutex> one_at_a_time(stop_mu_);  // a second caller waits for the first
  std::vector<std::weak_ptr<Connection>> connections;
  {
    base::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
    connections.swap(connections_);
  }
  // Closed on the acceptor's strand, and waited for: nothing listens once Stop returns (a
  // close left queued when the threads stop would keep the socket open until destruction,
  // and connections made meanwhile would hang unanswered).
  std::promise<void> closed;
  asio::post(acceptor_.get_executor(), [this, &closed] {
    ErrorCode ignored;
    acceptor_.close(ignored);
    closed.set_value();
  });
  closed.get_future().wait();
  for (const auto& weak : connections) {
    if (auto connection = weak.lock()) connection->CloseIfIdle();
  }
  // Requests being handled are answered (the handler's waits are bounded by their own
  // deadlines), then their connections close; each closes within request_timeout otherwise
  // (a write to a client that reads nothing times out). Only then do the threads go.
  while (open_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  work_.reset();
  io_.stop();
  for (std::thread& t : threads_) t.join();
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              Handler handler) {
  const size_t colon = options.listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(options.listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen: \"", options.listen, "\" is not host:port"));
  }
  if (options.threads < 1) return absl::InvalidArgumentError("threads must be at least 1");
  if (options.backlog < 1) return absl::InvalidArgumentError("backlog must be at least 1");
  if (options.request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("request_timeout must be positive");
  }
  std::string host = options.listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto impl = std::make_unique<Impl>(options, std::move(handler));
  if (absl::Status s = impl->Bind(host, port); !s.ok()) return s;
  impl->Run();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  // Stop throws only if the system cannot close a socket or join a thread; a destructor
  // must not pass that on.
  try {
    Stop();
  } catch (const std::exception& e) {
    ANTEROOM_LOG(kError, "gate: stopping the HTTP server: %s", e.what());
  }
}

int HttpServer::port() const { return impl_->port(); }

void HttpServer::Stop() { impl_->Stop(); }

}  // namespace anteroom::gate
