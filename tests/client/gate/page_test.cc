#include "client/gate/page.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "client/gate/catalog.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace anteroom::gate {
namespace {

TEST(PageTemplateTest, OperatorTemplatesAreCheckedWhenLoaded) {
  auto unknown = PageTemplate::Parse("<p>{{postion}}</p>");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("postion"), std::string::npos);
  auto unclosed = PageTemplate::Parse("line\n{{#waiting}}\n<p>x</p>");
  ASSERT_FALSE(unclosed.ok());
  EXPECT_NE(unclosed.status().message().find("line 2"), std::string::npos) << unclosed.status();
  EXPECT_FALSE(PageTemplate::Parse("{{/waiting}}").ok());
  EXPECT_FALSE(PageTemplate::Parse("{{#nosuch}}{{/nosuch}}").ok());
  EXPECT_FALSE(PageTemplate::Parse("{{position").ok());

  auto custom = PageTemplate::Parse(
      "{{#waiting}}#{{position}} of {{site_name}}, {{estimated_wait}}{{/waiting}}"
      "{{^waiting}}not waiting: {{state}}{{/waiting}}");
  ASSERT_TRUE(custom.ok()) << custom.status();
  PageState s;
  s.position = 7;
  s.estimated_wait = absl::Minutes(4);
  PageContext context;
  context.site_name = "A&B";
  EXPECT_EQ(custom->Render(s, context), "#7 of A&amp;B, about 4 minutes");
  s.kind = PageState::Kind::kFull;
  EXPECT_EQ(custom->Render(s, context), "not waiting: full");
}

TEST(PageTemplateTest, MessagesAreCheckedByIdAndSpeakTheVisitorsLanguage) {
  auto typo = PageTemplate::Parse("<p>\n{{msg.waiting.haeding}}</p>");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("line 2"), std::string::npos) << typo.status();
  EXPECT_NE(typo.status().message().find("waiting.haeding"), std::string::npos);

  auto page = PageTemplate::Parse(
      "<html lang=\"{{lang}}\" dir=\"{{dir}}\">{{msg.title.waiting}}|{{position}}|"
      "{{estimated_wait}}|{{msg.footer}}</html>");
  ASSERT_TRUE(page.ok()) << page.status();
  PageState s;
  s.position = 1234;
  s.estimated_wait = absl::Minutes(125);
  PageContext context;
  context.site_name = "<Clinic>";
  EXPECT_EQ(page->Render(s, context),
            "<html lang=\"en\" dir=\"ltr\">You are number 1,234 in line|1,234|"
            "about 2 hours, 5 minutes|This is a waiting room that protects &lt;Clinic&gt; from "
            "overload.</html>");
  const auto catalogs = Catalogs::Builtin();
  context.language = catalogs->Find("it");
  EXPECT_TRUE(absl::StartsWith(page->Render(s, context),
                               "<html lang=\"it\" dir=\"ltr\">È il numero 1.234 in coda|"))
      << page->Render(s, context);
  EXPECT_NE(page->Render(s, context).find("|1.234|circa 2 ore e 5 minuti|"), std::string::npos)
      << page->Render(s, context);
  context.language = catalogs->Find("ar");
  EXPECT_NE(page->Render(s, context).find("dir=\"rtl\""), std::string::npos);
  s.position = 1;
  context.language = nullptr;
  EXPECT_TRUE(absl::StrContains(page->Render(s, context), ">You are next|1|"))
      << page->Render(s, context);
}

TEST(PageTemplateTest, TheOpeningTimeIsInTheRoomsZoneAndTheVisitorsLanguage) {
  auto page =
      PageTemplate::Parse("{{event_starts_at}}|{{event_countdown}}|{{event_starts_at_iso}}");
  ASSERT_TRUE(page.ok()) << page.status();
  PageState s;
  s.kind = PageState::Kind::kPrequeue;
  // Tuesday 1 December 2026, 03:00 UTC: noon in Seoul, 04:00 in Rome.
  s.event_starts_at = absl::FromCivil(absl::CivilSecond(2026, 12, 1, 3, 0, 0), absl::UTCTimeZone());
  PageContext context;
  context.now = s.event_starts_at - absl::Hours(3);
  context.time_zone = "Asia/Seoul";
  context.language = Catalogs::Builtin()->Find("ko");
  EXPECT_EQ(page->Render(s, context),
            "2026년 12월 1일 화요일 오후 12:00 대한민국 표준시|3시간 후|2026-12-01T03:00:00Z");
  context.time_zone = "Europe/Rome";
  context.language = Catalogs::Builtin()->Find("it");
  context.now = s.event_starts_at - absl::Minutes(20);
  EXPECT_EQ(page->Render(s, context),
            "martedì 1 dicembre 2026 alle ore 04:00 Ora standard dell’Europa centrale|tra 20 "
            "minuti|2026-12-01T03:00:00Z");
}

}  // namespace
}  // namespace anteroom::gate
