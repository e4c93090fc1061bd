#include "server/core/slot_table.h"

#include "gtest/gtest.h"

namespace anteroom::core {
namespace {

Slot Queued(uint64_t id) {
  Slot slot;
  slot.id = id;
  slot.state = SlotState::kQueued;
  return slot;
}

TEST(SlotTableTest, FindsWhatWasInsertedAcrossChunksAndInAnyOrder) {
  SlotTable table;
  for (uint64_t seq : {1000, 5, 300, 70000}) table.Insert(seq, Queued(seq));
  for (uint64_t seq : {1000, 5, 300, 70000}) {
    ASSERT_NE(table.Find(seq), nullptr) << seq;
    EXPECT_EQ(table.Find(seq)->id, seq);
  }
  EXPECT_EQ(table.Find(6), nullptr);
  EXPECT_EQ(table.Find(1'000'000), nullptr);
  table.Erase(300);
  EXPECT_EQ(table.Find(300), nullptr);
  EXPECT_NE(table.Find(1000), nullptr);
}

TEST(SlotTableTest, ChunksAreFreedWhenTheirLastVisitorLeaves) {
  SlotTable table;
  const size_t empty = table.MemoryBytes();
  for (uint64_t seq = 1; seq <= 1024; ++seq) table.Insert(seq, Queued(seq));
  const size_t full = table.MemoryBytes();
  EXPECT_GT(full, empty + 4 * sizeof(Slot) * 200);
  for (uint64_t seq = 1; seq <= 768; ++seq) table.Erase(seq);  // the head drains in order
  EXPECT_LT(table.MemoryBytes(), full / 2);
  for (uint64_t seq = 769; seq <= 1024; ++seq) table.Erase(seq);
  EXPECT_EQ(table.MemoryBytes(), empty);
}

}  // namespace
}  // namespace anteroom::core
