#include "server/core/waiting_line.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace anteroom::core {
namespace {

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

}  // namespace

uint64_t WaitingLine::Enqueue(const ClientKey& client, const wire::Secret& secret, uint64_t source,
                              SlotState state, absl::Time now, Changes* changes) {
  const uint64_t seq = next_seq_++;
  Slot slot{secret, client, seq, 0, 0, Micros(now), Micros(now), state};
  slot.set_source(source);
  Place(seq, slot);
  changes->put_tickets.push_back(ToTicket(seq));
  return seq;
}

void WaitingLine::Place(uint64_t seq, const Slot& slot) {
  Slot& placed = slots_.Insert(seq, slot);
  switch (slot.state) {
    case SlotState::kPreQueued:
      prequeue_.push_back(seq);
      ++prequeue_count_;
      return;
    case SlotState::kQueued:
      queue_.PushBack(seq);
      break;
    case SlotState::kPriority:
      priority_.PushBack(seq);
      break;
    case SlotState::kShadow:
      ++shadow_count_;
      break;
    case SlotState::kEmpty:
      return;
  }
  LinkTail(seq, placed);
}

int64_t WaitingLine::Position(uint64_t seq) const {
  // Without a priority lane (the common case) no slot look-up: Poll's path stays as it was.
  if (!priority_.empty() && slots_.Find(seq)->state == SlotState::kPriority) {
    return priority_.Rank(seq) + 1;
  }
  return priority_.size() + queue_.Rank(seq) + 1;
}

uint64_t WaitingLine::SeqOf(uint64_t ticket_id) const {
  auto it = remap_.find(ticket_id);
  return it == remap_.end() ? ticket_id : it->second;
}

const Slot* WaitingLine::Find(uint64_t ticket_id, const wire::Secret& secret) const {
  const Slot* slot = slots_.Find(SeqOf(ticket_id));
  if (slot == nullptr || slot->id != ticket_id || !wire::SecretsEqual(slot->secret, secret)) {
    return nullptr;
  }
  return slot;
}

void WaitingLine::MarkSeen(uint64_t seq, absl::Time now) {
  Slot& slot = *slots_.Find(seq);
  slot.last_seen_us = Micros(now);
  if (slot.state == SlotState::kPreQueued) return;  // the pre-queue has no place hold
  Unlink(slot);
  LinkTail(seq, slot);
}

bool WaitingLine::HoldLapsed(const Slot& slot, absl::Duration place_hold, absl::Time now) {
  return place_hold > absl::ZeroDuration() &&
         absl::FromUnixMicros(slot.last_seen_us) + place_hold <= now;
}

Slot WaitingLine::Remove(uint64_t seq, Changes* changes) {
  Slot& slot = *slots_.Find(seq);
  const Slot removed = slot;
  if (slot.state == SlotState::kPreQueued) {
    --prequeue_count_;
  } else {
    if (slot.state == SlotState::kQueued) {
      queue_.Remove(seq);
    } else if (slot.state == SlotState::kPriority) {
      priority_.Remove(seq);
    } else {
      --shadow_count_;
    }
    Unlink(slot);
  }
  if (removed.id != seq) remap_.erase(removed.id);
  changes->erased_ticket_seqs.push_back(seq);
  slots_.Erase(seq);
  return removed;
}

int64_t WaitingLine::PlacePrequeue(bool shuffle, base::RandomSource* random, absl::Time now,
                                   Changes* changes) {
  std::vector<uint64_t> order;
  order.reserve(static_cast<size_t>(prequeue_count_));
  for (uint64_t seq : prequeue_) {
    const Slot* slot = slots_.Find(seq);
    if (slot != nullptr && slot->state == SlotState::kPreQueued) order.push_back(seq);
  }
  if (shuffle) {
    // Fisher-Yates with the injected (in production: cryptographic) random source: every
    // order is equally likely, and arrival time inside the pre-queue buys nothing.
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[random->Uniform(i)]);
  }
  // New seqs behind every place there is: behind those queued before the pre-queue opened,
  // ahead of everyone arriving from now on. The token keeps naming the old id.
  for (uint64_t old_seq : order) {
    Slot slot = *slots_.Find(old_seq);
    slots_.Erase(old_seq);
    changes->erased_ticket_seqs.push_back(old_seq);
    const uint64_t seq = next_seq_++;
    slot.state = SlotState::kQueued;
    slot.last_seen_us = Micros(now);
    if (slot.id != seq) remap_[slot.id] = seq;
    Slot& placed = slots_.Insert(seq, slot);
    queue_.PushBack(seq);
    LinkTail(seq, placed);
    changes->put_tickets.push_back(ToTicket(seq));
  }
  prequeue_.clear();
  prequeue_count_ = 0;
  return static_cast<int64_t>(order.size());
}

Ticket WaitingLine::ToTicket(uint64_t seq) const {
  const Slot& slot = *slots_.Find(seq);
  return Ticket{slot.id,
                seq,
                slot.secret,
                slot.client,
                absl::FromUnixMicros(slot.enqueued_us),
                slot.state == SlotState::kPreQueued,
                slot.source(),
                slot.state == SlotState::kShadow,
                slot.state == SlotState::kPriority};
}

absl::Status WaitingLine::Restore(const Ticket& t, absl::Time now) {
  if (slots_.Find(t.seq) != nullptr) {
    return absl::DataLossError(absl::StrCat("duplicate ticket seq ", t.seq));
  }
  Slot slot{t.secret,
            t.client,
            t.id,
            0,
            0,
            Micros(now),
            Micros(t.enqueued_at),
            t.shadow     ? SlotState::kShadow
            : t.priority ? SlotState::kPriority
                         : (t.prequeued ? SlotState::kPreQueued : SlotState::kQueued)};
  slot.set_source(t.source);
  Place(t.seq, slot);
  if (t.id != t.seq) remap_[t.id] = t.seq;
  next_seq_ = std::max({next_seq_, t.seq + 1, t.id + 1});
  return absl::OkStatus();
}

void WaitingLine::ReserveTicketId(uint64_t id) { next_seq_ = std::max(next_seq_, id + 1); }

size_t WaitingLine::MemoryBytes() const {
  return slots_.MemoryBytes() + remap_.capacity() * (sizeof(std::pair<uint64_t, uint64_t>) + 1) +
         queue_.MemoryBytes() + priority_.MemoryBytes() + prequeue_.capacity() * sizeof(uint64_t);
}

void WaitingLine::LinkTail(uint64_t seq, Slot& slot) {
  slot.prev = lru_tail_;
  slot.next = 0;
  if (lru_tail_ != 0) {
    slots_.Find(lru_tail_)->next = seq;
  } else {
    lru_head_ = seq;
  }
  lru_tail_ = seq;
}

void WaitingLine::Unlink(Slot& slot) {
  if (slot.prev != 0) {
    slots_.Find(slot.prev)->next = slot.next;
  } else {
    lru_head_ = slot.next;
  }
  if (slot.next != 0) {
    slots_.Find(slot.next)->prev = slot.prev;
  } else {
    lru_tail_ = slot.prev;
  }
  slot.prev = slot.next = 0;
}

}  // namespace anteroom::core
