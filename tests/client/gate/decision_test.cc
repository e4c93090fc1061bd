// The gate's admission decision against every answer Anteroom can give (a scripted fake):
// what a visitor is shown, what their cookie becomes, what is counted. No HTTP, no server.

#include "client/gate/decision.h"

#include <optional>

#include "absl/strings/match.h"
#include "client/gate/visitor.h"
#include "gtest/gtest.h"
#include "tests/client/gate/fake_waiting_room.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::gate {
namespace {

using testing::FakeWaitingRoom;
using K = PageState::Kind;
using Decisions = std::vector<absl::string_view>;

constexpr char kRoom[] = "hall";

class DecisionTest : public ::testing::Test {
 protected:
  DecisionTest() : signer_(*wire::Signer::FromKeys({std::string(40, 'k')})) {}

  Decider MakeDecider(bool cookie_check = true) {
    DecisionOptions options;
    options.cookie_check = cookie_check;
    return Decider(options, &anteroom_, &signer_, &random_);
  }
  // A request with `cookie` as the room's cookie value.
  RequestFacts Facts(absl::string_view cookie = "") {
    RequestFacts facts;
    facts.room = kRoom;
    facts.cookie = ReadVisitorCookie(cookie, kRoom);
    facts.source = "net1";
    return facts;
  }
  std::string Ticket(uint64_t id = 1) {
    return FakeWaitingRoom::Token(wire::TokenKind::kTicket, kRoom, id);
  }
  std::string Session(uint64_t id = 2) {
    return FakeWaitingRoom::Token(wire::TokenKind::kSession, kRoom, id);
  }

  // Decides, and checks that the answer came before Decide returned (the fake answers at once).
  static Outcome DecideNow(const Decider& decider, RequestFacts facts) {
    std::optional<Outcome> decided;
    decider.Decide(std::move(facts), [&decided](Outcome o) { decided = std::move(o); });
    EXPECT_TRUE(decided.has_value()) << "not answered at once";
    return decided ? *std::move(decided) : Outcome();
  }

  FakeWaitingRoom anteroom_;
  wire::Signer signer_;
  testing::SeededRandom random_;
};

TEST_F(DecisionTest, ANewcomerFirstGetsAVisitorIdToBringBackAndNoPlace) {
  const Outcome o = DecideNow(MakeDecider(), Facts());
  EXPECT_FALSE(o.pass);
  EXPECT_EQ(o.page.kind, K::kCookieCheck);
  EXPECT_EQ(o.page.refresh_after, absl::Seconds(1));
  ASSERT_TRUE(o.cookie.has_value());
  EXPECT_TRUE(absl::StartsWith(*o.cookie, "v.")) << *o.cookie;
  EXPECT_TRUE(anteroom_.admit_calls().empty()) << "no place before the id comes back";
  EXPECT_EQ(o.decisions, Decisions{"cookie_check"});
}

TEST_F(DecisionTest, TheIdBroughtBackIsAdmittedUnderItAndQueued) {
  const Decider decider = MakeDecider();
  const std::string id_cookie = *DecideNow(decider, Facts()).cookie;
  anteroom_.ScriptAdmit(FakeWaitingRoom::Queued(kRoom, 12));
  const Outcome o = DecideNow(decider, Facts(id_cookie));
  ASSERT_EQ(anteroom_.admit_calls().size(), 1u);
  const FakeWaitingRoom::AdmitCall call = anteroom_.admit_calls()[0];
  EXPECT_EQ(call.room, kRoom);
  EXPECT_EQ(call.source, "net1");
  EXPECT_TRUE(absl::StrContains(id_cookie, call.client_id)) << "placed under the id it brought";
  EXPECT_EQ(o.page.kind, K::kWaiting);
  EXPECT_EQ(o.page.position, 12u);
  EXPECT_EQ(o.page.start_position, 12u);
  EXPECT_EQ(o.page.refresh_after, absl::Seconds(5));
  EXPECT_EQ(*o.cookie, Ticket() + "~12") << "the ticket, and the position first seen";
  EXPECT_EQ(o.decisions, Decisions{"wait"});
}

TEST_F(DecisionTest, AnIdSignedForAnotherRoomOrWithOtherKeysIsNoId) {
  const std::string hall_id = *DecideNow(MakeDecider(), Facts()).cookie;
  RequestFacts other = Facts(hall_id);
  other.room = "other";
  other.cookie = ReadVisitorCookie(hall_id, "other");
  EXPECT_EQ(DecideNow(MakeDecider(), other).page.kind, K::kCookieCheck);
  std::string forged = hall_id;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(DecideNow(MakeDecider(), Facts(forged)).page.kind, K::kCookieCheck);
  EXPECT_TRUE(anteroom_.admit_calls().empty());
}

TEST_F(DecisionTest, WithoutTheCookieCheckANewcomerIsPlacedAtOnce) {
  const Outcome o = DecideNow(MakeDecider(/*cookie_check=*/false), Facts());
  EXPECT_EQ(anteroom_.admit_calls().size(), 1u);
  EXPECT_EQ(o.page.kind, K::kWaiting);
}

TEST_F(DecisionTest, ARequestThatCannotShowAPageTakesNoPlace) {
  RequestFacts facts = Facts();
  facts.can_show_page = false;
  const Outcome o = DecideNow(MakeDecider(false), facts);
  EXPECT_EQ(o.page.kind, K::kNotPlaced);
  EXPECT_FALSE(o.cookie.has_value());
  EXPECT_TRUE(anteroom_.admit_calls().empty());
}

TEST_F(DecisionTest, AnAdmittedNewcomerPassesWithTheSessionAndArrives) {
  anteroom_.ScriptAdmit(FakeWaitingRoom::Admitted(kRoom));
  const Outcome o = DecideNow(MakeDecider(false), Facts());
  EXPECT_TRUE(o.pass);
  EXPECT_EQ(*o.cookie, Session());
  EXPECT_EQ(anteroom_.checked(), std::vector<std::string>{Session()})
      << "this request is the arrival: the session is checked (and cached) at once";
  EXPECT_EQ(o.decisions, Decisions{"pass"});
}

TEST_F(DecisionTest, ASessionPassesWhileValidAndEntersAnewOnceEnded) {
  const Decider decider = MakeDecider();
  Outcome o = DecideNow(decider, Facts(Session()));
  EXPECT_TRUE(o.pass);
  EXPECT_FALSE(o.cookie.has_value()) << "the cookie stays";
  client::SessionCheck ended;
  ended.result = client::SessionCheck::Result::kEnded;
  anteroom_.ScriptCheck(ended);
  o = DecideNow(decider, Facts(Session()));
  EXPECT_FALSE(o.pass);
  EXPECT_EQ(o.page.kind, K::kCookieCheck) << "an ended session buys no place";
}

TEST_F(DecisionTest, ADecisionThatAsksAnteroomIsAnsweredWhenAnteroomAnswers) {
  const Decider decider = MakeDecider();
  anteroom_.Hold();
  std::optional<Outcome> polled;
  decider.Decide(Facts(Ticket() + "~4"), [&](Outcome o) { polled = std::move(o); });
  EXPECT_FALSE(polled.has_value()) << "Decide returned without waiting for the Poll";
  ASSERT_EQ(anteroom_.held(), 1u);

  // Meanwhile a session the cache holds as valid is decided at once, with no call.
  client::SessionCheck cached;
  cached.result = client::SessionCheck::Result::kValid;
  cached.cached = true;
  anteroom_.ScriptCheck(cached);
  std::optional<Outcome> admitted;
  decider.Decide(Facts(Session()), [&](Outcome o) { admitted = std::move(o); });
  ASSERT_TRUE(admitted.has_value());
  EXPECT_TRUE(admitted->pass);
  EXPECT_EQ(anteroom_.held(), 1u);

  anteroom_.Release();
  ASSERT_TRUE(polled.has_value());
  EXPECT_EQ(polled->page.kind, K::kWaiting);
  EXPECT_EQ(polled->page.start_position, 4u);
}

TEST_F(DecisionTest, WhenAnteroomIsUnreachableTheFailureModeDecidesAndPlacesAreKept) {
  const Decider decider = MakeDecider();
  client::SessionCheck unreachable;
  unreachable.result = client::SessionCheck::Result::kUnreachable;
  unreachable.status = absl::UnavailableError("down");
  anteroom_.ScriptCheck(unreachable);
  Outcome o = DecideNow(decider, Facts(Session()));
  EXPECT_EQ(o.page.kind, K::kUnavailable);
  EXPECT_EQ(o.page.refresh_after, absl::Seconds(30));
  EXPECT_EQ(o.error.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(o.decisions, Decisions{"unavailable"});
  anteroom_.ScriptPoll(absl::DeadlineExceededError("slow"));
  o = DecideNow(decider, Facts(Ticket() + "~4"));
  EXPECT_EQ(o.page.kind, K::kUnavailable);
  EXPECT_FALSE(o.cookie.has_value()) << "the place is kept";

  anteroom_.set_failure_mode(client::FailureMode::kFailOpen);
  anteroom_.ScriptPoll(absl::UnavailableError("down"));
  o = DecideNow(decider, Facts(Ticket()));
  EXPECT_TRUE(o.pass);
  EXPECT_TRUE(o.failed_open);
  EXPECT_EQ(o.decisions, Decisions{"fail_open"});
}

TEST_F(DecisionTest, ARefusalIsAMisconfigurationAndNeverFailsOpen) {
  anteroom_.set_failure_mode(client::FailureMode::kFailOpen);
  anteroom_.ScriptAdmit(absl::NotFoundError("room hall not found"));
  const Outcome o = DecideNow(MakeDecider(false), Facts());
  EXPECT_FALSE(o.pass);
  EXPECT_EQ(o.page.kind, K::kUnavailable);
  EXPECT_EQ(o.decisions, Decisions{"error"});
}

TEST_F(DecisionTest, WhenAnteroomShedsLoadTheVisitorRetriesSoonAndKeepsTheirCookie) {
  anteroom_.ScriptPoll(absl::ResourceExhaustedError("overloaded"));
  const Outcome o = DecideNow(MakeDecider(), Facts(Ticket()));
  EXPECT_EQ(o.page.kind, K::kBusy);
  EXPECT_GE(o.page.refresh_after, absl::Seconds(2));
  EXPECT_LT(o.page.refresh_after, absl::Seconds(5));
  EXPECT_FALSE(o.cookie.has_value());
  EXPECT_EQ(o.decisions, Decisions{"busy"});
}

TEST_F(DecisionTest, AWaitingVisitorsPollKeepsThePositionFirstSeen) {
  anteroom_.ScriptPoll(FakeWaitingRoom::Queued(kRoom, 3));
  const Outcome o = DecideNow(MakeDecider(), Facts(Ticket() + "~40"));
  EXPECT_EQ(anteroom_.polled(), std::vector<std::string>{Ticket()});
  EXPECT_EQ(o.page.position, 3u);
  EXPECT_EQ(o.page.start_position, 40u);
  EXPECT_FALSE(o.cookie.has_value());
  EXPECT_EQ(ProgressPercent(o.page), 92);
}

TEST_F(DecisionTest, AnEndedOrUnknownTicketEntersAnew) {
  v1::VisitorStatus expired;
  expired.set_state(v1::EXPIRED);
  anteroom_.ScriptPoll(expired);
  EXPECT_EQ(DecideNow(MakeDecider(), Facts(Ticket())).page.kind, K::kCookieCheck);
  anteroom_.ScriptPoll(absl::NotFoundError("no such ticket"));
  EXPECT_EQ(DecideNow(MakeDecider(), Facts(Ticket())).page.kind, K::kCookieCheck);
  // Another room's token in this room's cookie is no token of this room.
  const std::string other = FakeWaitingRoom::Token(wire::TokenKind::kTicket, "other", 1);
  EXPECT_EQ(DecideNow(MakeDecider(), Facts(other)).page.kind, K::kCookieCheck);
  EXPECT_EQ(anteroom_.polled().size(), 2u);
}

TEST_F(DecisionTest, AFullRoomTurnsTheVisitorAwayAndClearsTheCookie) {
  v1::VisitorStatus rejected;
  rejected.set_state(v1::REJECTED);
  rejected.set_reason("queue full");
  anteroom_.ScriptAdmit(rejected);
  const Outcome o = DecideNow(MakeDecider(false), Facts());
  EXPECT_EQ(o.page.kind, K::kFull);
  EXPECT_EQ(o.page.reason, "queue full");
  EXPECT_EQ(*o.cookie, "") << "cleared";
  EXPECT_EQ(o.decisions, Decisions{"full"});
}

TEST_F(DecisionTest, AChallengeIsForTheVisitorIdItWasIssuedTo) {
  v1::VisitorStatus challenged;
  challenged.set_state(v1::CHALLENGED);
  challenged.mutable_challenge()->set_salt("s");
  challenged.mutable_challenge()->set_challenge("c");
  challenged.mutable_challenge()->set_signature("g");
  challenged.mutable_challenge()->set_max_number(1000);
  anteroom_.ScriptAdmit(challenged);
  Outcome o = DecideNow(MakeDecider(false), Facts());
  EXPECT_EQ(o.page.kind, K::kChallenge);
  EXPECT_EQ(o.page.challenge.max_number, 1000u);
  EXPECT_EQ(o.page.challenge.cookie, "anteroom-pow_hall");
  ASSERT_TRUE(o.cookie.has_value()) << "the new id goes with the challenge";
  const std::string id = *o.cookie;
  // The solution comes back with that id.
  RequestFacts solved = Facts(id);
  solved.solution = ParseSolution("s.c.g.42");
  ASSERT_TRUE(solved.solution.has_value());
  anteroom_.ScriptAdmit(FakeWaitingRoom::Queued(kRoom, 1));
  o = DecideNow(MakeDecider(false), solved);
  EXPECT_EQ(o.page.kind, K::kWaiting);
  ASSERT_EQ(anteroom_.admit_calls().size(), 2u);
  EXPECT_EQ(anteroom_.admit_calls()[0].client_id, anteroom_.admit_calls()[1].client_id);
  EXPECT_TRUE(anteroom_.admit_calls()[1].with_solution);
}

TEST_F(DecisionTest, ARefusedEntryTokenCountsForNothing) {
  anteroom_.ScriptAdmit(absl::InvalidArgumentError("entry_token has expired"));
  RequestFacts facts = Facts();
  facts.entry_token = "e.bad";
  const Outcome o = DecideNow(MakeDecider(false), facts);
  ASSERT_EQ(anteroom_.admit_calls().size(), 2u);
  EXPECT_EQ(anteroom_.admit_calls()[0].entry_token, "e.bad");
  EXPECT_EQ(anteroom_.admit_calls()[1].entry_token, "") << "placed as anyone is";
  EXPECT_EQ(o.page.kind, K::kWaiting);
  EXPECT_EQ(o.decisions, (Decisions{"entry_refused", "wait"}));
}

TEST_F(DecisionTest, ThePageReloadsAtTheHintWithinTheBounds) {
  v1::VisitorStatus fast = FakeWaitingRoom::Queued(kRoom);
  fast.mutable_poll_after()->set_seconds(0);
  v1::VisitorStatus slow = FakeWaitingRoom::Queued(kRoom);
  slow.mutable_poll_after()->set_seconds(600);
  anteroom_.ScriptPoll(fast);
  anteroom_.ScriptPoll(slow);
  EXPECT_EQ(DecideNow(MakeDecider(), Facts(Ticket())).page.refresh_after, absl::Seconds(2));
  EXPECT_EQ(DecideNow(MakeDecider(), Facts(Ticket())).page.refresh_after, absl::Seconds(20));
}

}  // namespace
}  // namespace anteroom::gate
