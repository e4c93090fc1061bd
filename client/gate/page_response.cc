#include "client/gate/page_response.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/gate/page.h"
#include "client/gate/page_json.h"

namespace anteroom::gate {
namespace {

// ?lang= of the gate's own request, else of the visitor's (X-Original-URI); "" when absent
// or not shaped like a language tag.
std::string LanguageParameter(const HttpRequest& request) {
  std::string value;
  if (auto it = request.query.find("lang"); it != request.query.end()) {
    value = it->second;
  } else {
    const std::string original = request.Header("x-original-uri");
    const size_t question = original.find('?');
    if (question == std::string::npos) return "";
    for (absl::string_view pair :
         absl::StrSplit(absl::string_view(original).substr(question + 1), '&')) {
      if (absl::ConsumePrefix(&pair, "lang=")) value = std::string(pair);
    }
  }
  const bool tag_like =
      !value.empty() && value.size() <= 35 && std::all_of(value.begin(), value.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '-' || c == '_';
      });
  return tag_like ? value : "";
}

}  // namespace

HttpResponse PlainText(int status, absl::string_view text) {
  HttpResponse response;
  response.status = status;
  response.body = absl::StrCat(text, "\n");
  response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  return response;
}

bool WantsJson(const HttpRequest& request) {
  return absl::StrContains(absl::AsciiStrToLower(request.Header("accept")), "application/json");
}

bool CameOverTls(const HttpRequest& request) {
  return absl::EqualsIgnoreCase(request.Header("x-forwarded-proto"), "https");
}

bool IsLocalPath(absl::string_view path) {
  return absl::StartsWith(path, "/") && !absl::StartsWith(path, "//") &&
         !absl::StartsWith(path, "/\\") &&
         std::none_of(path.begin(), path.end(), [](char c) { return c < 0x21 || c == 0x7f; });
}

HttpResponse PageResponse(const HttpRequest& request, const CookieJar& cookies,
                          const PageState& page, const Route& route, const Catalogs& catalogs,
                          absl::Time now, const CookiePolicy& cookie_policy) {
  using K = PageState::Kind;
  // The visitor's language: one they picked (?lang=, then the cookie that remembers it),
  // else their browser's, else the route's.
  std::string chosen = LanguageParameter(request);
  const bool picked = !chosen.empty();
  if (!picked) chosen = std::string(cookies.Get(kLanguageCookie));
  const Language* fallback = catalogs.Find(route.default_language);
  const Language& language = catalogs.Choose(chosen, request.Header("accept-language"),
                                             fallback ? *fallback : catalogs.English());
  PageContext context;
  context.site_name = route.site_name;
  context.language = &language;
  context.time_zone = route.time_zone;
  context.now = now;

  HttpResponse response;
  const bool busy = page.kind == K::kFull || page.kind == K::kUnavailable ||
                    page.kind == K::kNotPlaced || page.kind == K::kBusy;
  const bool queued = page.kind == K::kWaiting || page.kind == K::kPrequeue ||
                      page.kind == K::kCookieCheck || page.kind == K::kChallenge;
  response.status = busy ? 503 : queued ? route.queued_status : 200;
  const int64_t refresh = std::max<int64_t>(1, absl::ToInt64Seconds(page.refresh_after));
  // 503, and a 429 while in line: clients and crawlers that honour either come back when the
  // page would have reloaded, not at once.
  if (busy || response.status == 429)
    response.headers.emplace_back("Retry-After", absl::StrCat(refresh));
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Anteroom-State", std::string(KindName(page.kind)));
  response.headers.emplace_back("Content-Language", language.tag());
  if (picked && catalogs.Match(chosen) != nullptr) {
    response.headers.emplace_back(
        "Set-Cookie",
        absl::StrCat(kLanguageCookie, "=", language.tag(),
                     cookie_policy.Attributes(CameOverTls(request)), "; Max-Age=31536000"));
  }
  if (page.kind == K::kNotPlaced && !WantsJson(request)) {
    // Nobody sees this (an image, a script, HEAD): no page, and no place taken.
    response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    response.body = absl::StrCat(language.Format("not_placed.text", MessageArgs()), "\n");
  } else if (WantsJson(request)) {
    response.headers.emplace_back("Content-Type", "application/json");
    response.body = RenderJson(page, context);
  } else {
    response.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
    response.headers.emplace_back("Content-Security-Policy", PageSecurityPolicy());
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    response.headers.emplace_back("Referrer-Policy", "no-referrer");
    response.body = route.page->Render(page, context);
  }
  return response;
}

}  // namespace anteroom::gate
