#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "base/clock.h"
#include "base/in_flight.h"
#include "client/channel.h"
#include "client/session_cache.h"
#include "client/waiting_room.h"
#include "grpcpp/channel.h"

namespace anteroom::client {

struct ClientOptions {
  // The Anteroom servers (host:port of each gateway listener). Each room lives on one
  // server, chosen by consistent hashing of the room id (see Client::ServerFor). Required.
  // A replicated cluster (anteroomd --etcd) is one entry listing its nodes joined by '|'
  // ("10.0.0.1:50051|10.0.0.2:50051|10.0.0.3:50051"), spelled as each node advertises
  // itself: calls go to the node that owns the rooms, following a standby's redirect or
  // trying the next node when one cannot be reached.
  std::vector<std::string> servers;
  // Channel credentials for every server. Default (null): plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Deadline of one attempt. Default 300 ms.
  absl::Duration attempt_timeout = absl::Milliseconds(300);
  // Deadline of a whole call, retries included. Default 1 s.
  absl::Duration call_timeout = absl::Seconds(1);
  // Attempts per call (1 = no retry). Retried only on UNAVAILABLE or DEADLINE_EXCEEDED, and
  // only for idempotent calls. Default 3.
  int max_attempts = 3;
  // Pause before the first retry; doubled before each further one, with +-50% jitter.
  // Default 25 ms.
  absl::Duration retry_backoff = absl::Milliseconds(25);
  // Replicated clusters: while no node answers as owner (a failover: the lease of the old
  // owner lapsing, then the new one catching up), a call keeps trying the nodes, for up to
  // this long in all (or call_timeout if longer), instead of call_timeout and max_attempts.
  // Default 10 s.
  absl::Duration failover_timeout = absl::Seconds(10);
  // Longest pause between reconnection attempts to a server that went away: a restarted
  // server is noticed within about this long. Default 1 s (kMaxReconnectBackoff).
  absl::Duration max_reconnect_backoff = kMaxReconnectBackoff;
  // See FailureMode. Default fail closed.
  FailureMode failure_mode = FailureMode::kFailClosed;
  // A session found valid is not checked again on a request's path (no Heartbeat) for this
  // long. A busy visitor's session is renewed in the background once 3/4 of it has passed
  // (one Heartbeat, however many requests meanwhile), so that only a visitor's first request,
  // or the first after an idle interval, waits for a call (see SessionCache). Must be shorter
  // than the rooms' session TTL, since the Heartbeat is what renews the lease. Revocation
  // shows within one interval (plus one call's time). Default 10 s. Zero: no cache; every
  // CheckSession calls Heartbeat.
  absl::Duration session_check_interval = absl::Seconds(10);
  // Sessions remembered at most (least recently checked are forgotten first). Default 100,000.
  size_t session_cache_size = 100000;
  // Time source for the session cache. Default (null): the system clock.
  base::Clock* clock = nullptr;
};

// Counters for a gateway's metrics. Monotonic.
struct ClientStats {
  uint64_t calls = 0;        // calls made by the application (not attempts)
  uint64_t attempts = 0;     // RPC attempts, retries included
  uint64_t retries = 0;      // attempts after the first
  uint64_t unreachable = 0;  // calls that failed on every attempt (UNAVAILABLE/DEADLINE)
  uint64_t session_cache_hits = 0;
  uint64_t session_cache_misses = 0;
  uint64_t session_renewals = 0;  // sessions renewed in the background
};

// A gateway's handle on a set of Anteroom servers: routes each room to its server, puts a
// deadline on every call, retries idempotent calls, and caches session validity.
//
// Every WaitingRoom call is idempotent by design, so all four are retried: Admit returns the
// same ticket for the same (room, client_id), Poll only reads, Heartbeat sets the lease to
// "now + TTL", and a repeated Leave ends nothing more (a retry after a lost answer may
// report `false`: the first attempt already ended it).
//
// Calls are asynchronous (gRPC's callback API): no thread waits for an answer, or for the
// pause before a retry. Each has a blocking form too, for tools and tests.
//
// Thread-safe; create one per server set and share it. Destroying it waits for the calls
// under way.
class Client final : public WaitingRoom {
 public:
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options);
  ~Client() override;

  // The server (as given in the options) that holds `room`. Depends only on the set of
  // server strings (not their order), so every gateway must spell each server identically
  // ("10.0.0.1:50051" and "host-1:50051" hash differently). Adding or removing one server
  // moves only about 1/N of the rooms.
  const std::string& ServerFor(absl::string_view room) const;

  // The WaitingRoom calls.
  void Admit(absl::string_view room, absl::string_view client_id, absl::string_view source,
             const v1::Solution* solution, absl::string_view entry_token,
             Done<absl::StatusOr<v1::VisitorStatus>> done) override;
  void Poll(const wire::Token& ticket, Done<absl::StatusOr<v1::VisitorStatus>> done) override;
  void Heartbeat(const wire::Token& session, Done<absl::StatusOr<v1::VisitorStatus>> done);
  // The session cache forgets the token and does not take it back from a Heartbeat that was
  // in flight meanwhile.
  void Leave(const wire::Token& token, Done<absl::StatusOr<bool>> done) override;
  // Answered at once from the cache when the session was found valid less than
  // `session_check_interval` ago.
  void CheckSession(const wire::Token& session, Done<SessionCheck> done) override;

  // The same calls, blocking until answered.
  absl::StatusOr<v1::VisitorStatus> Admit(absl::string_view room, absl::string_view client_id,
                                          absl::string_view source = "",
                                          const v1::Solution* solution = nullptr,
                                          absl::string_view entry_token = "");
  absl::StatusOr<v1::VisitorStatus> Poll(const wire::Token& ticket);
  absl::StatusOr<v1::VisitorStatus> Heartbeat(const wire::Token& session);
  absl::StatusOr<bool> Leave(const wire::Token& token);
  SessionCheck CheckSession(const wire::Token& session);
  // The same, for a token's text (INVALID_ARGUMENT naming the field when it is not one).
  absl::StatusOr<v1::VisitorStatus> Poll(absl::string_view ticket);
  absl::StatusOr<v1::VisitorStatus> Heartbeat(absl::string_view session);
  absl::StatusOr<bool> Leave(absl::string_view token);
  SessionCheck CheckSession(absl::string_view session);

  FailureMode failure_mode() const override { return options_.failure_mode; }
  ClientStats stats() const;

  // client::IsUnreachable and client::IsBusy (the latter not retried by the client).
  static bool IsUnreachable(const absl::Status& status) { return client::IsUnreachable(status); }
  static bool IsBusy(const absl::Status& status) { return client::IsBusy(status); }

 private:
  // One entry of ClientOptions::servers: a server, or the nodes of a replicated cluster.
  struct Server {
    std::string address;  // as given (what the ring hashes)
    std::vector<std::string> nodes;
    std::vector<std::unique_ptr<v1::WaitingRoom::Stub>> stubs;
    std::atomic<size_t> owner{0};  // the node believed to own the rooms
  };
  template <typename Request, typename Response>
  class Attempts;
  template <typename Request, typename Response>
  using StubMethod = void (v1::WaitingRoom::Stub::async::*)(grpc::ClientContext*, const Request*,
                                                            Response*,
                                                            std::function<void(grpc::Status)>);

  explicit Client(ClientOptions options);
  size_t ServerIndexFor(absl::string_view room) const;
  // The server of the room `token` names.
  Server* ServerForToken(const wire::Token& token);
  // One call with its deadlines and retries. Only for idempotent calls (every WaitingRoom
  // call is): an attempt that timed out may have taken effect.
  template <typename Request, typename Response>
  void Call(Server* server, StubMethod<Request, Response> method, Request request,
            Done<absl::StatusOr<Response>> done);

  const ClientOptions options_;
  std::unique_ptr<base::Clock> own_clock_;
  base::Clock* clock_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::vector<std::pair<uint64_t, size_t>> ring_;  // (point, server index), sorted

  std::atomic<uint64_t> calls_{0}, attempts_{0}, retries_{0}, unreachable_{0};
  base::InFlight under_way_;  // calls; the destructor waits for none
  // Last, so that it is destroyed first: it waits for its Heartbeats, which are calls.
  std::unique_ptr<SessionCache> sessions_;
};

}  // namespace anteroom::client
