// The template engine alone, with names of its own (the waiting page's are page_test's).

#include "client/gate/template.h"

#include "gtest/gtest.h"

namespace anteroom::gate {
namespace {

class TemplateTest : public ::testing::Test {
 protected:
  TemplateNames Names() {
    TemplateNames names;
    names.variables = &variables_;
    names.sections = &sections_;
    names.messages = &messages_;
    names.raw_variable = "markup";
    return names;
  }
  std::string Render(absl::string_view text, const TemplateValues& values) {
    absl::StatusOr<Template> t = Template::Parse(text, Names());
    EXPECT_TRUE(t.ok()) << t.status();
    std::string out;
    if (t.ok()) t->Render(values, &out);
    return out;
  }
  TemplateValues Values() {
    TemplateValues v;
    v.variables = {{"name", "<Ann & \"Bo\">"}, {"markup", "<b>bold</b>"}};
    v.sections = {{"open", true}, {"late", false}};
    v.message = [](absl::string_view id) { return "[" + std::string(id) + " <x>]"; };
    return v;
  }

  absl::flat_hash_set<std::string> variables_ = {"name", "markup"};
  absl::flat_hash_set<std::string> sections_ = {"open", "late"};
  absl::flat_hash_set<std::string> messages_ = {"hello"};
};

TEST_F(TemplateTest, VariablesAndMessagesAreEscapedButTheRawOne) {
  EXPECT_EQ(Render("Hi {{name}}! {{msg.hello}} {{markup}}", Values()),
            "Hi &lt;Ann &amp; &quot;Bo&quot;&gt;! [hello &lt;x&gt;] <b>bold</b>");
  EXPECT_EQ(Render("no placeholders { } }}", Values()), "no placeholders { } }}");
}

TEST_F(TemplateTest, SectionsKeepTheirTextWhenTrueAndInvertedOnesWhenFalse) {
  EXPECT_EQ(Render("{{#open}}open{{/open}}{{^open}}closed{{/open}}", Values()), "open");
  EXPECT_EQ(Render("{{#late}}late{{/late}}{{^late}}on time{{/late}}", Values()), "on time");
  EXPECT_EQ(Render("{{#open}}a{{#late}}b{{/late}}c{{/open}}", Values()), "ac") << "nested";
}

TEST_F(TemplateTest, MistakesAreRefusedNamingTheLine) {
  auto error = [&](absl::string_view text) {
    absl::StatusOr<Template> t = Template::Parse(text, Names());
    return t.ok() ? std::string("parsed") : std::string(t.status().message());
  };
  EXPECT_NE(error("a\nb\n{{nmae}}").find("line 3"), std::string::npos) << error("a\nb\n{{nmae}}");
  EXPECT_NE(error("{{nmae}}").find("nmae"), std::string::npos);
  EXPECT_NE(error("{{msg.bye}}").find("bye"), std::string::npos);
  EXPECT_NE(error("{{#closed}}{{/closed}}").find("closed"), std::string::npos);
  EXPECT_NE(error("x\n{{#open}}never closed").find("line 2"), std::string::npos)
      << error("x\n{{#open}}never closed");
  EXPECT_NE(error("{{/open}}"), "parsed");
  EXPECT_NE(error("{{#open}}{{/late}}"), "parsed") << "sections must nest";
  EXPECT_NE(error("{{name"), "parsed");
}

TEST(EscapeHtmlTest, EscapesTheFiveCharacters) {
  EXPECT_EQ(EscapeHtml("<a href=\"x\" title='y'>&</a>"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(EscapeHtml("plain 한국어"), "plain 한국어");
}

}  // namespace
}  // namespace anteroom::gate
