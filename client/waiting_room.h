#pragma once

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "anteroom/v1/waiting_room.pb.h"
#include "wire/token.h"

namespace anteroom::client {

// What a gateway does for a visitor when Anteroom cannot be reached (every attempt of a call
// failed with UNAVAILABLE or DEADLINE_EXCEEDED).
enum class FailureMode {
  // Keep visitors out (show "temporarily unavailable"): the site is never overloaded, but an
  // Anteroom outage closes the site. The default: a waiting room exists to protect the site.
  kFailClosed,
  // Let visitors through unchecked: the site stays open during an Anteroom outage, at the
  // risk of the very overload the room prevents.
  kFailOpen,
};

// Parses "open" / "closed".
absl::StatusOr<FailureMode> ParseFailureMode(absl::string_view text);

// The outcome of CheckSession.
struct SessionCheck {
  enum class Result {
    // The session holds its slot: let the request through.
    kValid,
    // The session has ended (left, expired, revoked, or the token is not a session).
    kEnded,
    // Anteroom could not be reached; apply the failure mode (`status` says why).
    kUnreachable,
    // Anteroom is overloaded and shed the call (RESOURCE_EXHAUSTED), and this session was
    // never seen valid here: ask the visitor to retry shortly. (One seen valid before is
    // let through: kValid, `cached`.)
    kBusy,
  };
  Result result = Result::kEnded;
  // True when answered from the cache, without a call.
  bool cached = false;
  absl::Status status;
};

// A call's answer, delivered once, on whichever thread has it: the caller's own, before the
// call returns, when no call to Anteroom is needed (a session the cache holds as valid), or
// a thread of gRPC's once Anteroom answers. It must not block.
template <typename T>
using Done = std::function<void(T)>;

// What a gateway asks of Anteroom for its visitors: the WaitingRoom calls (see
// anteroom/v1/waiting_room.proto), and a session's validity, cached. Every call is
// asynchronous: it returns at once and answers through `done`, so one thread serves many
// visitors whose calls are under way. Client is the real one, over gRPC; tests give the gate
// a fake (tests/client/gate/fake_waiting_room.h).
//
// Errors are the server's status, or UNAVAILABLE / DEADLINE_EXCEEDED when no answer came in
// time (IsUnreachable), or RESOURCE_EXHAUSTED when Anteroom shed the call (IsBusy).
//
// Thread-safe.
class WaitingRoom {
 public:
  virtual ~WaitingRoom() = default;

  // `source` (optional) names the visitor's network for per-source limits: a keyed hash of
  // the address prefix, never an address (see AdmitRequest.source). `solution` (optional) is
  // the newcomer's solved proof of work when the room asked for one (state CHALLENGED).
  // `entry_token` (optional) is an operator-signed entry token the visitor brought. ("" and
  // null: none; each is copied before the call returns.)
  virtual void Admit(absl::string_view room, absl::string_view client_id, absl::string_view source,
                     const v1::Solution* solution, absl::string_view entry_token,
                     Done<absl::StatusOr<v1::VisitorStatus>> done) = 0;
  virtual void Poll(const wire::Token& ticket, Done<absl::StatusOr<v1::VisitorStatus>> done) = 0;
  // True when the token was live and has now ended.
  virtual void Leave(const wire::Token& token, Done<absl::StatusOr<bool>> done) = 0;
  // Is this session still admitted? Answered at once, from a cache, when it was found valid
  // less than an interval ago; otherwise by a Heartbeat (which also renews the lease).
  virtual void CheckSession(const wire::Token& session, Done<SessionCheck> done) = 0;

  virtual FailureMode failure_mode() const = 0;
};

// True for the errors that mean "Anteroom could not be reached" (not "Anteroom said no").
bool IsUnreachable(const absl::Status& status);
// True when Anteroom (or gRPC in front of it) shed the call under load: retry in a few
// seconds, never at once.
bool IsBusy(const absl::Status& status);

}  // namespace anteroom::client
