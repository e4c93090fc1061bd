#pragma once

#include <signal.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace anteroom::base {

// What Anteroom's programs (anteroomd, anteroom-gate) share around their main.

// Makes gRPC notice promptly that a server it reconnects to is back: sets gRPC's backup poll
// interval (GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS) to 100 ms unless the environment
// sets one. Call it first in main: gRPC reads the variable once, when it first starts. Why:
// gRPC 1.51 learns that a connection attempt succeeded or failed only when something polls
// it, and a channel whose calls fail at once (not wait-for-ready, as Anteroom's clients make
// them while a server is down) is polled only by the backup poller, every 5 s by default: a
// gateway then answers "unavailable" for 5 to 10 s after the server is back.
void PromptGrpcReconnects();

// Turns off Abseil's lock-order checks (absl::Mutex deadlock detection) in a release build.
// Debian builds Abseil without NDEBUG, which leaves them on: each lock gRPC takes (its
// mutexes are Abseil's) is then recorded in a process-wide graph of lock orders, a cost on
// every call. Abseil's own release builds have them off; so do ours (the sanitizer builds,
// without NDEBUG, keep them). Call it first in main.
void SkipLockOrderChecksInRelease();

// Sets the --help text: `usage`, then the flags defined in `main_file` (pass __FILE__ from
// the file that defines the program's flags). absl's default would list only flags of a
// file named after the binary, which ours are not ("No flags matched").
void SetProgramUsage(absl::string_view usage, absl::string_view main_file);

// Sets the minimum log level from a --log_level value: debug, info, warning or error.
absl::Status SetLogLevelByName(absl::string_view name);

// Blocks SIGTERM and SIGINT (and SIGHUP, when `and_reload`) in the calling thread and every
// thread it starts later (call it first in main), so that WaitForSignal can take them.
sigset_t BlockStopSignals(bool and_reload = false);
// Waits for one of `signals`; returns its number.
int WaitForSignal(const sigset_t& signals);
// Waits for SIGTERM or SIGINT; returns the signal's name.
std::string WaitForStopSignal(const sigset_t& signals);

// "127.0.0.1" of "127.0.0.1:50051".
std::string HostOf(const std::string& address);

// The whole file named by flag `flag` ("" when `path` is empty); NOT_FOUND naming the flag.
absl::StatusOr<std::string> ReadFlagFile(absl::string_view flag, const std::string& path);

// Writes `text` to `path` atomically (a temporary file renamed into place), so a reader
// polling for the file never sees half of it.
absl::Status WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace anteroom::base
