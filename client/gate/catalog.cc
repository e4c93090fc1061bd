#include "client/gate/catalog.h"

#include <unicode/datefmt.h>
#include <unicode/localematcher.h>
#include <unicode/locid.h>
#include <unicode/measunit.h>
#include <unicode/messagepattern.h>
#include <unicode/msgfmt.h>
#include <unicode/numberformatter.h>
#include <unicode/plurrule.h>
#include <unicode/reldatefmt.h>
#include <unicode/timezone.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "anteroom/gate/v1/catalog.pb.h"
#include "base/log.h"
#include "base/mutex.h"
#include "base/program.h"
#include "client/gate/catalog_internal.h"
#include "client/gate/text_proto.h"
#include "google/protobuf/text_format.h"

namespace anteroom::gate {

// Defined in the file CMake generates from client/gate/messages/*.textproto.
struct BuiltinCatalog {
  const char* tag;
  const char* text;
};
extern const BuiltinCatalog kBuiltinCatalogs[];
extern const int kBuiltinCatalogCount;

// One catalog file, read: its texts with the line each is on.
struct Catalogs::Source {
  std::string file;
  std::string tag;
  std::string name;
  struct Text {
    std::string text;
    std::string file;
    int line = 0;
  };
  std::map<std::string, Text> texts;
  bool builtin = false;
};

namespace {

using Source = Catalogs::Source;

absl::StatusOr<Source> Read(absl::string_view file, absl::string_view text) {
  v1::Catalog catalog;
  google::protobuf::TextFormat::ParseInfoTree locations;
  if (absl::Status s = ParseTextProto(file, text, &catalog, &locations); !s.ok()) return s;
  Source source;
  source.file = std::string(file);
  source.tag = catalog.locale();
  source.name = catalog.name();
  if (source.tag.empty())
    return absl::InvalidArgumentError(absl::StrCat(file, ": no locale (e.g. locale: \"ko\")"));
  const auto* field = v1::Catalog::descriptor()->FindFieldByName("message");
  for (int i = 0; i < catalog.message_size(); ++i) {
    const v1::Message& m = catalog.message(i);
    const int line = locations.GetLocation(field, i).line + 1;
    auto at = [&] { return absl::StrCat(file, " line ", line, ": "); };
    if (!Catalogs::MessageIds().empty() && !Catalogs::MessageIds().contains(m.id())) {
      return absl::InvalidArgumentError(
          absl::StrCat(at(), "no message has the id \"", m.id(), "\" (see messages/en.textproto)"));
    }
    if (source.texts.contains(m.id()))
      return absl::InvalidArgumentError(absl::StrCat(at(), "\"", m.id(), "\" is given twice"));
    source.texts[m.id()] = {m.text(), source.file, line};
  }
  return source;
}

icu::number::LocalizedNumberFormatter UnitFormatter(const icu::Locale& locale,
                                                    const icu::MeasureUnit& unit) {
  return icu::number::NumberFormatter::withLocale(locale)
      .unit(unit)
      .unitWidth(UNUM_UNIT_WIDTH_FULL_NAME)
      .precision(icu::number::Precision::integer());
}

}  // namespace

Catalogs::~Catalogs() = default;

const absl::flat_hash_set<std::string>& Catalogs::MessageIds() {
  static const auto* ids = [] {
    auto* out = new absl::flat_hash_set<std::string>;
    for (int i = 0; i < kBuiltinCatalogCount; ++i) {
      if (std::string(kBuiltinCatalogs[i].tag) != "en") continue;
      v1::Catalog english;
      if (!google::protobuf::TextFormat::ParseFromString(kBuiltinCatalogs[i].text, &english))
        abort();  // the built-in catalogs are checked by the tests: a build defect
      for (const v1::Message& m : english.message()) out->insert(m.id());
    }
    return out;
  }();
  return *ids;
}

namespace {

// The built-in catalogs, read (not yet checked).
absl::StatusOr<std::vector<Source>> ReadBuiltins() {
  std::vector<Source> sources;
  for (int i = 0; i < kBuiltinCatalogCount; ++i) {
    const std::string file = absl::StrCat("messages/", kBuiltinCatalogs[i].tag, ".textproto");
    auto source = Read(file, kBuiltinCatalogs[i].text);
    if (!source.ok()) return source.status();
    if (source->tag != kBuiltinCatalogs[i].tag) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": its locale is \"", source->tag, "\", not the file's name"));
    }
    source->builtin = true;
    sources.push_back(*std::move(source));
  }
  // English first: the reference, and the matcher's tie-breaker.
  std::stable_partition(sources.begin(), sources.end(),
                        [](const Source& s) { return s.tag == "en"; });
  if (sources.empty() || sources[0].tag != "en") abort();
  return sources;
}

// Lays `extra` over `sources`: texts replace a built-in language's, or a new language.
void Merge(Source extra, std::vector<Source>* sources) {
  for (Source& s : *sources) {
    if (s.tag != extra.tag) continue;
    for (auto& [id, text] : extra.texts) s.texts[id] = std::move(text);
    if (!extra.name.empty()) s.name = extra.name;
    return;
  }
  sources->push_back(std::move(extra));
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Catalogs>> Catalogs::Build(
    const std::vector<Source>& sources) {
  std::shared_ptr<Catalogs> catalogs(new Catalogs);
  // Every text is checked against the built-in English, an operator's English included.
  auto builtins = ReadBuiltins();
  if (!builtins.ok()) return builtins.status();
  std::map<std::string, PatternShape> english;
  for (const auto& [id, text] : (*builtins)[0].texts) {
    auto shape = ShapeOf(text.text);
    if (!shape.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(text.file, " line ", text.line, ": ", id, ": ", shape.status().message()));
    }
    english[id] = *std::move(shape);
  }
  std::vector<icu::Locale> supported;
  for (const Source& source : sources) {
    auto locale = LocaleOf(source.tag);
    if (!locale.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source.file, ": locale: ", locale.status().message()));
    }
    if (catalogs->by_tag_.contains(source.tag)) continue;  // merged already
    auto language = std::unique_ptr<Language>(new Language);
    language->tag_ = source.tag;
    language->name_ = source.name.empty() ? source.tag : source.name;
    language->right_to_left_ = locale->isRightToLeft();
    language->fallback_ = catalogs->languages_.empty() ? nullptr : catalogs->languages_[0].get();
    auto impl = std::make_unique<Language::Impl>();
    impl->locale = *locale;
    const std::set<std::string> categories = PluralCategories(*locale);
    std::vector<std::string> missing;
    for (const auto& [id, shape] : english) {
      if (!source.texts.contains(id)) missing.push_back(id);
    }
    if (!missing.empty() && source.builtin) {
      return absl::InvalidArgumentError(absl::StrCat(
          source.file, ": lacks ", missing.size(), " message(s): ", absl::StrJoin(missing, ", ")));
    }
    if (!missing.empty()) {
      ANTEROOM_LOG(kWarning, "gate: %s lacks %d message(s), shown in English: %s", source.file,
                   static_cast<int>(missing.size()), absl::StrJoin(missing, ", "));
    }
    for (const auto& [id, text] : source.texts) {
      auto at = [&, &text = text, &id = id] {
        return absl::StrCat(text.file, " line ", text.line, ": ", id, ": ");
      };
      auto shape = ShapeOf(text.text);
      if (!shape.ok())
        return absl::InvalidArgumentError(at() + std::string(shape.status().message()));
      if (auto s = CheckShape(english.at(id), *shape, categories); !s.ok())
        return absl::InvalidArgumentError(at() + std::string(s.message()));
      std::string constant;
      auto format = CheckedFormat(text.text, *shape, *locale, &constant);
      if (!format.ok())
        return absl::InvalidArgumentError(at() + std::string(format.status().message()));
      auto entry = std::make_unique<Language::Impl::Text>();
      if (shape->arguments.empty()) entry->constant = constant;
      {
        base::MutexLock lock(&entry->mu);
        entry->pattern = *std::move(format);
      }
      impl->texts[id] = std::move(entry);
    }
    UErrorCode status = U_ZERO_ERROR;
    impl->number = icu::number::NumberFormatter::withLocale(*locale);
    impl->percent =
        icu::number::NumberFormatter::withLocale(*locale).unit(icu::MeasureUnit::getPercent());
    impl->minutes = UnitFormatter(*locale, icu::MeasureUnit::getMinute());
    impl->hours = UnitFormatter(*locale, icu::MeasureUnit::getHour());
    impl->hours_and_minutes =
        UnitFormatter(*locale, icu::MeasureUnit::forIdentifier("hour-and-minute", status));
    impl->relative = std::make_unique<icu::RelativeDateTimeFormatter>(
        *locale, nullptr, UDAT_STYLE_LONG, UDISPCTX_CAPITALIZATION_NONE, status);
    if (U_FAILURE(status)) {
      return absl::InternalError(absl::StrCat(source.file, ": ICU cannot format for ", source.tag,
                                              ": ", u_errorName(status)));
    }
    language->impl_ = std::move(impl);
    supported.push_back(*locale);
    catalogs->by_tag_[language->tag_] = language.get();
    catalogs->languages_.push_back(std::move(language));
  }
  UErrorCode status = U_ZERO_ERROR;
  auto matcher = std::make_unique<Catalogs::Matcher>();
  matcher->matcher = std::make_unique<icu::LocaleMatcher>(
      icu::LocaleMatcher::Builder()
          .setSupportedLocales(supported.begin(), supported.end())
          .setNoDefaultLocale()
          .build(status));
  if (U_FAILURE(status))
    return absl::InternalError(absl::StrCat("ICU LocaleMatcher: ", u_errorName(status)));
  for (const auto& l : catalogs->languages_) matcher->languages.push_back(l.get());
  catalogs->matcher_ = std::move(matcher);
  return std::shared_ptr<const Catalogs>(std::move(catalogs));
}

std::shared_ptr<const Catalogs> Catalogs::Builtin() {
  static const auto* builtin = [] {
    auto sources = ReadBuiltins();
    absl::StatusOr<std::shared_ptr<const Catalogs>> catalogs =
        sources.ok() ? Build(*sources) : sources.status();
    if (!catalogs.ok()) {
      // The built-in catalogs are checked by the tests: a broken one is a build defect.
      ANTEROOM_LOG(kError, "gate: built-in catalogs: %s", catalogs.status().ToString());
      abort();
    }
    return new std::shared_ptr<const Catalogs>(*std::move(catalogs));
  }();
  return *builtin;
}

absl::StatusOr<std::shared_ptr<const Catalogs>> Catalogs::Load(const std::string& dir) {
  if (dir.empty()) return Builtin();
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error))
    return absl::InvalidArgumentError(absl::StrCat("--messages_dir: ", dir, " is not a directory"));
  auto sources = ReadBuiltins();
  if (!sources.ok()) return sources.status();
  std::vector<std::filesystem::path> files;
  // Iterated with error codes: a read error (on SIGHUP too) is an error, not an exception.
  // Hidden files (an editor's lock or backup, ".#ko.textproto") are not catalogs.
  std::filesystem::directory_iterator it(dir, error), end;
  for (; !error && it != end; it.increment(error)) {
    const std::filesystem::path& path = it->path();
    if (path.extension() == ".textproto" && path.filename().string()[0] != '.')
      files.push_back(path);
  }
  if (error)
    return absl::InvalidArgumentError(absl::StrCat("--messages_dir ", dir, ": ", error.message()));
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    auto text = base::ReadFlagFile("messages_dir", path.string());
    if (!text.ok()) return text.status();
    auto source = Read(path.string(), *text);
    if (!source.ok()) return source.status();
    if (source->tag != path.stem().string()) {
      return absl::InvalidArgumentError(absl::StrCat(path.string(), ": its locale is \"",
                                                     source->tag, "\"; name the file ", source->tag,
                                                     ".textproto"));
    }
    Merge(*std::move(source), &*sources);
  }
  return Build(*sources);
}

absl::StatusOr<std::shared_ptr<const Catalogs>> Catalogs::LoadText(absl::string_view file,
                                                                   absl::string_view text) {
  auto sources = ReadBuiltins();
  if (!sources.ok()) return sources.status();
  auto source = Read(file, text);
  if (!source.ok()) return source.status();
  Merge(*std::move(source), &*sources);
  return Build(*sources);
}

const Language* Catalogs::Find(absl::string_view tag) const {
  auto it = by_tag_.find(tag);
  return it == by_tag_.end() ? nullptr : it->second;
}

std::vector<std::string> Catalogs::Tags() const {
  std::vector<std::string> out;
  for (const auto& l : languages_) out.push_back(l->tag());
  return out;
}

absl::Status ValidateTimeZone(absl::string_view field, const std::string& name) {
  absl::TimeZone zone;
  if (name.empty() || !absl::LoadTimeZone(name, &zone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", name, "\" is not an IANA time zone (e.g. Asia/Seoul, Europe/Rome, UTC)"));
  }
  std::unique_ptr<icu::TimeZone> icu_zone(icu::TimeZone::createTimeZone(Unicode(name)));
  if (*icu_zone == icu::TimeZone::getUnknown()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ICU does not know the time zone \"", name, "\""));
  }
  return absl::OkStatus();
}

}  // namespace anteroom::gate
