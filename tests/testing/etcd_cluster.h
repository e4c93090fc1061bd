#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/testing/daemon.h"

namespace anteroom::testing {

// A real etcd cluster (Debian's etcd-server) on loopback for tests: `members` members with
// ports that were free, data under `dir` (emptied first), logs in `dir`/<name>.log. Members can be
// killed and restarted on the same ports and data. Each is stopped with SIGTERM, as etcd expects. A
// member that exits while the cluster starts (a port taken meanwhile) makes it start again on
// fresh ports.
class EtcdCluster {
 public:
  // With `quick_elections`, members elect a leader within about 0.5 s of losing one
  // (--election-timeout 500); else on etcd's defaults (1 s, as production clusters run).
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> Start(const std::string& dir, int members = 3,
                                                            bool quick_elections = true);
  // Stops every member still running; a failure to stop cleanly fails the running test.
  ~EtcdCluster();

  // The client endpoints, comma-separated (anteroomd --etcd).
  std::string endpoints() const;
  int size() const { return static_cast<int>(members_.size()); }
  // SIGKILL member `i` and wait for it to be gone.
  void Kill9(int i);
  // The member that leads the cluster now, or -1 when none answers as the leader.
  int Leader() const;
  // Starts member `i` again on its ports and data.
  absl::Status Restart(int i);
  // Waits until the cluster commits a write (a quorum is up and has a leader). UNAVAILABLE
  // as soon as a member that was not killed has exited.
  absl::Status WaitWritable(absl::Duration timeout = absl::Seconds(30));
  // The last lines of member `i`'s log, for failure messages.
  std::string LogTail(int i) const;

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    std::unique_ptr<Process> process;
  };
  EtcdCluster(std::string dir, bool quick_elections)
      : dir_(std::move(dir)), quick_elections_(quick_elections) {}
  absl::Status StartMember(int i);

  std::string dir_;
  bool quick_elections_;
  std::vector<Member> members_;
};

}  // namespace anteroom::testing
