// Checks of a catalog's texts: each a MessageFormat pattern shaped like English's.

#include <unicode/messagepattern.h>
#include <unicode/plurrule.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/gate/catalog_internal.h"

namespace anteroom::gate {

absl::StatusOr<PatternShape> ShapeOf(absl::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError where{};
  icu::MessagePattern pattern(Unicode(text), &where, status);
  if (U_FAILURE(status)) {
    return absl::InvalidArgumentError(absl::StrCat("not a MessageFormat pattern (",
                                                   u_errorName(status), " at character ",
                                                   where.offset + 1, ")"));
  }
  PatternShape shape;
  const int count = pattern.countParts();
  for (int i = 0; i < count; ++i) {
    const icu::MessagePattern::Part& part = pattern.getPart(i);
    if (part.getType() != UMSGPAT_PART_TYPE_ARG_START) continue;
    const std::string name = Utf8(pattern.getSubstring(pattern.getPart(i + 1)));
    shape.arguments.insert(name);
    if (part.getArgType() != UMSGPAT_ARG_TYPE_PLURAL) continue;
    std::set<std::string>& selectors = shape.plurals[name];
    const int limit = pattern.getLimitPartIndex(i);
    for (int j = i + 2; j < limit; ++j) {
      const icu::MessagePattern::Part& p = pattern.getPart(j);
      if (p.getType() == UMSGPAT_PART_TYPE_ARG_SELECTOR) {
        selectors.insert(Utf8(pattern.getSubstring(p)));
      } else if (p.getType() == UMSGPAT_PART_TYPE_MSG_START) {
        j = pattern.getLimitPartIndex(j);  // a nested message's own arguments come later
      }
    }
  }
  return shape;
}

std::set<std::string> PluralCategories(const icu::Locale& locale) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::PluralRules> rules(icu::PluralRules::forLocale(locale, status));
  std::set<std::string> out;
  if (U_FAILURE(status)) return {"other"};
  std::unique_ptr<icu::StringEnumeration> keywords(rules->getKeywords(status));
  const char* keyword = nullptr;
  while (U_SUCCESS(status) && (keyword = keywords->next(nullptr, status)) != nullptr)
    out.insert(keyword);
  return out;
}

// A text checked against English's text of the same id.
absl::Status CheckShape(const PatternShape& english, const PatternShape& shape,
                        const std::set<std::string>& categories) {
  for (const std::string& a : shape.arguments) {
    if (!english.arguments.contains(a))
      return absl::InvalidArgumentError(absl::StrCat("takes {", a, "}, which English's does not"));
  }
  for (const std::string& a : english.arguments) {
    if (!shape.arguments.contains(a))
      return absl::InvalidArgumentError(absl::StrCat("leaves out {", a, "}"));
  }
  for (const auto& [argument, selectors] : shape.plurals) {
    for (const std::string& s : selectors) {
      if (s[0] != '=' && !categories.contains(s)) {
        return absl::InvalidArgumentError(absl::StrCat("{", argument, ", plural} has \"", s,
                                                       "\", which is not a plural category here (",
                                                       absl::StrJoin(categories, ", "), ")"));
      }
    }
    for (const std::string& c : categories) {
      if (!selectors.contains(c)) {
        return absl::InvalidArgumentError(absl::StrCat("{", argument, ", plural} lacks \"", c,
                                                       "\" (this language has ",
                                                       absl::StrJoin(categories, ", "), ")"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<icu::MessageFormat>> CheckedFormat(absl::string_view text,
                                                                  const PatternShape& shape,
                                                                  const icu::Locale& locale,
                                                                  std::string* constant) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError where{};
  auto format = std::make_unique<icu::MessageFormat>(Unicode(text), locale, where, status);
  if (U_FAILURE(status)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a MessageFormat pattern (", u_errorName(status), ")"));
  }
  // Formatted with numbers that reach every plural branch (every category of the languages
  // shipped, and each "=N" of the text), so that a text whose arguments ICU cannot format
  // ("{site_name, number}") is refused here, not at page views.
  std::set<int64_t> numbers = {0, 1, 2, 3, 5, 11, 21, 101, 1000000};
  for (const auto& [argument, selectors] : shape.plurals) {
    for (const std::string& s : selectors) {
      int64_t n = 0;
      if (s[0] == '=' && absl::SimpleAtoi(s.substr(1), &n)) numbers.insert(n);
    }
  }
  icu::UnicodeString formatted;
  for (const int64_t n : numbers) {
    MessageArgs sample;
    sample.position = n;
    sample.refresh_seconds = n;
    formatted = FormatWith(*format, sample, status);
    if (U_FAILURE(status)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot be formatted (", u_errorName(status),
          "): {position} and {refresh_seconds} are numbers, the other arguments text"));
    }
  }
  // A text without arguments is formatted once, here.
  if (shape.arguments.empty()) *constant = Utf8(formatted);
  return format;
}

}  // namespace anteroom::gate
