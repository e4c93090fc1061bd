#include "client/gate/page_state.h"

#include <set>

#include "gtest/gtest.h"

namespace anteroom::gate {
namespace {

using K = PageState::Kind;
constexpr K kEveryKind[] = {K::kWaiting, K::kPrequeue,     K::kFull,      K::kUnavailable,
                            K::kLeft,    K::kConfirmLeave, K::kNotPlaced, K::kCookieCheck,
                            K::kBusy,    K::kChallenge};

TEST(PageStateTest, EveryStateHasOneNameAndItsTexts) {
  std::set<std::string> names;
  for (K kind : kEveryKind) {
    const absl::string_view name = KindName(kind);
    EXPECT_TRUE(names.insert(std::string(name)).second) << name << " twice";
    EXPECT_EQ(KindNamed(name), kind) << name;
    EXPECT_FALSE(TitleId(kind).empty()) << name;
    EXPECT_FALSE(SentenceId(kind).empty()) << name;
  }
  EXPECT_EQ(KindName(K::kConfirmLeave), "confirm_leave");
  EXPECT_FALSE(KindNamed("Waiting"));
  EXPECT_FALSE(KindNamed(""));
}

TEST(PageStateTest, WaitsAreWholeSecondsRoundedUp) {
  EXPECT_EQ(WholeSeconds(absl::ZeroDuration()), 0);
  EXPECT_EQ(WholeSeconds(absl::Milliseconds(1)), 1);
  EXPECT_EQ(WholeSeconds(absl::Seconds(90)), 90);
  EXPECT_EQ(WholeSeconds(absl::Milliseconds(90'001)), 91);
}

TEST(PageStateTest, ProgressRunsFromThePositionFirstSeenAndIsFullOnlyOnceIn) {
  PageState s;
  s.start_position = 10;
  s.position = 10;
  EXPECT_EQ(ProgressPercent(s), 0);
  s.position = 5;
  EXPECT_EQ(ProgressPercent(s), 50);
  s.position = 1;
  EXPECT_EQ(ProgressPercent(s), 90) << "their own turn is the last step";
  s.position = 12;  // moved back (a priority visitor ahead): from where they are now
  EXPECT_EQ(ProgressPercent(s), 0);
  s.start_position = 0;
  EXPECT_EQ(ProgressPercent(s), -1) << "unknown start";
  s.start_position = 1;
  s.position = 1;
  EXPECT_EQ(ProgressPercent(s), -1) << "nobody was ahead";
  s.start_position = 10;
  s.position = 5;
  s.kind = K::kPrequeue;
  EXPECT_EQ(ProgressPercent(s), -1) << "only while waiting in line";
}

}  // namespace
}  // namespace anteroom::gate
