#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "base/random.h"
#include "base/task_thread.h"
#include "server/core/room.h"
#include "server/service/committer.h"
#include "server/service/metrics.h"
#include "storage/store.h"

namespace anteroom::service {

template <typename T>
using Callback = std::function<void(absl::StatusOr<T>)>;

absl::Status RoomNotFound(absl::string_view id);

// One room and the sequence that makes what it does durable: apply -> submit -> durable ->
// answer. An operation runs under the room's lock; what it changed goes to the Committer, and
// its answer waits until every change it made *or saw* is durable, so no answer reveals state
// a crash could lose. The lock is not held while the write is under way, so concurrent
// operations share one write.
//
// Every change gets the next `applied` number; `durable` is the highest whose write completed.
// A failed write answers every waiting call UNAVAILABLE and reloads the room from the store,
// so memory never keeps what was not persisted; later changes go under a new epoch, and the
// committer drops those still queued under the old one (they were computed on top of what
// was lost). The reload (a scan of the room's records: seconds for millions of places) runs
// on a background thread without the room's lock; meanwhile this room's calls answer
// UNAVAILABLE at once, and the committer and every other room go on.
//
// Answers may run on the committer's thread. Always held by shared_ptr: a write in flight
// keeps its room alive. Thread-safe.
class DurableRoom : public std::enable_shared_from_this<DurableRoom> {
 public:
  // The dependencies a room's durability needs; all must outlive the room. `epochs` numbers
  // writes uniquely across the server, so a failed write never poisons a later room of the
  // same name.
  struct Deps {
    Committer* committer;
    storage::Store* store;  // read back from on a failed write
    base::Clock* clock;
    base::RandomSource* random;
    std::atomic<uint64_t>* epochs;
    Metrics* metrics;
    base::TaskThread* background;  // runs reloads
  };

  // `room` is as persisted (just loaded, or created and written under `epoch`).
  DurableRoom(std::unique_ptr<core::Room> room, uint64_t epoch, const Deps& deps);

  const std::string& id() const { return id_; }

  // Runs `fn(room, now, changes)` under the room's lock, submits the changes, and calls `done`
  // with fn's result once everything fn saw or changed is durable (UNAVAILABLE if that write
  // failed; NOT_FOUND once the room is deleted).
  template <typename T>
  void Apply(absl::FunctionRef<absl::StatusOr<T>(core::Room&, absl::Time, core::Changes*)> fn,
             Callback<T> done);
  // `fn(room, now)` under the room's lock, for reads that need not wait for durability
  // (operators' views). NOT_FOUND once the room is deleted.
  template <typename T>
  absl::StatusOr<T> Read(absl::FunctionRef<T(const core::Room&, absl::Time)> fn);

  // The admission tick: events, expiries, admissions; what changed is submitted (nobody
  // waits on it), and the gauges follow the clock.
  void Tick();

  // For deleting the room: from now on calls answer NOT_FOUND; returns the epoch to write the
  // removal under. After a failed removal, Undelete brings the room back as persisted.
  uint64_t MarkDeleted();
  void Undelete();

 private:
  using Answer = std::function<void(const absl::Status&)>;
  // Submits `changes` (the room is locked); returns the number the caller must wait for.
  uint64_t Submit(const core::Changes& changes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues `answer` until change `seq` is durable; false (and `answer` untouched) when it
  // already is, in which case the caller answers at once.
  bool WaitFor(uint64_t seq, Answer& answer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The committer's report on change `seq`, submitted under `epoch`.
  void OnWritten(uint64_t seq, uint64_t epoch, const core::Changes& summary,
                 const absl::Status& status);
  // Reads the room back from the store and puts it in place (the lock is taken only to
  // swap it in). Runs on the background thread after a failed write.
  void Reload();
  // The same, under the lock, for an operator's failed delete.
  void ReloadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Refuses calls while the room is being reloaded (nothing unpersisted may be shown).
  absl::Status Usable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateGaugesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string id_;
  const Deps deps_;
  const Metrics::RoomSeries series_;

  base::Mutex mu_;
  std::unique_ptr<core::Room> room_ ABSL_GUARDED_BY(mu_);
  bool deleted_ ABSL_GUARDED_BY(mu_) = false;
  bool reloading_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t applied_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t durable_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t epoch_ ABSL_GUARDED_BY(mu_);
  // Answers waiting for `durable_` to reach their number, in order.
  std::deque<std::pair<uint64_t, Answer>> waiters_ ABSL_GUARDED_BY(mu_);
};

// --- Implementation of the templates ---

template <typename T>
void DurableRoom::Apply(
    absl::FunctionRef<absl::StatusOr<T>(core::Room&, absl::Time, core::Changes*)> fn,
    Callback<T> done) {
  Answer answer;
  {
    base::MutexLock lock(&mu_);
    if (absl::Status usable = Usable(); !usable.ok()) {
      answer = [&done, usable](const absl::Status&) { done(usable); };
    } else {
      core::Changes changes;
      absl::StatusOr<T> result = fn(*room_, deps_.clock->Now(), &changes);
      const uint64_t wait_for = Submit(changes);
      answer = [done = std::move(done), result = std::move(result)](const absl::Status& written) {
        if (written.ok()) {
          done(std::move(result));
        } else {
          done(written);
        }
      };
      if (WaitFor(wait_for, answer)) return;
    }
  }
  answer(absl::OkStatus());
}

template <typename T>
absl::StatusOr<T> DurableRoom::Read(absl::FunctionRef<T(const core::Room&, absl::Time)> fn) {
  base::MutexLock lock(&mu_);
  if (absl::Status usable = Usable(); !usable.ok()) return usable;
  return fn(*room_, deps_.clock->Now());
}

}  // namespace anteroom::service
