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

namespace {

std::string Utf8(const icu::UnicodeString& s) {
  std::string out;
  s.toUTF8String(out);
  return out;
}

icu::UnicodeString Unicode(absl::string_view s) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
}

// What a pattern asks of its arguments: their names, and each plural's categories.
struct PatternShape {
  std::set<std::string> arguments;
  std::map<std::string, std::set<std::string>> plurals;  // argument -> its selectors
};

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

}  // namespace

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

absl::StatusOr<icu::Locale> LocaleOf(absl::string_view tag) {
  UErrorCode status = U_ZERO_ERROR;
  icu::Locale locale = icu::Locale::forLanguageTag(
      icu::StringPiece(tag.data(), static_cast<int32_t>(tag.size())), status);
  if (U_FAILURE(status) || locale.isBogus() || std::string(locale.getLanguage()).empty())
    return absl::InvalidArgumentError(absl::StrCat("\"", tag, "\" is not a BCP 47 language tag"));
  return locale;
}

icu::number::LocalizedNumberFormatter UnitFormatter(const icu::Locale& locale,
                                                    const icu::MeasureUnit& unit) {
  return icu::number::NumberFormatter::withLocale(locale)
      .unit(unit)
      .unitWidth(UNUM_UNIT_WIDTH_FULL_NAME)
      .precision(icu::number::Precision::integer());
}

std::string ToUtf8(icu::number::FormattedNumber&& formatted) {
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString s = formatted.toString(status);
  return U_SUCCESS(status) ? Utf8(s) : "";
}

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

Language::~Language() = default;
Catalogs::~Catalogs() = default;

namespace {

// `format` with every argument a text may take.
icu::UnicodeString FormatWith(const icu::MessageFormat& format, const MessageArgs& args,
                              UErrorCode& status) {
  static const icu::UnicodeString* const kNames = new icu::UnicodeString[]{
      u"site_name", u"position", u"refresh_seconds", u"wait",      u"wait_max",
      u"duration",  u"progress", u"event_time",      u"countdown", u"reason"};
  const icu::Formattable values[] = {Unicode(args.site_name),
                                     icu::Formattable(static_cast<int64_t>(args.position)),
                                     icu::Formattable(static_cast<int64_t>(args.refresh_seconds)),
                                     Unicode(args.wait),
                                     Unicode(args.wait_max),
                                     Unicode(args.duration),
                                     Unicode(args.progress),
                                     Unicode(args.event_time),
                                     Unicode(args.countdown),
                                     Unicode(args.reason)};
  icu::UnicodeString out;
  format.format(kNames, values, std::size(values), out, status);
  return out;
}

}  // namespace

std::string Language::Format(absl::string_view id, const MessageArgs& args) const {
  auto it = impl_->texts.find(id);
  if (it == impl_->texts.end()) return fallback_ ? fallback_->Format(id, args) : "";
  Impl::Text& text = *it->second;
  if (text.constant) return *text.constant;
  std::unique_ptr<icu::MessageFormat> format;
  {
    base::MutexLock lock(&text.mu);
    if (!text.idle.empty()) {
      format = std::move(text.idle.back());
      text.idle.pop_back();
    } else {
      format.reset(text.pattern->clone());
    }
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString out = FormatWith(*format, args, status);
  {
    base::MutexLock lock(&text.mu);
    text.idle.push_back(std::move(format));
  }
  if (U_FAILURE(status)) {
    // Loading formatted every text in each plural branch: nothing should get here.
    ANTEROOM_LOG(kWarning, "gate: cannot format %s in %s: %s", std::string(id), tag_,
                 u_errorName(status));
    return fallback_ ? fallback_->Format(id, args) : "";
  }
  return Utf8(out);
}

std::string Language::Number(int64_t n) const {
  UErrorCode status = U_ZERO_ERROR;
  return ToUtf8(impl_->number.formatInt(n, status));
}

std::string Language::Percent(int percent) const {
  UErrorCode status = U_ZERO_ERROR;
  return ToUtf8(impl_->percent.formatInt(percent, status));
}

std::string Language::Wait(absl::Duration d) const {
  MessageArgs args;
  if (d < absl::Minutes(1)) return Format("duration.under_a_minute", args);
  const int64_t minutes = absl::ToInt64Minutes(absl::Ceil(d, absl::Minutes(1)));
  UErrorCode status = U_ZERO_ERROR;
  if (minutes < 60) {
    args.duration = ToUtf8(impl_->minutes.formatInt(minutes, status));
  } else if (minutes % 60 == 0) {
    args.duration = ToUtf8(impl_->hours.formatInt(minutes / 60, status));
  } else {
    args.duration =
        ToUtf8(impl_->hours_and_minutes.formatDouble(static_cast<double>(minutes) / 60, status));
  }
  return Format("duration.about", args);
}

std::string Language::DateTime(absl::Time t, const std::string& time_zone) const {
  base::MutexLock lock(&impl_->dates_mu);
  std::unique_ptr<icu::DateFormat>& format = impl_->dates[time_zone];
  if (format == nullptr) {
    UErrorCode status = U_ZERO_ERROR;
    format.reset(
        icu::DateFormat::createInstanceForSkeleton(u"yMMMMEEEEdjmmzzzz", impl_->locale, status));
    if (U_FAILURE(status) || format == nullptr) {
      impl_->dates.erase(time_zone);
      return "";
    }
    format->adoptTimeZone(icu::TimeZone::createTimeZone(Unicode(time_zone)));
  }
  icu::UnicodeString out;
  format->format(static_cast<UDate>(absl::ToUnixMillis(t)), out);
  return Utf8(out);
}

std::string Language::Countdown(absl::Duration d) const {
  d = std::max(d, absl::ZeroDuration());
  double amount = 0;
  URelativeDateTimeUnit unit = UDAT_REL_UNIT_SECOND;
  if (d < absl::Minutes(1)) {
    amount = static_cast<double>(absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1))));
  } else if (d <= absl::Minutes(90)) {
    amount = static_cast<double>(absl::ToInt64Minutes(absl::Ceil(d, absl::Minutes(1))));
    unit = UDAT_REL_UNIT_MINUTE;
  } else if (d <= absl::Hours(48)) {
    amount = static_cast<double>(absl::ToInt64Hours(d + absl::Minutes(30)));
    unit = UDAT_REL_UNIT_HOUR;
  } else {
    const int64_t days = absl::ToInt64Hours(d + absl::Hours(12)) / 24;
    amount = static_cast<double>(days);
    unit = UDAT_REL_UNIT_DAY;
  }
  icu::UnicodeString out;
  UErrorCode status = U_ZERO_ERROR;
  impl_->relative->formatNumeric(amount, unit, out, status);
  return U_SUCCESS(status) ? Utf8(out) : "";
}

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
      UErrorCode status = U_ZERO_ERROR;
      UParseError where{};
      auto format =
          std::make_unique<icu::MessageFormat>(Unicode(text.text), *locale, where, status);
      if (U_FAILURE(status)) {
        return absl::InvalidArgumentError(
            absl::StrCat(at(), "not a MessageFormat pattern (", u_errorName(status), ")"));
      }
      // Formatted with numbers that reach every plural branch (every category of the
      // languages shipped, and each "=N" of the text), so that a text whose arguments ICU
      // cannot format ("{site_name, number}") is refused here, not at page views.
      std::set<int64_t> numbers = {0, 1, 2, 3, 5, 11, 21, 101, 1000000};
      for (const auto& [argument, selectors] : shape->plurals) {
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
              at(), "cannot be formatted (", u_errorName(status),
              "): {position} and {refresh_seconds} are numbers, the other arguments text"));
        }
      }
      auto entry = std::make_unique<Language::Impl::Text>();
      if (shape->arguments.empty()) entry->constant = Utf8(formatted);
      {
        base::MutexLock lock(&entry->mu);
        entry->pattern = std::move(format);
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
