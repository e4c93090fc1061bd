#include "client/gate/language.h"

#include <unicode/measunit.h>
#include <unicode/timezone.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "client/gate/catalog_internal.h"

namespace anteroom::gate {

std::string Utf8(const icu::UnicodeString& s) {
  std::string out;
  s.toUTF8String(out);
  return out;
}

icu::UnicodeString Unicode(absl::string_view s) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
}

absl::StatusOr<icu::Locale> LocaleOf(absl::string_view tag) {
  UErrorCode status = U_ZERO_ERROR;
  icu::Locale locale = icu::Locale::forLanguageTag(
      icu::StringPiece(tag.data(), static_cast<int32_t>(tag.size())), status);
  if (U_FAILURE(status) || locale.isBogus() || std::string(locale.getLanguage()).empty())
    return absl::InvalidArgumentError(absl::StrCat("\"", tag, "\" is not a BCP 47 language tag"));
  return locale;
}

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

namespace {

std::string ToUtf8(icu::number::FormattedNumber&& formatted) {
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString s = formatted.toString(status);
  return U_SUCCESS(status) ? Utf8(s) : "";
}

}  // namespace

Language::~Language() = default;

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

}  // namespace anteroom::gate
