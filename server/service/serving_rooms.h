#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/clock.h"
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
  // `clock` (may be null without ServeUntil) reads the monotonic time ServeUntil bounds.
  // `real_clock`'s monotonic time paces the waits for calls to be answered (real time,
  // whatever clock the rooms run on).
  explicit ServingRooms(OwnerFn owner = nullptr, base::Clock* clock = nullptr,
                        base::Clock* real_clock = base::SystemClock())
      : owner_(std::move(owner)), clock_(clock), real_clock_(real_clock) {}

  // The rooms for one call, held until Release; null (and nothing held) when none are served.
  RoomManager* Acquire();
  // Ends the hold of a call whose Acquire gave rooms.
  void Release();
  // One more hold, by a call that holds the rooms already (its handler, until it has left
  // RoomManager's code: its answer may release the first hold before then).
  void Retain() { holds_.fetch_add(1); }

  // From now on calls are served by `rooms` (not null), until Withdraw.
  void Serve(RoomManager* rooms);
  // Calls are served only while the clock's monotonic time is before `until`: a replica's
  // lease, so that it stops serving before etcd can let the lease lapse, whatever its
  // threads are doing. Later calls raise or lower it; InfiniteFuture (the default): no bound.
  void ServeUntil(absl::Time until);
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
  base::Clock* const clock_;
  base::Clock* const real_clock_;
  std::atomic<RoomManager*> rooms_{nullptr};
  // ServeUntil's bound in Unix nanoseconds of the monotonic clock; INT64_MAX: none.
  std::atomic<int64_t> until_ns_{INT64_MAX};
  std::atomic<int64_t> holds_{0};
  base::Mutex mu_;
  base::CondVar released_;
};

}  // namespace anteroom::service
