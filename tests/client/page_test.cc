#include "client/gate/page.h"

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
  EXPECT_EQ(custom->Render(s, "A&B", absl::Now()), "#7 of A&amp;B, about 4 minutes");
  s.kind = PageState::Kind::kFull;
  EXPECT_EQ(custom->Render(s, "x", absl::Now()), "not waiting: full");
}

TEST(PageTemplateTest, DurationsReadNaturally) {
  EXPECT_EQ(HumanDuration(absl::Seconds(20)), "less than a minute");
  EXPECT_EQ(HumanDuration(absl::Seconds(61)), "about 2 minutes");
  EXPECT_EQ(HumanDuration(absl::Minutes(1)), "about 1 minute");
  EXPECT_EQ(HumanDuration(absl::Minutes(125)), "about 2 hours 5 minutes");
  EXPECT_EQ(HumanDuration(absl::Hours(1)), "about 1 hour");
}

}  // namespace
}  // namespace anteroom::gate
