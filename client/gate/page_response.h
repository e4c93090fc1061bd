#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/gate/catalog.h"
#include "client/gate/cookies.h"
#include "client/gate/http_message.h"
#include "client/gate/page_state.h"
#include "client/gate/routes.h"

namespace anteroom::gate {

// A page as an HTTP answer: in the visitor's language (?lang=, remembered in the
// "anteroom-lang" cookie; else the browser's Accept-Language; else the route's default),
// with its status (503 with Retry-After for full, unavailable, not placed and busy; the
// route's queued_status while in line, with Retry-After for 429; else 200), Cache-Control:
// no-store, X-Anteroom-State and Content-Language; the JSON form for Accept:
// application/json, else the route's HTML page under its Content-Security-Policy.
HttpResponse PageResponse(const HttpRequest& request, const CookieJar& cookies,
                          const PageState& page, const Route& route, const Catalogs& catalogs,
                          absl::Time now, const CookiePolicy& cookie_policy);

// A short text answer.
HttpResponse PlainText(int status, absl::string_view text);
// The client asks for the JSON form (an app).
bool WantsJson(const HttpRequest& request);
// The visitor's request came over TLS (X-Forwarded-Proto: https).
bool CameOverTls(const HttpRequest& request);
// Only same-site paths ("/x", not "//host" or "http://"), so ?next= and the original URI
// cannot send visitors elsewhere.
bool IsLocalPath(absl::string_view path);

}  // namespace anteroom::gate
