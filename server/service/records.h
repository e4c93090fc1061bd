#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "anteroom/storage/v1/records.pb.h"
#include "base/random.h"
#include "server/core/room.h"
#include "storage/store.h"

// The one codec between rooms in memory and the store (records in
// proto/anteroom/storage/v1/records.proto):
//   rooms:    <room id>                         -> RoomRecord (settings, events, counters)
//   tickets:  <room id> 0x00 <seq, 8 bytes BE>  -> TicketRecord   (key order = queue order)
//   sessions: <room id> 0x00 <id, 8 bytes BE>   -> SessionRecord
//   meta:     "format_version" (the store's), "client_key_secret" (ClientKeyer),
//             "alive_at_us" -> decimal Unix microseconds, when the server was last alive
//             "admitted/<room id>" -> "<create time, Unix us> <admissions so far>", both
//             decimal (the create time ties the count to one life of the room's name)
// Room ids never contain 0x00, so "<room id> 0x00" is an exact per-room prefix.
namespace anteroom::service {

// The layout above. Raise it when old data can no longer be read as it is; a store written
// by a newer format refuses to open (storage::RocksDbStoreOptions::format_version).
inline constexpr int kFormatVersion = 1;

std::string RoomPrefix(absl::string_view room);
// The end (exclusive) of every key of `room` in the tickets and sessions tables.
std::string RoomPrefixEnd(absl::string_view room);
std::string TicketKey(absl::string_view room, uint64_t seq);
std::string SessionKey(absl::string_view room, uint64_t id);

storage::v1::TicketRecord ToRecord(const core::Ticket& ticket);
storage::v1::SessionRecord ToRecord(const core::Session& session);
absl::StatusOr<core::Ticket> FromRecord(const storage::v1::TicketRecord& record);
absl::StatusOr<core::Session> FromRecord(const storage::v1::SessionRecord& record);

// Parses a record, or DATA_LOSS naming what could not be read.
template <typename Record>
absl::StatusOr<Record> ParseRecord(absl::string_view bytes, absl::string_view what) {
  Record record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("unreadable ", what, " record"));
  }
  return record;
}

// The room record: settings, events and counters (no visitors).
std::string EncodeRoomRecord(const core::Room& room);
// A room with no visitors yet, from its record.
absl::StatusOr<std::unique_ptr<core::Room>> DecodeRoomRecord(absl::string_view id,
                                                             absl::string_view bytes,
                                                             base::RandomSource* random);

// Appends the writes that persist `changes` of `room` (made by one or more operations on it)
// to `batch`: visitors' records, the room record when settings or events changed, and the
// admission counter when anyone was admitted.
void AppendChanges(const core::Room& room, const core::Changes& changes,
                   storage::WriteBatch* batch);
// Appends the writes that remove everything of room `id` (also run before creating a room,
// in case a crash interrupted an earlier delete of the same name).
void AppendRoomRemoval(absl::string_view id, storage::WriteBatch* batch);

// The alive mark: when the server was last known to be alive.
void AppendAliveMark(absl::Time now, storage::WriteBatch* batch);
// The last alive mark in `store`, or nullopt for a new store.
absl::StatusOr<std::optional<absl::Time>> ReadAliveMark(storage::Store* store);
// The admission counter of room `id` created at `created_at` (0 when never written, or when
// written for an earlier room of the same name, which a version without the counter deleted
// without removing it).
absl::StatusOr<int64_t> ReadAdmittedCount(storage::Store* store, absl::string_view id,
                                          absl::Time created_at);

}  // namespace anteroom::service
