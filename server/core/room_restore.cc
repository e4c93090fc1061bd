// Rebuilding a room from its stored places and sessions after a restart.

#include <array>

#include "absl/strings/str_cat.h"
#include "server/core/room.h"

namespace anteroom::core {

// --- Restore ---

absl::Status Room::RestoreTicket(const Ticket& t, absl::Time now) {
  // A place is found by its id (FinishRestore indexes it): an id no place can have would be
  // read as a session's, or as none. A ticket keeps its id or moves behind it (a shuffle).
  if (t.seq == 0 || t.id == 0 || t.id > t.seq || (t.seq & kSessionPlace) != 0) {
    return absl::DataLossError(
        absl::StrCat("room ", id_, ": ticket at seq ", t.seq, " has an impossible id ", t.id));
  }
  if (absl::Status s = line_.Restore(t, now); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("room ", id_, ": ", s.message()));
  }
  if (!t.shadow) limits_.Restored(t.source);
  return absl::OkStatus();
}

absl::Status Room::RestoreSession(const Session& s) {
  if (s.id == 0 || (s.id & kSessionPlace) != 0) {
    return absl::DataLossError(absl::StrCat("room ", id_, ": impossible session id ", s.id));
  }
  if (absl::Status restored = leases_.Restore(s); !restored.ok()) {
    return absl::Status(restored.code(), absl::StrCat("room ", id_, ": ", restored.message()));
  }
  if (s.revoked) return absl::OkStatus();
  limits_.Restored(s.source);
  if (s.origin_ticket != 0) line_.ReserveTicketId(s.origin_ticket);
  return absl::OkStatus();
}

void Room::FinishRestore() {
  clients_.reserve(static_cast<size_t>(line_.waiting() + line_.shadowed() + leases_.active()));
  // Places come in seq order, not index order, and the index is far larger than the caches:
  // each place's spot is prefetched kAhead places before it is filled.
  constexpr size_t kAhead = 16;
  std::array<uint64_t, kAhead> pending{};
  size_t seen = 0;
  const auto index = [&](uint64_t place) {
    clients_.prefetch(ClientAt(place));
    if (seen >= kAhead) Assign(pending[seen % kAhead]);
    pending[seen++ % kAhead] = place;
  };
  // Sessions after places: a visitor found with both keeps the session, as Admit would.
  line_.ForEachTicket(index);
  leases_.ForEachLive([&](uint64_t session_id) { index(session_id | kSessionPlace); });
  for (size_t i = seen > kAhead ? seen - kAhead : 0; i < seen; ++i) Assign(pending[i % kAhead]);
}

void Room::RestoreCounters(int64_t admitted_total, uint64_t next_event_number) {
  admitted_total_ = admitted_total;
  schedule_.RestoreNextNumber(next_event_number);
}

}  // namespace anteroom::core
