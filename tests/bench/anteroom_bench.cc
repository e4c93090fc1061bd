// anteroom-bench: measurements that do not belong in pass/fail tests.
//
//   anteroom-bench scale [--visitors=N]   one room with N waiting visitors: memory per visitor,
//                                          position look-up time, admission work vs queue length
//
// Figures are printed as "name value unit" lines.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "server/core/room.h"
#include "server/core/token.h"
#include "tests/testing/sim_clock.h"

ABSL_FLAG(int64_t, visitors, 10'000'000, "scale: visitors waiting in the room");
ABSL_FLAG(int64_t, lookups, 1'000'000, "scale: position look-ups to time");

namespace anteroom::bench {
namespace {

int64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Mean time of freeing the one slot so that the head of the queue is admitted, over
// `rounds` rounds. `session` is the current session's id and secret.
double AdmissionMicros(core::Room& room, core::Session session, absl::Time now, int rounds) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < rounds; ++i) {
    core::Changes changes;
    room.Leave(core::TokenKind::kSession, session.id, session.secret, now, &changes);
    if (changes.put_sessions.empty()) break;
    session = changes.put_sessions.back();
  }
  return Seconds(start) * 1e6 / rounds;
}

// A room with `waiting` queued behind one session; returns that session.
core::Session FillRoom(core::Room& room, int64_t waiting, absl::Time now) {
  core::Session first;
  for (int64_t i = 0; i <= waiting; ++i) {
    core::Changes changes;
    room.Admit(core::ClientKey{static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL,
                               ~static_cast<uint64_t>(i)},
               now, &changes);
    if (i == 0) first = changes.put_sessions.back();
  }
  return first;
}

int Scale() {
  const int64_t n = absl::GetFlag(FLAGS_visitors);
  const int64_t lookups = absl::GetFlag(FLAGS_lookups);
  testing::SeededRandom random(42);  // deterministic: runs compare
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  core::RoomSettings settings;
  settings.max_active_sessions = 1;
  settings.session_ttl = absl::Hours(24);

  // Token sample kept outside the measured growth.
  std::vector<core::ParsedToken> sample;
  sample.reserve(100'000);
  std::vector<std::string> sample_storage;
  sample_storage.reserve(100'000);

  const int64_t rss_before = RssBytes();
  core::Room room("scale", settings, now, &random);
  std::string holder;
  const auto fill_start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i) {
    core::Changes changes;
    core::VisitorView v =
        room.Admit(core::ClientKey{static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL,
                                   ~static_cast<uint64_t>(i)},
                   now, &changes);
    if (i == 0) holder = v.session;
    if (i > 0 && i % (n / 100'000 + 1) == 0 && sample_storage.size() < sample_storage.capacity()) {
      sample_storage.push_back(v.ticket);
    }
  }
  const double fill_seconds = Seconds(fill_start);
  const int64_t rss_after = RssBytes();
  for (const std::string& t : sample_storage) sample.push_back(*core::ParseToken(t));

  std::printf("visitors_waiting %lld\n", static_cast<long long>(room.Stats(now).queue_depth));
  std::printf("admit_enqueue_rate %.0f per_second\n", static_cast<double>(n) / fill_seconds);
  std::printf("rss_growth %.1f MiB\n", static_cast<double>(rss_after - rss_before) / (1 << 20));
  std::printf("rss_per_visitor %.1f bytes\n",
              static_cast<double>(rss_after - rss_before) / static_cast<double>(n));
  std::printf("structures_per_visitor %.1f bytes\n",
              static_cast<double>(room.MemoryBytes()) / static_cast<double>(n));

  // Position look-ups (what Poll does): random tickets across the whole queue.
  std::mt19937_64 pick(7);
  int64_t checksum = 0;
  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < lookups; ++i) {
    const core::ParsedToken& t = sample[pick() % sample.size()];
    checksum += room.Poll(t.id, t.secret, now).position;
  }
  const double lookup_seconds = Seconds(start);
  std::printf("poll_position_lookup %.3f us (mean of %lld, checksum %lld)\n",
              lookup_seconds / static_cast<double>(lookups) * 1e6, static_cast<long long>(lookups),
              static_cast<long long>(checksum));

  // Admission work with n waiting, against a room with 1,000 waiting in the same run.
  core::Session head;
  {
    core::Changes changes;
    const core::ParsedToken h = *core::ParseToken(holder);
    head.id = h.id;
    head.secret = h.secret;
  }
  const double big = AdmissionMicros(room, head, now, 10'000);
  core::Room small("small", settings, now, &random);
  const double little = AdmissionMicros(small, FillRoom(small, 1'000, now), now, 900);
  std::printf("admission_with_full_queue %.3f us\n", big);
  std::printf("admission_with_1000_waiting %.3f us\n", little);
  std::printf("admission_cost_ratio %.2f\n", big / little);
  return 0;
}

}  // namespace
}  // namespace anteroom::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("anteroom-bench scale [--visitors=N] [--lookups=N]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() == 2 && std::string(args[1]) == "scale") return anteroom::bench::Scale();
  std::fprintf(stderr, "usage: anteroom-bench scale [--visitors=N] [--lookups=N]\n");
  return 2;
}
