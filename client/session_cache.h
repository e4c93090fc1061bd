#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "anteroom/v1/waiting_room.pb.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "client/waiting_room.h"
#include "wire/token.h"

namespace anteroom::client {

struct SessionCacheOptions {
  // A session found valid is answered from the cache for this long after it was found so.
  // Zero: no cache; every check calls Heartbeat on the caller's thread.
  absl::Duration interval = absl::Seconds(10);
  // Sessions remembered at most (least recently checked are forgotten first).
  size_t capacity = 100000;
  // Threads that renew busy sessions in the background. Zero: a session is renewed on the
  // thread of the check that finds it stale, as the first check of a session always is.
  int renewal_threads = 2;
  // Time source for the ages of the entries. Required.
  base::Clock* clock = nullptr;
};

struct SessionCacheStats {
  uint64_t hits = 0;      // checks answered from the cache
  uint64_t misses = 0;    // checks that called Heartbeat on the caller's thread
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
// interval (idle, or its renewal failed) is checked on the caller's thread, as a new one is. A
// session revoked or ended is therefore let through at most `interval` (plus one call's time) after
// it ended.
//
// Thread-safe.
class SessionCache {
 public:
  // The call that checks a session and renews its lease.
  using Heartbeat = std::function<absl::StatusOr<v1::VisitorStatus>(const wire::Token&)>;

  SessionCache(SessionCacheOptions options, Heartbeat heartbeat);
  // Stops the renewals: waits for those under way, drops those not started.
  ~SessionCache();
  SessionCache(const SessionCache&) = delete;
  SessionCache& operator=(const SessionCache&) = delete;

  SessionCheck Check(const wire::Token& session);
  // Check's answer when it needs no call on the caller's thread (the session is fresh, or
  // being checked elsewhere; a renewal may be started in the background), else nullopt.
  // Never blocks on Anteroom: for a thread that serves many connections.
  std::optional<SessionCheck> TryCheck(const wire::Token& session);
  // The session left: it is forgotten, and a Heartbeat already under way does not bring it
  // back.
  void Forget(const std::string& session);

  SessionCacheStats stats() const;

 private:
  struct Entry {
    absl::Time checked;
    // A check's Heartbeat for it is under way on a caller's thread.
    bool checking = false;
    // It waits for, or is under, a renewal in the background.
    bool renewing = false;
    std::list<std::string>::iterator lru;
  };

  // Records a Heartbeat's answer for `session` and says what it means. `leaves_before` is
  // leaves_ when the Heartbeat was sent; `renewal`: it was a background renewal's.
  SessionCheck Settle(const std::string& session, const absl::StatusOr<v1::VisitorStatus>& status,
                      uint64_t leaves_before, bool renewal) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The next session to renew, or nullopt once stopping; sets leaves_before.
  std::optional<wire::Token> NextRenewal(uint64_t* leaves_before);
  // The locked part of Check: its answer from memory, or nullopt (the session then marked as
  // being checked when `claim`).
  std::optional<SessionCheck> FromMemory(const wire::Token& session, bool claim)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Remember(const std::string& session, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Erase(const std::string& session) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RenewLoop();

  const SessionCacheOptions options_;
  const Heartbeat heartbeat_;

  mutable base::Mutex mu_;
  base::CondVar renew_wanted_;
  absl::flat_hash_map<std::string, Entry> sessions_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);  // front: most recently checked
  std::deque<wire::Token> to_renew_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Leaves so far: a Heartbeat's answer is remembered only if no Leave came while it was
  // under way (it may have been that session's).
  uint64_t leaves_ ABSL_GUARDED_BY(mu_) = 0;
  SessionCacheStats stats_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> renewers_;
};

}  // namespace anteroom::client
