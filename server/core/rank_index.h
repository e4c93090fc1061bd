#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace anteroom::core {

// The set of live queue sequence numbers, as a bitmap in blocks of 4096 with a Fenwick tree
// of per-block counts. Sequence numbers are appended in increasing order and removed
// anywhere (admission, leave, abandonment).
//
//   Rank / Select / Remove: O(log(n / 4096) + 64)     First: amortised O(1)
//   Memory: one bit per sequence number between the oldest live one and the newest, plus
//   8 bytes per block; leading empty blocks are released as the head advances.
//
// Not thread-safe.
class RankIndex {
 public:
  // Adds `seq`, which must be larger than every sequence number added before.
  void PushBack(uint64_t seq);
  // Removes `seq`; returns false if it was not live.
  bool Remove(uint64_t seq);
  bool Contains(uint64_t seq) const;
  // The number of live sequence numbers smaller than `seq`.
  int64_t Rank(uint64_t seq) const;
  // The k-th smallest live sequence number (0-based); k must be < size().
  uint64_t Select(int64_t k) const;
  // The smallest live sequence number.
  std::optional<uint64_t> First() const;
  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Bytes held, for capacity reports.
  size_t MemoryBytes() const;

 private:
  static constexpr int kWordsPerBlock = 64;
  static constexpr uint64_t kBlockSeqs = uint64_t{64} * kWordsPerBlock;

  int64_t BlockPrefix(size_t blocks) const;  // live count in blocks [0, blocks)
  void BlockAdd(size_t block, int64_t delta);
  void AppendBlock();
  void Compact();

  uint64_t base_ = 0;             // sequence number of bit 0 of words_[0] (block-aligned)
  uint64_t end_ = 0;              // one past the largest sequence number added
  std::vector<uint64_t> words_;   // the bitmap
  std::vector<int64_t> fenwick_;  // 1-based Fenwick tree over block counts
  int64_t size_ = 0;
  mutable size_t first_word_ = 0;  // no live bit before this word
};

}  // namespace anteroom::core
