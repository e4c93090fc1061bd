// The servers the benchmark measures, started as real processes on loopback.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/testing/daemon.h"
#include "tests/testing/etcd_cluster.h"

namespace anteroom::bench {

// A binary built next to anteroom-bench: `relative` to this executable's directory, unless
// `override_path` is set.
std::string BuiltBinary(const std::string& override_path, const std::string& relative);

// A gauge's value in a Prometheus text page (-1 when absent).
double MetricValue(const std::string& page, const std::string& name);

// anteroomd replicated over a 3-member etcd cluster (all on loopback, under `dir`).
class ReplicatedCluster {
 public:
  static absl::StatusOr<std::unique_ptr<ReplicatedCluster>> Start(const std::string& anteroomd,
                                                                  const std::string& dir,
                                                                  int nodes = 3);
  ~ReplicatedCluster();  // stops the nodes (SIGTERM), then etcd

  // Starts node `i` (a new one when i == nodes().size()); null when it failed (printed).
  std::unique_ptr<testing::Daemon> StartNode(int i);
  // The index of the node that owns the rooms, waiting up to 20 s for one; -1 if none.
  int Owner();

  std::vector<std::unique_ptr<testing::Daemon>>& nodes() { return nodes_; }
  testing::EtcdCluster& etcd() { return *etcd_; }

 private:
  ReplicatedCluster(std::string anteroomd, std::string dir)
      : anteroomd_(std::move(anteroomd)), dir_(std::move(dir)) {}
  const std::string anteroomd_;
  const std::string dir_;
  std::unique_ptr<testing::EtcdCluster> etcd_;
  std::vector<std::unique_ptr<testing::Daemon>> nodes_;
};

}  // namespace anteroom::bench
