#pragma once

#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace anteroom::testing {

// Runs the real anteroomd binary for integration tests: on loopback ports chosen by the
// kernel, reporting them through --ports_file, with stderr kept in a file for assertions.
class Daemon {
 public:
  // Starts `binary` with `data_dir` (created if missing) and `extra_args` and waits (up to
  // `timeout`) until it serves. Fails with the daemon's stderr if it exits first.
  static absl::StatusOr<std::unique_ptr<Daemon>> Start(const std::string& binary,
                                                       const std::string& data_dir,
                                                       std::vector<std::string> extra_args = {},
                                                       absl::Duration timeout = absl::Seconds(60));
  // Kills the daemon (SIGKILL) if it still runs.
  ~Daemon();

  const std::string& gateway_address() const { return gateway_; }
  const std::string& admin_address() const { return admin_; }
  const std::string& metrics_address() const { return metrics_; }
  pid_t pid() const { return pid_; }

  // SIGKILL, as a crash would; waits for the process to be gone.
  void Kill9();
  // SIGTERM; waits up to `timeout` for exit and returns the exit code (-1 on timeout or
  // death by a signal).
  int Terminate(absl::Duration timeout = absl::Seconds(30));
  std::string Stderr() const;

 private:
  Daemon(pid_t pid, std::string dir) : pid_(pid), dir_(std::move(dir)) {}
  pid_t pid_;
  std::string dir_;  // holds the ports file and the captured stderr
  std::string gateway_, admin_, metrics_;
};

struct ExitResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string stderr_text;
};

// Runs `binary` with `args` to completion (killing it after `timeout`), capturing stderr;
// as user `uid` when it is >= 0 (the caller must be root; that user runs a copy of
// `binary`, which it may not reach where it was built).
ExitResult RunToExit(const std::string& binary, const std::vector<std::string>& args,
                     absl::Duration timeout = absl::Seconds(30), int uid = -1);

// Any program run in the background for a test (e.g. nginx, a Prometheus server), in a
// process group of its own so that whatever it starts can be accounted for.
class Process {
 public:
  // Starts `binary` with `args`, its stdout and stderr going to `log_path`. `stop_signal`
  // is how the program expects to be asked to stop (nginx: SIGQUIT, a graceful stop).
  static absl::StatusOr<std::unique_ptr<Process>> Start(const std::string& binary,
                                                        const std::vector<std::string>& args,
                                                        const std::string& log_path,
                                                        int stop_signal = SIGTERM);
  // Stop() unless done; a failure to stop cleanly fails the running test.
  ~Process();
  bool Running();
  pid_t pid() const { return pid_; }
  // Sends the stop signal and waits (up to `timeout`) for the program to exit, then checks
  // that nothing it started outlived it (e.g. nginx workers of a killed master). Whatever is
  // left is killed, and the answer is an error that names it.
  absl::Status Stop(absl::Duration timeout = absl::Seconds(30));

 private:
  Process(pid_t pid, std::string binary, int stop_signal)
      : pid_(pid), group_(pid), binary_(std::move(binary)), stop_signal_(stop_signal) {}
  pid_t pid_;  // -1 once reaped
  const pid_t group_;
  std::string binary_;
  int stop_signal_;
  bool stopped_ = false;
};

// Waits until `serving` holds, checking every few milliseconds, for at most `timeout`, while
// `process` runs. As soon as the process has exited, an error naming `what` and quoting the
// start of its log at `log_path`: UNAVAILABLE when the log says an address was in use (a
// port it was given was taken meanwhile), INTERNAL otherwise. DEADLINE_EXCEEDED when it runs
// but does not serve in time.
absl::Status WaitServing(Process& process, const std::string& what, const std::string& log_path,
                         const std::function<bool()>& serving, absl::Duration timeout);

// Runs `start` up to `attempts` times while it fails with UNAVAILABLE (WaitServing's "an
// address was in use"): a program a test starts on ports chosen by FreeLoopbackPort (free a
// moment ago, not reserved) fails to start when another program took one meanwhile; `start`
// picks fresh ports each time.
template <typename T, typename Start>
absl::StatusOr<T> WithFreshPorts(const Start& start, int attempts = 3) {
  absl::StatusOr<T> result = start();
  for (int i = 1; i < attempts && result.status().code() == absl::StatusCode::kUnavailable; ++i) {
    result = start();
  }
  return result;
}

// "value" of the line "key=value" in a ports file written by --ports_file ("" if absent).
std::string PortsFileValue(const std::string& path, const std::string& key);

// A loopback TCP port that was free a moment ago (for programs that cannot report the port
// they bound), drawn at random below the kernel's ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range). The kernel hands ports of that range to every
// outgoing connection and to every server that binds port 0, so one of those could take a
// port chosen there between the choice and the program's bind, or while a test restarts a
// program on the same port; below the range only another test's FreeLoopbackPort can, and
// two tests drawing the same port among thousands is rare (WithFreshPorts retries it).
int FreeLoopbackPort();

// A fresh, empty directory under $TMPDIR (or /tmp), removed by the caller if wanted.
std::string MakeTempDir(const std::string& prefix);

// The whole file ("" when it cannot be read).
std::string ReadFile(const std::string& path);

// The resident memory of process `pid` (VmRSS), in bytes; 0 once it is gone.
int64_t ProcessRssBytes(pid_t pid);

// Threads a test starts, stopped (`*stop` set) and joined however the test ends: an ASSERT
// that returns early would otherwise leave them joinable (std::terminate).
class StopAndJoin {
 public:
  StopAndJoin(std::atomic<bool>* stop, std::vector<std::thread>* threads)
      : stop_(stop), threads_(threads) {}
  ~StopAndJoin() {
    *stop_ = true;
    for (std::thread& t : *threads_) t.join();
    threads_->clear();
  }

 private:
  std::atomic<bool>* stop_;
  std::vector<std::thread>* threads_;
};

// Waits until `condition` holds, checking every few milliseconds, for at most `timeout`.
// Returns whether it held.
bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout);

}  // namespace anteroom::testing
