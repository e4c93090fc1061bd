#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>

#include "server/core/room_types.h"
#include "wire/token.h"

namespace anteroom::core {

// kShadow: a place over a per-source limit, in a shadow queue that never reaches the front.
enum class SlotState : uint8_t { kEmpty, kQueued, kPreQueued, kShadow, kPriority };

// A waiting visitor in memory (80 bytes): what the ticket names, the links of the place-hold
// order (least recently seen first), and the visitor's 48-bit source in what would otherwise
// be padding.
struct Slot {
  wire::Secret secret;
  ClientKey client;
  uint64_t id = 0;    // what the token names
  uint64_t prev = 0;  // place-hold order, by seq; 0 = none
  uint64_t next = 0;
  int64_t last_seen_us = 0;
  int64_t enqueued_us = 0;
  SlotState state = SlotState::kEmpty;
  uint16_t source_hi = 0;
  uint32_t source_lo = 0;

  uint64_t source() const { return (uint64_t{source_hi} << 32) | source_lo; }
  void set_source(uint64_t source) {
    source_hi = static_cast<uint16_t>(source >> 32);
    source_lo = static_cast<uint32_t>(source);
  }
};
static_assert(sizeof(Slot) == 80, "a waiting visitor's memory is part of the scale figures");

// Slots by seq in chunks of 256 consecutive seqs, allocated on first use and freed when their
// last visitor leaves: dense like an array while the queue drains in order, without an
// array's cost for the gaps RANDOM admissions and departures leave behind.
//
// Not thread-safe.
class SlotTable {
 public:
  // The slot at `seq`, or null.
  Slot* Find(uint64_t seq);
  const Slot* Find(uint64_t seq) const;
  // `seq` must not be present.
  Slot& Insert(uint64_t seq, const Slot& slot);
  // `seq` must be present.
  void Erase(uint64_t seq);
  // Calls f(const Slot&) for every slot present, in seq order.
  template <typename F>
  void ForEach(F&& f) const {
    for (const std::unique_ptr<Chunk>& c : chunks_) {
      if (c == nullptr) continue;
      for (const Slot& slot : c->slots) {
        if (slot.state != SlotState::kEmpty) f(slot);
      }
    }
  }
  size_t MemoryBytes() const;

 private:
  static constexpr uint64_t kChunkSlots = 256;
  struct Chunk {
    std::array<Slot, kChunkSlots> slots;
    int live = 0;
  };
  uint64_t base_chunk_ = 0;  // chunk number of chunks_[0]
  std::deque<std::unique_ptr<Chunk>> chunks_;
};

}  // namespace anteroom::core
