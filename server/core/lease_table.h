#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/core/room_types.h"
#include "wire/token.h"

namespace anteroom::core {

// The sessions of one room: live leases ordered by expiry, the tickets they were admitted
// from, and revoked sessions, remembered until their lease would have ended so that the
// visitor is told. Who is admitted, and when a lapsed lease is ended, is the Room's policy.
//
// Guarantees (tests/core/lease_table_test.cc):
// - A renewal persists a renewable lease one TTL ahead of what it grants, so most renewals
//   write nothing and a restart never shortens a lease; a fixed lease is persisted as it is.
// - Downtime credited is added to every live lease (persisted with it), so it is charged to
//   nobody.
// - Every session started, renewed, ended or revoked is appended to the Changes passed in.
//
// Not thread-safe: the owning Room is.
class LeaseTable {
 public:
  // A new session for `client` (from `source`) from `now`, its first lease `first_lease`
  // long; `arrived` when no first heartbeat is awaited. `origin_ticket` (0: admitted at once)
  // and `origin_secret` let the ticket find the session.
  const Session& Start(const ClientKey& client, const wire::Secret& secret, uint64_t source,
                       uint64_t origin_ticket, const wire::Secret& origin_secret, absl::Time now,
                       absl::Duration first_lease, bool arrived, Changes* changes);

  // The live session `id` if `secret` is its secret, else null.
  const Session* Find(uint64_t id, const wire::Secret& secret) const;
  // The live session `id`, or null (for the room's own index, which holds no secret).
  const Session* Live(uint64_t id) const;
  // Whether `id` was revoked (and `secret` is its secret).
  bool WasRevoked(uint64_t id, const wire::Secret& secret) const;
  // The live session admitted from ticket `ticket_id` whose secret was `ticket_secret`, if
  // its lease has not lapsed at `now`.
  const Session* FromTicket(uint64_t ticket_id, const wire::Secret& ticket_secret,
                            absl::Time now) const;
  // The id of the live session admitted from `ticket_id` with `ticket_secret`, or 0.
  uint64_t SessionOfTicket(uint64_t ticket_id, const wire::Secret& ticket_secret) const;

  // A heartbeat of live session `id`: with `renewal` the lease runs to now + `ttl`; without,
  // the first heartbeat fixes it at admission + `ttl`. Marks the visitor arrived.
  const Session& Renew(uint64_t id, absl::Time now, absl::Duration ttl, bool renewal,
                       Changes* changes);

  // Ends live session `id` (if live) and returns it; with `revoke`, remembers it as revoked
  // until its lease would have ended (at least a second from now).
  std::optional<Session> End(uint64_t id, absl::Time now, bool revoke, Changes* changes);
  // The live session whose lease lapsed first, if it lapsed at or before `now`.
  std::optional<uint64_t> FirstLapsed(absl::Time now) const;
  // Forgets revocations whose lease would have ended by `now`.
  void ForgetRevoked(absl::Time now, Changes* changes);

  // Adds `downtime` to every live lease.
  void CreditDowntime(absl::Duration downtime, Changes* changes);
  // Restoring a persisted session (live or revoked).
  absl::Status Restore(const Session& session);

  int64_t active() const { return static_cast<int64_t>(sessions_.size()); }
  // Calls f(session_id) for every live session, in no particular order.
  template <typename F>
  void ForEachLive(F&& f) const {
    for (const auto& [id, session] : sessions_) f(id);
  }
  size_t MemoryBytes() const;

 private:
  absl::flat_hash_map<uint64_t, Session> sessions_;
  std::set<std::pair<absl::Time, uint64_t>> leases_;  // (expires_at, session id)
  absl::flat_hash_map<uint64_t, Session> revoked_;
  std::set<std::pair<absl::Time, uint64_t>> revoked_until_;
  absl::flat_hash_map<uint64_t, uint64_t> admitted_tickets_;  // ticket id -> session id
  uint64_t next_id_ = 1;
};

}  // namespace anteroom::core
