#include "client/gate/decision.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "client/gate/visitor.h"
#include "proto/time_convert.h"

namespace anteroom::gate {

namespace {

Outcome Pass() {
  Outcome o;
  o.pass = true;
  o.decisions.push_back("pass");
  return o;
}

}  // namespace

void Decider::Decide(RequestFacts facts, client::Done<Outcome> done) const {
  if (!facts.cookie.token) {
    const std::string held = facts.cookie.other;  // facts move on
    return Enter(std::move(facts), held, std::move(done));
  }
  const wire::Token token = *facts.cookie.token;
  if (token.kind() == wire::TokenKind::kSession) {
    anteroom_->CheckSession(token, [this, facts = std::move(facts), done = std::move(done)](
                                       const client::SessionCheck& check) mutable {
      switch (check.result) {
        case client::SessionCheck::Result::kValid:
          return done(Pass());
        case client::SessionCheck::Result::kUnreachable:
        case client::SessionCheck::Result::kBusy:
          return done(Failed(facts.room, check.status));
        case client::SessionCheck::Result::kEnded:
          return Enter(std::move(facts), "", std::move(done));
      }
    });
    return;
  }
  anteroom_->Poll(token, [this, facts = std::move(facts), done = std::move(done)](
                             absl::StatusOr<v1::VisitorStatus> status) mutable {
    if (!status.ok()) {
      if (client::IsUnreachable(status.status()) || client::IsBusy(status.status())) {
        return done(Failed(facts.room, status.status()));  // the place is kept
      }
      // e.g. the room was deleted and made again
      return Enter(std::move(facts), "", std::move(done));
    }
    // An ended token is no newcomer's id: a well-formed but dead token must not buy a place
    // without the cookie check.
    if (status->state() == v1::EXPIRED) return Enter(std::move(facts), "", std::move(done));
    FromStatus(facts.room, *status, facts.cookie.start_position, std::move(done));
  });
}

void Decider::Enter(RequestFacts facts, absl::string_view held, client::Done<Outcome> done) const {
  const std::string& room = facts.room;
  Outcome o;
  o.page.room = room;
  if (!facts.can_show_page) {
    o.page.kind = PageState::Kind::kNotPlaced;
    o.page.refresh_after = options_.retry_after;
    o.decisions.push_back("not_placed");
    return done(std::move(o));
  }
  std::string client_id = SignedVisitorId(*signer_, room, held);
  const bool returning = !client_id.empty();
  if (!returning) {
    // A fresh, unguessable visitor id: Admit's retries (same id) can never make two places.
    client_id = NewVisitorId(random_);
    if (options_.cookie_check) {
      // Placed only once the id comes back: however many requests a client fires before
      // then, it holds one place, and a client that keeps no cookie holds none.
      o.page.kind = PageState::Kind::kCookieCheck;
      o.page.refresh_after = absl::Seconds(1);
      o.cookie = SignedVisitorCookie(*signer_, room, client_id);
      o.decisions.push_back("cookie_check");
      return done(std::move(o));
    }
  }
  Place(std::move(facts), std::move(client_id), returning, /*retried=*/false, std::move(done));
}

void Decider::Place(RequestFacts facts, std::string client_id, bool returning, bool retried,
                    client::Done<Outcome> done) const {
  // The answer's handler holds its own copies: Admit copies its arguments before returning.
  auto placed = [this, facts, client_id, returning, retried,
                 done = std::move(done)](absl::StatusOr<v1::VisitorStatus> status) mutable {
    Placed(std::move(facts), std::move(client_id), returning, retried, std::move(status),
           std::move(done));
  };
  const v1::Solution* solution = facts.solution ? &*facts.solution : nullptr;
  anteroom_->Admit(facts.room, client_id, facts.source, solution, facts.entry_token,
                   std::move(placed));
}

void Decider::Placed(RequestFacts facts, std::string client_id, bool returning, bool retried,
                     absl::StatusOr<v1::VisitorStatus> status, client::Done<Outcome> done) const {
  const std::string& room = facts.room;
  if (!retried && !facts.entry_token.empty() && !status.ok() &&
      absl::StartsWith(status.status().message(), "entry_token")) {
    // Expired, another room's, not signed with Anteroom's keys: the visitor comes in as
    // anyone does.
    ANTEROOM_LOG(kWarning, "gate: entry token refused in room %s: %s", room,
                 status.status().message());
    facts.entry_token.clear();
    return Place(std::move(facts), std::move(client_id), returning, /*retried=*/true,
                 std::move(done));
  }
  if (!status.ok()) {
    Outcome failed = Failed(room, status.status());
    if (retried) failed.decisions.insert(failed.decisions.begin(), "entry_refused");
    return done(std::move(failed));
  }
  FromStatus(
      room, *status, /*start_position=*/0,
      [this, room, client_id, returning, retried, done = std::move(done)](Outcome placed) mutable {
        if (retried) placed.decisions.insert(placed.decisions.begin(), "entry_refused");
        if (placed.page.kind == PageState::Kind::kChallenge && !returning) {
          // The challenge is for this visitor id: the solution must come back with it.
          placed.cookie = SignedVisitorCookie(*signer_, room, client_id);
        }
        done(std::move(placed));
      });
}

void Decider::FromStatus(const std::string& room, const v1::VisitorStatus& status,
                         uint64_t start_position, client::Done<Outcome> done) const {
  Outcome o;
  o.page.room = room;
  o.page.refresh_after = Refresh(status);
  switch (status.state()) {
    case v1::ADMITTED: {
      o.pass = true;
      o.cookie = status.session();
      o.decisions.push_back("pass");
      // This request is the visitor arriving on the site: say so (a room's arrival_ttl
      // would otherwise end the session of someone reading their first page), and cache
      // the session for their next requests.
      std::optional<wire::Token> session = wire::Token::Parse(status.session());
      if (!session) return done(std::move(o));
      anteroom_->CheckSession(*session,
                              [o = std::move(o), done = std::move(done)](
                                  const client::SessionCheck&) mutable { done(std::move(o)); });
      return;
    }
    case v1::QUEUED:
      o.page.kind = PageState::Kind::kWaiting;
      o.page.position = status.position();
      o.page.start_position = start_position ? start_position : status.position();
      o.page.estimated_wait = FromProtoDuration(status.estimated_wait());
      o.page.estimated_wait_max = FromProtoDuration(status.estimated_wait_max());
      o.page.wait_unknown = status.estimated_wait_unknown();
      if (start_position == 0) o.cookie = absl::StrCat(status.ticket(), "~", status.position());
      o.decisions.push_back("wait");
      return done(std::move(o));
    case v1::PRE_QUEUED:
      o.page.kind = PageState::Kind::kPrequeue;
      o.page.event_starts_at = FromProtoTime(status.event_starts_at());
      if (start_position == 0) o.cookie = status.ticket();
      o.decisions.push_back("prequeue");
      return done(std::move(o));
    case v1::CHALLENGED:
      // A newcomer in a room that wants a proof of work first; nothing is held meanwhile.
      o.page.kind = PageState::Kind::kChallenge;
      o.page.challenge.salt = status.challenge().salt();
      o.page.challenge.challenge = status.challenge().challenge();
      o.page.challenge.signature = status.challenge().signature();
      o.page.challenge.max_number = status.challenge().max_number();
      o.page.challenge.cookie = SolutionCookieName(room);
      o.decisions.push_back("challenge");
      return done(std::move(o));
    default:
      o.page.kind = PageState::Kind::kFull;
      o.page.reason = status.reason();
      o.page.refresh_after = options_.retry_after;
      o.cookie = "";
      o.decisions.push_back("full");
      return done(std::move(o));
  }
}

Outcome Decider::Failed(const std::string& room, const absl::Status& status) const {
  Outcome o;
  o.error = status;
  o.page.room = room;
  if (client::IsBusy(status)) {
    // Shed under load: neither an outage (no failing open: the load is why the room exists)
    // nor a misconfiguration. Back in a few seconds, spread so the retries do not arrive
    // together; the cookie stays as it is.
    o.page.kind = PageState::Kind::kBusy;
    o.page.refresh_after = options_.min_refresh + absl::Milliseconds(random_->Uniform(3000));
    o.decisions.push_back("busy");
    return o;
  }
  const bool unreachable = client::IsUnreachable(status);
  if (unreachable && anteroom_->failure_mode() == client::FailureMode::kFailOpen) {
    o.pass = true;
    o.failed_open = true;
    o.decisions.push_back("fail_open");
    return o;
  }
  if (!unreachable) {
    // Anteroom answered, and the answer is a misconfiguration (most often NOT_FOUND: the
    // room does not exist on the server it routes to). Never fail open on that: the site
    // would be unprotected with nobody noticing.
    ANTEROOM_LOG(kError, "gate: Anteroom refused room %s: %s", room, status.ToString());
  }
  o.page.kind = PageState::Kind::kUnavailable;
  o.page.refresh_after = options_.retry_after;
  o.decisions.push_back(unreachable ? "unavailable" : "error");
  return o;
}

absl::Duration Decider::Refresh(const v1::VisitorStatus& status) const {
  return std::clamp(FromProtoDuration(status.poll_after()), options_.min_refresh,
                    options_.max_refresh);
}

}  // namespace anteroom::gate
