// Choosing a visitor's language among the catalogs: ICU's LocaleMatcher over the tags
// a visitor picked or their browser asks for.

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/gate/catalog_internal.h"

namespace anteroom::gate {
namespace {

// The BCP 47 tags an Accept-Language header asks for, best first (quality values; "*" and
// q=0 mean nothing to choose by). At most 16, so a long header costs little.
std::vector<icu::Locale> AcceptedLocales(absl::string_view header) {
  struct Choice {
    double quality;
    icu::Locale locale;
  };
  std::vector<Choice> choices;
  for (absl::string_view item : absl::StrSplit(header, ',', absl::SkipWhitespace())) {
    if (choices.size() == 16) break;
    std::vector<absl::string_view> parts = absl::StrSplit(item, ';');
    const absl::string_view tag = absl::StripAsciiWhitespace(parts[0]);
    double quality = 1;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view param = absl::StripAsciiWhitespace(parts[i]);
      if (absl::ConsumePrefix(&param, "q=") && !absl::SimpleAtod(param, &quality)) quality = 0;
    }
    if (tag == "*" || !(quality > 0)) continue;
    auto locale = LocaleOf(tag);
    if (locale.ok()) choices.push_back({std::min(quality, 1.0), *locale});
  }
  std::stable_sort(choices.begin(), choices.end(),
                   [](const Choice& a, const Choice& b) { return a.quality > b.quality; });
  std::vector<icu::Locale> out;
  out.reserve(choices.size());
  for (Choice& c : choices) out.push_back(std::move(c.locale));
  return out;
}

}  // namespace

const Language* Catalogs::Match(absl::string_view tag) const {
  if (tag.empty() || tag.size() > 64) return nullptr;
  auto locale = LocaleOf(tag);
  if (!locale.ok()) return nullptr;
  UErrorCode status = U_ZERO_ERROR;
  const icu::LocaleMatcher::Result result = matcher_->matcher->getBestMatchResult(*locale, status);
  const int index = result.getSupportedIndex();
  if (U_FAILURE(status) || index < 0) return nullptr;
  return matcher_->languages[index];
}

const Language& Catalogs::Choose(absl::string_view chosen, absl::string_view accept_language,
                                 const Language& fallback) const {
  if (const Language* l = Match(chosen)) return *l;
  std::vector<icu::Locale> desired = AcceptedLocales(accept_language);
  if (desired.empty()) return fallback;
  icu::Locale::RangeIterator<std::vector<icu::Locale>::const_iterator> it(desired.begin(),
                                                                          desired.end());
  UErrorCode status = U_ZERO_ERROR;
  const icu::LocaleMatcher::Result result = matcher_->matcher->getBestMatchResult(it, status);
  const int index = result.getSupportedIndex();
  if (U_FAILURE(status) || index < 0) return fallback;
  return *matcher_->languages[index];
}

}  // namespace anteroom::gate
