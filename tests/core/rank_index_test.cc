#include "server/core/rank_index.h"

#include <random>
#include <set>

#include "gtest/gtest.h"

namespace anteroom::core {
namespace {

// RankIndex against std::set under random appends and removals, across block boundaries
// and compactions.
TEST(RankIndexTest, AgreesWithAnOrderedSet) {
  std::mt19937_64 rng(3);
  RankIndex index;
  std::set<uint64_t> model;
  uint64_t next = 5;
  for (int step = 0; step < 200'000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 5 || model.empty()) {
      next += 1 + rng() % 3;
      index.PushBack(next);
      model.insert(next);
    } else if (op < 8) {
      // Remove mostly near the head, as admissions do.
      auto it = model.begin();
      std::advance(it, static_cast<long>(rng() % std::min<size_t>(model.size(), 4)));
      EXPECT_TRUE(index.Remove(*it));
      model.erase(it);
    } else {
      auto it = model.begin();
      std::advance(it, static_cast<long>(rng() % model.size()));
      EXPECT_TRUE(index.Remove(*it));
      model.erase(it);
    }
    ASSERT_EQ(index.size(), static_cast<int64_t>(model.size()));
    if (step % 97 == 0 && !model.empty()) {
      ASSERT_EQ(*index.First(), *model.begin());
      const int64_t k = static_cast<int64_t>(rng() % model.size());
      auto it = model.begin();
      std::advance(it, k);
      ASSERT_EQ(index.Select(k), *it);
      ASSERT_EQ(index.Rank(*it), k);
      ASSERT_TRUE(index.Contains(*it));
      if (!model.contains(*it + 1)) {
        ASSERT_FALSE(index.Contains(*it + 1));
      }
    }
  }
}

TEST(RankIndexTest, EmptiesAndRefills) {
  RankIndex index;
  for (uint64_t i = 1; i <= 10'000; ++i) index.PushBack(i);
  for (uint64_t i = 1; i <= 10'000; ++i) ASSERT_TRUE(index.Remove(i));
  EXPECT_TRUE(index.empty());
  EXPECT_FALSE(index.First());
  index.PushBack(20'000);
  EXPECT_EQ(index.Rank(20'000), 0);
  EXPECT_EQ(*index.First(), 20'000u);
}

}  // namespace
}  // namespace anteroom::core
