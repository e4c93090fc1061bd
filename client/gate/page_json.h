#pragma once

#include <string>

#include "client/gate/page.h"

namespace anteroom::gate {

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

}  // namespace anteroom::gate
