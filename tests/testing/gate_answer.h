#pragma once

#include <chrono>
#include <future>
#include <memory>

#include "client/gate/gate.h"
#include "gtest/gtest.h"

namespace anteroom::testing {

// The gate's answer to `request`, waited for on this thread (up to 30 s: a failure, answered
// as status 0, rather than a test that hangs).
inline gate::HttpResponse AnswerOf(gate::Gate& gate, gate::HttpRequest request) {
  auto answered = std::make_shared<std::promise<gate::HttpResponse>>();
  std::future<gate::HttpResponse> answer = answered->get_future();
  gate.Handle(std::move(request), [answered](gate::HttpResponse response) {
    answered->set_value(std::move(response));
  });
  if (answer.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    ADD_FAILURE() << "the gate did not answer within 30 s";
    gate::HttpResponse none;
    none.status = 0;
    return none;
  }
  return answer.get();
}

}  // namespace anteroom::testing
