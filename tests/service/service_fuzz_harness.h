#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "anteroom/v1/room_admin.grpc.pb.h"
#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "server/service/instance.h"
#include "storage/memory_store.h"
#include "tests/testing/sim_clock.h"

namespace anteroom::service {

// Arbitrary bytes as requests to a real server (memory store, simulated clock, gRPC on
// loopback): the first byte picks one of the 15 RPCs, the rest is parsed as its request (as
// much of it as parses). Every call must be answered, OK or with a canonical error that
// says something, and the server must go on serving. Used by the libFuzzer target
// (service_fuzz.cc) and by the replay of its corpus in every `make test`.
class ServiceFuzzHarness {
 public:
  ServiceFuzzHarness();
  ~ServiceFuzzHarness();
  // One input; "" when all was well, else what broke.
  std::string Run(const uint8_t* data, size_t size);
  // The private directory checkpoints would go to (removed by the destructor).
  const std::string& backup_dir() const { return backup_dir_; }

 private:
  std::string backup_dir_;
  testing::SimulatedClock clock_;
  testing::SeededRandom random_;
  storage::MemoryStore store_;
  std::unique_ptr<Instance> instance_;
  std::unique_ptr<v1::WaitingRoom::Stub> gateway_;
  std::unique_ptr<v1::RoomAdmin::Stub> admin_;
};

}  // namespace anteroom::service
