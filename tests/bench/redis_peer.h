// The do-it-yourself peer: the waiting room an operator would otherwise write, a Redis
// sorted set with Lua scripts (Debian's redis-server), driven through hiredis by the same
// kind of generator as Anteroom (a number of calls kept in flight).
//
//   admit      a new client id: admitted into the active hash when it has room and nobody
//              waits, else ZADD NX with an INCR arrival number; answers the place
//   poll       ZRANK of a waiting visitor, and its last-seen time recorded (HSET)
//   heartbeat  a session's expiry pushed back, unless it already expired
//
// Every write goes to the append-only file, fsynced every second or on every write.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/bench/load.h"
#include "tests/testing/daemon.h"

namespace anteroom::bench {

class RedisPeer {
 public:
  // Starts redis-server on a free loopback port, its files in `dir`, with
  // appendfsync `fsync` ("everysec" or "always").
  static absl::StatusOr<std::unique_ptr<RedisPeer>> Start(const std::string& dir,
                                                          const std::string& fsync);
  // Stops redis-server (SIGTERM) and waits for it.
  ~RedisPeer();

  // Queues `waiting` visitors (members "v0"...) behind `sessions` active sessions ("s0"...,
  // which fill the room: the room's capacity is `sessions`).
  absl::Status Fill(int64_t waiting, int64_t sessions);

  // Sets appendfsync ("everysec" or "always") from now on.
  absl::Status SetFsync(const std::string& fsync);

  // Keeps `in_flight` calls of `method` (Admit, Poll or Heartbeat) going for `seconds`, over
  // `in_flight` connections served by two client threads. Polls and heartbeats pick random
  // visitors of the filled room; each Admit is a new client id.
  RunResult Drive(Method method, int in_flight, double seconds);

  int pid() const { return process_->pid(); }

 private:
  RedisPeer(std::unique_ptr<testing::Process> process, int port)
      : process_(std::move(process)), port_(port) {}

  std::unique_ptr<testing::Process> process_;
  const int port_;
  int64_t waiting_ = 0;
  int64_t sessions_ = 0;
  int64_t runs_ = 0;  // keeps Admit's new client ids apart across runs
  std::string admit_sha_, poll_sha_, heartbeat_sha_;
};

}  // namespace anteroom::bench
