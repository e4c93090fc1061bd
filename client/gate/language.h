#pragma once

#include <cstdint>
#include <memory>
#include <string>

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

}  // namespace anteroom::gate
