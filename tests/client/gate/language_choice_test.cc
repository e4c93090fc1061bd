// Choosing the visitor's language (client/gate/language_choice.cc).

#include "client/gate/catalog.h"
#include "gtest/gtest.h"

namespace anteroom::gate {
namespace {

const Catalogs& Builtin() { return *Catalogs::Builtin(); }

TEST(LanguageChoiceTest, TheVisitorsLanguageFollowsAcceptLanguageWithQualityValuesAndFallbacks) {
  const Language& fallback = *Builtin().Find("it");
  auto choose = [&](absl::string_view chosen, absl::string_view accept) {
    return Builtin().Choose(chosen, accept, fallback).tag();
  };
  EXPECT_EQ(choose("", "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7"), "ko");
  EXPECT_EQ(choose("", "ko-KR"), "ko");
  EXPECT_EQ(choose("", "zh-Hant-TW"), "zh-Hant");
  EXPECT_EQ(choose("", "zh-TW"), "zh-Hant");
  EXPECT_EQ(choose("", "zh-HK"), "zh-Hant");
  EXPECT_EQ(choose("", "zh-CN,zh;q=0.9"), "zh-Hans");
  EXPECT_EQ(choose("", "pt"), "pt-BR");
  EXPECT_EQ(choose("", "es-MX"), "es");
  EXPECT_EQ(choose("", "en-GB"), "en");
  EXPECT_EQ(choose("", "no"), "nb");
  EXPECT_EQ(choose("", "iw"), "he");  // the old code for Hebrew
  // Quality values: the highest first, whatever the order; q=0 means "not this one".
  EXPECT_EQ(choose("", "fr;q=0.5, de;q=0.9"), "de");
  EXPECT_EQ(choose("", "de;q=0, fr"), "fr");
  EXPECT_EQ(choose("", "et, pl;q=0.3"), "pl");  // Estonian: not spoken here, Polish is
  // Nothing the gate speaks: the room's default. (Where CLDR says readers of a language
  // commonly read another, ICU offers that: Swahili readers get English, Armenian readers
  // Russian.)
  EXPECT_EQ(choose("", "et"), "it");
  EXPECT_EQ(choose("", "lv-LV, mk;q=0.5"), "it");
  EXPECT_EQ(choose("", "sw"), "en");
  EXPECT_EQ(choose("", "hy"), "ru");
  EXPECT_EQ(choose("", "*"), "it");
  EXPECT_EQ(choose("", ""), "it");
  EXPECT_EQ(choose("", "!!, ;q=x,,"), "it");  // garbage is no language, not an error
  // A language the visitor picked beats the browser's; one the gate lacks does not count.
  EXPECT_EQ(choose("ar", "ko-KR"), "ar");
  EXPECT_EQ(choose("ko-KR", "en"), "ko");
  EXPECT_EQ(choose("xx", "ko-KR"), "ko");
  EXPECT_EQ(choose("../../etc", "ko"), "ko");
}

}  // namespace
}  // namespace anteroom::gate
