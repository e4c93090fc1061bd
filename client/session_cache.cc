#include "client/session_cache.h"

#include <utility>

namespace anteroom::client {

SessionCache::SessionCache(SessionCacheOptions options, Heartbeat heartbeat)
    : options_(options), heartbeat_(std::move(heartbeat)) {
  if (options_.interval <= absl::ZeroDuration()) return;
  for (int i = 0; i < options_.renewal_threads; ++i)
    renewers_.emplace_back([this] { RenewLoop(); });
}

SessionCache::~SessionCache() {
  {
    base::MutexLock lock(&mu_);
    stopping_ = true;
  }
  renew_wanted_.SignalAll();
  for (std::thread& t : renewers_) t.join();
}

SessionCheck SessionCache::Check(const wire::Token& session) {
  uint64_t leaves_before = 0;
  {
    base::MutexLock lock(&mu_);
    if (std::optional<SessionCheck> known = FromMemory(session, /*claim=*/true)) return *known;
    leaves_before = leaves_;
    ++stats_.misses;
  }
  const absl::StatusOr<v1::VisitorStatus> status = heartbeat_(session);
  base::MutexLock lock(&mu_);
  return Settle(session.text(), status, leaves_before, /*renewal=*/false);
}

std::optional<SessionCheck> SessionCache::TryCheck(const wire::Token& session) {
  base::MutexLock lock(&mu_);
  return FromMemory(session, /*claim=*/false);
}

std::optional<SessionCheck> SessionCache::FromMemory(const wire::Token& session, bool claim) {
  auto it = sessions_.find(session.text());
  if (it == sessions_.end()) return std::nullopt;
  Entry& entry = it->second;
  const absl::Duration age = options_.clock->Now() - entry.checked;
  // Fresh, or being checked on another thread right now: valid at its last check.
  if (age < options_.interval || entry.checking) {
    if (!entry.renewing && !entry.checking && !renewers_.empty() &&
        age >= options_.interval * 3 / 4) {
      entry.renewing = true;
      to_renew_.push_back(session);
      renew_wanted_.SignalAll();
    }
    lru_.splice(lru_.begin(), lru_, entry.lru);
    ++stats_.hits;
    SessionCheck check;
    check.result = SessionCheck::Result::kValid;
    check.cached = true;
    return check;
  }
  if (claim) entry.checking = true;
  return std::nullopt;
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

std::optional<wire::Token> SessionCache::NextRenewal(uint64_t* leaves_before) {
  base::MutexLock lock(&mu_);
  while (true) {
    while (!stopping_ && to_renew_.empty()) renew_wanted_.Wait(&mu_);
    if (stopping_) return std::nullopt;
    wire::Token session = std::move(to_renew_.front());
    to_renew_.pop_front();
    // Skip one forgotten meanwhile, or checked again on a caller's thread since it was asked.
    auto it = sessions_.find(session.text());
    if (it == sessions_.end() || !it->second.renewing) continue;
    if (options_.clock->Now() - it->second.checked < options_.interval * 3 / 4) {
      it->second.renewing = false;
      continue;
    }
    *leaves_before = leaves_;
    return session;
  }
}

void SessionCache::RenewLoop() {
  uint64_t leaves_before = 0;
  while (std::optional<wire::Token> session = NextRenewal(&leaves_before)) {
    const absl::StatusOr<v1::VisitorStatus> status = heartbeat_(*session);
    base::MutexLock lock(&mu_);
    ++stats_.renewals;
    // An answer that Anteroom could not be reached leaves the entry to age: once the
    // interval has passed, a check asks again on its own thread and meets the failure mode.
    Settle(session->text(), status, leaves_before, /*renewal=*/true);
  }
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
