// Tokens nobody can forge: every single-character change of a real ticket or session token,
// every truncation, a token moved to another room, and a token replayed after it ended are
// refused cleanly (INVALID_ARGUMENT, NOT_FOUND or EXPIRED) and never reach anyone's place.

#include <string>

#include "absl/strings/str_cat.h"
#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/testing/in_process_server.h"

namespace anteroom {
namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

class ForgeryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.CreateRoom("hall", 1);
    server_.CreateRoom("other", 1);
    stub_ = v1::WaitingRoom::NewStub(
        grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials()));
    session_ = Admit("hall", "in").session();
    ticket_ = Admit("hall", "waiting").ticket();
    ASSERT_FALSE(session_.empty() || ticket_.empty());
  }

  v1::VisitorStatus Admit(const std::string& room, const std::string& client) {
    grpc::ClientContext ctx;
    v1::AdmitRequest req;
    req.set_room(room);
    req.set_client_id(client);
    v1::VisitorStatus resp;
    EXPECT_TRUE(stub_->Admit(&ctx, req, &resp).ok());
    return resp;
  }

  // What a forged `token` gets from Poll, Heartbeat and Leave; fails the test if any of
  // them treats it as a live place or session.
  void ExpectRefused(const std::string& token) {
    SCOPED_TRACE(token);
    {
      grpc::ClientContext ctx;
      v1::PollRequest req;
      req.set_ticket(token);
      v1::VisitorStatus resp;
      const grpc::Status s = stub_->Poll(&ctx, req, &resp);
      if (s.ok())
        EXPECT_EQ(resp.state(), v1::EXPIRED) << "a forged ticket polled";
      else
        EXPECT_TRUE(Clean(s)) << s.error_message();
    }
    {
      grpc::ClientContext ctx;
      v1::HeartbeatRequest req;
      req.set_session(token);
      v1::VisitorStatus resp;
      const grpc::Status s = stub_->Heartbeat(&ctx, req, &resp);
      if (s.ok())
        EXPECT_EQ(resp.state(), v1::EXPIRED) << "a forged session renewed";
      else
        EXPECT_TRUE(Clean(s)) << s.error_message();
    }
    {
      grpc::ClientContext ctx;
      v1::LeaveRequest req;
      req.set_token(token);
      v1::LeaveResponse resp;
      const grpc::Status s = stub_->Leave(&ctx, req, &resp);
      if (s.ok())
        EXPECT_FALSE(resp.ended()) << "a forged token ended someone's visit";
      else
        EXPECT_TRUE(Clean(s)) << s.error_message();
    }
  }

  static bool Clean(const grpc::Status& s) {
    return (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
            s.error_code() == grpc::StatusCode::NOT_FOUND) &&
           !s.error_message().empty();
  }

  // The real owners still hold their place and session.
  void ExpectOwnersIntact() {
    grpc::ClientContext poll_ctx;
    v1::PollRequest poll;
    poll.set_ticket(ticket_);
    v1::VisitorStatus waiting;
    ASSERT_TRUE(stub_->Poll(&poll_ctx, poll, &waiting).ok());
    EXPECT_EQ(waiting.state(), v1::QUEUED);
    EXPECT_EQ(waiting.position(), 1u);
    grpc::ClientContext beat_ctx;
    v1::HeartbeatRequest beat;
    beat.set_session(session_);
    v1::VisitorStatus in;
    ASSERT_TRUE(stub_->Heartbeat(&beat_ctx, beat, &in).ok());
    EXPECT_EQ(in.state(), v1::ADMITTED);
  }

  testing::InProcessServer server_;
  std::unique_ptr<v1::WaitingRoom::Stub> stub_;
  std::string session_, ticket_;
};

TEST_F(ForgeryTest, EveryCharacterChangedOfATicketOrASessionIsRefused) {
  int tried = 0;
  for (const std::string& real : {ticket_, session_}) {
    for (size_t i = 0; i < real.size(); ++i) {
      // Three other characters at every position, one of them from outside the alphabet.
      for (char c : {kBase64Url[(std::string(kBase64Url).find(real[i]) + 1) % 64],
                     kBase64Url[(std::string(kBase64Url).find(real[i]) + 37) % 64], '.'}) {
        if (c == real[i]) continue;
        std::string forged = real;
        forged[i] = c;
        ExpectRefused(forged);
        ++tried;
      }
    }
  }
  EXPECT_GT(tried, 200);
  ExpectOwnersIntact();
}

TEST_F(ForgeryTest, TruncatedLengthenedMovedAndSwappedTokensAreRefused) {
  for (const std::string& real : {ticket_, session_}) {
    for (size_t n = 0; n < real.size(); ++n) ExpectRefused(real.substr(0, n));
    ExpectRefused(real + "A");
    ExpectRefused(real + real);
    // Moved to another room: the same id and secret name nothing there.
    ExpectRefused("t.other." + real.substr(real.rfind('.') + 1));
    ExpectRefused("s.other." + real.substr(real.rfind('.') + 1));
    // A ticket's id and secret presented as a session, and the reverse.
    ExpectRefused((real[0] == 't' ? "s" : "t") + real.substr(1));
  }
  ExpectOwnersIntact();
}

TEST_F(ForgeryTest, ATokenReplayedAfterItEndedIsRefused) {
  const std::string gone = Admit("hall", "leaves").ticket();
  {
    grpc::ClientContext ctx;
    v1::LeaveRequest req;
    req.set_token(gone);
    v1::LeaveResponse resp;
    ASSERT_TRUE(stub_->Leave(&ctx, req, &resp).ok());
    ASSERT_TRUE(resp.ended());
  }
  ExpectRefused(gone);
  // The session lapses (5 minutes without a heartbeat): replaying it renews nothing.
  server_.clock().Advance(absl::Minutes(6));
  server_.rooms()->TickAll();
  ExpectRefused(session_);
}

}  // namespace
}  // namespace anteroom
