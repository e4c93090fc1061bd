#include "client/session_cache.h"

#include <utility>

namespace anteroom::client {

SessionCache::SessionCache(SessionCacheOptions options, Heartbeat heartbeat)
    : options_(options), heartbeat_(std::move(heartbeat)) {}

SessionCache::~SessionCache() { heartbeats_.WaitForNone(); }

void SessionCache::Check(const wire::Token& session, Done<SessionCheck> done) {
  Found found;
  {
    base::MutexLock lock(&mu_);
    found = FromMemory(session);
    if (!found.check) ++stats_.misses;
  }
  if (found.renew) Ask(session, /*renewal=*/true, nullptr);
  if (found.check) return done(*found.check);
  Ask(session, /*renewal=*/false, std::move(done));
}

void SessionCache::Ask(const wire::Token& session, bool renewal, Done<SessionCheck> done) {
  uint64_t leaves_before = 0;
  {
    base::MutexLock lock(&mu_);
    leaves_before = leaves_;
  }
  heartbeats_.Begin();
  heartbeat_(session, [this, text = session.text(), renewal, leaves_before,
                       done = std::move(done)](const absl::StatusOr<v1::VisitorStatus>& status) {
    SessionCheck check;
    {
      base::MutexLock lock(&mu_);
      if (renewal) ++stats_.renewals;
      // A renewal that found Anteroom unreachable leaves the entry to age: once the interval
      // has passed, a check asks again and meets the failure mode.
      check = Settle(text, status, leaves_before, renewal);
    }
    if (done) done(check);
    heartbeats_.End();
  });
}

SessionCache::Found SessionCache::FromMemory(const wire::Token& session) {
  Found found;
  auto it = sessions_.find(session.text());
  if (it == sessions_.end()) return found;
  Entry& entry = it->second;
  const absl::Duration age = options_.clock->Now() - entry.checked;
  // Fresh, or being checked for another request right now: valid at its last check.
  if (age < options_.interval || entry.checking) {
    if (!entry.renewing && !entry.checking && age >= options_.interval * 3 / 4) {
      entry.renewing = true;
      found.renew = true;
    }
    lru_.splice(lru_.begin(), lru_, entry.lru);
    ++stats_.hits;
    found.check.emplace();
    found.check->result = SessionCheck::Result::kValid;
    found.check->cached = true;
    return found;
  }
  entry.checking = true;
  return found;
}

SessionCheck SessionCache::Settle(const std::string& session,
                                  const absl::StatusOr<v1::VisitorStatus>& status,
                                  uint64_t leaves_before, bool renewal) {
  SessionCheck check;
  auto known = sessions_.find(session);
  if (known != sessions_.end()) (renewal ? known->second.renewing : known->second.checking) = false;
  if (!status.ok() && IsBusy(status.status())) {
    // Overloaded: a session seen valid before stays valid (the server favours heartbeats,
    // so the next check is likely answered); an unknown one must wait.
    check.result = known != sessions_.end() && leaves_ == leaves_before
                       ? SessionCheck::Result::kValid
                       : SessionCheck::Result::kBusy;
    check.cached = check.result == SessionCheck::Result::kValid;
    check.status = status.status();
    return check;
  }
  if (status.ok() && status->state() == v1::ADMITTED) {
    if (leaves_ == leaves_before) Remember(session, options_.clock->Now());
    check.result = SessionCheck::Result::kValid;
  } else if (!status.ok() && IsUnreachable(status.status())) {
    check.result = SessionCheck::Result::kUnreachable;
    check.status = status.status();
  } else {
    Erase(session);
    check.result = SessionCheck::Result::kEnded;
    check.status = status.ok() ? absl::OkStatus() : status.status();
  }
  return check;
}

void SessionCache::Forget(const std::string& session) {
  base::MutexLock lock(&mu_);
  Erase(session);
  ++leaves_;
}

void SessionCache::Remember(const std::string& session, absl::Time now) {
  if (options_.interval <= absl::ZeroDuration()) return;
  auto [it, inserted] = sessions_.try_emplace(session);
  if (inserted) {
    lru_.push_front(session);
    it->second.lru = lru_.begin();
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  it->second.checked = now;
  while (sessions_.size() > options_.capacity) {
    sessions_.erase(lru_.back());
    lru_.pop_back();
  }
}

void SessionCache::Erase(const std::string& session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  lru_.erase(it->second.lru);
  sessions_.erase(it);
}

SessionCacheStats SessionCache::stats() const {
  base::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace anteroom::client
