// The noon surge against the real anteroomd: visitors arrive on a ramp, the waiting poll when
// they were told to, the admitted heartbeat and leave after a visit, a share abandon. Time
// after arrival is compressed: visits and the session lease are divided by `compression`
// (so the server sees that much more outflow, and its wait estimates shrink alike), and so
// are the bounds of the polling interval (2..20 s, 2 s per position at the head), so that a
// surge that would take hours to drain takes minutes and keeps its shape. The arrival ramp
// itself is not compressed.
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
  double ramp_seconds = 60;          // all arrive within this, evenly
  double compression = 2;            // visits, lease and polling bounds divided by this
  int64_t cap = 60'000;              // the room's max_active_sessions
  double visit_seconds = 60;         // mean visit (uncompressed), uniform over 0.5..1.5 of it
  double abandon_share = 0.05;       // visitors who stop polling after a few polls
  double session_ttl_seconds = 120;  // the room's session_ttl, uncompressed (heartbeats every
                                     // third of it)
  double drain_seconds = 300;        // after the ramp, the longest wait for everyone to finish
  int connections = 4;
  std::string anteroomd;
  bool sync_writes = false;
};

// Runs the surge against a fresh anteroomd; prints the figures and one final JSON line.
// 0 when every invariant held and no call failed.
int Surge(const SurgeOptions& options);

}  // namespace anteroom::bench
