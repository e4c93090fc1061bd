#include "client/gate/gate_options.h"

#include "gtest/gtest.h"

namespace anteroom::gate {
namespace {

// The message of ValidateGateOptions after `change`, or "ok".
template <typename Change>
std::string Check(Change change) {
  GateOptions o;
  change(o);
  const absl::Status s = ValidateGateOptions(o);
  if (!s.ok()) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  }
  return s.ok() ? "ok" : std::string(s.message());
}

TEST(GateOptionsTest, TheDefaultsAreValid) {
  EXPECT_EQ(Check([](GateOptions&) {}), "ok");
  EXPECT_EQ(Check([](GateOptions& o) { o.default_room = "shop"; }), "ok");
}

TEST(GateOptionsTest, EachBadValueIsRefusedNamingItsOption) {
  auto names = [](const std::string& message, const std::string& option) {
    return message.find(option) != std::string::npos;
  };
  EXPECT_PRED2(names, Check([](GateOptions& o) { o.default_room = "Shop!"; }), "room");
  EXPECT_PRED2(names, Check([](GateOptions& o) { o.cookie_same_site = "lax"; }),
               "cookie_same_site");
  EXPECT_PRED2(names, Check([](GateOptions& o) { o.cookie_secure = "yes"; }), "cookie_secure");
  EXPECT_PRED2(names, Check([](GateOptions& o) {
                 o.cookie_same_site = "None";
                 o.cookie_secure = "never";
               }),
               "cookie_same_site=None");
  EXPECT_PRED2(names, Check([](GateOptions& o) { o.min_refresh = absl::Milliseconds(500); }),
               "min_refresh");
  EXPECT_PRED2(names, Check([](GateOptions& o) { o.max_refresh = absl::Seconds(1); }),
               "max_refresh");
  EXPECT_PRED2(names, Check([](GateOptions& o) { o.retry_after = absl::ZeroDuration(); }),
               "retry_after");
  EXPECT_PRED2(names, Check([](GateOptions& o) { o.source_prefix_v4 = 33; }), "source_prefix_v4");
  EXPECT_PRED2(names, Check([](GateOptions& o) { o.source_prefix_v6 = 8; }), "source_prefix_v6");
  // What a route checks, the flags' route checks too.
  EXPECT_NE(Check([](GateOptions& o) { o.time_zone = "Mars/Olympus"; }), "ok");
  EXPECT_NE(Check([](GateOptions& o) { o.default_language = "xx"; }), "ok");
  EXPECT_NE(Check([](GateOptions& o) { o.queued_status = 302; }), "ok");
}

TEST(GateOptionsTest, TheFlagsMakeTheSingleRoutesDefaults) {
  GateOptions o;
  o.site_name = "Clinic";
  o.default_language = "ko";
  o.time_zone = "Asia/Seoul";
  o.queued_status = 429;
  const RouteDefaults d = RouteDefaultsOf(o);
  EXPECT_EQ(d.site_name, "Clinic");
  EXPECT_EQ(d.default_language, "ko");
  EXPECT_EQ(d.time_zone, "Asia/Seoul");
  EXPECT_EQ(d.queued_status, 429);
}

}  // namespace
}  // namespace anteroom::gate
