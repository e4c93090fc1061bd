#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "server/service/room_manager.h"

namespace anteroom::service {

// What a node's listeners serve at this moment: a RoomManager, or none. A single node serves
// its rooms from start to stop; a replica serves the owner's rooms during its terms as owner
// and none in between, when every call answers UNAVAILABLE naming the owner (the client
// library follows the name). The listeners live as long as the node, whatever its role, so a
// call is always answered by a handler, never cut off by a server going away: a call that
// arrives while the node changes role is answered UNAVAILABLE, never CANCELLED.
//
// Each call holds the rooms from Acquire to Release (its answer), so a term can end only once
// the calls it started are answered.
//
// Thread-safe; Acquire and Release are lock-free.
class ServingRooms {
 public:
  // Where the owner's APIs are, when this node does not serve the rooms.
  struct Owner {
    std::string gateway;  // empty: no owner known
    std::string admin;
  };
  using OwnerFn = std::function<Owner()>;

  // `owner` (may be empty: none known) is asked for every call turned away; it must be cheap.
  explicit ServingRooms(OwnerFn owner = nullptr) : owner_(std::move(owner)) {}

  // The rooms for one call, held until Release; null (and nothing held) when none are served.
  RoomManager* Acquire();
  // Ends the hold of a call whose Acquire gave rooms.
  void Release();

  // From now on calls are served by `rooms` (not null), until Withdraw.
  void Serve(RoomManager* rooms);
  // Turns new calls away and waits until the calls holding the rooms are answered, or
  // `timeout` passes; true when none holds them any more. Idempotent.
  bool Withdraw(absl::Duration timeout);
  // Waits until no call holds the rooms (after Withdraw).
  void WaitReleased();

  bool serving() const { return rooms_.load() != nullptr; }
  Owner owner() const { return owner_ ? owner_() : Owner{}; }
  // The answer to a call turned away: UNAVAILABLE, naming the owner's address of `api`
  // ("gateway API", "admin API") in its message when one is known.
  absl::Status NotServing(absl::string_view api, const std::string& owner_address) const;

 private:
  const OwnerFn owner_;
  std::atomic<RoomManager*> rooms_{nullptr};
  std::atomic<int64_t> holds_{0};
  base::Mutex mu_;
  base::CondVar released_;
};

}  // namespace anteroom::service
