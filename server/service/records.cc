#include "server/service/records.h"

#include <algorithm>
#include <cstring>

namespace anteroom::service {
namespace {

void AppendBigEndian(uint64_t v, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string Bytes(const core::Secret& s) {
  std::string out;
  AppendBigEndian(s[0], &out);
  AppendBigEndian(s[1], &out);
  return out;
}

std::string Bytes(const core::ClientKey& k) { return Bytes(core::Secret{k.hi, k.lo}); }

absl::StatusOr<core::Secret> SecretFrom(const std::string& bytes, absl::string_view what) {
  if (bytes.size() != 16) return absl::DataLossError(absl::StrCat(what, " must be 16 bytes"));
  core::Secret s{0, 0};
  for (int i = 0; i < 8; ++i) s[0] = (s[0] << 8) | static_cast<uint8_t>(bytes[i]);
  for (int i = 8; i < 16; ++i) s[1] = (s[1] << 8) | static_cast<uint8_t>(bytes[i]);
  return s;
}

}  // namespace

std::string RoomPrefix(absl::string_view room) {
  std::string key(room.data(), room.size());
  key.push_back('\0');
  return key;
}

std::string RoomPrefixEnd(absl::string_view room) {
  std::string key(room.data(), room.size());
  key.push_back('\1');
  return key;
}

std::string TicketKey(absl::string_view room, uint64_t seq) {
  std::string key = RoomPrefix(room);
  AppendBigEndian(seq, &key);
  return key;
}

std::string SessionKey(absl::string_view room, uint64_t id) {
  std::string key = RoomPrefix(room);
  AppendBigEndian(id, &key);
  return key;
}

storage::v1::TicketRecord ToRecord(const core::Ticket& t) {
  storage::v1::TicketRecord r;
  r.set_id(t.id);
  r.set_seq(t.seq);
  r.set_secret(Bytes(t.secret));
  r.set_client_key(Bytes(t.client));
  r.set_enqueued_at_us(absl::ToUnixMicros(t.enqueued_at));
  r.set_prequeued(t.prequeued);
  return r;
}

storage::v1::SessionRecord ToRecord(const core::Session& s) {
  storage::v1::SessionRecord r;
  r.set_id(s.id);
  r.set_secret(Bytes(s.secret));
  r.set_client_key(Bytes(s.client));
  r.set_origin_ticket(s.origin_ticket);
  if (s.origin_ticket != 0) r.set_origin_secret(Bytes(s.origin_secret));
  r.set_admitted_at_us(absl::ToUnixMicros(s.admitted_at));
  // The persisted lease may run past the one in memory (see Session::persisted_until).
  r.set_expires_at_us(absl::ToUnixMicros(std::max(s.expires_at, s.persisted_until)));
  r.set_arrived(s.arrived);
  r.set_revoked(s.revoked);
  return r;
}

absl::StatusOr<core::Ticket> FromRecord(const storage::v1::TicketRecord& r) {
  absl::StatusOr<core::Secret> secret = SecretFrom(r.secret(), "ticket secret");
  absl::StatusOr<core::Secret> client = SecretFrom(r.client_key(), "ticket client_key");
  if (!secret.ok()) return secret.status();
  if (!client.ok()) return client.status();
  return core::Ticket{r.id(),
                      r.seq(),
                      *secret,
                      core::ClientKey{(*client)[0], (*client)[1]},
                      absl::FromUnixMicros(r.enqueued_at_us()),
                      r.prequeued()};
}

absl::StatusOr<core::Session> FromRecord(const storage::v1::SessionRecord& r) {
  absl::StatusOr<core::Secret> secret = SecretFrom(r.secret(), "session secret");
  absl::StatusOr<core::Secret> client = SecretFrom(r.client_key(), "session client_key");
  if (!secret.ok()) return secret.status();
  if (!client.ok()) return client.status();
  core::Secret origin{0, 0};
  if (r.origin_ticket() != 0) {
    absl::StatusOr<core::Secret> o = SecretFrom(r.origin_secret(), "session origin_secret");
    if (!o.ok()) return o.status();
    origin = *o;
  }
  return core::Session{r.id(),
                       *secret,
                       core::ClientKey{(*client)[0], (*client)[1]},
                       r.origin_ticket(),
                       origin,
                       absl::FromUnixMicros(r.admitted_at_us()),
                       absl::FromUnixMicros(r.expires_at_us()),
                       absl::FromUnixMicros(r.expires_at_us()),
                       r.arrived(),
                       r.revoked()};
}

void AppendChanges(absl::string_view room, const core::Changes& changes,
                   storage::WriteBatch* batch) {
  // Puts first, then deletes: a record erased by an operation is gone at its end even if
  // the same operation wrote it first (a ticket admitted and left in one call); no operation
  // erases a record and then writes it again.
  for (const core::Ticket& t : changes.put_tickets) {
    batch->Put(storage::Table::kTickets, TicketKey(room, t.seq), ToRecord(t).SerializeAsString());
  }
  for (const core::Session& s : changes.put_sessions) {
    batch->Put(storage::Table::kSessions, SessionKey(room, s.id), ToRecord(s).SerializeAsString());
  }
  for (uint64_t seq : changes.erased_ticket_seqs) {
    batch->Delete(storage::Table::kTickets, TicketKey(room, seq));
  }
  for (uint64_t id : changes.erased_sessions) {
    batch->Delete(storage::Table::kSessions, SessionKey(room, id));
  }
}

}  // namespace anteroom::service
