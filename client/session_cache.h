#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "anteroom/v1/waiting_room.pb.h"
#include "base/clock.h"
#include "base/in_flight.h"
#include "base/mutex.h"
#include "client/waiting_room.h"
#include "wire/token.h"

namespace anteroom::client {

struct SessionCacheOptions {
  // A session found valid is answered from the cache for this long after it was found so.
  // Zero: no cache; every check waits for a Heartbeat.
  absl::Duration interval = absl::Seconds(10);
  // Sessions remembered at most (least recently checked are forgotten first).
  size_t capacity = 100000;
  // Time source for the ages of the entries. Required.
  base::Clock* clock = nullptr;
};

struct SessionCacheStats {
  uint64_t hits = 0;      // checks answered from the cache
  uint64_t misses = 0;    // checks that waited for a Heartbeat
  uint64_t renewals = 0;  // Heartbeats answered in the background
};

// Which sessions were found valid, and when: what lets a gateway answer most of an admitted
// visitor's requests without a call to Anteroom.
//
// A session found valid less than `interval` ago is valid without a call. One checked again
// once three quarters of the interval have passed is still answered at once, from the
// cache, and renewed in the background by one Heartbeat (however many requests ask
// meanwhile): a visitor busy on the site never waits for a Heartbeat after the first, and
// costs one Heartbeat per three quarters of the interval. A session not checked for a whole
// interval (idle, or its renewal failed) waits for a Heartbeat, as a new one does. A session
// revoked or ended is therefore let through at most `interval` (plus one call's time) after
// it ended.
//
// The Heartbeat is asynchronous: no thread waits for one, and the cache has none of its own.
//
// Thread-safe.
class SessionCache {
 public:
  // The call that checks a session and renews its lease.
  using Heartbeat =
      std::function<void(const wire::Token&, Done<absl::StatusOr<v1::VisitorStatus>>)>;

  SessionCache(SessionCacheOptions options, Heartbeat heartbeat);
  // Waits for the Heartbeats under way to be answered (they are bounded by their deadlines).
  ~SessionCache();
  SessionCache(const SessionCache&) = delete;
  SessionCache& operator=(const SessionCache&) = delete;

  // Answers at once (before returning) from memory when the session is fresh, or being
  // checked by another request; otherwise once the Heartbeat is answered.
  void Check(const wire::Token& session, Done<SessionCheck> done);
  // The session left: it is forgotten, and a Heartbeat already under way does not bring it
  // back.
  void Forget(const std::string& session);

  SessionCacheStats stats() const;

 private:
  struct Entry {
    absl::Time checked;
    // A check's Heartbeat for it is under way.
    bool checking = false;
    // A renewal's Heartbeat for it is under way.
    bool renewing = false;
    std::list<std::string>::iterator lru;
  };
  // What Check found in memory.
  struct Found {
    std::optional<SessionCheck> check;  // nullopt: ask Anteroom (the entry is then claimed)
    bool renew = false;                 // start a renewal
  };

  // Records a Heartbeat's answer for `session` and says what it means. `leaves_before` is
  // leaves_ when the Heartbeat was sent; `renewal`: it was a background renewal's.
  SessionCheck Settle(const std::string& session, const absl::StatusOr<v1::VisitorStatus>& status,
                      uint64_t leaves_before, bool renewal) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Found FromMemory(const wire::Token& session) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends a Heartbeat whose answer goes to `settled` (the lock held), then to `done`.
  void Ask(const wire::Token& session, bool renewal, Done<SessionCheck> done);
  void Remember(const std::string& session, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Erase(const std::string& session) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SessionCacheOptions options_;
  const Heartbeat heartbeat_;

  mutable base::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> sessions_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);  // front: most recently checked
  // Leaves so far: a Heartbeat's answer is remembered only if no Leave came while it was
  // under way (it may have been that session's).
  uint64_t leaves_ ABSL_GUARDED_BY(mu_) = 0;
  SessionCacheStats stats_ ABSL_GUARDED_BY(mu_);
  base::InFlight heartbeats_;  // the destructor waits for none
};

}  // namespace anteroom::client
