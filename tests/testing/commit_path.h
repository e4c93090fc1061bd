#pragma once

#include <atomic>

#include "server/service/commit_log.h"
#include "server/service/committer.h"
#include "server/service/durable_room.h"
#include "server/service/metrics.h"
#include "storage/memory_store.h"
#include "tests/testing/gated_store.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::testing {

// What the service's parts need to be tested alone: a committer over a gated in-memory
// store (writes can be held or failed), a simulated clock, seeded randomness, metrics.
// Members are destroyed in reverse order: the committer first, while what its callbacks use
// is still there.
struct TestCommitPath {
  SimulatedClock clock;
  SeededRandom random;
  storage::MemoryStore memory;  // what is durable
  GatedStore store{&memory};
  service::LocalCommitLog log{&store};
  service::Metrics metrics;
  std::atomic<uint64_t> epochs{1};
  base::TaskThread background;
  service::Committer committer{&log, &metrics};

  service::DurableRoom::Deps deps() {
    return service::DurableRoom::Deps{&committer, &store,   &clock,     &random,
                                      &epochs,    &metrics, &background};
  }
};

}  // namespace anteroom::testing
