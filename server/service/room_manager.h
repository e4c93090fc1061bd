#pragma once

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
  RoomManager(storage::Store* store, base::Clock* clock, base::RandomSource* random,
              const ClientKeyer* keyer, Metrics* metrics);

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
  absl::StatusOr<core::Event> CreateEvent(const std::string& room, core::Event event);
  absl::StatusOr<std::vector<core::Event>> ListEvents(const std::string& room);
  absl::Status CancelEvent(const std::string& room, const std::string& event_id);
  // `session` must be a parsed session token. Returns whether it was live.
  absl::StatusOr<bool> RevokeSession(const core::ParsedToken& session);

  // --- Visitors (through gateways) ---
  absl::StatusOr<core::VisitorView> Admit(const std::string& room, absl::string_view client_id);
  // Tokens come parsed (core::ParseToken) and of the right kind.
  absl::StatusOr<core::VisitorView> Poll(const core::ParsedToken& ticket);
  absl::StatusOr<core::VisitorView> Heartbeat(const core::ParsedToken& session);
  absl::StatusOr<bool> Leave(const core::ParsedToken& token);

  // Expires lapsed leases and fills free slots in every room; run periodically.
  void TickAll();

 private:
  struct Entry {
    explicit Entry(std::unique_ptr<core::Room> r, Metrics::RoomSeries s)
        : room(std::move(r)), series(s) {}
    base::Mutex mu;
    std::unique_ptr<core::Room> room ABSL_GUARDED_BY(mu);
    bool deleted ABSL_GUARDED_BY(mu) = false;
    const Metrics::RoomSeries series;
  };

  std::shared_ptr<Entry> Find(const std::string& id);
  // Runs `fn(room, now, changes)` under the room's lock, then commits the changes; the
  // result is returned only if they were persisted.
  template <typename T>
  absl::StatusOr<T> WithRoom(const std::string& id,
                             absl::FunctionRef<T(core::Room&, absl::Time, core::Changes*)> fn);
  // Builds a room from its persisted records.
  absl::StatusOr<std::unique_ptr<core::Room>> LoadRoom(absl::string_view id,
                                                       absl::string_view record_bytes);
  // Persists `changes` (the room record too when they say so); on failure reloads the room
  // from the store and returns UNAVAILABLE.
  absl::Status Commit(Entry& entry, const core::Changes& changes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  void UpdateGauges(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  static std::string EncodeRoomRecord(const core::Room& room);
  static RoomInfo InfoOf(const core::Room& room);

  storage::Store* const store_;
  base::Clock* const clock_;
  base::RandomSource* const random_;
  const ClientKeyer* const keyer_;
  Metrics* const metrics_;

  base::Mutex mu_;  // guards the map, not the rooms
  std::map<std::string, std::shared_ptr<Entry>> rooms_ ABSL_GUARDED_BY(mu_);
};

}  // namespace anteroom::service
