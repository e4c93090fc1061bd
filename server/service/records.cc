#include "server/service/records.h"

namespace anteroom::service {

std::string RoomPrefix(absl::string_view room) {
  std::string key(room);
  key.push_back('\0');
  return key;
}

std::string TicketKey(absl::string_view room, uint64_t seq) {
  std::string key = RoomPrefix(room);
  for (int shift = 56; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>((seq >> shift) & 0xff));
  }
  return key;
}

std::string SessionKey(absl::string_view room, absl::string_view token) {
  std::string key = RoomPrefix(room);
  key.append(token.data(), token.size());
  return key;
}

storage::v1::TicketRecord ToRecord(const core::Ticket& t) {
  storage::v1::TicketRecord r;
  r.set_token(t.token);
  r.set_client_id(t.client_id);
  r.set_seq(t.seq);
  r.set_enqueued_at_us(absl::ToUnixMicros(t.enqueued_at));
  return r;
}

storage::v1::SessionRecord ToRecord(const core::Session& s) {
  storage::v1::SessionRecord r;
  r.set_token(s.token);
  r.set_client_id(s.client_id);
  r.set_origin_ticket(s.origin_ticket);
  r.set_admitted_at_us(absl::ToUnixMicros(s.admitted_at));
  r.set_expires_at_us(absl::ToUnixMicros(s.expires_at));
  return r;
}

core::Ticket FromRecord(const storage::v1::TicketRecord& r) {
  return core::Ticket{r.token(), r.client_id(), r.seq(), absl::FromUnixMicros(r.enqueued_at_us())};
}

core::Session FromRecord(const storage::v1::SessionRecord& r) {
  return core::Session{r.token(), r.client_id(), r.origin_ticket(),
                       absl::FromUnixMicros(r.admitted_at_us()),
                       absl::FromUnixMicros(r.expires_at_us())};
}

void AppendChanges(absl::string_view room, const core::Changes& changes,
                   storage::WriteBatch* batch) {
  // Puts first, then deletes: a record erased by an operation is gone at its end even if
  // the same operation wrote it first (a ticket admitted and left in one call), and no
  // operation erases a record and then writes it again.
  for (const core::Ticket& t : changes.put_tickets) {
    batch->Put(storage::Table::kTickets, TicketKey(room, t.seq), ToRecord(t).SerializeAsString());
  }
  for (const core::Session& s : changes.put_sessions) {
    batch->Put(storage::Table::kSessions, SessionKey(room, s.token),
               ToRecord(s).SerializeAsString());
  }
  for (uint64_t seq : changes.erased_ticket_seqs) {
    batch->Delete(storage::Table::kTickets, TicketKey(room, seq));
  }
  for (const std::string& token : changes.erased_sessions) {
    batch->Delete(storage::Table::kSessions, SessionKey(room, token));
  }
}

}  // namespace anteroom::service
