#include "server/service/room_manager.h"

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "server/service/records.h"
#include "server/service/recovery.h"

namespace anteroom::service {
namespace {

RoomInfo InfoOf(const core::Room& room) {
  return RoomInfo{room.id(), room.settings(), room.created_at()};
}

}  // namespace

RoomManager::RoomManager(storage::Store* store, Committer* committer, base::Clock* clock,
                         base::RandomSource* random, const ClientKeyer* keyer, Metrics* metrics,
                         base::TaskThread* background)
    : store_(store),
      committer_(committer),
      clock_(clock),
      random_(random),
      keyer_(keyer),
      metrics_(metrics),
      challenges_(keyer->DeriveKey("challenge")),
      registry_(DurableRoom::Deps{committer, store, clock, random, nullptr, metrics, background}) {}

absl::Status RoomManager::Load() {
  const absl::Time now = clock_->Now();
  absl::StatusOr<Recovered> recovered =
      RecoverRooms(store_, now, random_, [this](storage::WriteBatch credit) {
        return committer_->SubmitAndWait("", registry_.NextEpoch(), std::move(credit));
      });
  if (!recovered.ok()) return recovered.status();
  for (const auto& room : recovered->rooms) {
    const core::RoomStats stats = room->Stats(now);
    ANTEROOM_LOG(kInfo, "loaded room %s: %d waiting, %d pre-queued, %d active sessions", room->id(),
                 stats.queue_depth, stats.prequeue_depth, stats.active_sessions);
  }
  if (recovered->downtime > absl::ZeroDuration()) {
    ANTEROOM_LOG(kInfo, "down for %s: credited to %d session leases",
                 absl::FormatDuration(recovered->downtime), recovered->credited_sessions);
  }
  registry_.Adopt(std::move(recovered->rooms));
  alive_recorded_us_ = absl::ToUnixMicros(now);
  return absl::OkStatus();
}

void RoomManager::RecordAlive() {
  const absl::Time now = clock_->Now();
  alive_recorded_us_ = absl::ToUnixMicros(now);
  storage::WriteBatch batch;
  AppendAliveMark(now, &batch);
  committer_->Submit("", registry_.NextEpoch(), std::move(batch), [](const absl::Status&) {});
}

template <typename T>
void RoomManager::WithRoom(
    const std::string& id,
    absl::FunctionRef<absl::StatusOr<T>(core::Room&, absl::Time, core::Changes*)> fn,
    Callback<T> done) {
  std::shared_ptr<DurableRoom> room = registry_.Find(id);
  if (!room) return done(RoomNotFound(id));
  room->Apply<T>(fn, std::move(done));
}

template <typename T>
absl::StatusOr<T> RoomManager::ReadRoom(const std::string& id,
                                        absl::FunctionRef<T(const core::Room&, absl::Time)> fn) {
  std::shared_ptr<DurableRoom> room = registry_.Find(id);
  if (!room) return RoomNotFound(id);
  return room->Read<T>(fn);
}

absl::StatusOr<RoomInfo> RoomManager::CreateRoom(const std::string& id,
                                                 const core::RoomSettings& settings) {
  if (absl::Status s = wire::ValidateRoomId(id, "room"); !s.ok()) return s;
  if (absl::Status s = core::ValidateSettings(settings); !s.ok()) return s;
  const RoomInfo info{id, settings, clock_->Now()};
  if (absl::Status s = registry_.Create(id, settings, info.created_at).status(); !s.ok()) return s;
  ANTEROOM_LOG(kInfo, "room %s created: max_active_sessions=%d session_ttl=%s", id,
               settings.max_active_sessions, absl::FormatDuration(settings.session_ttl));
  return info;
}

void RoomManager::UpdateRoom(const std::string& id,
                             std::function<absl::Status(core::RoomSettings*)> mutate,
                             Callback<RoomInfo> done) {
  WithRoom<RoomInfo>(
      id,
      [&](core::Room& room, absl::Time now, core::Changes* changes) -> absl::StatusOr<RoomInfo> {
        core::RoomSettings settings = room.settings();
        if (absl::Status s = mutate(&settings); !s.ok()) return s;
        if (absl::Status s = core::ValidateSettings(settings); !s.ok()) return s;
        room.UpdateSettings(settings, now, changes);
        ANTEROOM_LOG(kInfo,
                     "room %s updated: max_active_sessions=%d admissions_per_minute=%d "
                     "session_ttl=%s queue_all=%s",
                     id, settings.max_active_sessions, settings.admissions_per_minute,
                     absl::FormatDuration(settings.session_ttl),
                     settings.queue_all ? "true" : "false");
        return InfoOf(room);
      },
      std::move(done));
}

absl::StatusOr<RoomInfo> RoomManager::GetRoom(const std::string& id) {
  return ReadRoom<RoomInfo>(id, [](const core::Room& r, absl::Time) { return InfoOf(r); });
}

std::vector<RoomInfo> RoomManager::ListRooms() {
  std::vector<RoomInfo> out;
  for (const auto& room : registry_.All()) {
    absl::StatusOr<RoomInfo> info =
        room->Read<RoomInfo>([](const core::Room& r, absl::Time) { return InfoOf(r); });
    if (info.ok()) out.push_back(*std::move(info));  // not one being deleted
  }
  return out;
}

absl::Status RoomManager::DeleteRoom(const std::string& id) {
  if (absl::Status s = registry_.Delete(id); !s.ok()) return s;
  ANTEROOM_LOG(kInfo, "room %s deleted", id);
  return absl::OkStatus();
}

absl::StatusOr<core::RoomStats> RoomManager::GetRoomStatus(const std::string& id) {
  return ReadRoom<core::RoomStats>(
      id, [](const core::Room& r, absl::Time now) { return r.Stats(now); });
}

void RoomManager::CreateEvent(const std::string& room, core::Event event,
                              Callback<core::Event> done) {
  WithRoom<core::Event>(
      room,
      [&](core::Room& r, absl::Time now, core::Changes* changes) {
        absl::StatusOr<core::Event> created = r.AddEvent(event, now, changes);
        if (created.ok()) {
          ANTEROOM_LOG(kInfo, "room %s: event %s scheduled: pre-queue %s, start %s, end %s%s", room,
                       created->id, absl::FormatTime(created->prequeue_start),
                       absl::FormatTime(created->start), absl::FormatTime(created->end),
                       created->shuffle_at_start ? ", shuffled at start" : "");
        }
        return created;
      },
      std::move(done));
}

absl::StatusOr<std::vector<core::Event>> RoomManager::ListEvents(const std::string& room) {
  return ReadRoom<std::vector<core::Event>>(
      room, [](const core::Room& r, absl::Time) { return r.events(); });
}

void RoomManager::CancelEvent(const std::string& room, const std::string& event_id,
                              Callback<bool> done) {
  WithRoom<bool>(
      room,
      [&](core::Room& r, absl::Time now, core::Changes* changes) -> absl::StatusOr<bool> {
        if (absl::Status s = r.CancelEvent(event_id, now, changes); !s.ok()) return s;
        ANTEROOM_LOG(kInfo, "room %s: event %s cancelled", room, event_id);
        return true;
      },
      std::move(done));
}

void RoomManager::RevokeSession(const wire::ParsedToken& session, Callback<bool> done) {
  WithRoom<bool>(
      std::string(session.room),
      [&](core::Room& r, absl::Time now, core::Changes* changes) -> absl::StatusOr<bool> {
        const bool revoked = r.Revoke(session.id, session.secret, now, changes);
        if (revoked) ANTEROOM_LOG(kInfo, "room %s: session %d revoked", r.id(), session.id);
        return revoked;
      },
      std::move(done));
}

void RoomManager::Admit(const std::string& room, const VisitorId& visitor, absl::string_view source,
                        const v1::Solution* solution, core::AdmitOptions options,
                        Callback<core::VisitorView> done) {
  if (solution != nullptr && !options.proved_work) {
    options.proved_work = challenges_.Verify(room, visitor.id, *solution, clock_->Now());
    metrics_->CountChallenge(options.proved_work ? Metrics::ChallengeOutcome::kSolved
                                                 : Metrics::ChallengeOutcome::kRefused);
  }
  const core::ClientKey key =
      visitor.identity ? keyer_->OfIdentity(visitor.id) : keyer_->Of(visitor.id);
  // The source's key is keyed too (so it means nothing outside this store), 48 bits of it.
  core::SourceKey source_key = 0;
  if (!source.empty()) {
    source_key = keyer_->Of(absl::StrCat("source:", source)).hi & core::kSourceKeyMask;
    if (source_key == 0) source_key = 1;  // 0 means "none"
  }
  WithRoom<core::VisitorView>(
      room,
      [&](core::Room& r, absl::Time now,
          core::Changes* changes) -> absl::StatusOr<core::VisitorView> {
        return r.Admit(key, source_key, now, changes, options);
      },
      std::move(done));
}

v1::Challenge RoomManager::IssueChallenge(absl::string_view room, absl::string_view client_id,
                                          int64_t work) {
  metrics_->CountChallenge(Metrics::ChallengeOutcome::kIssued);
  return challenges_.Issue(room, client_id, work, clock_->Now(), random_);
}

void RoomManager::Poll(const wire::ParsedToken& ticket, Callback<core::VisitorView> done) {
  // Poll writes nothing (when a visitor was last seen is not persisted: a restart treats
  // everyone as seen at start-up), but it answers only once what it reports is durable.
  WithRoom<core::VisitorView>(
      std::string(ticket.room),
      [&](core::Room& r, absl::Time now, core::Changes*) -> absl::StatusOr<core::VisitorView> {
        return r.Poll(ticket.id, ticket.secret, now);
      },
      std::move(done));
}

void RoomManager::Heartbeat(const wire::ParsedToken& session, Callback<core::VisitorView> done) {
  WithRoom<core::VisitorView>(
      std::string(session.room),
      [&](core::Room& r, absl::Time now,
          core::Changes* changes) -> absl::StatusOr<core::VisitorView> {
        return r.Heartbeat(session.id, session.secret, now, changes);
      },
      std::move(done));
}

void RoomManager::Leave(const wire::ParsedToken& token, Callback<bool> done) {
  WithRoom<bool>(
      std::string(token.room),
      [&](core::Room& r, absl::Time now, core::Changes* changes) -> absl::StatusOr<bool> {
        return r.Leave(token.kind, token.id, token.secret, now, changes);
      },
      std::move(done));
}

void RoomManager::TickAll() {
  if (absl::ToUnixMicros(clock_->Now()) - alive_recorded_us_ >= 1'000'000) {
    RecordAlive();
    metrics_->SetStorageBytes(static_cast<double>(store_->ApproximateBytes()));
  }
  for (const auto& room : registry_.All()) room->Tick();
}

}  // namespace anteroom::service
