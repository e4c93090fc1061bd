// A stalled Anteroom cannot hold the gate hostage. The real binaries as shipped: nginx with
// deploy/nginx/'s snippets in front of anteroom-gate and anteroomd. anteroomd is stopped with
// SIGSTOP (its sockets stay open and nothing answers: a caller learns of it only from its own
// deadline). Admitted visitors whose sessions the gate verified less than
// --session_check_interval ago go on reaching the site, and each newcomer meanwhile is
// answered "temporarily unavailable" (the default failure mode, closed) within the gate's
// --call_timeout, never later.

#include <signal.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/program.h"
#include "gtest/gtest.h"
#include "tests/testing/http_get.h"
#include "tests/testing/nginx_stack.h"

namespace anteroom {
namespace {

constexpr char kAnteroomd[] = ANTEROOMD_PATH;
constexpr char kGate[] = ANTEROOM_GATE_PATH;
constexpr char kSource[] = ANTEROOM_SOURCE_DIR;
constexpr int kAdmitted = 10;
constexpr int kNewcomers = 8;
// The gate's --call_timeout, and what nginx and a loaded machine may add to it.
constexpr absl::Duration kCallTimeout = absl::Seconds(1);
constexpr absl::Duration kSlack = absl::Milliseconds(700);

std::string From(int i) { return absl::StrCat("127.0.", 10 + i, ".1"); }

TEST(GateStallTest, AStoppedAnteroomHoldsUpNoAdmittedVisitorAndNoOneBeyondTheCallTimeout) {
  base::PromptGrpcReconnects();
  auto stack =
      testing::NginxStack::Start({kAnteroomd,
                                  kGate,
                                  kSource,
                                  "room { id: \"clinic\" settings { max_active_sessions: 100 } }\n",
                                  "clinic",
                                  {"--call_timeout=1s", "--session_check_interval=30s"}});
  ASSERT_TRUE(stack.ok()) << stack.status();
  const std::string site = (*stack)->site();
  auto view = [&](int from, const std::string& cookie) {
    auto reply = testing::PageView(site, From(from), cookie);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : testing::HttpReply{};
  };

  // Admitted visitors, each verified by the gate (their session checked once).
  std::vector<std::string> sessions;
  for (int i = 0; i < kAdmitted; ++i) {
    const std::string id = view(i, "").CookiePair();
    ASSERT_TRUE(absl::StartsWith(id, "anteroom_clinic=v.")) << id;
    const testing::HttpReply in = view(i, id);
    ASSERT_EQ(in.status, 200) << in.body.substr(0, 300);
    sessions.push_back(in.CookiePair());
    ASSERT_EQ(view(i, sessions.back()).status, 200);
  }
  // Newcomers who already hold a visitor id: their next page view asks Anteroom for a place.
  std::vector<std::string> ids;
  for (int i = 0; i < kNewcomers; ++i) ids.push_back(view(kAdmitted + i, "").CookiePair());

  const pid_t anteroomd = (*stack)->daemon().pid();
  ASSERT_EQ(kill(anteroomd, SIGSTOP), 0);
  absl::Cleanup resume = [&] { kill(anteroomd, SIGCONT); };

  std::vector<absl::Duration> took(kNewcomers);
  std::vector<testing::HttpReply> answers(kNewcomers);
  std::vector<std::thread> newcomers;
  for (int i = 0; i < kNewcomers; ++i) {
    newcomers.emplace_back([&, i] {
      const absl::Time start = absl::Now();
      answers[i] = view(kAdmitted + i, ids[i]);
      took[i] = absl::Now() - start;
    });
  }
  int through = 0;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < kAdmitted; ++i) {
      const testing::HttpReply reply = view(i, sessions[i]);
      EXPECT_EQ(reply.status, 200) << "admitted visitor " << i << ": " << reply.body.substr(0, 200);
      through += reply.status == 200;
    }
  }
  for (std::thread& t : newcomers) t.join();
  EXPECT_EQ(through, 5 * kAdmitted);
  for (int i = 0; i < kNewcomers; ++i) {
    EXPECT_EQ(answers[i].status, 503) << answers[i].body.substr(0, 200);
    EXPECT_EQ(answers[i].Header("X-Anteroom-State"), "unavailable");
    EXPECT_LT(took[i], kCallTimeout + kSlack)
        << "newcomer " << i << " answered after " << absl::FormatDuration(took[i]);
    std::cout << "newcomer " << i << " answered unavailable after " << absl::FormatDuration(took[i])
              << "\n";
  }

  // Anteroom answers again: a newcomer gets in.
  std::move(resume).Invoke();
  EXPECT_TRUE(
      testing::WaitUntil([&] { return view(kAdmitted, ids[0]).status == 200; }, absl::Seconds(10)));
  if (::testing::Test::HasFailure()) std::cout << (*stack)->Logs() << "\n";
  if (absl::Status s = (*stack)->Stop(); !s.ok()) ADD_FAILURE() << s;
}

}  // namespace
}  // namespace anteroom
