#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/clock.h"
#include "base/random.h"
#include "server/core/room.h"
#include "server/core/settings.h"
#include "server/service/challenges.h"
#include "server/service/client_key.h"
#include "server/service/committer.h"
#include "server/service/durable_room.h"
#include "server/service/metrics.h"
#include "server/service/room_registry.h"
#include "storage/store.h"
#include "wire/token.h"

namespace anteroom::service {

// Who a visitor is: the gateway's client_id, or a verified identity (an entry token's
// subject), keyed apart so that neither can pose as the other.
struct VisitorId {
  std::string id;
  bool identity = false;
};

// A room's identity and settings, as returned to operators.
struct RoomInfo {
  std::string id;
  core::RoomSettings settings;
  absl::Time created_at;
};

// What the services call: every operator and visitor operation on the rooms of one server,
// checked, logged for operators, and carried out on the room's DurableRoom (which answers
// once what the call changed or saw is durable; see there). Rooms are found in the
// RoomRegistry; the store is read back by recovery (Load).
//
// Visitor calls complete through a callback, possibly on the committer's thread. Operator
// calls that create or delete rooms block until written (they are rare).
//
// Thread-safe. Operations on different rooms run in parallel.
class RoomManager {
 public:
  // All pointers must outlive the manager. `background` runs rooms' reloads.
  RoomManager(storage::Store* store, Committer* committer, base::Clock* clock,
              base::RandomSource* random, const ClientKeyer* keyer, Metrics* metrics,
              base::TaskThread* background);

  // Loads every room with its queue and sessions from the store and credits the downtime
  // since the last alive mark to every lease. Call once, before serving.
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
  void RevokeSession(const wire::ParsedToken& session, Callback<bool> done);

  // --- Visitors (through gateways) ---
  // `source` is the gateway's name for the visitor's network (empty: none). `solution` (may be
  // null) is the newcomer's proof of work; in a room that asks for one, a newcomer without a
  // valid one is answered kChallenged, and IssueChallenge makes the challenge to hand out.
  // `options.entry` comes from a checked entry token; `options.proved_work` is set here from
  // `solution`, unless already set (a verified identity needs no proof).
  void Admit(const std::string& room, const VisitorId& visitor, absl::string_view source,
             const v1::Solution* solution, core::AdmitOptions options,
             Callback<core::VisitorView> done);
  // A proof-of-work challenge of `work` for `client_id` in `room` (see Challenges).
  v1::Challenge IssueChallenge(absl::string_view room, absl::string_view client_id, int64_t work);
  // Tokens come parsed (wire::ParseToken) and of the right kind.
  void Poll(const wire::ParsedToken& ticket, Callback<core::VisitorView> done);
  void Heartbeat(const wire::ParsedToken& session, Callback<core::VisitorView> done);
  void Leave(const wire::ParsedToken& token, Callback<bool> done);

  // Expires lapsed leases and fills free slots in every room, and records (at most once a
  // second) that the server is alive; run periodically.
  void TickAll();
  // The server's clock.
  absl::Time Now() const { return clock_->Now(); }
  // Records now as the last instant the server was alive. At the next start, the time from
  // then is downtime, credited to every lease. Called by TickAll and at a clean stop.
  void RecordAlive();

 private:
  // `fn` on room `id` through its DurableRoom; NOT_FOUND for an unknown room.
  template <typename T>
  void WithRoom(const std::string& id,
                absl::FunctionRef<absl::StatusOr<T>(core::Room&, absl::Time, core::Changes*)> fn,
                Callback<T> done);
  template <typename T>
  absl::StatusOr<T> ReadRoom(const std::string& id,
                             absl::FunctionRef<T(const core::Room&, absl::Time)> fn);

  storage::Store* const store_;
  Committer* const committer_;
  base::Clock* const clock_;
  base::RandomSource* const random_;
  const ClientKeyer* const keyer_;
  Metrics* const metrics_;
  const Challenges challenges_;
  RoomRegistry registry_;
  std::atomic<int64_t> alive_recorded_us_{0};
};

}  // namespace anteroom::service
