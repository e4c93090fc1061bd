// One network floods the waiting room through nginx as shipped, and honest visitors from
// other networks keep their places and order. The real anteroomd, anteroom-gate and nginx;
// each network is its own loopback address (127.0.N.M: a different /24 per N).

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/program.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/testing/http_get.h"
#include "tests/testing/nginx_stack.h"
#include "tests/testing/reflection_client.h"

namespace anteroom {
namespace {

constexpr char kAnteroomd[] = ANTEROOMD_PATH;
constexpr char kGate[] = ANTEROOM_GATE_PATH;
constexpr char kSource[] = ANTEROOM_SOURCE_DIR;
constexpr int kCap = 5;

class FloodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    anteroom::base::PromptGrpcReconnects();
    // Places are held for an hour: the honest visitors do not poll during the flood, however
    // long a loaded machine or an unoptimized build takes to send it.
    auto stack = testing::NginxStack::Start(
        {kAnteroomd,
         kGate,
         kSource,
         absl::StrCat("room { id: \"drop\" settings { max_active_sessions: 1 "
                      "place_hold { seconds: 3600 } max_places_per_source: ",
                      kCap, " } }\n"),
         "drop",
         {}});
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
  }

  // A page view from `from` carrying `cookie`: the reply.
  testing::HttpReply View(const std::string& from, const std::string& cookie = "") {
    auto reply = testing::PageView(stack_->site(), from, cookie);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : testing::HttpReply{};
  }

  // A visitor as a browser is one: the cookie check, then the page that places them. Their
  // cookie (a ticket or a session) from then on.
  std::string Arrive(const std::string& from) {
    const std::string id = View(from).CookiePair();
    EXPECT_TRUE(absl::StartsWith(id, "anteroom_drop=v.")) << id;
    const testing::HttpReply placed = View(from, id);
    return placed.CookiePair().empty() ? id : placed.CookiePair();
  }

  // The visitor's place in line, as the JSON mode tells it.
  std::string PositionOf(const std::string& from, const std::string& cookie) {
    auto reply = testing::HttpFetch(stack_->site(), "GET", "/",
                                    {{"Accept", "application/json"}, {"Cookie", cookie}}, from);
    if (!reply.ok()) return reply.status().ToString();
    const size_t at = reply->body.find("\"position\":");
    return at == std::string::npos
               ? reply->body
               : reply->body.substr(at + 11, reply->body.find(',', at) - at - 11);
  }

  int64_t Holding(const char* field) {
    testing::ReflectionClient admin(
        grpc::CreateChannel(stack_->daemon().admin_address(), grpc::InsecureChannelCredentials()));
    auto status = admin.Call("anteroom.v1.RoomAdmin/GetRoomStatus", R"({"room":"drop"})");
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? std::stoll(testing::JsonStringField(*status, field)) : -1;
  }

  std::unique_ptr<testing::NginxStack> stack_;
};

TEST_F(FloodTest, ANetworkHoldsNoMorePlacesThanItsCapAndHonestVisitorsKeepTheirOrder) {
  // Honest visitors first, each from their own network: the first is let in, three wait.
  std::vector<std::string> honest_from, honest;
  for (int n = 1; n <= 4; ++n) {
    honest_from.push_back(absl::StrCat("127.0.", 10 + n, ".1"));
    honest.push_back(Arrive(honest_from.back()));
  }
  ASSERT_TRUE(absl::StartsWith(honest[0], "anteroom_drop=s.")) << honest[0];
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(PositionOf(honest_from[i], honest[i]), absl::StrCat(i));

  // The flood, from 127.0.1.x (one /24): 10,000 requests that keep no cookie...
  const absl::Time start = absl::Now();
  int placed_by_flood = 0;
  for (int i = 0; i < 10'000; ++i) {
    const testing::HttpReply r = View(absl::StrCat("127.0.1.", 1 + i % 250));
    if (absl::StartsWith(r.CookiePair(), "anteroom_drop=t.") ||
        absl::StartsWith(r.CookiePair(), "anteroom_drop=s."))
      ++placed_by_flood;
  }
  EXPECT_EQ(placed_by_flood, 0) << "a cookieless request is never placed";
  EXPECT_EQ(Holding("queue_depth"), 3);
  // ...then 1,000 that bring their visitor id back (a script that keeps cookies but drops
  // each place it gets, to take another).
  int refused = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string from = absl::StrCat("127.0.1.", 1 + i % 250);
    const testing::HttpReply placed = View(from, View(from).CookiePair());
    if (placed.status == 503 && placed.Header("X-Anteroom-State") == "full") ++refused;
  }
  std::cout << "flood: 11,000 requests in " << absl::FormatDuration(absl::Now() - start) << ", "
            << refused << " refused over the cap\n";
  EXPECT_EQ(Holding("queue_depth"), 3 + kCap) << "the network holds its cap, no more";
  EXPECT_EQ(refused, 1000 - kCap);

  // The honest ones kept their places and their order; a newcomer from elsewhere queues
  // behind the network's capped places, not behind a thousand.
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(PositionOf(honest_from[i], honest[i]), absl::StrCat(i));
  const std::string late_from = "127.0.99.1";
  const std::string late = Arrive(late_from);
  EXPECT_EQ(PositionOf(late_from, late), absl::StrCat(3 + kCap + 1));
}

}  // namespace
}  // namespace anteroom
