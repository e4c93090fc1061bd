#include "client/anteroom_client.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/program.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "wire/token.h"

namespace anteroom::client {
namespace {

// Points per server on the hash ring. Every gateway and `anteroomctl route` must agree on
// it, so it is not an option.
constexpr int kRingPointsPerServer = 64;

// 64-bit FNV-1a followed by the splitmix64 finalizer: stable across processes, builds and
// machines (the ring must agree between every gateway), and well spread.
uint64_t StableHash(absl::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

absl::Status ToAbsl(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

std::chrono::system_clock::time_point ToChrono(absl::Time t) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(absl::ToUnixNanos(t))));
}

}  // namespace

absl::StatusOr<FailureMode> ParseFailureMode(absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(text);
  if (t == "closed") return FailureMode::kFailClosed;
  if (t == "open") return FailureMode::kFailOpen;
  return absl::InvalidArgumentError(
      absl::StrCat("failure mode must be \"open\" or \"closed\", not \"", text, "\""));
}

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

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  if (options.servers.empty())
    return absl::InvalidArgumentError("servers: at least one is required");
  for (const std::string& s : options.servers) {
    for (absl::string_view node : absl::StrSplit(s, '|')) {
      if (node.empty() || node.find(':') == absl::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("servers: \"", s,
                         "\" is not host:port (or host:port|host:port|... for the nodes "
                         "of a replicated cluster)"));
      }
    }
  }
  std::vector<std::string> sorted = options.servers;
  std::sort(sorted.begin(), sorted.end());
  if (auto dup = std::adjacent_find(sorted.begin(), sorted.end()); dup != sorted.end())
    return absl::InvalidArgumentError(absl::StrCat("servers: \"", *dup, "\" is listed twice"));
  if (options.max_attempts < 1)
    return absl::InvalidArgumentError("max_attempts must be at least 1");
  if (options.attempt_timeout <= absl::ZeroDuration())
    return absl::InvalidArgumentError("attempt_timeout must be positive");
  if (options.call_timeout < options.attempt_timeout)
    return absl::InvalidArgumentError("call_timeout must be at least attempt_timeout");
  if (options.session_check_interval < absl::ZeroDuration())
    return absl::InvalidArgumentError("session_check_interval must not be negative");
  if (options.session_renewal_threads < 0 || options.session_renewal_threads > 64)
    return absl::InvalidArgumentError("session_renewal_threads must be between 0 and 64");
  if (options.max_reconnect_backoff < absl::Milliseconds(1))
    return absl::InvalidArgumentError("max_reconnect_backoff must be at least 1ms");
  return std::unique_ptr<Client>(new Client(std::move(options)));
}

Client::Client(ClientOptions options) : options_(std::move(options)) {
  if (options_.clock == nullptr) own_clock_ = std::make_unique<base::RealClock>();
  clock_ = options_.clock ? options_.clock : own_clock_.get();
  for (size_t i = 0; i < options_.servers.size(); ++i) {
    // Retries are this class's policy (idempotent calls only, within the call deadline).
    auto server = std::make_unique<Server>();
    server->address = options_.servers[i];
    for (absl::string_view node : absl::StrSplit(options_.servers[i], '|')) {
      server->nodes.emplace_back(node);
      server->stubs.push_back(v1::WaitingRoom::NewStub(
          MakeChannel(std::string(node), options_.credentials, options_.max_reconnect_backoff)));
    }
    servers_.push_back(std::move(server));
    for (int p = 0; p < kRingPointsPerServer; ++p)
      ring_.emplace_back(StableHash(absl::StrCat(options_.servers[i], "#", p)), i);
  }
  std::sort(ring_.begin(), ring_.end());
  SessionCacheOptions cache;
  cache.interval = options_.session_check_interval;
  cache.capacity = options_.session_cache_size;
  cache.renewal_threads = options_.session_renewal_threads;
  cache.clock = clock_;
  sessions_ = std::make_unique<SessionCache>(
      cache, [this](const wire::Token& session) { return Heartbeat(session); });
}

size_t Client::ServerIndexFor(absl::string_view room) const {
  const uint64_t h = StableHash(room);
  auto it = std::lower_bound(ring_.begin(), ring_.end(), std::make_pair(h, size_t{0}));
  if (it == ring_.end()) it = ring_.begin();
  return it->second;
}

const std::string& Client::ServerFor(absl::string_view room) const {
  return servers_[ServerIndexFor(room)]->address;
}

Client::Server* Client::ServerForToken(const wire::Token& token) {
  return servers_[ServerIndexFor(token.room())].get();
}

bool IsUnreachable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

bool IsBusy(const absl::Status& status) {
  return status.code() == absl::StatusCode::kResourceExhausted;
}

template <typename Request, typename Response>
absl::StatusOr<Response> Client::Call(Server* server, StubMethod<Request, Response> method,
                                      const Request& request) {
  ++calls_;
  const bool replicated = server->nodes.size() > 1;
  // Deadlines are real time (gRPC's), independent of the injected clock. A replicated
  // cluster gets failover_timeout: its nodes are tried until one answers as owner.
  const absl::Time call_deadline =
      absl::Now() + (replicated ? std::max(options_.failover_timeout, options_.call_timeout)
                                : options_.call_timeout);
  thread_local std::minstd_rand jitter(std::random_device{}());
  absl::Duration backoff = options_.retry_backoff;
  absl::Status status;
  for (int i = 0; replicated || i < options_.max_attempts; ++i) {
    if (i > 0) {
      const double factor = 0.5 + std::uniform_real_distribution<double>(0, 1)(jitter);
      const absl::Duration pause = backoff * factor;
      if (absl::Now() + pause >= call_deadline) break;
      absl::SleepFor(pause);
      backoff = std::min(backoff * 2, absl::Milliseconds(250));
      ++retries_;
    }
    ++attempts_;
    const size_t node = server->owner.load();
    grpc::ClientContext context;
    context.set_deadline(ToChrono(std::min(absl::Now() + options_.attempt_timeout, call_deadline)));
    Response response;
    status = ToAbsl((server->stubs[node].get()->*method)(&context, request, &response));
    if (status.ok()) return response;
    // A node stepping down cancels the calls it still holds: for a replicated cluster that
    // is "try the owner" (every call is idempotent).
    if (replicated && status.code() == absl::StatusCode::kCancelled) {
      status = absl::UnavailableError(
          absl::StrCat("the node stopped serving during the call: ", status.message()));
    }
    if (!IsUnreachable(status)) return status;
    if (replicated) {
      // A standby names the owner; otherwise (no answer, or no owner yet) try the next node.
      size_t next = (node + 1) % server->nodes.size();
      const auto& trailers = context.GetServerTrailingMetadata();
      if (auto named = trailers.find(
              grpc::string_ref(wire::kOwnerMetadata.data(), wire::kOwnerMetadata.size()));
          named != trailers.end()) {
        const absl::string_view owner(named->second.data(), named->second.size());
        for (size_t n = 0; n < server->nodes.size(); ++n) {
          if (server->nodes[n] == owner) next = n;
        }
        if (next != node) backoff = options_.retry_backoff;  // a redirect: go at once
      }
      size_t expected = node;
      server->owner.compare_exchange_strong(expected, next);
    }
  }
  ++unreachable_;
  return status;
}

absl::StatusOr<v1::VisitorStatus> Client::Admit(absl::string_view room, absl::string_view client_id,
                                                absl::string_view source,
                                                const v1::Solution* solution,
                                                absl::string_view entry_token) {
  v1::AdmitRequest request;
  request.set_room(std::string(room));
  request.set_client_id(std::string(client_id));
  request.set_source(std::string(source));
  if (solution != nullptr) *request.mutable_solution() = *solution;
  request.set_entry_token(std::string(entry_token));
  return Call(servers_[ServerIndexFor(room)].get(), &v1::WaitingRoom::Stub::Admit, request);
}

namespace {

// A token's text, parsed; INVALID_ARGUMENT naming `field` when it is not a token.
absl::StatusOr<wire::Token> ParseField(absl::string_view text, absl::string_view field) {
  std::optional<wire::Token> token = wire::Token::Parse(text);
  if (!token) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is not a valid Anteroom token"));
  }
  return *std::move(token);
}

}  // namespace

absl::StatusOr<v1::VisitorStatus> Client::Poll(const wire::Token& ticket) {
  v1::PollRequest request;
  request.set_ticket(ticket.text());
  return Call(ServerForToken(ticket), &v1::WaitingRoom::Stub::Poll, request);
}

absl::StatusOr<v1::VisitorStatus> Client::Heartbeat(const wire::Token& session) {
  v1::HeartbeatRequest request;
  request.set_session(session.text());
  return Call(ServerForToken(session), &v1::WaitingRoom::Stub::Heartbeat, request);
}

absl::StatusOr<bool> Client::Leave(const wire::Token& token) {
  sessions_->Forget(token.text());
  v1::LeaveRequest request;
  request.set_token(token.text());
  absl::StatusOr<v1::LeaveResponse> response =
      Call(ServerForToken(token), &v1::WaitingRoom::Stub::Leave, request);
  if (!response.ok()) return response.status();
  return response->ended();
}

absl::StatusOr<v1::VisitorStatus> Client::Poll(absl::string_view ticket) {
  absl::StatusOr<wire::Token> token = ParseField(ticket, "ticket");
  if (!token.ok()) return token.status();
  return Poll(*token);
}

absl::StatusOr<v1::VisitorStatus> Client::Heartbeat(absl::string_view session) {
  absl::StatusOr<wire::Token> token = ParseField(session, "session");
  if (!token.ok()) return token.status();
  return Heartbeat(*token);
}

absl::StatusOr<bool> Client::Leave(absl::string_view token) {
  absl::StatusOr<wire::Token> parsed = ParseField(token, "token");
  if (!parsed.ok()) return parsed.status();
  return Leave(*parsed);
}

SessionCheck Client::CheckSession(absl::string_view session) {
  absl::StatusOr<wire::Token> token = ParseField(session, "session");
  if (!token.ok()) {
    SessionCheck check;
    check.status = token.status();
    return check;  // kEnded: not a session
  }
  return CheckSession(*token);
}

SessionCheck Client::CheckSession(const wire::Token& token) { return sessions_->Check(token); }

ClientStats Client::stats() const {
  ClientStats s;
  s.calls = calls_;
  s.attempts = attempts_;
  s.retries = retries_;
  s.unreachable = unreachable_;
  const SessionCacheStats cache = sessions_->stats();
  s.session_cache_hits = cache.hits;
  s.session_cache_misses = cache.misses;
  s.session_renewals = cache.renewals;
  return s;
}

}  // namespace anteroom::client
