#include "server/service/client_key.h"

#include "gtest/gtest.h"
#include "storage/memory_store.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::service {
namespace {

TEST(ClientKeyTest, KeysAreStableAcrossRestartsAndSecretPerStore) {
  storage::MemoryStore store;
  testing::SeededRandom random(1);
  const ClientKeyer first = ClientKeyer::LoadOrCreate(&store, &random).value();
  const ClientKeyer again = ClientKeyer::LoadOrCreate(&store, &random).value();
  EXPECT_EQ(first.Of("cookie-1"), again.Of("cookie-1")) << "the secret is kept in the store";
  EXPECT_NE(first.Of("cookie-1"), first.Of("cookie-2"));

  storage::MemoryStore other;
  testing::SeededRandom other_random(2);
  EXPECT_NE(ClientKeyer::LoadOrCreate(&other, &other_random).value().Of("cookie-1"),
            first.Of("cookie-1"))
      << "keyed: another store's secret gives other keys";
}

TEST(ClientKeyTest, AMangledSecretIsDataLoss) {
  storage::MemoryStore store;
  storage::WriteBatch batch;
  batch.Put(storage::Table::kMeta, "client_key_secret", "short");
  ASSERT_TRUE(store.Write(batch).ok());
  testing::SeededRandom random;
  EXPECT_EQ(ClientKeyer::LoadOrCreate(&store, &random).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace anteroom::service
