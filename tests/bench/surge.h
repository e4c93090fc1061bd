// The noon surge against the real anteroomd: visitors arrive on a ramp, the waiting poll at
// the poll_after they were given, the admitted heartbeat and leave after a visit, a share
// abandon. Time is compressed: every wait the server hints at (poll_after) and every visit is
// divided by `compression`, so a surge of minutes keeps the shape of one of hours.
//
// Checked from the outside:
//   - the cap: the sessions a visitor has been told of and not yet left never exceed it, nor
//     does the room's own count (GetRoomStatus, sampled);
//   - FIFO among those who kept polling: no visitor is told it was admitted while one who
//     arrived before it (its Admit answered before the other's was sent) was still told it
//     waits; nobody's position ever grows;
//   - nobody lost: every visitor who kept polling is admitted and leaves, and no ticket or
//     session they hold is ever answered EXPIRED.
#pragma once

#include <cstdint>
#include <string>

namespace anteroom::bench {

struct SurgeOptions {
  int64_t visitors = 200'000;
  double ramp_seconds = 60;         // all arrive within this, evenly
  double compression = 10;          // server hints and visits divided by this
  int64_t cap = 5'000;              // the room's max_active_sessions
  double visit_seconds = 20;        // mean visit (uncompressed), uniform over 0.5..1.5 of it
  double abandon_share = 0.05;      // visitors who stop polling after a few polls
  double session_ttl_seconds = 60;  // the room's session_ttl (heartbeats every third of it)
  double drain_seconds = 300;       // after the ramp, the longest wait for everyone to finish
  int connections = 4;
  std::string anteroomd;
  bool sync_writes = false;
};

// Runs the surge against a fresh anteroomd; prints the figures and one final JSON line.
// 0 when every invariant held and no call failed.
int Surge(const SurgeOptions& options);

}  // namespace anteroom::bench
