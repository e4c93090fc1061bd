#include "server/core/slot_table.h"

namespace anteroom::core {

Slot* SlotTable::Find(uint64_t seq) {
  return const_cast<Slot*>(static_cast<const SlotTable*>(this)->Find(seq));
}

const Slot* SlotTable::Find(uint64_t seq) const {
  const uint64_t chunk = seq / kChunkSlots;
  if (chunk < base_chunk_ || chunk - base_chunk_ >= chunks_.size()) return nullptr;
  const Chunk* c = chunks_[chunk - base_chunk_].get();
  if (c == nullptr) return nullptr;
  const Slot& slot = c->slots[seq % kChunkSlots];
  return slot.state == SlotState::kEmpty ? nullptr : &slot;
}

Slot& SlotTable::Insert(uint64_t seq, const Slot& slot) {
  const uint64_t chunk = seq / kChunkSlots;
  if (chunks_.empty()) base_chunk_ = chunk;
  while (chunk < base_chunk_) {  // restoring out of order, or a remapped ticket
    chunks_.emplace_front();
    --base_chunk_;
  }
  while (chunk - base_chunk_ >= chunks_.size()) chunks_.emplace_back();
  std::unique_ptr<Chunk>& c = chunks_[chunk - base_chunk_];
  if (c == nullptr) c = std::make_unique<Chunk>();
  ++c->live;
  Slot& placed = c->slots[seq % kChunkSlots];
  placed = slot;
  return placed;
}

void SlotTable::Erase(uint64_t seq) {
  const uint64_t chunk = seq / kChunkSlots;
  std::unique_ptr<Chunk>& c = chunks_[chunk - base_chunk_];
  c->slots[seq % kChunkSlots].state = SlotState::kEmpty;
  if (--c->live == 0) c.reset();
  while (!chunks_.empty() && chunks_.front() == nullptr) {
    chunks_.pop_front();
    ++base_chunk_;
  }
  while (!chunks_.empty() && chunks_.back() == nullptr) chunks_.pop_back();
}

size_t SlotTable::MemoryBytes() const {
  size_t bytes = chunks_.size() * sizeof(std::unique_ptr<Chunk>);
  for (const auto& c : chunks_) {
    if (c) bytes += sizeof(Chunk);
  }
  return bytes;
}

}  // namespace anteroom::core
