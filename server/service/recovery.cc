#include "server/service/recovery.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/log.h"
#include "server/service/records.h"

namespace anteroom::service {

absl::StatusOr<std::unique_ptr<core::Room>> LoadRoom(storage::Store* store, absl::string_view id,
                                                     absl::string_view record_bytes, absl::Time now,
                                                     base::RandomSource* random) {
  absl::StatusOr<std::unique_ptr<core::Room>> room = DecodeRoomRecord(id, record_bytes, random);
  if (!room.ok()) return room.status();
  absl::StatusOr<int64_t> admitted = ReadAdmittedCount(store, id, (*room)->created_at());
  if (!admitted.ok()) return admitted.status();
  (*room)->RestoreCounters(std::max((*room)->admitted_total(), *admitted),
                           (*room)->next_event_number());

  const std::string prefix = RoomPrefix(id);
  constexpr int64_t kProgressEvery = 1'000'000;
  int64_t loaded = 0;
  const base::Stopwatch stopwatch;
  storage::v1::TicketRecord ticket;  // reused: a large queue is millions of records
  absl::Status s = store->Scan(
      storage::Table::kTickets, prefix, [&](absl::string_view, absl::string_view value) {
        if (!ticket.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          return absl::DataLossError(absl::StrCat("unreadable ticket record in room ", id));
        }
        absl::StatusOr<core::Ticket> t = FromRecord(ticket);
        if (!t.ok()) return t.status();
        if (++loaded % kProgressEvery == 0) {
          ANTEROOM_LOG(kInfo, "room %s: %d waiting visitors loaded (%.1f s)", std::string(id),
                       loaded, stopwatch.ElapsedSeconds());
        }
        return (*room)->RestoreTicket(*t, now);
      });
  if (!s.ok()) return s;
  s = store->Scan(
      storage::Table::kSessions, prefix, [&](absl::string_view, absl::string_view value) {
        auto r =
            ParseRecord<storage::v1::SessionRecord>(value, absl::StrCat("session of room ", id));
        if (!r.ok()) return r.status();
        absl::StatusOr<core::Session> session = FromRecord(*r);
        if (!session.ok()) return session.status();
        return (*room)->RestoreSession(*session);
      });
  if (!s.ok()) return s;
  (*room)->FinishRestore();
  return room;
}

absl::StatusOr<std::unique_ptr<core::Room>> LoadRoom(storage::Store* store, absl::string_view id,
                                                     absl::Time now, base::RandomSource* random) {
  absl::StatusOr<std::optional<std::string>> bytes = store->Get(storage::Table::kRooms, id);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) {
    return absl::NotFoundError(absl::StrCat("room '", id, "' is not in the store"));
  }
  return LoadRoom(store, id, **bytes, now, random);
}

absl::StatusOr<Recovered> RecoverRooms(storage::Store* store, absl::Time now,
                                       base::RandomSource* random, const WriteFn& write) {
  Recovered recovered;
  absl::StatusOr<std::optional<absl::Time>> alive = ReadAliveMark(store);
  if (!alive.ok()) return alive.status();
  if (alive->has_value()) recovered.downtime = std::max(absl::ZeroDuration(), now - **alive);
  storage::WriteBatch credit;
  absl::Status s =
      store->Scan(storage::Table::kRooms, "", [&](absl::string_view id, absl::string_view value) {
        absl::StatusOr<std::unique_ptr<core::Room>> room = LoadRoom(store, id, value, now, random);
        if (!room.ok()) return room.status();
        core::Changes changes;
        (*room)->CreditDowntime(recovered.downtime, &changes);
        recovered.credited_sessions += static_cast<int64_t>(changes.put_sessions.size());
        AppendChanges(**room, changes, &credit);
        recovered.rooms.push_back(*std::move(room));
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  AppendAliveMark(now, &credit);
  absl::Status written = write ? write(std::move(credit)) : store->Write(credit);
  if (!written.ok()) return written;
  return recovered;
}

}  // namespace anteroom::service
