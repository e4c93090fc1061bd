#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/base/clock.h"
#include "server/base/mutex.h"
#include "server/base/random.h"
#include "server/core/room.h"
#include "server/core/settings.h"
#include "server/core/token.h"
#include "server/service/client_key.h"
#include "server/service/committer.h"
#include "server/service/metrics.h"
#include "storage/store.h"

namespace anteroom::service {

// A room's identity and settings, as returned to operators.
struct RoomInfo {
  std::string id;
  core::RoomSettings settings;
  absl::Time created_at;
};

template <typename T>
using Callback = std::function<void(absl::StatusOr<T>)>;

// Owns every room: serialises operations on each room with one lock per room, persists what
// each operation changed through the group Committer, and keeps the room metrics current.
//
// Durability contract: a visitor or operator call answers only once every change it made
// or saw is in the store (the room's `durable` sequence has caught up with what the call
// observed), so no answer reveals state a crash could lose. The room lock is not held while
// waiting, so concurrent calls share one (possibly fsync'd) write. When a write fails, the
// calls waiting on it answer UNAVAILABLE and the room is reloaded from the store: memory
// never keeps what was not persisted.
//
// Visitor calls complete through a callback, possibly on the committer's thread. Operator
// calls that create or delete rooms block until written (they are rare).
//
// Thread-safe. Operations on different rooms run in parallel.
class RoomManager {
 public:
  // All pointers must outlive the manager.
  RoomManager(storage::Store* store, Committer* committer, base::Clock* clock,
              base::RandomSource* random, const ClientKeyer* keyer, Metrics* metrics);

  // Loads every room with its queue and sessions from the store. Call once, before serving.
  absl::Status Load();

  // --- Operators ---
  absl::StatusOr<RoomInfo> CreateRoom(const std::string& id, const core::RoomSettings& settings);
  // `mutate` edits a copy of the current settings; the result is validated and applied.
  void UpdateRoom(const std::string& id, std::function<absl::Status(core::RoomSettings*)> mutate,
                  Callback<RoomInfo> done);
  absl::StatusOr<RoomInfo> GetRoom(const std::string& id);
  std::vector<RoomInfo> ListRooms();
  absl::Status DeleteRoom(const std::string& id);
  absl::StatusOr<core::RoomStats> GetRoomStatus(const std::string& id);
  void CreateEvent(const std::string& room, core::Event event, Callback<core::Event> done);
  absl::StatusOr<std::vector<core::Event>> ListEvents(const std::string& room);
  void CancelEvent(const std::string& room, const std::string& event_id, Callback<bool> done);
  // `session` must be a parsed session token. Answers whether it was live.
  void RevokeSession(const core::ParsedToken& session, Callback<bool> done);

  // --- Visitors (through gateways) ---
  void Admit(const std::string& room, absl::string_view client_id,
             Callback<core::VisitorView> done);
  // Tokens come parsed (core::ParseToken) and of the right kind.
  void Poll(const core::ParsedToken& ticket, Callback<core::VisitorView> done);
  void Heartbeat(const core::ParsedToken& session, Callback<core::VisitorView> done);
  void Leave(const core::ParsedToken& token, Callback<bool> done);

  // Expires lapsed leases and fills free slots in every room, and records (at most once a
  // second) that the server is alive; run periodically.
  void TickAll();
  // Records now as the last instant the server was alive. At the next start, the time from
  // then is downtime, credited to every lease. Called by TickAll and at a clean stop.
  void RecordAlive();

 private:
  struct Entry {
    explicit Entry(std::unique_ptr<core::Room> r, Metrics::RoomSeries s)
        : room(std::move(r)), series(s) {}
    base::Mutex mu;
    std::unique_ptr<core::Room> room ABSL_GUARDED_BY(mu);
    bool deleted ABSL_GUARDED_BY(mu) = false;
    // Every change gets the next `applied` number; `durable` is the highest whose write
    // completed. `epoch` changes when the room is reloaded after a failed write.
    uint64_t applied ABSL_GUARDED_BY(mu) = 0;
    uint64_t durable ABSL_GUARDED_BY(mu) = 0;
    uint64_t epoch ABSL_GUARDED_BY(mu) = 0;
    // Answers waiting for `durable` to reach their number.
    std::deque<std::pair<uint64_t, std::function<void(const absl::Status&)>>> waiters
        ABSL_GUARDED_BY(mu);
    const Metrics::RoomSeries series;
  };

  std::shared_ptr<Entry> Find(const std::string& id);
  // Runs `fn(room, now, changes)` under the room's lock, submits the changes, and calls
  // `done` with fn's result once everything fn saw or changed is durable.
  template <typename T>
  void WithRoom(const std::string& id,
                absl::FunctionRef<absl::StatusOr<T>(core::Room&, absl::Time, core::Changes*)> fn,
                Callback<T> done);
  // Submits `changes` of the locked entry; returns the number the caller must wait for.
  uint64_t Submit(const std::shared_ptr<Entry>& entry, const core::Changes& changes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry->mu);
  // The committer's report on change `seq` of `entry`, submitted under `epoch`.
  void OnWritten(const std::shared_ptr<Entry>& entry, uint64_t seq, uint64_t epoch,
                 const core::Changes& summary, const absl::Status& status);
  // Builds a room from its persisted records.
  absl::StatusOr<std::unique_ptr<core::Room>> LoadRoom(absl::string_view id,
                                                       absl::string_view record_bytes);
  void ReloadLocked(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  void UpdateGauges(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  static std::string EncodeRoomRecord(const core::Room& room);
  static RoomInfo InfoOf(const core::Room& room);

  storage::Store* const store_;
  Committer* const committer_;
  base::Clock* const clock_;
  base::RandomSource* const random_;
  const ClientKeyer* const keyer_;
  Metrics* const metrics_;

  std::atomic<int64_t> alive_recorded_us_{0};
  // Epochs are unique across rooms and alive marks, so a failed write never poisons a later
  // room of the same name.
  std::atomic<uint64_t> next_epoch_{1};
  base::Mutex mu_;  // guards the map, not the rooms
  std::map<std::string, std::shared_ptr<Entry>> rooms_ ABSL_GUARDED_BY(mu_);
};

}  // namespace anteroom::service
