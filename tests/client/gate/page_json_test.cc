#include "client/gate/page_json.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/gate/catalog.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace anteroom::gate {
namespace {

TEST(PageJsonTest, JsonIsValidInEveryStateAndLanguage) {
  using K = PageState::Kind;
  for (K kind : {K::kWaiting, K::kPrequeue, K::kFull, K::kUnavailable, K::kLeft, K::kConfirmLeave,
                 K::kNotPlaced, K::kCookieCheck, K::kBusy, K::kChallenge}) {
    for (const char* tag : {"en", "ar", "zh-Hant"}) {
      PageState s;
      s.kind = kind;
      s.room = "r";
      s.position = 2;
      s.reason = "say \"no\" <b>";
      s.event_starts_at = absl::UnixEpoch() + absl::Hours(1);
      s.challenge.salt = "s\\";
      PageContext context;
      context.site_name = "a \"site\"";
      context.language = Catalogs::Builtin()->Find(tag);
      const std::string json = RenderJson(s, context);
      // Valid JSON (the fields are read as text: protobuf's map code inlined into a
      // ThreadSanitizer build does not agree with Debian's library).
      google::protobuf::Value parsed;
      ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok())
          << KindName(kind) << " " << tag << ": " << json;
      EXPECT_TRUE(absl::StartsWith(json, absl::StrCat("{\"state\":\"", KindName(kind), "\"")));
      EXPECT_TRUE(absl::StrContains(json, absl::StrCat("\"language\":\"", tag, "\",\"title\":\"")))
          << json;
      EXPECT_EQ(absl::StrContains(json, "\"challenge\":{"), kind == K::kChallenge) << json;
    }
  }
}

TEST(PageJsonTest, JsonCarriesTheTextsInTheVisitorsLanguage) {
  PageState s;
  s.kind = PageState::Kind::kWaiting;
  s.position = 3;
  s.estimated_wait = absl::Minutes(2);
  PageContext context;
  context.language = Catalogs::Builtin()->Find("ko");
  const std::string json = RenderJson(s, context);
  EXPECT_NE(json.find("\"language\":\"ko\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"estimated_wait_text\":\"약 2분\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"event_starts_at_text\":null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"title\":\"대기"), std::string::npos) << json;
}

TEST(PageJsonTest, ThePagesPolicyLoadsNothingAndRunsOnlyTheSolverByItsHash) {
  const std::string& policy = PageSecurityPolicy();
  EXPECT_TRUE(absl::StartsWith(policy, "default-src 'none'")) << policy;
  EXPECT_TRUE(absl::StrContains(policy, "script-src 'sha256-")) << policy;
  EXPECT_FALSE(absl::StrContains(policy, "script-src 'unsafe")) << policy;
  EXPECT_TRUE(absl::StrContains(policy, "base-uri 'none'")) << policy;
  EXPECT_EQ(&PageSecurityPolicy(), &policy) << "computed once";
}

}  // namespace
}  // namespace anteroom::gate
