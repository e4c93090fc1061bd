#include "server/service/serving_rooms.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "base/log.h"

namespace anteroom::service {

RoomManager* ServingRooms::Acquire() {
  // Counted before the rooms are read: Withdraw clears them before it reads the count, so it
  // sees every call that got them.
  holds_.fetch_add(1);
  RoomManager* rooms = rooms_.load();
  if (rooms != nullptr) {
    const int64_t until = until_ns_.load(std::memory_order_relaxed);
    if (until != INT64_MAX && absl::ToUnixNanos(clock_->Monotonic()) >= until) rooms = nullptr;
  }
  if (rooms == nullptr) Release();
  return rooms;
}

void ServingRooms::ServeUntil(absl::Time until) {
  if (clock_ == nullptr) {
    ANTEROOM_LOG(kError, "ServingRooms::ServeUntil needs a clock (a programming error)");
    std::abort();
  }
  until_ns_.store(until == absl::InfiniteFuture() ? INT64_MAX : absl::ToUnixNanos(until),
                  std::memory_order_relaxed);
}

void ServingRooms::Release() {
  if (holds_.fetch_sub(1) == 1) {
    base::MutexLock lock(&mu_);
    released_.SignalAll();
  }
}

void ServingRooms::Serve(RoomManager* rooms) { rooms_.store(rooms); }

bool ServingRooms::Withdraw(absl::Duration timeout) {
  rooms_.store(nullptr);
  const absl::Time deadline = real_clock_->Monotonic() + timeout;
  base::MutexLock lock(&mu_);
  while (holds_.load() > 0) {
    const absl::Duration left = deadline - real_clock_->Monotonic();
    if (left <= absl::ZeroDuration()) return false;
    released_.WaitWithTimeout(&mu_, std::min(left, absl::Milliseconds(50)));
  }
  return true;
}

void ServingRooms::WaitReleased() {
  const absl::Time started = real_clock_->Monotonic();
  absl::Time logged = started;
  base::MutexLock lock(&mu_);
  // A bounded wait per round: a Release between the check and the wait is seen next round.
  while (holds_.load() > 0) {
    released_.WaitWithTimeout(&mu_, absl::Milliseconds(50));
    if (real_clock_->Monotonic() - logged > absl::Seconds(10)) {
      logged = real_clock_->Monotonic();
      ANTEROOM_LOG(kWarning, "still waiting for %d call(s) to be answered, after %s", holds_.load(),
                   absl::FormatDuration(logged - started));
    }
  }
}

absl::Status ServingRooms::NotServing(absl::string_view api,
                                      const std::string& owner_address) const {
  if (owner_address.empty()) {
    return absl::UnavailableError(
        "this Anteroom node serves no rooms right now (it is a standby, or is handing over: "
        "a failover is under way); retry in a moment");
  }
  return absl::UnavailableError(absl::StrCat("this Anteroom node is a standby; the ", api,
                                             " of the owner is ", owner_address));
}

}  // namespace anteroom::service
