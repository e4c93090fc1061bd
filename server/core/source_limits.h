#pragma once

#include <cstdint>
#include <deque>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "server/core/settings.h"

namespace anteroom::core {

// A visitor's network as the gateway names it: 48 bits of a keyed hash of the address
// prefix (a /24 or /56), never an address. 0: none given.
using SourceKey = uint64_t;
inline constexpr SourceKey kSourceKeyMask = (SourceKey{1} << 48) - 1;

// Per-source caps of one room: how many live places (waiting or admitted) each source holds,
// and a token bucket of new places per minute (a burst of a minute's worth). A source that
// holds no place is forgotten a minute later (by then its bucket is full again), so memory
// follows the sources active now.
//
// Not thread-safe: the owning Room is.
class SourceLimits {
 public:
  // Whether `source` may take one more place at `now` under `s` (always for no source, or
  // when the room sets no per-source limit).
  bool Allows(SourceKey source, absl::Time now, const RoomSettings& s);
  // `source` took a place at `now` (one token of its bucket, one more live place).
  void Took(SourceKey source, absl::Time now, const RoomSettings& s);
  // A place of `source` ended at `now` (or, restoring, `Restored` counts one without a token).
  void Released(SourceKey source, absl::Time now);
  void Restored(SourceKey source);
  // Forgets the sources that have held no place for a minute by `now`.
  void ForgetIdle(absl::Time now);

  int64_t LivePlaces(SourceKey source) const;
  size_t sources() const { return sources_.size(); }

 private:
  struct Entry {
    int64_t live = 0;
    double tokens = -1;  // < 0: a full bucket
    absl::Time tokens_at;
  };
  // Refills `e`'s bucket to `now` under `per_minute`; returns the tokens.
  static double Refill(Entry& e, absl::Time now, int64_t per_minute);

  absl::flat_hash_map<SourceKey, Entry> sources_;
  std::deque<std::pair<absl::Time, SourceKey>> idle_;  // when each went idle, oldest first
};

}  // namespace anteroom::core
