#include "server/core/source_limits.h"

#include <algorithm>

namespace anteroom::core {

double SourceLimits::Refill(Entry& e, absl::Time now, int64_t per_minute) {
  const double capacity = static_cast<double>(per_minute);
  if (e.tokens < 0) {
    e.tokens = capacity;
  } else if (now > e.tokens_at) {
    e.tokens = std::min(capacity, e.tokens + absl::ToDoubleMinutes(now - e.tokens_at) * capacity);
  }
  e.tokens = std::min(e.tokens, capacity);  // the limit may have been lowered
  e.tokens_at = now;
  return e.tokens;
}

bool SourceLimits::Allows(SourceKey source, absl::Time now, const RoomSettings& s) {
  if (source == 0) return true;
  auto it = sources_.find(source);
  if (it == sources_.end()) return true;  // nothing held, a full bucket
  Entry& e = it->second;
  if (s.max_places_per_source > 0 && e.live >= s.max_places_per_source) return false;
  if (s.new_places_per_source_per_minute > 0 &&
      Refill(e, now, s.new_places_per_source_per_minute) < 1.0) {
    return false;
  }
  return true;
}

void SourceLimits::Took(SourceKey source, absl::Time now, const RoomSettings& s) {
  if (source == 0) return;
  Entry& e = sources_[source];
  ++e.live;
  if (s.new_places_per_source_per_minute > 0) {
    Refill(e, now, s.new_places_per_source_per_minute);
    e.tokens -= 1.0;
  }
}

void SourceLimits::Released(SourceKey source, absl::Time now) {
  if (source == 0) return;
  auto it = sources_.find(source);
  if (it == sources_.end()) return;
  if (--it->second.live <= 0) idle_.emplace_back(now, source);
}

void SourceLimits::Restored(SourceKey source) {
  if (source != 0) ++sources_[source].live;
}

int64_t SourceLimits::LivePlaces(SourceKey source) const {
  auto it = sources_.find(source);
  return it == sources_.end() ? 0 : it->second.live;
}

void SourceLimits::ForgetIdle(absl::Time now) {
  // A minute refills any bucket: forgetting a source then gives it nothing it lacked.
  while (!idle_.empty() && idle_.front().first + absl::Minutes(1) <= now) {
    auto it = sources_.find(idle_.front().second);
    if (it != sources_.end() && it->second.live <= 0) sources_.erase(it);
    idle_.pop_front();
  }
}

}  // namespace anteroom::core
