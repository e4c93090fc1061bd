#pragma once

#include <deque>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "client/waiting_room.h"
#include "wire/token.h"

namespace anteroom::testing {

// A client::WaitingRoom that answers as a test scripts it and records what it was asked:
// the gate's decisions tested against every answer Anteroom can give, without a server.
//
// Unscripted calls answer as a room with a free place would: Admit and Poll QUEUED at
// position 1 (with a ticket of the room), CheckSession valid, Leave true. Answers come before
// the call returns, or, while held (Hold), once released.
//
// Thread-safe.
class FakeWaitingRoom final : public client::WaitingRoom {
 public:
  struct AdmitCall {
    std::string room, client_id, source, entry_token;
    bool with_solution = false;
  };

  // The next answers, each used once, in order.
  void ScriptAdmit(absl::StatusOr<v1::VisitorStatus> answer) {
    base::MutexLock lock(&mu_);
    admits_.push_back(std::move(answer));
  }
  void ScriptPoll(absl::StatusOr<v1::VisitorStatus> answer) {
    base::MutexLock lock(&mu_);
    polls_.push_back(std::move(answer));
  }
  void ScriptCheck(client::SessionCheck answer) {
    base::MutexLock lock(&mu_);
    checks_.push_back(std::move(answer));
  }
  void ScriptLeave(absl::StatusOr<bool> answer) {
    base::MutexLock lock(&mu_);
    leaves_.push_back(std::move(answer));
  }
  void set_failure_mode(client::FailureMode mode) {
    base::MutexLock lock(&mu_);
    mode_ = mode;
  }

  // Answers before returning, unless held (Hold): then once released.
  void Admit(absl::string_view room, absl::string_view client_id, absl::string_view source,
             const v1::Solution* solution, absl::string_view entry_token,
             client::Done<absl::StatusOr<v1::VisitorStatus>> done) override {
    absl::StatusOr<v1::VisitorStatus> answer;
    {
      base::MutexLock lock(&mu_);
      admit_calls_.push_back({std::string(room), std::string(client_id), std::string(source),
                              std::string(entry_token), solution != nullptr});
      answer = Next(&admits_, Queued(room));
    }
    Answer(std::move(done), std::move(answer));
  }
  void Poll(const wire::Token& ticket,
            client::Done<absl::StatusOr<v1::VisitorStatus>> done) override {
    absl::StatusOr<v1::VisitorStatus> answer;
    {
      base::MutexLock lock(&mu_);
      polled_.push_back(ticket.text());
      answer = Next(&polls_, Queued(ticket.room()));
    }
    Answer(std::move(done), std::move(answer));
  }
  void Leave(const wire::Token& token, client::Done<absl::StatusOr<bool>> done) override {
    absl::StatusOr<bool> answer;
    {
      base::MutexLock lock(&mu_);
      left_.push_back(token.text());
      answer = Next(&leaves_, absl::StatusOr<bool>(true));
    }
    Answer(std::move(done), std::move(answer));
  }
  // Unscripted: valid. A check scripted as cached (SessionCheck::cached) answers at once
  // even while calls are held, as the real cache does from memory.
  void CheckSession(const wire::Token& session, client::Done<client::SessionCheck> done) override {
    client::SessionCheck answer;
    {
      base::MutexLock lock(&mu_);
      checked_.push_back(session.text());
      client::SessionCheck valid;
      valid.result = client::SessionCheck::Result::kValid;
      answer = Next(&checks_, valid);
    }
    if (answer.cached) return done(answer);
    Answer(std::move(done), std::move(answer));
  }
  client::FailureMode failure_mode() const override {
    base::MutexLock lock(&mu_);
    return mode_;
  }

  std::vector<AdmitCall> admit_calls() const {
    base::MutexLock lock(&mu_);
    return admit_calls_;
  }
  std::vector<std::string> polled() const {
    base::MutexLock lock(&mu_);
    return polled_;
  }
  // From now on, calls are answered only once released: a call under way, as a stalled
  // Anteroom leaves it.
  void Hold() {
    base::MutexLock lock(&mu_);
    held_ = true;
  }
  // Answers the held calls, on this thread, and stops holding.
  void Release() {
    std::vector<std::function<void()>> answers;
    {
      base::MutexLock lock(&mu_);
      held_ = false;
      answers.swap(held_answers_);
    }
    for (auto& answer : answers) answer();
  }
  size_t held() const {
    base::MutexLock lock(&mu_);
    return held_answers_.size();
  }
  std::vector<std::string> checked() const {
    base::MutexLock lock(&mu_);
    return checked_;
  }
  std::vector<std::string> left() const {
    base::MutexLock lock(&mu_);
    return left_;
  }

  // A token of `room` (of `kind`, numbered `id`), as Anteroom would make it.
  static std::string Token(wire::TokenKind kind, absl::string_view room, uint64_t id) {
    return wire::MakeToken(kind, room, id, wire::Secret{id * 7 + 1, id * 13 + 2});
  }
  // A QUEUED answer at `position` with ticket `id` of `room`.
  static v1::VisitorStatus Queued(absl::string_view room, uint64_t position = 1, uint64_t id = 1) {
    v1::VisitorStatus s;
    s.set_state(v1::QUEUED);
    s.set_room(std::string(room));
    s.set_ticket(Token(wire::TokenKind::kTicket, room, id));
    s.set_position(position);
    s.mutable_poll_after()->set_seconds(5);
    s.mutable_estimated_wait()->set_seconds(60 * static_cast<int64_t>(position));
    s.mutable_estimated_wait_max()->set_seconds(90 * static_cast<int64_t>(position));
    return s;
  }
  // An ADMITTED answer with session `id` of `room`.
  static v1::VisitorStatus Admitted(absl::string_view room, uint64_t id = 2) {
    v1::VisitorStatus s;
    s.set_state(v1::ADMITTED);
    s.set_room(std::string(room));
    s.set_session(Token(wire::TokenKind::kSession, room, id));
    return s;
  }

 private:
  template <typename T>
  static T Next(std::deque<T>* scripted, std::type_identity_t<T> otherwise) {
    if (!scripted->empty()) {
      otherwise = std::move(scripted->front());
      scripted->pop_front();
    }
    return otherwise;
  }
  template <typename T>
  void Answer(client::Done<T> done, T answer) {
    {
      base::MutexLock lock(&mu_);
      if (held_) {
        held_answers_.push_back(
            [done = std::move(done), answer = std::move(answer)] { done(answer); });
        return;
      }
    }
    done(std::move(answer));
  }

  mutable base::Mutex mu_;
  std::deque<absl::StatusOr<v1::VisitorStatus>> admits_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::StatusOr<v1::VisitorStatus>> polls_ ABSL_GUARDED_BY(mu_);
  std::deque<client::SessionCheck> checks_ ABSL_GUARDED_BY(mu_);
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::function<void()>> held_answers_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::StatusOr<bool>> leaves_ ABSL_GUARDED_BY(mu_);
  client::FailureMode mode_ ABSL_GUARDED_BY(mu_) = client::FailureMode::kFailClosed;
  std::vector<AdmitCall> admit_calls_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> polled_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> checked_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> left_ ABSL_GUARDED_BY(mu_);
};

}  // namespace anteroom::testing
