#include "server/service/records.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "base/log.h"
#include "server/service/settings_message.h"

namespace anteroom::service {
namespace {

constexpr absl::string_view kAliveKey = "alive_at_us";

std::string AdmittedKey(absl::string_view room) { return absl::StrCat("admitted/", room); }

void AppendBigEndian(uint64_t v, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string Bytes(const wire::Secret& s) {
  std::string out;
  AppendBigEndian(s[0], &out);
  AppendBigEndian(s[1], &out);
  return out;
}

std::string Bytes(const core::ClientKey& k) { return Bytes(wire::Secret{k.hi, k.lo}); }

absl::StatusOr<wire::Secret> SecretFrom(const std::string& bytes, absl::string_view what) {
  if (bytes.size() != 16) return absl::DataLossError(absl::StrCat(what, " must be 16 bytes"));
  wire::Secret s{0, 0};
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
  r.set_source(t.source);
  r.set_shadow(t.shadow);
  r.set_priority(t.priority);
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
  r.set_source(s.source);
  return r;
}

absl::StatusOr<core::Ticket> FromRecord(const storage::v1::TicketRecord& r) {
  absl::StatusOr<wire::Secret> secret = SecretFrom(r.secret(), "ticket secret");
  absl::StatusOr<wire::Secret> client = SecretFrom(r.client_key(), "ticket client_key");
  if (!secret.ok()) return secret.status();
  if (!client.ok()) return client.status();
  return core::Ticket{r.id(),
                      r.seq(),
                      *secret,
                      core::ClientKey{(*client)[0], (*client)[1]},
                      absl::FromUnixMicros(r.enqueued_at_us()),
                      r.prequeued(),
                      r.source() & core::kSourceKeyMask,
                      r.shadow(),
                      r.priority()};
}

absl::StatusOr<core::Session> FromRecord(const storage::v1::SessionRecord& r) {
  absl::StatusOr<wire::Secret> secret = SecretFrom(r.secret(), "session secret");
  absl::StatusOr<wire::Secret> client = SecretFrom(r.client_key(), "session client_key");
  if (!secret.ok()) return secret.status();
  if (!client.ok()) return client.status();
  wire::Secret origin{0, 0};
  if (r.origin_ticket() != 0) {
    absl::StatusOr<wire::Secret> o = SecretFrom(r.origin_secret(), "session origin_secret");
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
                       r.revoked(),
                       r.source() & core::kSourceKeyMask};
}

std::string EncodeRoomRecord(const core::Room& room) {
  storage::v1::RoomRecord record;
  record.set_id(room.id());
  *record.mutable_settings() = SettingsToMessage<storage::v1::RoomSettingsRecord>(room.settings());
  record.set_create_time_us(absl::ToUnixMicros(room.created_at()));
  record.set_admitted_total(static_cast<uint64_t>(room.admitted_total()));
  record.set_next_event_number(room.next_event_number());
  for (const core::Event& e : room.events()) {
    storage::v1::EventRecord* r = record.add_events();
    r->set_id(e.id);
    r->set_prequeue_start_us(absl::ToUnixMicros(e.prequeue_start));
    r->set_start_us(absl::ToUnixMicros(e.start));
    r->set_end_us(absl::ToUnixMicros(e.end));
    r->set_shuffle_at_start(e.shuffle_at_start);
    *r->mutable_overrides() = OverridesToMessage<storage::v1::RoomSettingsRecord>(e.overrides);
    r->set_started(e.started);
  }
  return record.SerializeAsString();
}

absl::StatusOr<std::unique_ptr<core::Room>> DecodeRoomRecord(absl::string_view id,
                                                             absl::string_view bytes,
                                                             base::RandomSource* random) {
  absl::StatusOr<storage::v1::RoomRecord> record =
      ParseRecord<storage::v1::RoomRecord>(bytes, absl::StrCat("room ", id));
  if (!record.ok()) return record.status();
  core::RoomSettings settings;
  if (absl::Status s = ApplySettingsMessage(record->settings(), &settings); !s.ok()) return s;
  auto room = std::make_unique<core::Room>(std::string(id), settings,
                                           absl::FromUnixMicros(record->create_time_us()), random);
  room->RestoreCounters(static_cast<int64_t>(record->admitted_total()),
                        record->next_event_number());
  for (const storage::v1::EventRecord& e : record->events()) {
    absl::StatusOr<core::SettingsOverrides> overrides = OverridesFromMessage(e.overrides());
    if (!overrides.ok()) return overrides.status();
    core::Event event;
    event.id = e.id();
    event.prequeue_start = absl::FromUnixMicros(e.prequeue_start_us());
    event.start = absl::FromUnixMicros(e.start_us());
    event.end = absl::FromUnixMicros(e.end_us());
    event.shuffle_at_start = e.shuffle_at_start();
    event.overrides = *overrides;
    event.started = e.started();
    room->RestoreEvent(event);
  }
  return room;
}

void AppendChanges(const core::Room& room, const core::Changes& changes,
                   storage::WriteBatch* batch) {
  const std::string& id = room.id();
  // Puts first, then deletes: a record erased by an operation is gone at its end even if
  // the same operation wrote it first (a ticket admitted and left in one call); no operation
  // erases a record and then writes it again.
  for (const core::Ticket& t : changes.put_tickets) {
    batch->Put(storage::Table::kTickets, TicketKey(id, t.seq), ToRecord(t).SerializeAsString());
  }
  for (const core::Session& s : changes.put_sessions) {
    batch->Put(storage::Table::kSessions, SessionKey(id, s.id), ToRecord(s).SerializeAsString());
  }
  for (uint64_t seq : changes.erased_ticket_seqs) {
    batch->Delete(storage::Table::kTickets, TicketKey(id, seq));
  }
  for (uint64_t session : changes.erased_sessions) {
    batch->Delete(storage::Table::kSessions, SessionKey(id, session));
  }
  if (changes.room_dirty) batch->Put(storage::Table::kRooms, id, EncodeRoomRecord(room));
  // A few bytes per batch of admissions, instead of rewriting the room record.
  if (changes.admitted > 0) {
    batch->Put(storage::Table::kMeta, AdmittedKey(id),
               absl::StrCat(absl::ToUnixMicros(room.created_at()), " ", room.admitted_total()));
  }
}

void AppendRoomRemoval(absl::string_view id, storage::WriteBatch* batch) {
  batch->DeleteRange(storage::Table::kTickets, RoomPrefix(id), RoomPrefixEnd(id));
  batch->DeleteRange(storage::Table::kSessions, RoomPrefix(id), RoomPrefixEnd(id));
  batch->Delete(storage::Table::kRooms, std::string(id));
  batch->Delete(storage::Table::kMeta, AdmittedKey(id));
}

void AppendAliveMark(absl::Time now, storage::WriteBatch* batch) {
  batch->Put(storage::Table::kMeta, std::string(kAliveKey), absl::StrCat(absl::ToUnixMicros(now)));
}

absl::StatusOr<std::optional<absl::Time>> ReadAliveMark(storage::Store* store) {
  absl::StatusOr<std::optional<std::string>> text = store->Get(storage::Table::kMeta, kAliveKey);
  if (!text.ok()) return text.status();
  int64_t us = 0;
  if (!text->has_value()) return std::nullopt;
  if (!absl::SimpleAtoi(**text, &us)) {
    // Only downtime credit depends on it: start without, as a new store would.
    ANTEROOM_LOG(kWarning, "unreadable alive mark \"%s\": no downtime credited", **text);
    return std::nullopt;
  }
  return absl::FromUnixMicros(us);
}

absl::StatusOr<int64_t> ReadAdmittedCount(storage::Store* store, absl::string_view id,
                                          absl::Time created_at) {
  absl::StatusOr<std::optional<std::string>> text =
      store->Get(storage::Table::kMeta, AdmittedKey(id));
  if (!text.ok()) return text.status();
  if (!text->has_value()) return 0;
  std::pair<std::string, std::string> fields = absl::StrSplit(**text, absl::MaxSplits(' ', 1));
  int64_t created_us = 0, count = 0;
  if (!absl::SimpleAtoi(fields.first, &created_us) || !absl::SimpleAtoi(fields.second, &count)) {
    return absl::DataLossError(
        absl::StrCat("unreadable admission counter of room ", id, ": \"", **text, "\""));
  }
  return created_us == absl::ToUnixMicros(created_at) ? count : 0;
}

}  // namespace anteroom::service
