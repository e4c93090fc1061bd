// anteroom-gate --preview: any page of any room in any language, before the event.

#include "client/gate/preview.h"

#include <set>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace anteroom::gate {
namespace {

std::shared_ptr<const RouteTable> TwoRooms() {
  auto table = RouteTable::Parse("routes.textproto", R"(
route { host: "a.example" room: "vaccines" site_name: "보건소" default_language: "ko"
        time_zone: "Asia/Seoul" }
route { host: "b.example" room: "tickets" site_name: "Teatro" time_zone: "Europe/Rome" }
route { host: "c.example" room: "tickets" }
)",
                                 "", RouteDefaults(), *Catalogs::Builtin());
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *table : nullptr;
}

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TEST(PreviewTest, EveryStateOfEveryRoomInEveryLanguage) {
  const Catalogs& catalogs = *Catalogs::Builtin();
  auto all = RenderPreviews("all", *TwoRooms(), catalogs, kNow);
  ASSERT_TRUE(all.ok()) << all.status();
  // Two rooms (tickets once, though two routes serve it), nine states, 38 languages.
  EXPECT_EQ(all->size(), 2u * 9u * catalogs.Tags().size());
  std::set<std::string> names;
  for (const PreviewPage& page : *all) {
    names.insert(page.name);
    EXPECT_TRUE(absl::StartsWith(page.html, "<!DOCTYPE html>")) << page.name;
  }
  EXPECT_EQ(names.size(), all->size());
  EXPECT_TRUE(names.contains("vaccines-prequeue-ko.html"));
  EXPECT_TRUE(names.contains("tickets-challenge-ar.html"));
}

TEST(PreviewTest, OnePageAsTheRoomsRouteDrawsIt) {
  auto pages = RenderPreviews("vaccines/prequeue/ko", *TwoRooms(), *Catalogs::Builtin(), kNow);
  ASSERT_TRUE(pages.ok()) << pages.status();
  ASSERT_EQ(pages->size(), 1u);
  const std::string& html = (*pages)[0].html;
  EXPECT_NE(html.find("<html lang=\"ko\""), std::string::npos);
  EXPECT_NE(html.find("보건소"), std::string::npos);
  EXPECT_NE(html.find("대한민국 표준시"), std::string::npos) << html;  // the room's zone
  auto italian = RenderPreviews("tickets/waiting/it-IT", *TwoRooms(), *Catalogs::Builtin(), kNow);
  ASSERT_TRUE(italian.ok()) << italian.status();
  EXPECT_EQ((*italian)[0].name, "tickets-waiting-it.html");
  EXPECT_NE((*italian)[0].html.find("1.234"), std::string::npos);  // the sample place in line
}

TEST(PreviewTest, AnUnknownPartIsNamed) {
  auto error = [](const std::string& spec) {
    auto pages = RenderPreviews(spec, *TwoRooms(), *Catalogs::Builtin(), kNow);
    return pages.ok() ? std::string("rendered") : std::string(pages.status().message());
  };
  EXPECT_EQ(error("concert/*/*"),
            "--preview: no route has the room \"concert\" (rooms: tickets, vaccines)");
  EXPECT_TRUE(absl::StartsWith(error("*/queued/*"), "--preview: no state \"queued\" (states: "));
  EXPECT_TRUE(absl::StartsWith(error("*/*/tlhx"), "--preview: no catalog for \"tlhx\""));
  EXPECT_EQ(error("vaccines/waiting"),
            "--preview: \"vaccines/waiting\" is not ROOM/STATE/LANGUAGE (or all)");
}

}  // namespace
}  // namespace anteroom::gate
