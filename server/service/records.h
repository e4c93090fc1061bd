#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "anteroom/storage/v1/records.pb.h"
#include "server/core/room.h"
#include "storage/store.h"

// The on-disk layout of rooms, tickets and sessions (see proto/anteroom/storage/v1):
//   rooms:    <room id>                         -> RoomRecord (settings, events, counters)
//   tickets:  <room id> 0x00 <seq, 8 bytes BE>  -> TicketRecord   (key order = queue order)
//   sessions: <room id> 0x00 <id, 8 bytes BE>   -> SessionRecord
// Room ids never contain 0x00, so "<room id> 0x00" is an exact per-room prefix.
namespace anteroom::service {

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

// Appends the writes that persist `changes` of `room` to `batch` (the room record is the
// caller's: it needs the settings).
void AppendChanges(absl::string_view room, const core::Changes& changes,
                   storage::WriteBatch* batch);

}  // namespace anteroom::service
