// The waiting pages' languages: the shipped catalogs, how a visitor's language is chosen,
// and how numbers, plurals, lengths of time and dates come out.

#include "client/gate/catalog.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace anteroom::gate {
namespace {

// What the issue promised: 38 languages, Cloudflare's list.
constexpr const char* kShipped[] = {
    "en", "es", "de", "fr", "it", "ja", "ko", "pt-BR", "zh-Hans", "zh-Hant", "nl", "pl", "id",
    "tr", "ar", "ru", "fa", "bg", "hr", "cs", "da",    "fi",      "lt",      "ms", "nb", "ro",
    "el", "he", "hi", "hu", "sr", "sk", "sl", "sv",    "fil",     "th",      "uk", "vi"};

const Catalogs& Builtin() { return *Catalogs::Builtin(); }

// Files by name, and what each holds.
using Files = std::vector<std::pair<std::string, std::string>>;

// An operator's catalog directory with the given files, removed when it goes.
class Dir {
 public:
  explicit Dir(const Files& files) {
    static int count = 0;
    path_ =
        absl::StrCat(::testing::TempDir(), "/catalogs_",
                     ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_", ++count);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
    for (const auto& [name, text] : files) std::ofstream(path_ + "/" + name) << text;
  }
  ~Dir() { std::filesystem::remove_all(path_); }
  Dir(const Dir&) = delete;
  Dir& operator=(const Dir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(CatalogTest, EveryShippedCatalogIsCompleteAndEveryTextTakesItsArgumentsRightly) {
  // Loading checks each text against English's: same arguments, every plural category of
  // the language, a valid pattern; a built-in catalog must give every id. LoadText reports
  // what is wrong instead of stopping the program as Builtin() would.
  auto checked = Catalogs::LoadText("none.textproto", "locale: \"en\"");
  ASSERT_TRUE(checked.ok()) << checked.status();
  std::vector<std::string> tags = (*checked)->Tags();
  EXPECT_EQ(tags.size(), std::size(kShipped));
  for (const char* tag : kShipped) {
    const Language* language = Builtin().Find(tag);
    ASSERT_NE(language, nullptr) << tag;
    EXPECT_FALSE(language->name().empty()) << tag;
    MessageArgs args;
    args.site_name = "S";
    args.position = 12;
    args.refresh_seconds = 5;
    args.wait = args.wait_max = args.duration = args.progress = args.event_time = args.countdown =
        args.reason = "X";
    int same_as_english = 0;
    for (const std::string& id : Catalogs::MessageIds()) {
      const std::string text = language->Format(id, args);
      EXPECT_FALSE(text.empty()) << tag << " " << id;
      if (text == Builtin().English().Format(id, args)) ++same_as_english;
    }
    // Translated, not copied: only a word such as "OK" may read the same.
    if (std::string(tag) != "en") {
      EXPECT_LE(same_as_english, 2) << tag;
    }
  }
  EXPECT_TRUE(Builtin().Find("ar")->right_to_left());
  EXPECT_TRUE(Builtin().Find("he")->right_to_left());
  EXPECT_TRUE(Builtin().Find("fa")->right_to_left());
  EXPECT_FALSE(Builtin().Find("ko")->right_to_left());
}

TEST(CatalogTest, PluralsFollowEachLanguagesRules) {
  auto retry = [](const char* tag, int64_t n) {
    MessageArgs args;
    args.refresh_seconds = n;
    return Builtin().Find(tag)->Format("retry.note", args);
  };
  // Polish: one, few (2-4, 22-24...), many (5-21, 25...).
  EXPECT_TRUE(absl::StrContains(retry("pl", 1), "1 sekundę")) << retry("pl", 1);
  EXPECT_TRUE(absl::StrContains(retry("pl", 2), "2 sekundy")) << retry("pl", 2);
  EXPECT_TRUE(absl::StrContains(retry("pl", 22), "22 sekundy")) << retry("pl", 22);
  EXPECT_TRUE(absl::StrContains(retry("pl", 5), "5 sekund.")) << retry("pl", 5);
  EXPECT_TRUE(absl::StrContains(retry("pl", 12), "12 sekund.")) << retry("pl", 12);
  // Arabic: six categories, digits of its own.
  EXPECT_TRUE(absl::StrContains(retry("ar", 1), "ثانية واحدة")) << retry("ar", 1);
  EXPECT_TRUE(absl::StrContains(retry("ar", 2), "ثانيتين")) << retry("ar", 2);
  EXPECT_TRUE(absl::StrContains(retry("ar", 3), "٣ ثوانٍ")) << retry("ar", 3);
  EXPECT_TRUE(absl::StrContains(retry("ar", 11), "١١ ثانية")) << retry("ar", 11);
  // English, and the explicit "=1" case of a place in line.
  EXPECT_TRUE(absl::StrContains(retry("en", 1), "in 1 second.")) << retry("en", 1);
  EXPECT_TRUE(absl::StrContains(retry("en", 30), "in 30 seconds.")) << retry("en", 30);
  MessageArgs args;
  args.position = 1;
  EXPECT_EQ(Builtin().English().Format("title.waiting", args), "You are next");
  args.position = 21;
  EXPECT_EQ(Builtin().English().Format("title.waiting", args), "You are number 21 in line");
}

TEST(CatalogTest, NumbersWaitsAndDatesAreWrittenTheLanguagesWay) {
  const Language& en = Builtin().English();
  const Language& ko = *Builtin().Find("ko");
  const Language& it = *Builtin().Find("it");
  EXPECT_EQ(en.Number(1234567), "1,234,567");
  EXPECT_EQ(it.Number(1234567), "1.234.567");
  EXPECT_EQ(en.Percent(45), "45%");
  EXPECT_EQ(Builtin().Find("tr")->Percent(45), "%45");
  EXPECT_EQ(en.Wait(absl::Seconds(20)), "less than a minute");
  EXPECT_EQ(en.Wait(absl::Seconds(61)), "about 2 minutes");
  EXPECT_EQ(en.Wait(absl::Minutes(1)), "about 1 minute");
  EXPECT_EQ(en.Wait(absl::Hours(1)), "about 1 hour");
  EXPECT_EQ(en.Wait(absl::Minutes(125)), "about 2 hours, 5 minutes");
  EXPECT_EQ(ko.Wait(absl::Minutes(125)), "약 2시간 5분");
  EXPECT_EQ(it.Wait(absl::Minutes(125)), "circa 2 ore e 5 minuti");
  EXPECT_EQ(en.Countdown(absl::Seconds(44.2)), "in 45 seconds");
  EXPECT_EQ(en.Countdown(absl::Minutes(90)), "in 90 minutes");
  EXPECT_EQ(en.Countdown(absl::Minutes(151)), "in 3 hours");
  EXPECT_EQ(en.Countdown(absl::Hours(80)), "in 3 days");
  EXPECT_EQ(ko.Countdown(absl::Hours(3)), "3시간 후");
  const absl::Time noon_seoul =
      absl::FromCivil(absl::CivilSecond(2026, 12, 1, 3, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(en.DateTime(noon_seoul, "Asia/Seoul"),
            "Tuesday, December 1, 2026 at 12:00\u202fPM Korean Standard Time");
  EXPECT_EQ(en.DateTime(noon_seoul, "UTC"),
            "Tuesday, December 1, 2026 at 3:00\u202fAM Coordinated Universal Time");
  EXPECT_TRUE(ValidateTimeZone("time_zone", "Europe/Rome").ok());
  const absl::Status bad = ValidateTimeZone("time_zone", "Europe/Atlantis");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.message(), "time_zone")) << bad;
  EXPECT_FALSE(ValidateTimeZone("time_zone", "").ok());
}

TEST(CatalogTest, ManyThreadsFormatAtOnce) {
  // The gate renders pages on dozens of threads; ICU's formatters are not all thread-safe,
  // so each text and date format is used by one thread at a time (Language's pools).
  const Language& pl = *Builtin().Find("pl");
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  MessageArgs args;
  args.refresh_seconds = 5;
  const std::string text = pl.Format("retry.note", args);
  const std::string date = pl.DateTime(t, "Europe/Warsaw");
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 200; ++j) {
        if (pl.Format("retry.note", args) != text) ++wrong;
        if (j % 20 == 0 && pl.DateTime(t, "Europe/Warsaw") != date) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(CatalogTest, AnOperatorOverridesTextsAndAddsLanguagesWithoutRebuilding) {
  const Dir operator_dir(
      {{"ko.textproto",
        "locale: \"ko\"\nmessage { id: \"footer\" text: \"{site_name} 대기실\" }\n"},
       // Esperanto: a language the gate does not ship, partly translated.
       {"eo.textproto",
        "locale: \"eo\"\nname: \"Esperanto\"\n"
        "message { id: \"title.left\" text: \"Dankon\" }\n"},
       {"README", "not a catalog: ignored"}});
  const std::string& dir = operator_dir.path();
  auto catalogs = Catalogs::Load(dir);
  ASSERT_TRUE(catalogs.ok()) << catalogs.status();
  MessageArgs args;
  args.site_name = "보건소";
  EXPECT_EQ((*catalogs)->Find("ko")->Format("footer", args), "보건소 대기실");
  EXPECT_EQ((*catalogs)->Find("ko")->Format("title.left", args),
            Builtin().Find("ko")->Format("title.left", args));  // the rest stays
  const Language* eo = (*catalogs)->Find("eo");
  ASSERT_NE(eo, nullptr);
  EXPECT_EQ(eo->Format("title.left", args), "Dankon");
  EXPECT_EQ(eo->Format("title.full", args), "Please try again later");  // English stands in
  EXPECT_EQ((*catalogs)->Choose("", "eo", (*catalogs)->English()).tag(), "eo");
  EXPECT_EQ(Catalogs::Load(dir + "/nothing").status().code(), absl::StatusCode::kInvalidArgument);
  // An operator's English is checked against the built-in one like any other language.
  const Dir english({{"en.textproto",
                      "locale: \"en\"\n"
                      "message { id: \"footer\" text: \"Call 1339\" }\n"},
                     {".#en.textproto", "an editor's lock file: not read"}});
  const absl::Status wrong = Catalogs::Load(english.path()).status();
  EXPECT_TRUE(
      absl::StrContains(wrong.message(), "/en.textproto line 2: footer: leaves out {site_name}"))
      << wrong;
}

TEST(CatalogTest, AWrongCatalogIsRefusedNamingTheFileAndLine) {
  auto refused = [](const std::string& text) {
    auto c = Catalogs::LoadText("pl.textproto", text);
    return c.ok() ? std::string("accepted") : std::string(c.status().message());
  };
  const std::string head = "locale: \"pl\"\n# a comment\n";
  // Line 3 in each.
  EXPECT_EQ(refused(head + "message { id: \"footer\" text: \"Strona {site}\" }"),
            "pl.textproto line 3: footer: takes {site}, which English's does not");
  EXPECT_EQ(refused(head + "message { id: \"footer\" text: \"Poczekalnia\" }"),
            "pl.textproto line 3: footer: leaves out {site_name}");
  EXPECT_EQ(refused(head + "message { id: \"retry.note\" text: \"{refresh_seconds, plural, "
                           "one {# sekundę} other {# sekundy}}\" }"),
            "pl.textproto line 3: retry.note: {refresh_seconds, plural} lacks \"few\" (this "
            "language has few, many, one, other)");
  EXPECT_EQ(refused(head + "message { id: \"retry.note\" text: \"{refresh_seconds, plural, "
                           "one {a} two {b} few {c} many {d} other {e}}\" }"),
            "pl.textproto line 3: retry.note: {refresh_seconds, plural} has \"two\", which is "
            "not a plural category here (few, many, one, other)");
  EXPECT_TRUE(absl::StartsWith(refused(head + "message { id: \"footer\" text: \"{site_name\" }"),
                               "pl.textproto line 3: footer: not a MessageFormat pattern"))
      << refused(head + "message { id: \"footer\" text: \"{site_name\" }");
  EXPECT_EQ(refused(head + "message { id: \"footer\" text: \"{site_name, number}\" }"),
            "pl.textproto line 3: footer: cannot be formatted (U_INVALID_FORMAT_ERROR): "
            "{position} and {refresh_seconds} are numbers, the other arguments text");
  // Every plural branch is tried, "=1" included.
  EXPECT_TRUE(absl::StartsWith(
      refused(head +
              "message { id: \"title.waiting\" text: \"{position, plural, =1 "
              "{{position, select, other {x}}} one {a #} few {b #} many {c #} other {d #}}\" }"),
      "pl.textproto line 3: title.waiting: cannot be formatted"));
  EXPECT_EQ(refused(head + "message { id: \"futer\" text: \"x\" }"),
            "pl.textproto line 3: no message has the id \"futer\" (see messages/en.textproto)");
  EXPECT_EQ(refused(head + "message { id: \"footer\" text: \"{site_name}\" }\n"
                           "message { id: \"footer\" text: \"{site_name}\" }"),
            "pl.textproto line 4: \"footer\" is given twice");
  EXPECT_TRUE(absl::StartsWith(refused(head + "message { id: \"footer\" txt: \"x\" }"),
                               "pl.textproto line 3:"))
      << refused(head + "message { id: \"footer\" txt: \"x\" }");
  EXPECT_EQ(refused("name: \"Polski\""), "pl.textproto: no locale (e.g. locale: \"ko\")");
  // A file must be named after its language.
  const Dir misnamed(Files{{"it.textproto", "locale: \"ko\""}});
  EXPECT_TRUE(absl::StrContains(Catalogs::Load(misnamed.path()).status().message(),
                                "its locale is \"ko\"; name the file ko.textproto"))
      << Catalogs::Load(misnamed.path()).status();
}

}  // namespace
}  // namespace anteroom::gate
