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
#include "client/gate/language.h"

namespace anteroom::gate {

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
