#include "server/service/load_shedder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace anteroom::service {

absl::Status LoadShedder::Enter(CallLane lane, absl::Time deadline) {
  if (deadline <= clock_->Now()) {
    return absl::DeadlineExceededError(
        "the call's deadline passed before it was handled; nothing was done");
  }
  const int64_t before = in_flight_.fetch_add(1, std::memory_order_relaxed);
  if (max_in_flight_ > 0) {
    const int64_t limit =
        lane == CallLane::kNewcomer ? std::max<int64_t>(1, max_in_flight_ / 2) : max_in_flight_;
    if (before >= limit) {
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
      return absl::ResourceExhaustedError(absl::StrCat(
          "overloaded: ", before, " calls in flight; ",
          lane == CallLane::kNewcomer ? "new places wait while those in line are served"
                                      : "every lane is full",
          "; retry in a few seconds"));
    }
  }
  return absl::OkStatus();
}

void LoadShedder::Exit() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

absl::string_view ShedReason(const absl::Status& entered) {
  switch (entered.code()) {
    case absl::StatusCode::kOk:
      return "";
    case absl::StatusCode::kDeadlineExceeded:
      return "deadline";
    default:
      return "overload";
  }
}

}  // namespace anteroom::service
