#include "server/core/rank_index.h"

#include <bit>
#include <cassert>

namespace anteroom::core {

void RankIndex::AppendBlock() {
  words_.resize(words_.size() + kWordsPerBlock, 0);
  // Appending element i to a Fenwick tree: it covers (i - lowbit(i), i], all of which are
  // earlier blocks plus itself (empty).
  const size_t i = fenwick_.size() + 1;
  const size_t low = i & (~i + 1);
  fenwick_.push_back(BlockPrefix(i - 1) - BlockPrefix(i - low));
}

int64_t RankIndex::BlockPrefix(size_t blocks) const {
  int64_t sum = 0;
  for (size_t i = blocks; i > 0; i -= i & (~i + 1)) sum += fenwick_[i - 1];
  return sum;
}

void RankIndex::BlockAdd(size_t block, int64_t delta) {
  for (size_t i = block + 1; i <= fenwick_.size(); i += i & (~i + 1)) fenwick_[i - 1] += delta;
}

void RankIndex::PushBack(uint64_t seq) {
  assert(seq >= end_);
  if (size_ == 0 && words_.empty()) {
    base_ = seq - seq % kBlockSeqs;
  }
  while (seq >= base_ + words_.size() * 64) AppendBlock();
  const uint64_t off = seq - base_;
  words_[off / 64] |= uint64_t{1} << (off % 64);
  BlockAdd(off / kBlockSeqs, 1);
  ++size_;
  end_ = seq + 1;
}

bool RankIndex::Contains(uint64_t seq) const {
  if (seq < base_ || seq >= end_) return false;
  const uint64_t off = seq - base_;
  return (words_[off / 64] >> (off % 64)) & 1;
}

bool RankIndex::Remove(uint64_t seq) {
  if (!Contains(seq)) return false;
  const uint64_t off = seq - base_;
  words_[off / 64] &= ~(uint64_t{1} << (off % 64));
  BlockAdd(off / kBlockSeqs, -1);
  --size_;
  Compact();
  return true;
}

int64_t RankIndex::Rank(uint64_t seq) const {
  if (seq <= base_) return 0;
  if (seq >= end_) return size_;
  const uint64_t off = seq - base_;
  const size_t block = off / kBlockSeqs;
  int64_t rank = BlockPrefix(block);
  const size_t word = off / 64;
  for (size_t w = block * kWordsPerBlock; w < word; ++w) rank += std::popcount(words_[w]);
  const uint64_t bits = off % 64;
  if (bits > 0) rank += std::popcount(words_[word] & ((uint64_t{1} << bits) - 1));
  return rank;
}

uint64_t RankIndex::Select(int64_t k) const {
  assert(k >= 0 && k < size_);
  // Fenwick descent to the block holding the k-th live element.
  size_t pos = 0;
  int64_t remaining = k;
  size_t step = std::bit_floor(fenwick_.size());
  for (; step > 0; step >>= 1) {
    if (pos + step <= fenwick_.size() && fenwick_[pos + step - 1] <= remaining) {
      pos += step;
      remaining -= fenwick_[pos - 1];
    }
  }
  // `pos` blocks precede it; scan the block's words.
  for (size_t w = pos * kWordsPerBlock;; ++w) {
    const int count = std::popcount(words_[w]);
    if (remaining < count) {
      uint64_t word = words_[w];
      for (int64_t i = 0; i < remaining; ++i) word &= word - 1;  // drop lowest set bits
      return base_ + w * 64 + static_cast<uint64_t>(std::countr_zero(word));
    }
    remaining -= count;
  }
}

std::optional<uint64_t> RankIndex::First() const {
  if (size_ == 0) return std::nullopt;
  while (words_[first_word_] == 0) ++first_word_;
  return base_ + first_word_ * 64 + static_cast<uint64_t>(std::countr_zero(words_[first_word_]));
}

void RankIndex::Compact() {
  // Release leading empty blocks once they are at least half of the bitmap, rebuilding the
  // Fenwick tree: amortised O(1) per removal.
  if (size_ == 0) {
    words_.clear();
    fenwick_.clear();
    first_word_ = 0;
    base_ = end_ - end_ % kBlockSeqs;
    return;
  }
  const size_t blocks = fenwick_.size();
  if (blocks < 8) return;
  (void)First();
  const size_t empty_blocks = first_word_ / kWordsPerBlock;
  if (empty_blocks * 2 < blocks) return;
  words_.erase(words_.begin(),
               words_.begin() + static_cast<ptrdiff_t>(empty_blocks * kWordsPerBlock));
  base_ += empty_blocks * kBlockSeqs;
  first_word_ -= empty_blocks * kWordsPerBlock;
  const size_t remaining = blocks - empty_blocks;
  fenwick_.assign(remaining, 0);
  for (size_t b = 0; b < remaining; ++b) {
    int64_t count = 0;
    for (size_t w = b * kWordsPerBlock; w < (b + 1) * kWordsPerBlock; ++w) {
      count += std::popcount(words_[w]);
    }
    fenwick_[b] += count;
    const size_t parent = (b + 1) + ((b + 1) & (~(b + 1) + 1));
    if (parent <= remaining) fenwick_[parent - 1] += fenwick_[b];
  }
}

size_t RankIndex::MemoryBytes() const {
  return words_.capacity() * sizeof(uint64_t) + fenwick_.capacity() * sizeof(int64_t);
}

}  // namespace anteroom::core
