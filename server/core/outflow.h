#pragma once

#include <array>
#include <cstdint>

#include "absl/time/time.h"
#include "server/core/settings.h"

namespace anteroom::core {

// How fast one room lets visitors in, and what it tells them about it: the token bucket of
// admissions_per_minute, the admissions from the queue observed over the last minute, and
// the estimated waits and refresh hints built on them.
//
// Guarantees (tests/core/outflow_test.cc):
// - Admissions never exceed admissions_per_minute beyond a burst of one second's worth (at
//   least one); a lowered rate takes effect at once.
// - Estimates use the observed outflow once 5 admissions were seen, never more optimistic
//   than the configured rate; before that the configured bound. A paused room (queue_all)
//   has no outflow, and its estimates are unknown.
// - A refresh hint is about half the wait, between 2 s and 20 s, and at most 2 s per place
//   outside RANDOM rooms (the head of the line learns of its turn within 2 s).
//
// Not thread-safe: the owning Room is.
class Outflow {
 public:
  // The bounds of a refresh hint: 2 s near the front, the customary 20 s of a waiting page.
  static constexpr absl::Duration kMinPollAfter = absl::Seconds(2);
  static constexpr absl::Duration kMaxPollAfter = absl::Seconds(20);

  // A room created at `created_at` with `admissions_per_minute`: the bucket starts full.
  Outflow(absl::Time created_at, int64_t admissions_per_minute);

  // Takes one admission from the bucket if the rate allows one at `now` (always, when the
  // rate is unlimited).
  bool TakeToken(absl::Time now, const RoomSettings& s);
  // A visitor was admitted from the queue at `now`: the basis of estimates.
  void RecordAdmission(absl::Time now);

  // Admissions per second observed over the last minute; 0 until enough were seen.
  double ObservedPerSecond(absl::Time now) const;
  // Admissions per second to base estimates on (see the class comment); 0 when paused.
  double PerSecond(absl::Time now, const RoomSettings& s) const;

  struct Estimate {
    absl::Duration wait = absl::ZeroDuration();
    absl::Duration wait_max = absl::ZeroDuration();
    bool unknown = false;  // no outflow: the waits are zero and mean nothing
    absl::Duration poll_after = absl::ZeroDuration();
  };
  // For the visitor at `position` of `queued` (RANDOM rooms: a range over all of them).
  Estimate ForPosition(int64_t position, int64_t queued, absl::Time now,
                       const RoomSettings& s) const;

 private:
  static absl::Duration PollAfter(absl::Duration wait);

  double bucket_;
  absl::Time bucket_at_;
  std::array<int32_t, 60> per_second_{};
  int64_t window_second_ = 0;  // Unix second of the newest entry of per_second_
  absl::Time observing_since_;
};

}  // namespace anteroom::core
