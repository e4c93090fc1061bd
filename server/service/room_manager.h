#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/base/clock.h"
#include "server/base/mutex.h"
#include "server/base/random.h"
#include "server/core/room.h"
#include "server/core/settings.h"
#include "server/service/metrics.h"
#include "storage/store.h"

namespace anteroom::service {

// A room's identity and settings, as returned to operators.
struct RoomInfo {
  std::string id;
  core::RoomSettings settings;
  absl::Time created_at;
};

// Owns every room: serialises operations on each room with one lock per room, persists what
// each operation changed before acknowledging it (write-through to the Store), and keeps the
// room metrics current.
//
// Guarantee: an operation that returns OK has its effects in the store. When a store write
// fails, the operation returns UNAVAILABLE and the room is reloaded from the store, so memory
// never runs ahead of what is persisted.
//
// Thread-safe. Operations on different rooms run in parallel.
class RoomManager {
 public:
  // All pointers must outlive the manager.
  RoomManager(storage::Store* store, base::Clock* clock, base::TokenSource* tokens,
              Metrics* metrics);

  // Loads every room with its queue and sessions from the store. Call once, before serving.
  absl::Status Load();

  // --- Operators ---
  absl::StatusOr<RoomInfo> CreateRoom(const std::string& id, const core::RoomSettings& settings);
  // `mutate` edits a copy of the current settings; the result is validated and applied.
  absl::StatusOr<RoomInfo> UpdateRoom(
      const std::string& id, const std::function<absl::Status(core::RoomSettings*)>& mutate);
  absl::StatusOr<RoomInfo> GetRoom(const std::string& id);
  std::vector<RoomInfo> ListRooms();
  absl::Status DeleteRoom(const std::string& id);
  absl::StatusOr<core::RoomStats> GetRoomStatus(const std::string& id);

  // --- Visitors (through gateways) ---
  absl::StatusOr<core::VisitorView> Admit(const std::string& room, absl::string_view client_id);
  // `ticket` / `session` / `token` must be well-formed tokens of `room`.
  absl::StatusOr<core::VisitorView> Poll(const std::string& room, absl::string_view ticket);
  absl::StatusOr<core::VisitorView> Heartbeat(const std::string& room, absl::string_view session);
  absl::StatusOr<bool> Leave(const std::string& room, absl::string_view token);

  // Expires lapsed leases and fills free slots in every room; run periodically.
  void TickAll();

 private:
  struct Entry {
    explicit Entry(std::unique_ptr<core::Room> r, Metrics::RoomSeries s)
        : room(std::move(r)), series(s) {}
    base::Mutex mu;
    std::unique_ptr<core::Room> room ABSL_GUARDED_BY(mu);
    int64_t persisted_admitted_total ABSL_GUARDED_BY(mu) = 0;
    bool deleted ABSL_GUARDED_BY(mu) = false;
    const Metrics::RoomSeries series;
  };

  std::shared_ptr<Entry> Find(const std::string& id);
  // Builds a room from its persisted records.
  absl::StatusOr<std::unique_ptr<core::Room>> LoadRoom(absl::string_view id,
                                                       absl::string_view record_bytes);
  // Persists `changes`, and the room record when asked or when admissions changed its
  // totals; on failure reloads the room from the store and returns UNAVAILABLE.
  absl::Status Commit(Entry& entry, const core::Changes& changes, bool write_room_record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  void UpdateGauges(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  std::string EncodeRoomRecord(const core::Room& room, int64_t admitted_total) const;
  static RoomInfo InfoOf(const core::Room& room);

  storage::Store* const store_;
  base::Clock* const clock_;
  base::TokenSource* const tokens_;
  Metrics* const metrics_;

  base::Mutex mu_;  // guards the map, not the rooms
  std::map<std::string, std::shared_ptr<Entry>> rooms_ ABSL_GUARDED_BY(mu_);
};

}  // namespace anteroom::service
