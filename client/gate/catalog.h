#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace anteroom::gate {

// The arguments a page's texts may take (client/gate/messages/en.textproto lists them).
// Every text is formatted with all of them; each uses those it names.
struct MessageArgs {
  std::string site_name;
  int64_t position = 0;
  int64_t refresh_seconds = 0;
  std::string wait;        // Language::Wait
  std::string wait_max;    // Language::Wait
  std::string duration;    // a length of time in words (duration.about only)
  std::string progress;    // Language::Percent
  std::string event_time;  // Language::DateTime
  std::string countdown;   // Language::Countdown
  std::string reason;
};

// One language of the waiting pages: its texts (ICU MessageFormat patterns, parsed when the
// catalog is loaded) and its ways of writing numbers, lengths of time and dates, from ICU's
// data for the locale.
//
// Thread-safe: formatting may run on any number of threads at once.
class Language {
 public:
  ~Language();

  // The BCP 47 tag of the catalog ("ko", "pt-BR").
  const std::string& tag() const { return tag_; }
  // The language's own name for itself ("한국어").
  const std::string& name() const { return name_; }
  // Arabic, Hebrew, Persian...: the page is laid out right to left.
  bool right_to_left() const { return right_to_left_; }

  // The text `id` with `args`; the English text where this language lacks `id` (an
  // operator's partial catalog), and "" for an id no catalog has.
  std::string Format(absl::string_view id, const MessageArgs& args) const;
  // 1234 as this language writes it ("1,234", "1.234", "١٬٢٣٤").
  std::string Number(int64_t n) const;
  // 45 as a share: "45%", "%45" (Turkish), "45 %" (French).
  std::string Percent(int percent) const;
  // An estimated wait in words: "less than a minute", "about 14 minutes", "about 2 hours,
  // 5 minutes" (rounded up to the minute).
  std::string Wait(absl::Duration d) const;
  // When something happens, with the date, the time and the time zone's name, in `time_zone`
  // (an IANA name the caller checked with ValidateTimeZone): "Monday, December 1, 2026 at
  // 12:00 PM Korean Standard Time".
  std::string DateTime(absl::Time t, const std::string& time_zone) const;
  // How long until something, in one unit: "in 45 seconds", "in 20 minutes", "in 3 hours",
  // "in 2 days" (minutes up to 90, hours up to 48).
  std::string Countdown(absl::Duration d) const;

  struct Impl;

 private:
  friend class Catalogs;
  Language() = default;

  std::string tag_, name_;
  bool right_to_left_ = false;
  const Language* fallback_ = nullptr;  // English, for ids this language lacks
  std::unique_ptr<Impl> impl_;
};

// The languages the gate speaks: the built-in catalogs (client/gate/messages/, compiled in),
// with an operator's files on top, and the choice of one for a visitor.
//
// A catalog is a text-format anteroom.gate.v1.Catalog. Loading checks each text: it must
// parse as a MessageFormat pattern, take exactly the arguments of the built-in English text
// of its id, format in every plural branch, and give each plural every category the
// language has (CLDR: "one" and "other" in
// English; "few" and "many" too in Polish; six in Arabic). An id English does not have, or a
// text that breaks a rule, is refused with the file and line.
//
// Immutable once loaded; thread-safe.
class Catalogs {
 public:
  // The built-in catalogs, each complete (every id of English).
  static std::shared_ptr<const Catalogs> Builtin();
  // The built-in catalogs, then each `<tag>.textproto` in `dir`: a file for a built-in
  // language replaces the texts it gives; a file for another language adds it (English
  // stands in for the ids it lacks). INVALID_ARGUMENT naming the file and line.
  static absl::StatusOr<std::shared_ptr<const Catalogs>> Load(const std::string& dir);
  // One catalog's text, checked as Load checks a file (`file` names it in errors).
  static absl::StatusOr<std::shared_ptr<const Catalogs>> LoadText(absl::string_view file,
                                                                  absl::string_view text);

  // The ids every catalog may give (those of the built-in English catalog).
  static const absl::flat_hash_set<std::string>& MessageIds();

  ~Catalogs();

  // The language with exactly this tag, or null.
  const Language* Find(absl::string_view tag) const;
  const Language& English() const { return *Find("en"); }
  // Tags, English first, then in the order loaded.
  std::vector<std::string> Tags() const;

  // The language for a visitor: the best match for `chosen` (a tag the visitor picked:
  // ?lang=, the language cookie), else for `accept_language` (the browser's
  // Accept-Language: tags with quality values), else `fallback`. Matching follows ICU's
  // LocaleMatcher: "ko-KR" gets "ko", "zh-TW" and "zh-Hant-HK" get "zh-Hant", "pt" gets
  // "pt-BR"; a language the gate does not speak matches nothing, unless CLDR says its
  // readers commonly read one the gate has (Swahili: English; Armenian: Russian).
  const Language& Choose(absl::string_view chosen, absl::string_view accept_language,
                         const Language& fallback) const;
  // The best match for one tag, or null.
  const Language* Match(absl::string_view tag) const;

  struct Matcher;
  struct Source;  // a catalog file, read

 private:
  Catalogs() = default;
  // The languages of `sources` (English first), each text checked against English's.
  static absl::StatusOr<std::shared_ptr<const Catalogs>> Build(const std::vector<Source>& sources);

  std::vector<std::unique_ptr<Language>> languages_;  // English first
  absl::flat_hash_map<std::string, const Language*> by_tag_;
  std::unique_ptr<Matcher> matcher_;
};

// OK when `name` is an IANA time zone both absl and ICU know ("Asia/Seoul"); else
// INVALID_ARGUMENT naming `field`.
absl::Status ValidateTimeZone(absl::string_view field, const std::string& name);

}  // namespace anteroom::gate
