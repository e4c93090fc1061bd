#include "server/core/lease_table.h"

#include "gtest/gtest.h"

namespace anteroom::core {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);
const absl::Duration kTtl = absl::Minutes(5);

wire::Secret SecretOf(uint64_t n) { return wire::Secret{n, ~n}; }

TEST(LeaseTableTest, ASessionIsFoundWithItsSecretOrFromItsTicket) {
  LeaseTable leases;
  Changes changes;
  const Session& s = leases.Start(ClientKey{1, 1}, SecretOf(1), /*source=*/0, /*origin_ticket=*/7,
                                  SecretOf(70), kStart, kTtl, /*arrived=*/true, &changes);
  ASSERT_EQ(changes.put_sessions.size(), 1u);
  EXPECT_EQ(leases.Find(s.id, SecretOf(1)), &s);
  EXPECT_EQ(leases.Find(s.id, SecretOf(2)), nullptr);
  EXPECT_EQ(leases.FromTicket(7, SecretOf(70), kStart), &s);
  EXPECT_EQ(leases.FromTicket(7, SecretOf(71), kStart), nullptr);
  EXPECT_EQ(leases.FromTicket(7, SecretOf(70), kStart + kTtl), nullptr) << "lapsed";
  EXPECT_EQ(leases.SessionOfTicket(7, SecretOf(70)), s.id);
  EXPECT_EQ(leases.active(), 1);
}

TEST(LeaseTableTest, RenewalsArePersistedATtlAheadSoMostWriteNothing) {
  LeaseTable leases;
  Changes changes;
  const uint64_t id =
      leases.Start(ClientKey{1, 1}, SecretOf(1), /*source=*/0, 0, {}, kStart, kTtl, true, &changes)
          .id;
  changes = Changes();
  const Session& first = leases.Renew(id, kStart + absl::Minutes(1), kTtl, true, &changes);
  EXPECT_EQ(first.expires_at, kStart + absl::Minutes(6));
  EXPECT_EQ(first.persisted_until, kStart + absl::Minutes(11));
  EXPECT_EQ(changes.put_sessions.size(), 1u);
  for (int m = 2; m <= 6; ++m) leases.Renew(id, kStart + absl::Minutes(m), kTtl, true, &changes);
  EXPECT_EQ(changes.put_sessions.size(), 1u) << "within what was persisted: nothing to write";
  leases.Renew(id, kStart + absl::Minutes(7), kTtl, true, &changes);
  EXPECT_EQ(changes.put_sessions.size(), 2u);
}

TEST(LeaseTableTest, AFixedLeaseIsSetByTheFirstHeartbeatAndPersistedAsItIs) {
  LeaseTable leases;
  Changes changes;
  const uint64_t id =
      leases
          .Start(ClientKey{1, 1}, SecretOf(1), /*source=*/0, 0, {}, kStart, absl::Seconds(30),
                 /*arrived=*/false, &changes)
          .id;
  const Session& s = leases.Renew(id, kStart + absl::Seconds(10), kTtl, false, &changes);
  EXPECT_EQ(s.expires_at, kStart + kTtl) << "admission + TTL, the arrival TTL no longer applies";
  EXPECT_EQ(s.persisted_until, s.expires_at);
  EXPECT_TRUE(s.arrived);
  changes = Changes();
  leases.Renew(id, kStart + absl::Minutes(1), kTtl, false, &changes);
  EXPECT_EQ(leases.Live(id)->expires_at, kStart + kTtl) << "later heartbeats do not extend it";
  EXPECT_TRUE(changes.put_sessions.empty());
}

TEST(LeaseTableTest, LeasesLapseInExpiryOrder) {
  LeaseTable leases;
  Changes changes;
  const uint64_t late = leases
                            .Start(ClientKey{1, 1}, SecretOf(1), /*source=*/0, 0, {}, kStart,
                                   absl::Minutes(2), true, &changes)
                            .id;
  const uint64_t early = leases
                             .Start(ClientKey{2, 2}, SecretOf(2), /*source=*/0, 0, {}, kStart,
                                    absl::Minutes(1), true, &changes)
                             .id;
  EXPECT_FALSE(leases.FirstLapsed(kStart + absl::Seconds(59)));
  EXPECT_EQ(leases.FirstLapsed(kStart + absl::Minutes(3)), early);
  changes = Changes();
  ASSERT_TRUE(leases.End(early, kStart + absl::Minutes(3), false, &changes));
  EXPECT_EQ(changes.erased_sessions, std::vector<uint64_t>{early});
  EXPECT_EQ(leases.FirstLapsed(kStart + absl::Minutes(3)), late);
  EXPECT_FALSE(leases.End(early, kStart, false, &changes)) << "already ended";
}

TEST(LeaseTableTest, ARevokedSessionIsRememberedUntilItsLeaseWouldHaveEnded) {
  LeaseTable leases;
  Changes changes;
  const uint64_t id =
      leases.Start(ClientKey{1, 1}, SecretOf(1), /*source=*/0, 0, {}, kStart, kTtl, true, &changes)
          .id;
  changes = Changes();
  leases.End(id, kStart, /*revoke=*/true, &changes);
  ASSERT_EQ(changes.put_sessions.size(), 1u);
  EXPECT_TRUE(changes.put_sessions[0].revoked) << "persisted, so a restart still tells";
  EXPECT_EQ(leases.active(), 0);
  EXPECT_TRUE(leases.WasRevoked(id, SecretOf(1)));
  EXPECT_FALSE(leases.WasRevoked(id, SecretOf(2)));
  leases.ForgetRevoked(kStart + kTtl - absl::Seconds(1), &changes);
  EXPECT_TRUE(leases.WasRevoked(id, SecretOf(1)));
  leases.ForgetRevoked(kStart + kTtl, &changes);
  EXPECT_FALSE(leases.WasRevoked(id, SecretOf(1)));
  EXPECT_EQ(changes.erased_sessions, std::vector<uint64_t>{id});
}

TEST(LeaseTableTest, DowntimeIsAddedToEveryLiveLease) {
  LeaseTable leases;
  Changes changes;
  const uint64_t id =
      leases.Start(ClientKey{1, 1}, SecretOf(1), /*source=*/0, 0, {}, kStart, kTtl, true, &changes)
          .id;
  changes = Changes();
  leases.CreditDowntime(absl::Hours(2), &changes);
  EXPECT_EQ(leases.Live(id)->expires_at, kStart + kTtl + absl::Hours(2));
  ASSERT_EQ(changes.put_sessions.size(), 1u);
  EXPECT_GE(changes.put_sessions[0].persisted_until, kStart + kTtl + absl::Hours(2));
  EXPECT_FALSE(leases.FirstLapsed(kStart + kTtl + absl::Hours(1)));
}

TEST(LeaseTableTest, RestoringRefusesDuplicatesAndKeepsIdsGrowing) {
  LeaseTable leases;
  Session live{5,      SecretOf(5),   ClientKey{5, 5}, 9,    SecretOf(90),
               kStart, kStart + kTtl, kStart + kTtl,   true, false};
  Session revoked = live;
  revoked.id = 6;
  revoked.revoked = true;
  ASSERT_TRUE(leases.Restore(live).ok());
  ASSERT_TRUE(leases.Restore(revoked).ok());
  EXPECT_EQ(leases.Restore(live).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(leases.active(), 1);
  EXPECT_TRUE(leases.WasRevoked(6, SecretOf(5)));
  EXPECT_EQ(leases.SessionOfTicket(9, SecretOf(90)), 5u);
  Changes changes;
  EXPECT_EQ(
      leases.Start(ClientKey{1, 1}, SecretOf(1), /*source=*/0, 0, {}, kStart, kTtl, true, &changes)
          .id,
      7u);
}

}  // namespace
}  // namespace anteroom::core
