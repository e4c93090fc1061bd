#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "anteroom/v1/waiting_room.pb.h"
#include "base/random.h"
#include "client/gate/cookies.h"
#include "client/gate/page_state.h"
#include "client/waiting_room.h"
#include "wire/signer.h"

namespace anteroom::gate {

struct DecisionOptions {
  // A newcomer without a visitor id first gets one to bring back, and only then a place
  // (GateOptions::cookie_check). Default true.
  bool cookie_check = true;
  // Pages reload at Anteroom's poll hint, within these bounds. Defaults 2 s and 20 s.
  absl::Duration min_refresh = absl::Seconds(2);
  absl::Duration max_refresh = absl::Seconds(20);
  // When "queue full" and "temporarily unavailable" pages reload. Default 30 s.
  absl::Duration retry_after = absl::Seconds(30);
};

// What the decision knows of one request, whatever front door carried it (nginx's
// auth_request, a forward-auth request, an external-authorization call): plain facts, read
// once where the request came in.
struct RequestFacts {
  std::string room;
  // The visitor's cookie of the room, read (its token parsed once).
  VisitorCookie cookie;
  // The request can show the waiting page to someone: a page load or an app's call, not an
  // image, a script, a style sheet or HEAD (which must take no place in line).
  bool can_show_page = true;
  // NetworkSource of the visitor's address ("" when unknown).
  std::string source;
  // A proof of work the visitor solved (the waiting page's solver, or an app).
  std::optional<v1::Solution> solution;
  // An operator-signed entry token the site gave the visitor.
  std::string entry_token;
};

// What to do with a request.
struct Outcome {
  // Let the request through (`failed_open`: unchecked, Anteroom unreachable, failing open).
  bool pass = false;
  bool failed_open = false;
  // Otherwise what the visitor is shown.
  PageState page;
  // The visitor's cookie of the room afterwards: nullopt leaves it as it is, "" clears it.
  std::optional<std::string> cookie;
  // What was decided, for the gate's metrics (anteroom_gate_decisions_total's labels), and
  // a call to Anteroom that failed (anteroom_gate_anteroom_errors_total), if one did.
  std::vector<absl::string_view> decisions;
  absl::Status error;
};

// The admission decision: from a request's facts and Anteroom's answers, let the visitor
// through or show them where they stand. No HTTP in it: nginx's /check and /wait, a
// forward-auth endpoint and an external-authorization front all call it.
//
// A visitor with their room's token: a session is checked (cached: client::WaitingRoom::
// CheckSession), a ticket polled. A visitor without one (or whose token has ended) enters:
// given a signed visitor id to bring back first (the cookie check), then admitted, queued,
// pre-queued, challenged or turned away by Anteroom. When Anteroom cannot be reached, the
// failure mode decides; when it refuses (a misconfiguration), the gate fails closed.
//
// Thread-safe.
class Decider {
 public:
  // All pointers must outlive the decider.
  Decider(DecisionOptions options, client::WaitingRoom* anteroom, const wire::Signer* signer,
          base::RandomSource* random)
      : options_(options), anteroom_(anteroom), signer_(signer), random_(random) {}

  // Decides, answering through `done`: before returning when no call to Anteroom is needed
  // (a newcomer's cookie check, a session the client holds as valid), otherwise on the
  // thread that has Anteroom's answer. Never blocks.
  void Decide(RequestFacts facts, client::Done<Outcome> done) const;

 private:
  // A visitor with no usable token: placed if `held` (the cookie's value) is a visitor id
  // this gate signed for the room (or when there is no cookie check), else given one.
  void Enter(RequestFacts facts, absl::string_view held, client::Done<Outcome> done) const;
  // Asks Anteroom for a newcomer's place (Admit); the answer goes to Placed. `returning`:
  // the visitor brought their id; `retried`: this is the Admit again, without a refused
  // entry token.
  void Place(RequestFacts facts, std::string client_id, bool returning, bool retried,
             client::Done<Outcome> done) const;
  // Anteroom's answer to a newcomer's Admit (Place's arguments, and the answer).
  void Placed(RequestFacts facts, std::string client_id, bool returning, bool retried,
              absl::StatusOr<v1::VisitorStatus> status, client::Done<Outcome> done) const;
  Outcome Failed(const std::string& room, const absl::Status& status) const;
  // What Anteroom's answer means for the visitor. An admitted visitor's arrival is told to
  // Anteroom first (CheckSession) and `done` follows its answer.
  void FromStatus(const std::string& room, const v1::VisitorStatus& status, uint64_t start_position,
                  client::Done<Outcome> done) const;
  absl::Duration Refresh(const v1::VisitorStatus& status) const;

  const DecisionOptions options_;
  client::WaitingRoom* const anteroom_;
  const wire::Signer* const signer_;
  base::RandomSource* const random_;
};

}  // namespace anteroom::gate
