#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/random.h"
#include "server/core/rank_index.h"
#include "server/core/room_types.h"
#include "server/core/slot_table.h"
#include "wire/token.h"

namespace anteroom::core {

// The visitors waiting in one room: the priority lane and the queue, each in arrival order
// (the lane ahead), the pre-queue of an event, and the place-hold order (least recently
// seen first). It keeps places; who gets one and
// when a place is given up is the Room's policy.
//
// Guarantees (tests/core/waiting_line_test.cc):
// - A place's position is the number of queued places ahead of it, plus one, found in
//   O(log n); the pre-queue takes no position.
// - Seq numbers only grow: a new place, and the pre-queue when it joins the queue, go behind
//   every place there is.
// - Every place made, moved or removed is appended to the Changes passed in, so what is
//   persisted always matches.
//
// Not thread-safe: the owning Room is.
class WaitingLine {
 public:
  // A place made for `client` (from `source`) at `now`, holding `secret`: queued,
  // pre-queued, or in the shadow queue (over a per-source limit: a place hold like any other,
  // no position, never at the front). Its seq is also its ticket id.
  uint64_t Enqueue(const ClientKey& client, const wire::Secret& secret, uint64_t source,
                   SlotState state, absl::Time now, Changes* changes);

  // The seq holding ticket `ticket_id` (they differ once the pre-queue shuffle moved it).
  uint64_t SeqOf(uint64_t ticket_id) const;
  // The live place of ticket `ticket_id` if `secret` is its secret (compared in constant
  // time), else null.
  const Slot* Find(uint64_t ticket_id, const wire::Secret& secret) const;
  const Slot* FindSeq(uint64_t seq) const { return slots_.Find(seq); }

  // 1 = next: the priority lane first, then the queue. `seq` must be queued (either).
  int64_t Position(uint64_t seq) const;
  // Queued, the priority lane included.
  int64_t queued() const { return queue_.size() + priority_.size(); }
  int64_t in_priority_lane() const { return priority_.size(); }
  int64_t prequeued() const { return prequeue_count_; }
  int64_t shadowed() const { return shadow_count_; }
  // Queued and pre-queued (the shadow queue is not a queue).
  int64_t waiting() const { return queued() + prequeued(); }
  // The seq at the head of the line (the priority lane's first), and the one at 0-based
  // position `k` (for RANDOM). The line must not be empty.
  uint64_t Head() const { return priority_.empty() ? *queue_.First() : *priority_.First(); }
  uint64_t AtPosition(int64_t k) const {
    return k < priority_.size() ? priority_.Select(k) : queue_.Select(k - priority_.size());
  }

  // The visitor at `seq` refreshed at `now`: their place hold restarts.
  void MarkSeen(uint64_t seq, absl::Time now);
  // The queued place least recently seen (0 when none), and whether a place's hold has
  // lapsed at `now` under `place_hold` (zero: never).
  uint64_t LeastRecentlySeen() const { return lru_head_; }
  static bool HoldLapsed(const Slot& slot, absl::Duration place_hold, absl::Time now);

  // Removes the place at `seq`; returns what it held. `seq` must be present.
  Slot Remove(uint64_t seq, Changes* changes);

  // The pre-queue joins the queue behind everyone queued so far, in arrival order or, with
  // `shuffle`, in a uniformly random order drawn from `random` (Fisher-Yates). Returns how
  // many places joined.
  int64_t PlacePrequeue(bool shuffle, base::RandomSource* random, absl::Time now, Changes* changes);

  // The persisted form of the place at `seq`.
  Ticket ToTicket(uint64_t seq) const;
  // Restoring a persisted place (in ascending seq order), seen at `now`.
  absl::Status Restore(const Ticket& ticket, absl::Time now);
  // Calls f(ticket_id) for every place (queued, pre-queued or shadow), in seq order.
  template <typename F>
  void ForEachTicket(F&& f) const {
    slots_.ForEach([&f](const Slot& slot) { f(slot.id); });
  }
  // Ticket `id` is in use outside the line (the origin of an admitted session): new places
  // get larger ids.
  void ReserveTicketId(uint64_t id);

  size_t MemoryBytes() const;

 private:
  // Inserts `slot` at `seq` into its queue by its state.
  void Place(uint64_t seq, const Slot& slot);
  void LinkTail(uint64_t seq, Slot& slot);
  void Unlink(Slot& slot);

  SlotTable slots_;                                // by seq
  absl::flat_hash_map<uint64_t, uint64_t> remap_;  // ticket id -> seq, after a shuffle
  RankIndex queue_;                                // queued seqs (not pre-queued)
  RankIndex priority_;                             // the priority lane's seqs
  std::vector<uint64_t> prequeue_;                 // pre-queued seqs (some may have left)
  int64_t prequeue_count_ = 0;
  int64_t shadow_count_ = 0;
  uint64_t lru_head_ = 0;  // least recently seen queued (or shadow) place
  uint64_t lru_tail_ = 0;
  uint64_t next_seq_ = 1;  // also the next ticket id
};

}  // namespace anteroom::core
