#include "client/anteroom_client.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "grpcpp/alarm.h"
#include "grpcpp/client_context.h"
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
  cache.clock = clock_;
  sessions_ = std::make_unique<SessionCache>(
      cache, [this](const wire::Token& session, Done<absl::StatusOr<v1::VisitorStatus>> done) {
        Heartbeat(session, std::move(done));
      });
}

Client::~Client() { under_way_.WaitForNone(); }

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

// One call's attempts: each made with gRPC's callback API; the pause before a retry is an
// alarm, so no thread waits for either.
template <typename Request, typename Response>
class Client::Attempts {
 public:
  Attempts(Client* client, Server* server, StubMethod<Request, Response> method, Request request,
           Done<absl::StatusOr<Response>> done)
      : under_way_(&client->under_way_),
        client_(client),
        server_(server),
        method_(method),
        request_(std::move(request)),
        done_(std::move(done)),
        replicated_(server->nodes.size() > 1),
        // Deadlines are real time (gRPC's), independent of the injected clock. A replicated
        // cluster gets failover_timeout: its nodes are tried until one answers as owner.
        deadline_(absl::Now() + (replicated_ ? std::max(client->options_.failover_timeout,
                                                        client->options_.call_timeout)
                                             : client->options_.call_timeout)),
        backoff_(client->options_.retry_backoff) {}

  // Makes the next attempt; `self` is this, kept alive until the call is answered.
  static void Attempt(std::shared_ptr<Attempts> self) {
    Attempts* a = self.get();
    ++a->client_->attempts_;
    ++a->made_;
    a->node_ = a->server_->owner.load();
    // A context and a response per attempt, owned by its callback alone (see Try).
    auto attempt = std::make_shared<Try>();
    attempt->call = std::move(self);
    Try* const t = attempt.get();
    t->context.set_deadline(
        ToChrono(std::min(absl::Now() + a->client_->options_.attempt_timeout, a->deadline_)));
    (a->server_->stubs[a->node_]->async()->*(a->method_))(
        &t->context, &a->request_, &t->response,
        [attempt = std::move(attempt)](const grpc::Status& status) {
          Answered(*attempt, ToAbsl(status));
        });
  }

 private:
  // Its context (perhaps holding a channel) goes before the call, whose Hold goes last: the
  // Client's references to its channels are the last, dropped on its thread. (A channel
  // released last on a gRPC callback thread stops that thread's queue: gRPC cannot join it.)
  struct Try {
    std::shared_ptr<Attempts> call;
    grpc::ClientContext context;
    Response response;
  };

  static void Answered(Try& attempt, absl::Status status) {
    Attempts* a = attempt.call.get();
    if (status.ok()) return a->Finish(std::move(attempt.response));
    // A node stepping down cancels the calls it still holds: for a replicated cluster that
    // is "try the owner" (every call is idempotent).
    if (a->replicated_ && status.code() == absl::StatusCode::kCancelled) {
      status = absl::UnavailableError(
          absl::StrCat("the node stopped serving during the call: ", status.message()));
    }
    if (!IsUnreachable(status)) return a->Finish(status);
    if (a->replicated_) a->FollowOwner(attempt.context);
    if (!a->replicated_ && a->made_ >= a->client_->options_.max_attempts) return a->GiveUp(status);
    thread_local std::minstd_rand jitter(std::random_device{}());
    const double factor = 0.5 + std::uniform_real_distribution<double>(0, 1)(jitter);
    const absl::Duration pause = a->backoff_ * factor;
    if (absl::Now() + pause >= a->deadline_) return a->GiveUp(status);
    a->backoff_ = std::min(a->backoff_ * 2, absl::Milliseconds(250));
    ++a->client_->retries_;
    // Alarms live as long as the call: none is destroyed while its callback may be returning.
    a->alarms_.push_back(std::make_unique<grpc::Alarm>());
    a->alarms_.back()->Set(ToChrono(absl::Now() + pause),
                           [self = attempt.call](bool) mutable { Attempt(std::move(self)); });
  }

  // A standby names the owner; otherwise (no answer, or no owner yet) the next node is tried.
  void FollowOwner(grpc::ClientContext& context) {
    size_t next = (node_ + 1) % server_->nodes.size();
    const auto& trailers = context.GetServerTrailingMetadata();
    if (auto named = trailers.find(
            grpc::string_ref(wire::kOwnerMetadata.data(), wire::kOwnerMetadata.size()));
        named != trailers.end()) {
      const absl::string_view owner(named->second.data(), named->second.size());
      for (size_t n = 0; n < server_->nodes.size(); ++n) {
        if (server_->nodes[n] == owner) next = n;
      }
      if (next != node_) backoff_ = client_->options_.retry_backoff;  // a redirect: go at once
    }
    size_t expected = node_;
    server_->owner.compare_exchange_strong(expected, next);
  }

  void GiveUp(const absl::Status& status) {
    ++client_->unreachable_;
    Finish(status);
  }

  void Finish(absl::StatusOr<Response> answer) { done_(std::move(answer)); }

  // The call is under way until all of it is destroyed (its contexts, alarms and callback):
  // the Client's destructor waits for that, not merely for the answer.
  const base::InFlight::Hold under_way_;
  Client* const client_;
  Server* const server_;
  const StubMethod<Request, Response> method_;
  const Request request_;
  const Done<absl::StatusOr<Response>> done_;
  const bool replicated_;
  const absl::Time deadline_;
  absl::Duration backoff_;
  int made_ = 0;
  size_t node_ = 0;
  std::vector<std::unique_ptr<grpc::Alarm>> alarms_;
};

template <typename Request, typename Response>
void Client::Call(Server* server, StubMethod<Request, Response> method, Request request,
                  Done<absl::StatusOr<Response>> done) {
  ++calls_;
  Attempts<Request, Response>::Attempt(std::make_shared<Attempts<Request, Response>>(
      this, server, method, std::move(request), std::move(done)));
}

namespace {

// Runs an asynchronous call and waits for its answer.
template <typename T, typename Start>
T Await(Start start) {
  std::promise<T> answered;
  std::future<T> answer = answered.get_future();
  start([&answered](T value) { answered.set_value(std::move(value)); });
  return answer.get();
}

// A token's text, parsed; INVALID_ARGUMENT naming `field` when it is not a token.
absl::StatusOr<wire::Token> ParseField(absl::string_view text, absl::string_view field) {
  std::optional<wire::Token> token = wire::Token::Parse(text);
  if (!token) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is not a valid Anteroom token"));
  }
  return *std::move(token);
}

}  // namespace

void Client::Admit(absl::string_view room, absl::string_view client_id, absl::string_view source,
                   const v1::Solution* solution, absl::string_view entry_token,
                   Done<absl::StatusOr<v1::VisitorStatus>> done) {
  v1::AdmitRequest request;
  request.set_room(std::string(room));
  request.set_client_id(std::string(client_id));
  request.set_source(std::string(source));
  if (solution != nullptr) *request.mutable_solution() = *solution;
  request.set_entry_token(std::string(entry_token));
  Call(servers_[ServerIndexFor(room)].get(), &v1::WaitingRoom::Stub::async::Admit,
       std::move(request), std::move(done));
}

void Client::Poll(const wire::Token& ticket, Done<absl::StatusOr<v1::VisitorStatus>> done) {
  v1::PollRequest request;
  request.set_ticket(ticket.text());
  Call(ServerForToken(ticket), &v1::WaitingRoom::Stub::async::Poll, std::move(request),
       std::move(done));
}

void Client::Heartbeat(const wire::Token& session, Done<absl::StatusOr<v1::VisitorStatus>> done) {
  v1::HeartbeatRequest request;
  request.set_session(session.text());
  Call(ServerForToken(session), &v1::WaitingRoom::Stub::async::Heartbeat, std::move(request),
       std::move(done));
}

void Client::Leave(const wire::Token& token, Done<absl::StatusOr<bool>> done) {
  sessions_->Forget(token.text());
  v1::LeaveRequest request;
  request.set_token(token.text());
  Call(ServerForToken(token), &v1::WaitingRoom::Stub::async::Leave, std::move(request),
       Done<absl::StatusOr<v1::LeaveResponse>>(
           [done = std::move(done)](absl::StatusOr<v1::LeaveResponse> response) {
             if (!response.ok()) return done(response.status());
             done(response->ended());
           }));
}

void Client::CheckSession(const wire::Token& session, Done<SessionCheck> done) {
  sessions_->Check(session, std::move(done));
}

absl::StatusOr<v1::VisitorStatus> Client::Admit(absl::string_view room, absl::string_view client_id,
                                                absl::string_view source,
                                                const v1::Solution* solution,
                                                absl::string_view entry_token) {
  return Await<absl::StatusOr<v1::VisitorStatus>>(
      [&](auto done) { Admit(room, client_id, source, solution, entry_token, std::move(done)); });
}

absl::StatusOr<v1::VisitorStatus> Client::Poll(const wire::Token& ticket) {
  return Await<absl::StatusOr<v1::VisitorStatus>>(
      [&](auto done) { Poll(ticket, std::move(done)); });
}

absl::StatusOr<v1::VisitorStatus> Client::Heartbeat(const wire::Token& session) {
  return Await<absl::StatusOr<v1::VisitorStatus>>(
      [&](auto done) { Heartbeat(session, std::move(done)); });
}

absl::StatusOr<bool> Client::Leave(const wire::Token& token) {
  return Await<absl::StatusOr<bool>>([&](auto done) { Leave(token, std::move(done)); });
}

SessionCheck Client::CheckSession(const wire::Token& session) {
  return Await<SessionCheck>([&](auto done) { CheckSession(session, std::move(done)); });
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
