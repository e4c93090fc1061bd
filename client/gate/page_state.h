#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace anteroom::gate {

// What a visitor who is not let through is told. Rendered as the waiting page (HTML) or, for
// `Accept: application/json`, as JSON with the same facts.
struct PageState {
  enum class Kind {
    kWaiting,       // queued at `position`
    kPrequeue,      // waiting for the event at `event_starts_at`
    kFull,          // not queued (queue full, room closed...): try later
    kUnavailable,   // Anteroom could not be reached and the gate fails closed
    kLeft,          // the visitor ended their visit
    kConfirmLeave,  // GET of the leave address: a button that ends the visit (POST)
    // A newcomer's request that cannot show a page to anyone (an image, a script, a
    // stylesheet, HEAD): not given a place, answered 503 with a short text.
    kNotPlaced,
    // A newcomer given a visitor id to bring back: the page reloads in a second (see
    // GateOptions::cookie_check).
    kCookieCheck,
    // Anteroom shed the call under load (RESOURCE_EXHAUSTED): try again in a few seconds;
    // a visitor who had a place keeps it (the cookie is left alone).
    kBusy,
    // A newcomer in a room that asks for a proof of work before giving a place: the page
    // solves `challenge` in the browser, brings the solution back in a cookie and reloads.
    kChallenge,
  };
  // For kChallenge: what to solve (see anteroom.v1.Challenge), and the cookie to bring the
  // solution back in, as "<salt>.<challenge>.<signature>.<number>".
  struct Challenge {
    std::string salt;
    std::string challenge;  // lowercase hex SHA-256
    std::string signature;
    uint64_t max_number = 0;
    std::string cookie;
  };
  Kind kind = Kind::kWaiting;
  std::string room;
  uint64_t position = 0;
  // Position when the visitor first saw the page (for the progress bar); 0 = unknown.
  uint64_t start_position = 0;
  absl::Duration estimated_wait;
  absl::Duration estimated_wait_max;
  // Nobody is being admitted (the room is paused): the estimates mean nothing.
  bool wait_unknown = false;
  // When the page reloads itself (and Retry-After for kFull / kUnavailable / kBusy).
  absl::Duration refresh_after;
  absl::Time event_starts_at = absl::InfinitePast();
  std::string reason;
  Challenge challenge;
};

// The name of a state: "waiting", "prequeue", "full", "unavailable", "left",
// "confirm_leave", "not_placed", "cookie_check", "busy", "challenge" (the `state` of the JSON
// form, of the X-Anteroom-State header and of the handoff).
absl::string_view KindName(PageState::Kind kind);
// The state of a name KindName gives; nullopt for any other.
std::optional<PageState::Kind> KindNamed(absl::string_view name);
// The ids of a state's texts: its title, and its main sentence.
absl::string_view TitleId(PageState::Kind kind);
absl::string_view SentenceId(PageState::Kind kind);

// A length of time as a page shows it: whole seconds, rounded up; 0 for none.
int64_t WholeSeconds(absl::Duration d);

// Share (0..99) of the way from the position first seen to admission, or -1 when unknown
// (or when nobody was ahead). The visitor's own turn is the last step, so the bar is full
// only once they are in.
int ProgressPercent(const PageState& state);

}  // namespace anteroom::gate
