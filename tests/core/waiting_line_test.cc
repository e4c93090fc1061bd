#include "server/core/waiting_line.h"

#include <algorithm>
#include <set>

#include "gtest/gtest.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::core {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

ClientKey Client(uint64_t n) { return ClientKey{n, n}; }
wire::Secret SecretOf(uint64_t n) { return wire::Secret{n, ~n}; }

TEST(WaitingLineTest, PositionsCountOnlyTheQueuedPlacesAhead) {
  WaitingLine line;
  Changes changes;
  std::vector<uint64_t> seqs;
  for (uint64_t i = 1; i <= 5; ++i)
    seqs.push_back(line.Enqueue(Client(i), SecretOf(i), 0, SlotState::kQueued, kStart, &changes));
  ASSERT_EQ(changes.put_tickets.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(line.Position(seqs[i]), i + 1);
  EXPECT_EQ(line.Head(), seqs[0]);

  const Slot removed = line.Remove(seqs[1], &changes);
  EXPECT_EQ(removed.client, Client(2));
  EXPECT_EQ(changes.erased_ticket_seqs, std::vector<uint64_t>{seqs[1]});
  EXPECT_EQ(line.Position(seqs[2]), 2) << "everyone behind moved up";
  EXPECT_EQ(line.Position(seqs[4]), 4);
  EXPECT_EQ(line.AtPosition(1), seqs[2]);
  EXPECT_EQ(line.queued(), 4);
  EXPECT_EQ(line.FindSeq(seqs[1]), nullptr);
}

TEST(WaitingLineTest, APlaceIsFoundOnlyWithItsSecret) {
  WaitingLine line;
  Changes changes;
  const uint64_t seq =
      line.Enqueue(Client(1), SecretOf(7), 0, SlotState::kQueued, kStart, &changes);
  EXPECT_NE(line.Find(seq, SecretOf(7)), nullptr);
  EXPECT_EQ(line.Find(seq, SecretOf(8)), nullptr);
  EXPECT_EQ(line.Find(seq + 1, SecretOf(7)), nullptr);
}

TEST(WaitingLineTest, ThePrequeueJoinsBehindTheQueueAndTokensKeepWorking) {
  WaitingLine line;
  Changes changes;
  const uint64_t queued =
      line.Enqueue(Client(1), SecretOf(1), 0, SlotState::kQueued, kStart, &changes);
  std::vector<uint64_t> early;
  for (uint64_t i = 2; i <= 4; ++i)
    early.push_back(
        line.Enqueue(Client(i), SecretOf(i), 0, SlotState::kPreQueued, kStart, &changes));
  EXPECT_EQ(line.queued(), 1);
  EXPECT_EQ(line.prequeued(), 3);
  EXPECT_EQ(line.waiting(), 4);

  changes = Changes();
  testing::SeededRandom random;
  EXPECT_EQ(line.PlacePrequeue(/*shuffle=*/false, &random, kStart + absl::Hours(1), &changes), 3);
  EXPECT_EQ(line.prequeued(), 0);
  EXPECT_EQ(line.queued(), 4);
  EXPECT_EQ(line.Position(queued), 1) << "those queued before keep their places";
  for (int i = 0; i < 3; ++i) {
    const uint64_t id = early[i];
    ASSERT_NE(line.Find(id, SecretOf(id)), nullptr) << "the ticket still names the place";
    EXPECT_NE(line.SeqOf(id), id) << "moved behind the queue";
    EXPECT_EQ(line.Position(line.SeqOf(id)), i + 2) << "arrival order without a shuffle";
  }
  EXPECT_EQ(changes.erased_ticket_seqs, early) << "the old places go";
  ASSERT_EQ(changes.put_tickets.size(), 3u);
  EXPECT_FALSE(changes.put_tickets[0].prequeued);
  EXPECT_EQ(changes.put_tickets[0].id, early[0]);

  const uint64_t later =
      line.Enqueue(Client(9), SecretOf(9), 0, SlotState::kQueued, kStart, &changes);
  EXPECT_EQ(line.Position(later), 5) << "behind the placed pre-queue";
}

TEST(WaitingLineTest, AShuffledPrequeueIsAPermutationOfIt) {
  WaitingLine line;
  Changes changes;
  std::set<uint64_t> early;
  for (uint64_t i = 1; i <= 50; ++i)
    early.insert(line.Enqueue(Client(i), SecretOf(i), 0, SlotState::kPreQueued, kStart, &changes));
  testing::SeededRandom random(5);
  line.PlacePrequeue(/*shuffle=*/true, &random, kStart, &changes);
  std::set<int64_t> positions;
  bool moved = false;
  for (uint64_t id : early) {
    const int64_t position = line.Position(line.SeqOf(id));
    positions.insert(position);
    moved = moved || position != static_cast<int64_t>(id);
  }
  EXPECT_EQ(positions.size(), 50u);
  EXPECT_EQ(*positions.begin(), 1);
  EXPECT_EQ(*positions.rbegin(), 50);
  EXPECT_TRUE(moved) << "a shuffle of 50 that moved nobody";
}

TEST(WaitingLineTest, ThePlaceHoldOrderPutsTheLeastRecentlySeenFirst) {
  WaitingLine line;
  Changes changes;
  const uint64_t a = line.Enqueue(Client(1), SecretOf(1), 0, SlotState::kQueued, kStart, &changes);
  const uint64_t b = line.Enqueue(Client(2), SecretOf(2), 0, SlotState::kQueued,
                                  kStart + absl::Seconds(1), &changes);
  EXPECT_EQ(line.LeastRecentlySeen(), a);
  line.MarkSeen(a, kStart + absl::Seconds(30));
  EXPECT_EQ(line.LeastRecentlySeen(), b);
  const absl::Duration hold = absl::Seconds(60);
  EXPECT_FALSE(WaitingLine::HoldLapsed(*line.FindSeq(b), hold, kStart + absl::Seconds(60)));
  EXPECT_TRUE(WaitingLine::HoldLapsed(*line.FindSeq(b), hold, kStart + absl::Seconds(61)));
  EXPECT_FALSE(
      WaitingLine::HoldLapsed(*line.FindSeq(b), absl::ZeroDuration(), kStart + absl::Hours(9)))
      << "no place hold: never lapses";
  line.Remove(b, &changes);
  EXPECT_EQ(line.LeastRecentlySeen(), a);
  line.Remove(a, &changes);
  EXPECT_EQ(line.LeastRecentlySeen(), 0u);
}

TEST(WaitingLineTest, RestoringRebuildsPlacesAndNewOnesGoBehind) {
  WaitingLine original;
  Changes changes;
  for (uint64_t i = 1; i <= 4; ++i)
    original.Enqueue(Client(i), SecretOf(i), 0, i == 4 ? SlotState::kPreQueued : SlotState::kQueued,
                     kStart, &changes);
  original.Remove(2, &changes);

  WaitingLine restored;
  for (uint64_t seq : {1, 3, 4}) {
    ASSERT_TRUE(restored.Restore(original.ToTicket(seq), kStart + absl::Hours(1)).ok());
  }
  EXPECT_EQ(restored.Position(3), 2);
  EXPECT_EQ(restored.prequeued(), 1);
  EXPECT_EQ(restored.Restore(original.ToTicket(3), kStart).code(), absl::StatusCode::kDataLoss);
  restored.ReserveTicketId(10);  // an admitted session's ticket
  Changes more;
  EXPECT_EQ(restored.Enqueue(Client(9), SecretOf(9), 0, SlotState::kQueued, kStart, &more), 11u);
  EXPECT_FALSE(
      WaitingLine::HoldLapsed(*restored.FindSeq(1), absl::Minutes(1), kStart + absl::Hours(1)))
      << "restored places count as seen at restore";
}

}  // namespace
}  // namespace anteroom::core
