#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/testing/daemon.h"

namespace anteroom::testing {

// The waiting room in front of a site on loopback, as deploy/nginx/ ships it (demo.conf.in,
// as `make demo` runs it): the real anteroomd, anteroom-gate and Debian's nginx in front of
// the static demo origin. Destroying it stops each part the way it expects; a part that will
// not stop, or leaves a process behind, fails the test. A part that exits while the stack
// starts (a port taken meanwhile) makes it start again on fresh ports.
class NginxStack {
 public:
  struct Options {
    std::string anteroomd;  // binaries
    std::string gate;
    std::string source_dir;              // the checkout: deploy/nginx/ is read from there
    std::string rooms;                   // the --rooms file (text-format RoomsConfig)
    std::string room;                    // nginx's $anteroom_room
    std::vector<std::string> gate_args;  // besides the addresses and --room
  };
  static absl::StatusOr<std::unique_ptr<NginxStack>> Start(const Options& options);
  ~NginxStack();

  // The protected site: "127.0.0.1:<port>".
  const std::string& site() const { return site_; }
  int port() const { return port_; }
  Daemon& daemon() { return *daemon_; }
  // Kills anteroomd with SIGKILL, as a crash would.
  void KillAnteroomd();
  // Starts anteroomd again on the same addresses and data (after KillAnteroomd).
  absl::Status RestartAnteroomd();
  pid_t gate_pid() const { return gate_->pid(); }
  const std::string& dir() const { return dir_; }
  // The gate's and nginx's logs, for a failure's message.
  std::string Logs() const;
  // Stops nginx, the gate and anteroomd; an error names what did not stop cleanly. Keeps
  // the directory (logs) when `keep`, else removes it.
  absl::Status Stop(bool keep = false);

 private:
  NginxStack() = default;
  static absl::StatusOr<std::unique_ptr<NginxStack>> StartOnce(const Options& options);
  std::string dir_, site_;
  std::string anteroomd_;  // the binary
  int port_ = 0;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Process> gate_, nginx_;
  bool stopped_ = false;
};

}  // namespace anteroom::testing
