#pragma once

// What the files of the catalogs share (catalog.cc, language.cc, language_choice.cc,
// message_check.cc); not for use beyond them.

#include <unicode/datefmt.h>
#include <unicode/localematcher.h>
#include <unicode/locid.h>
#include <unicode/msgfmt.h>
#include <unicode/numberformatter.h>
#include <unicode/reldatefmt.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/mutex.h"
#include "client/gate/catalog.h"

namespace anteroom::gate {

std::string Utf8(const icu::UnicodeString& s);
icu::UnicodeString Unicode(absl::string_view s);
// The ICU locale of a BCP 47 tag; INVALID_ARGUMENT when it is not one.
absl::StatusOr<icu::Locale> LocaleOf(absl::string_view tag);

// `format` with every argument a text may take (MessageArgs).
icu::UnicodeString FormatWith(const icu::MessageFormat& format, const MessageArgs& args,
                              UErrorCode& status);

struct Language::Impl {
  // ICU's MessageFormat may not format on two threads at once: each formatting takes a copy
  // from the pool (cloning the pattern's when the pool is empty) and gives it back, so
  // threads share no formatter and wait only for the pool's lock.
  struct Text {
    // A text without arguments, formatted once at load: most of a page's texts.
    std::optional<std::string> constant;
    base::Mutex mu;
    std::unique_ptr<icu::MessageFormat> pattern ABSL_GUARDED_BY(mu);  // cloned, never used
    std::vector<std::unique_ptr<icu::MessageFormat>> idle ABSL_GUARDED_BY(mu);
  };
  icu::Locale locale;
  absl::flat_hash_map<std::string, std::unique_ptr<Text>> texts;
  // Date formats by time zone, made on first use (building one from a skeleton takes long)
  // and used one thread at a time.
  base::Mutex dates_mu;
  absl::flat_hash_map<std::string, std::unique_ptr<icu::DateFormat>> dates
      ABSL_GUARDED_BY(dates_mu);
  // ICU's number formatters are immutable and thread-safe.
  icu::number::LocalizedNumberFormatter number, percent, minutes, hours, hours_and_minutes;
  std::unique_ptr<icu::RelativeDateTimeFormatter> relative;  // immutable, thread-safe
};

struct Catalogs::Matcher {
  std::unique_ptr<icu::LocaleMatcher> matcher;
  std::vector<const Language*> languages;  // by the matcher's supported index
};

// What a pattern asks of its arguments: their names, and each plural's categories.
struct PatternShape {
  std::set<std::string> arguments;
  std::map<std::string, std::set<std::string>> plurals;  // argument -> its selectors
};
absl::StatusOr<PatternShape> ShapeOf(absl::string_view text);
// The CLDR plural categories of `locale` ("one", "other", ...).
std::set<std::string> PluralCategories(const icu::Locale& locale);
// A text's shape checked against English's text of the same id, for a language with plural
// `categories`.
absl::Status CheckShape(const PatternShape& english, const PatternShape& shape,
                        const std::set<std::string>& categories);
// A text of `locale`, parsed and formatted with numbers that reach every plural branch of
// `shape`; INVALID_ARGUMENT (its message to follow "<file> line <n>: <id>: ") otherwise.
absl::StatusOr<std::unique_ptr<icu::MessageFormat>> CheckedFormat(absl::string_view text,
                                                                  const PatternShape& shape,
                                                                  const icu::Locale& locale,
                                                                  std::string* constant);

}  // namespace anteroom::gate
