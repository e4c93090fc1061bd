#include "server/core/lease_table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace anteroom::core {

const Session& LeaseTable::Start(const ClientKey& client, const wire::Secret& secret,
                                 uint64_t source, uint64_t origin_ticket,
                                 const wire::Secret& origin_secret, absl::Time now,
                                 absl::Duration first_lease, bool arrived, Changes* changes) {
  const uint64_t id = next_id_++;
  Session& session =
      sessions_
          .emplace(id, Session{id, secret, client, origin_ticket, origin_secret, now,
                               now + first_lease, now + first_lease, arrived, false, source})
          .first->second;
  leases_.insert({session.expires_at, id});
  if (origin_ticket != 0) admitted_tickets_[origin_ticket] = id;
  changes->put_sessions.push_back(session);
  return session;
}

const Session* LeaseTable::Find(uint64_t id, const wire::Secret& secret) const {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || !wire::SecretsEqual(it->second.secret, secret)) return nullptr;
  return &it->second;
}

const Session* LeaseTable::Live(uint64_t id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

bool LeaseTable::WasRevoked(uint64_t id, const wire::Secret& secret) const {
  auto it = revoked_.find(id);
  return it != revoked_.end() && wire::SecretsEqual(it->second.secret, secret);
}

uint64_t LeaseTable::SessionOfTicket(uint64_t ticket_id, const wire::Secret& ticket_secret) const {
  auto a = admitted_tickets_.find(ticket_id);
  if (a == admitted_tickets_.end()) return 0;
  const Session& session = sessions_.find(a->second)->second;
  return wire::SecretsEqual(session.origin_secret, ticket_secret) ? session.id : 0;
}

const Session* LeaseTable::FromTicket(uint64_t ticket_id, const wire::Secret& ticket_secret,
                                      absl::Time now) const {
  const uint64_t id = SessionOfTicket(ticket_id, ticket_secret);
  if (id == 0) return nullptr;
  const Session& session = sessions_.find(id)->second;
  return session.expires_at > now ? &session : nullptr;
}

const Session& LeaseTable::Renew(uint64_t id, absl::Time now, absl::Duration ttl, bool renewal,
                                 Changes* changes) {
  Session& session = sessions_.find(id)->second;
  const absl::Time old_expiry = session.expires_at;
  const bool first_heartbeat = !session.arrived;
  if (renewal) {
    session.expires_at = now + ttl;
  } else if (first_heartbeat) {
    // One fixed session from admission; the arrival TTL no longer applies.
    session.expires_at = session.admitted_at + ttl;
  }
  session.arrived = true;
  if (session.expires_at != old_expiry) {
    leases_.erase({old_expiry, id});
    leases_.insert({session.expires_at, id});
  }
  if (first_heartbeat || session.expires_at > session.persisted_until) {
    // A renewable lease is written a TTL ahead, so that most renewals write nothing; a fixed
    // one never moves and is written as it is.
    session.persisted_until = session.expires_at + (renewal ? ttl : absl::ZeroDuration());
    changes->put_sessions.push_back(session);
  }
  return session;
}

std::optional<Session> LeaseTable::End(uint64_t id, absl::Time now, bool revoke, Changes* changes) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  Session session = it->second;
  sessions_.erase(it);
  leases_.erase({session.expires_at, id});
  if (session.origin_ticket != 0) admitted_tickets_.erase(session.origin_ticket);
  if (revoke) {
    // Remembered until the lease would have ended, so the visitor is told.
    session.revoked = true;
    session.expires_at = std::max(session.expires_at, now + absl::Seconds(1));
    revoked_until_.insert({session.expires_at, id});
    changes->put_sessions.push_back(session);
    revoked_.emplace(id, session);
  } else {
    changes->erased_sessions.push_back(id);
  }
  return session;
}

std::optional<uint64_t> LeaseTable::FirstLapsed(absl::Time now) const {
  if (leases_.empty() || leases_.begin()->first > now) return std::nullopt;
  return leases_.begin()->second;
}

void LeaseTable::ForgetRevoked(absl::Time now, Changes* changes) {
  while (!revoked_until_.empty() && revoked_until_.begin()->first <= now) {
    const uint64_t id = revoked_until_.begin()->second;
    revoked_until_.erase(revoked_until_.begin());
    revoked_.erase(id);
    changes->erased_sessions.push_back(id);
  }
}

void LeaseTable::CreditDowntime(absl::Duration downtime, Changes* changes) {
  if (downtime <= absl::ZeroDuration()) return;
  std::set<std::pair<absl::Time, uint64_t>> shifted;
  for (auto& [id, session] : sessions_) {
    session.expires_at += downtime;
    session.persisted_until = std::max(session.persisted_until + downtime, session.expires_at);
    shifted.insert({session.expires_at, id});
    changes->put_sessions.push_back(session);
  }
  leases_ = std::move(shifted);
}

absl::Status LeaseTable::Restore(const Session& s) {
  if (sessions_.contains(s.id) || revoked_.contains(s.id)) {
    return absl::DataLossError(absl::StrCat("duplicate session ", s.id));
  }
  next_id_ = std::max(next_id_, s.id + 1);
  if (s.revoked) {
    revoked_until_.insert({s.expires_at, s.id});
    revoked_.emplace(s.id, s);
    return absl::OkStatus();
  }
  sessions_.emplace(s.id, s);
  leases_.insert({s.expires_at, s.id});
  if (s.origin_ticket != 0) admitted_tickets_[s.origin_ticket] = s.id;
  return absl::OkStatus();
}

size_t LeaseTable::MemoryBytes() const {
  auto map_bytes = [](const auto& m) {
    using Value = typename std::decay_t<decltype(m)>::value_type;
    return m.capacity() * (sizeof(Value) + 1);
  };
  return map_bytes(sessions_) + map_bytes(revoked_) + map_bytes(admitted_tickets_) +
         (leases_.size() + revoked_until_.size()) * 64;
}

}  // namespace anteroom::core
