#include "server/service/durable_room.h"

#include <vector>

#include "base/log.h"
#include "server/service/records.h"
#include "server/service/recovery.h"

namespace anteroom::service {

absl::Status RoomNotFound(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("room '", id, "' does not exist"));
}

DurableRoom::DurableRoom(std::unique_ptr<core::Room> room, uint64_t epoch, const Deps& deps)
    : id_(room->id()),
      deps_(deps),
      series_(deps.metrics->ForRoom(room->id())),
      room_(std::move(room)),
      epoch_(epoch) {
  base::MutexLock lock(&mu_);
  UpdateGaugesLocked();
}

absl::Status DurableRoom::Usable() const {
  if (deleted_) return RoomNotFound(id_);
  if (reloading_) {
    return absl::UnavailableError(absl::StrCat(
        "room '", id_, "' is being read back from storage after a failed write; retry"));
  }
  return absl::OkStatus();
}

void DurableRoom::Tick() {
  base::MutexLock lock(&mu_);
  if (!Usable().ok()) return;
  core::Changes changes;
  room_->Tick(deps_.clock->Now(), &changes);
  // A failed write is logged and rolled back in OnWritten; the next tick tries again.
  Submit(changes);
  // The estimated wait moves with time even when nothing changed.
  if (changes.empty()) UpdateGaugesLocked();
}

uint64_t DurableRoom::MarkDeleted() {
  base::MutexLock lock(&mu_);
  deleted_ = true;
  return epoch_;
}

void DurableRoom::Undelete() {
  base::MutexLock lock(&mu_);
  deleted_ = false;
  ReloadLocked();
}

uint64_t DurableRoom::Submit(const core::Changes& changes) {
  // Rejections change nothing to persist: count them now.
  series_.CountRejections(changes);
  if (changes.empty()) return applied_;  // still wait for what this call saw
  // Gauges follow changes here (not on every Poll); Tick refreshes them as time passes.
  UpdateGaugesLocked();
  const uint64_t seq = ++applied_;
  storage::WriteBatch batch;
  AppendChanges(*room_, changes, &batch);
  // What the metrics and the log need once the write is known to have succeeded.
  core::Changes summary;
  summary.admitted = changes.admitted;
  summary.abandoned = changes.abandoned;
  summary.expired = changes.expired;
  summary.no_shows = changes.no_shows;
  summary.revoked = changes.revoked;
  summary.waited_seconds = changes.waited_seconds;
  summary.events_started = changes.events_started;
  summary.events_ended = changes.events_ended;
  const uint64_t epoch = epoch_;
  deps_.committer->Submit(id_, epoch, std::move(batch),
                          [self = shared_from_this(), seq, epoch, summary = std::move(summary)](
                              const absl::Status& s) { self->OnWritten(seq, epoch, summary, s); });
  return seq;
}

bool DurableRoom::WaitFor(uint64_t seq, Answer& answer) {
  if (seq <= durable_) return false;
  waiters_.emplace_back(seq, std::move(answer));
  return true;
}

void DurableRoom::OnWritten(uint64_t seq, uint64_t epoch, const core::Changes& summary,
                            const absl::Status& status) {
  std::vector<Answer> ready;
  absl::Status outcome = absl::OkStatus();
  {
    base::MutexLock lock(&mu_);
    // A write from before a reload: its waiters were answered at the reload.
    if (epoch != epoch_) return;
    if (status.ok()) {
      durable_ = std::max(durable_, seq);
      series_.CountDurable(summary);
      for (const std::string& line : summary.events_started) {
        ANTEROOM_LOG(kInfo, "room %s: event %s", id_, line);
      }
      for (const std::string& event : summary.events_ended) {
        ANTEROOM_LOG(kInfo, "room %s: event %s ended", id_, event);
      }
      while (!waiters_.empty() && waiters_.front().first <= durable_) {
        ready.push_back(std::move(waiters_.front().second));
        waiters_.pop_front();
      }
    } else {
      ANTEROOM_LOG(kError, "room %s: storage write failed, reloading the room: %s", id_,
                   status.ToString());
      outcome = absl::UnavailableError(
          absl::StrCat("storage unavailable, nothing was changed: ", status.message()));
      for (auto& waiter : waiters_) ready.push_back(std::move(waiter.second));
      waiters_.clear();
      // Later writes go under a new epoch; until the reload, calls are refused.
      epoch_ = (*deps_.epochs)++;
      applied_ = durable_;
      if (!reloading_) {
        reloading_ = true;
        deps_.background->Post([self = shared_from_this()] { self->Reload(); });
      }
    }
  }
  for (auto& answer : ready) answer(outcome);
}

void DurableRoom::Reload() {
  // No lock while reading: the scan may take seconds, and nothing writes this room meanwhile
  // (its calls and ticks are refused).
  absl::StatusOr<std::unique_ptr<core::Room>> reloaded =
      LoadRoom(deps_.store, id_, deps_.clock->Now(), deps_.random);
  base::MutexLock lock(&mu_);
  if (reloaded.ok()) {
    room_ = std::move(*reloaded);
  } else {
    ANTEROOM_LOG(kError, "room %s: reload failed, keeping memory as is: %s", id_,
                 reloaded.status().ToString());
  }
  reloading_ = false;
  UpdateGaugesLocked();
}

void DurableRoom::ReloadLocked() {
  // Memory goes back to what is persisted, so nothing unacknowledged survives; later writes
  // go under a new epoch, and the committer drops those still queued under the old one.
  absl::StatusOr<std::unique_ptr<core::Room>> reloaded =
      LoadRoom(deps_.store, id_, deps_.clock->Now(), deps_.random);
  if (reloaded.ok()) {
    room_ = std::move(*reloaded);
  } else {
    ANTEROOM_LOG(kError, "room %s: reload failed, keeping memory as is: %s", id_,
                 reloaded.status().ToString());
  }
  epoch_ = (*deps_.epochs)++;
  applied_ = durable_;
  UpdateGaugesLocked();
}

void DurableRoom::UpdateGaugesLocked() { series_.SetGauges(room_->Stats(deps_.clock->Now())); }

}  // namespace anteroom::service
