#pragma once

#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "base/random.h"
#include "base/task_thread.h"
#include "server/service/client_key.h"
#include "server/service/commit_log.h"
#include "server/service/committer.h"
#include "server/service/listeners.h"
#include "server/service/metrics.h"
#include "server/service/room_manager.h"
#include "storage/store.h"

namespace anteroom::service {

struct InstanceOptions {
  // The gRPC listeners (addresses, TLS, admin token, checkpoint directory).
  ListenerOptions listeners;
  // How often lapsed leases are expired and free slots filled. Default 100 ms.
  absl::Duration tick_interval = absl::Milliseconds(100);
};

// One Anteroom server over a store: its client keys, metrics, commit path (CommitLog and
// Committer), rooms (RoomManager, loaded from the store), gRPC listeners and admission
// ticker, built, started and stopped in the one right order. anteroomd, the tests'
// in-process server and the benchmark all run a server through it.
//
//   auto instance = Instance::Create(store, clock, random);   // rooms loaded, not serving
//   (*instance)->rooms()->CreateRoom(...);                     // e.g. a --rooms file
//   (*instance)->Serve(options);                               // listeners and ticker
//   (*instance)->Stop(absl::Seconds(10));                      // or destroy it
//
// A replica's term as owner serves through the listeners the node keeps for its whole life
// (ServeOn): ending the term turns calls away without closing them.
//
// Thread-safe.
class Instance {
 public:
  // Builds the server over `store` and loads every room from it, crediting the downtime;
  // serves nothing yet. `store`, `clock` and `random` must outlive the instance. `log` is the
  // commit path; null (the default) writes to `store` itself. `metrics`, when given, must
  // outlive the instance (a replica keeps one across its terms as owner); null: its own.
  static absl::StatusOr<std::unique_ptr<Instance>> Create(storage::Store* store, base::Clock* clock,
                                                          base::RandomSource* random,
                                                          CommitLog* log = nullptr,
                                                          Metrics* metrics = nullptr);
  // Stop(no grace).
  ~Instance();

  // Starts listeners of its own and the admission ticker. A listener that cannot start (port
  // taken, bad TLS material) is an error, and nothing is served.
  absl::Status Serve(const InstanceOptions& options);
  // Serves through `listeners` (which must outlive the instance) and starts the admission
  // ticker, ticking every `tick_interval`.
  void ServeOn(Listeners* listeners, absl::Duration tick_interval);

  // Stops, in this order: the listeners turn new calls away (UNAVAILABLE) and let those in
  // flight finish for up to `grace`; the ticker stops; the server records that it is alive
  // (so the next start credits only real downtime); the committer writes what is pending,
  // answering the calls that waited on it; once every call that held the rooms is answered,
  // listeners of its own shut down (those of ServeOn stay, serving nothing). Idempotent.
  void Stop(absl::Duration grace);

  RoomManager* rooms() { return rooms_.get(); }
  Metrics* metrics() { return metrics_; }
  // The bound ports, once serving.
  int port() const { return listeners_ ? listeners_->port() : 0; }
  int admin_port() const { return listeners_ ? listeners_->admin_port() : 0; }
  Listeners* listeners() { return listeners_; }

 private:
  explicit Instance(storage::Store* store);
  void RunTicker(absl::Duration interval);

  storage::Store* const store_;
  std::unique_ptr<Metrics> own_metrics_;
  Metrics* metrics_ = nullptr;
  std::unique_ptr<ClientKeyer> keyer_;
  std::unique_ptr<LocalCommitLog> local_log_;
  base::TaskThread background_;  // rooms' reloads after a failed write
  std::unique_ptr<Committer> committer_;
  std::unique_ptr<RoomManager> rooms_;
  std::unique_ptr<Listeners> own_listeners_;  // Serve's
  Listeners* listeners_ = nullptr;            // those it serves through

  base::Mutex mu_;
  base::CondVar wake_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::thread ticker_;
};

}  // namespace anteroom::service
