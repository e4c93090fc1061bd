#include "server/core/outflow.h"

#include <algorithm>

namespace anteroom::core {
namespace {

// Observed outflow is trusted for estimates once this many admissions are in the window.
constexpr int kMinObservedAdmissions = 5;

}  // namespace

Outflow::Outflow(absl::Time created_at, int64_t admissions_per_minute)
    : bucket_(std::max(1.0, static_cast<double>(admissions_per_minute) / 60.0)),
      bucket_at_(created_at),
      observing_since_(created_at) {}

bool Outflow::TakeToken(absl::Time now, const RoomSettings& s) {
  if (s.admissions_per_minute <= 0) return true;
  const double per_second = static_cast<double>(s.admissions_per_minute) / 60.0;
  const double capacity = std::max(1.0, per_second);  // a burst of one second's worth
  if (now > bucket_at_) {
    bucket_ = std::min(capacity, bucket_ + absl::ToDoubleSeconds(now - bucket_at_) * per_second);
    bucket_at_ = now;
  }
  bucket_ = std::min(bucket_, capacity);  // the rate may have been lowered
  if (bucket_ < 1.0) return false;
  bucket_ -= 1.0;
  return true;
}

void Outflow::RecordAdmission(absl::Time now) {
  const int64_t second = absl::ToUnixSeconds(now);
  if (second > window_second_) {
    const int64_t shift = std::min<int64_t>(second - window_second_, 60);
    for (int64_t i = 1; i <= shift; ++i) per_second_[(window_second_ + i) % 60] = 0;
    window_second_ = second;
  }
  if (second > window_second_ - 60) ++per_second_[second % 60];
}

double Outflow::ObservedPerSecond(absl::Time now) const {
  const int64_t second = absl::ToUnixSeconds(now);
  int64_t count = 0;
  for (int64_t s = second - 59; s <= second; ++s) {
    if (s > window_second_ - 60 && s <= window_second_) count += per_second_[s % 60];
  }
  if (count < kMinObservedAdmissions) return 0;
  // Over the whole minute once observed that long; a young room's few seconds would make
  // one burst look like a rate.
  const double span = std::clamp(absl::ToDoubleSeconds(now - observing_since_), 10.0, 60.0);
  return static_cast<double>(count) / span;
}

double Outflow::PerSecond(absl::Time now, const RoomSettings& s) const {
  // Paused: what flowed out before says nothing about when anyone will be let in.
  if (s.queue_all) return 0;
  // Configured bound: the rate, and the budget turning over once per session TTL (every
  // session held for its full lease, the slowest the budget can free slots).
  double configured =
      static_cast<double>(s.max_active_sessions) / absl::ToDoubleSeconds(s.session_ttl);
  if (s.admissions_per_minute > 0) {
    configured = std::min(configured, static_cast<double>(s.admissions_per_minute) / 60.0);
  }
  const double observed = ObservedPerSecond(now);
  if (observed <= 0) return configured;
  // Observed outflow, never more optimistic than the configured rate allows.
  return s.admissions_per_minute > 0
             ? std::min(observed, static_cast<double>(s.admissions_per_minute) / 60.0)
             : observed;
}

Outflow::Estimate Outflow::ForPosition(int64_t position, int64_t queued, absl::Time now,
                                       const RoomSettings& s) const {
  Estimate e;
  const double outflow = PerSecond(now, s);
  if (outflow <= 0) {
    e.unknown = true;  // paused: resumed only by an operator, at a time nobody knows
  } else if (s.queueing_method == QueueingMethod::kRandom) {
    // Each admission picks uniformly among the n waiting: on average after half of them,
    // at worst after all of them (ignoring later arrivals, who share the odds).
    const double n = static_cast<double>(queued);
    e.wait = absl::Seconds((n + 1) / 2 / outflow);
    e.wait_max = absl::Seconds(n / outflow);
  } else {
    e.wait = absl::Seconds(static_cast<double>(position) / outflow);
    e.wait_max = e.wait;
  }
  e.poll_after = e.unknown ? kMaxPollAfter : PollAfter(e.wait);
  if (s.queueing_method != QueueingMethod::kRandom) {
    // The estimate is an average; the next slot may free at any moment. The head of the line
    // polls often (2 s per position, up to the usual hint), so it learns of its turn soon
    // after it comes.
    e.poll_after = std::min(e.poll_after, kMinPollAfter * position);
  }
  return e;
}

absl::Duration Outflow::PollAfter(absl::Duration wait) {
  return std::clamp(wait / 2, kMinPollAfter, kMaxPollAfter);
}

}  // namespace anteroom::core
