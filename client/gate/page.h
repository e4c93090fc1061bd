#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/gate/catalog.h"

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

// "waiting", "prequeue", "full", "unavailable", "left", "confirm_leave", "not_placed",
// "cookie_check", "busy", "challenge": the `state` of the JSON form.
absl::string_view KindName(PageState::Kind kind);

// What a page is drawn with, besides its state.
struct PageContext {
  // The operator's name for the site.
  std::string site_name = "This site";
  // The visitor's language (Catalogs::Choose). Null: English.
  const Language* language = nullptr;
  // The IANA time zone the event's opening time is shown in (checked: ValidateTimeZone).
  std::string time_zone = "UTC";
  // Drives the countdown to the event.
  absl::Time now = absl::UnixEpoch();
};

// A page template: HTML with {{name}} (replaced by the value, HTML-escaped), {{msg.<id>}}
// (the text <id> of the visitor's language, from its catalog, HTML-escaped), and sections
// {{#name}}...{{/name}} (kept when `name` is true) and {{^name}}...{{/name}} (kept when
// false). Names and ids are checked when the template is parsed, so a typo in an operator's
// template fails at start-up, not in front of visitors. See README "Your own page" for the
// names.
class PageTemplate {
 public:
  // INVALID_ARGUMENT naming the line for unknown names and unbalanced sections.
  static absl::StatusOr<PageTemplate> Parse(absl::string_view text);
  // The built-in page (client/gate/waiting_page.html).
  static const PageTemplate& Default();

  std::string Render(const PageState& state, const PageContext& context) const;

  struct Node;

 private:
  std::shared_ptr<const std::vector<Node>> nodes_;
};

// The JSON form: {"state":..., "room":..., "position":..., "estimated_wait_seconds":...,
// "estimated_wait_max_seconds":..., "estimated_wait_unknown":..., "refresh_seconds":...,
// "progress_percent":..., "event_starts_at":"RFC 3339"|null, "event_starts_in_seconds":...,
// "reason":..., "challenge":{"algorithm","salt","challenge","signature","max_number","cookie"}
// |null, "language":"ko", "title":..., "message":..., "estimated_wait_text":...|null,
// "event_starts_at_text":...|null}. The estimates are null when unknown (a paused room).
// The last five are in the visitor's language: the page's title, its main sentence, the
// wait in words and the opening time in the room's time zone.
std::string RenderJson(const PageState& state, const PageContext& context);

// The Content-Security-Policy of the HTML pages: nothing loads from anywhere, and the only
// script that runs is the built-in proof-of-work solver ({{challenge_script}}), by its hash.
const std::string& PageSecurityPolicy();

// Share (0..99) of the way from the position first seen to admission, or -1 when unknown
// (or when nobody was ahead). The visitor's own turn is the last step, so the bar is full
// only once they are in.
int ProgressPercent(const PageState& state);

}  // namespace anteroom::gate
