#pragma once

#include <signal.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/clock.h"
#include "base/random.h"
#include "server/replication/replica.h"
#include "server/service/instance.h"
#include "storage/rocksdb_store.h"

namespace anteroom::daemon {

// Everything anteroomd runs with, read from its flags by main.cc.
struct DaemonOptions {
  // The store (its path, sync writes, free-space floor, format version).
  storage::RocksDbStoreOptions store;
  // The gRPC listeners and the admission ticker.
  service::InstanceOptions instance;
  // Prometheus /metrics address (host:port; port 0 picks one).
  std::string metrics_listen = "127.0.0.1:9464";
  // When not empty, the bound addresses are written here once serving.
  std::string ports_file;
  // A text-format anteroom.v1.RoomsConfig applied at start (single node) or when this node
  // takes the rooms (replicated). Empty: none.
  std::string rooms_file;
  // Replicated mode when not empty: the etcd cluster's client endpoints (host:port).
  std::vector<std::string> etcd_endpoints;
  // Replicated mode's settings (prefix, lease, node name, advertised addresses...).
  // `replica.instance` and `replica.on_elected` are filled in from the fields above.
  replication::ReplicaOptions replica;
};

// Runs anteroomd: opens the store, serves the rooms as a single node (a service::Instance)
// or as a node of a replicated cluster (a replication::Replica over etcd), serves the
// metrics, writes the ports file, and runs until one of `stop_signals` arrives; then stops in
// order (in-flight calls finish for up to 10 s, a replica hands the rooms over) and closes
// the store. The one place that builds the daemon's parts and wires them: `clock` and
// `random` are the real ones in main, and everything takes them from here.
//
// Returns the process's exit code (0 after a clean stop; 1 after an error it logged).
int Run(const DaemonOptions& options, const sigset_t& stop_signals, base::Clock* clock,
        base::RandomSource* random);

// Creates or updates the rooms of a text-format anteroom.v1.RoomsConfig file. An error
// names the file and the room.
absl::Status ApplyRoomsFile(const std::string& path, service::RoomManager* rooms);

}  // namespace anteroom::daemon
