#include "server/daemon/daemon.h"

#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "anteroom/v1/config.pb.h"
#include "base/log.h"
#include "base/program.h"
#include "google/protobuf/text_format.h"
#include "prometheus/exposer.h"
#include "server/replication/etcd_client.h"
#include "server/service/convert.h"
#include "server/service/records.h"

namespace anteroom::daemon {
namespace {

int Fail(const absl::Status& status) {
  ANTEROOM_LOG(kError, "%s", status.ToString());
  return 1;
}

// What runs the rooms: a single node's Instance, or a Replica.
class Node {
 public:
  virtual ~Node() = default;
  virtual int port() const = 0;
  virtual int admin_port() const = 0;
  virtual service::Metrics* metrics() = 0;
  // A clean stop: in-flight calls finish (up to `grace`), everything pending is written.
  virtual void Stop(absl::Duration grace) = 0;
};

class SingleNode final : public Node {
 public:
  explicit SingleNode(std::unique_ptr<service::Instance> instance)
      : instance_(std::move(instance)) {}
  int port() const override { return instance_->port(); }
  int admin_port() const override { return instance_->admin_port(); }
  service::Metrics* metrics() override { return instance_->metrics(); }
  void Stop(absl::Duration grace) override { instance_->Stop(grace); }

 private:
  std::unique_ptr<service::Instance> instance_;
};

class ReplicaNode final : public Node {
 public:
  ReplicaNode(std::unique_ptr<replication::EtcdClient> etcd,
              std::unique_ptr<service::Metrics> metrics)
      : etcd_(std::move(etcd)), metrics_(std::move(metrics)) {}
  void Set(std::unique_ptr<replication::Replica> replica) { replica_ = std::move(replica); }
  int port() const override { return replica_->port(); }
  int admin_port() const override { return replica_->admin_port(); }
  service::Metrics* metrics() override { return metrics_.get(); }
  void Stop(absl::Duration grace) override { replica_->Stop(grace); }

 private:
  std::unique_ptr<replication::EtcdClient> etcd_;
  std::unique_ptr<service::Metrics> metrics_;
  std::unique_ptr<replication::Replica> replica_;  // last: stopped before what it uses goes
};

absl::StatusOr<std::unique_ptr<Node>> StartSingle(const DaemonOptions& options,
                                                  storage::Store* store, base::Clock* clock,
                                                  base::RandomSource* random) {
  absl::StatusOr<std::unique_ptr<service::Instance>> instance =
      service::Instance::Create(store, clock, random);
  if (!instance.ok()) return instance.status();
  if (!options.rooms_file.empty()) {
    if (absl::Status s = ApplyRoomsFile(options.rooms_file, (*instance)->rooms()); !s.ok())
      return s;
  }
  if (absl::Status s = (*instance)->Serve(options.instance); !s.ok()) return s;
  return std::make_unique<SingleNode>(*std::move(instance));
}

absl::StatusOr<std::unique_ptr<Node>> StartReplica(const DaemonOptions& options,
                                                   storage::Store* store, base::Clock* clock,
                                                   base::RandomSource* random) {
  replication::EtcdClient::Options etcd_options;
  etcd_options.endpoints = options.etcd_endpoints;
  etcd_options.clock = clock;
  absl::StatusOr<std::unique_ptr<replication::EtcdClient>> etcd =
      replication::EtcdClient::Create(etcd_options);
  if (!etcd.ok()) return etcd.status();
  replication::EtcdClient* client = etcd->get();
  auto node = std::make_unique<ReplicaNode>(*std::move(etcd), std::make_unique<service::Metrics>());
  replication::ReplicaOptions replica = options.replica;
  replica.instance = options.instance;
  const std::string rooms_file = options.rooms_file;
  replica.on_elected = [rooms_file](service::Instance* instance) {
    return rooms_file.empty() ? absl::OkStatus() : ApplyRoomsFile(rooms_file, instance->rooms());
  };
  auto started = std::make_unique<replication::Replica>(client, store, clock, random,
                                                        node->metrics(), replica);
  if (absl::Status s = started->Start(); !s.ok()) return s;
  node->Set(std::move(started));
  return std::unique_ptr<Node>(std::move(node));
}

// Serves /metrics of `registry`; the bound address.
absl::StatusOr<std::string> ServeMetrics(const std::string& listen,
                                         std::unique_ptr<prometheus::Exposer>* exposer,
                                         const std::shared_ptr<prometheus::Registry>& registry) {
  try {
    *exposer = std::make_unique<prometheus::Exposer>(listen);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", listen, " (address in use?): ", e.what()));
  }
  (*exposer)->RegisterCollectable(registry);
  return absl::StrCat(base::HostOf(listen), ":", (*exposer)->GetListeningPorts().front());
}

}  // namespace

absl::Status ApplyRoomsFile(const std::string& path, service::RoomManager* rooms) {
  absl::StatusOr<std::string> text = base::ReadFlagFile("rooms", path);
  if (!text.ok()) return text.status();
  v1::RoomsConfig config;
  if (!google::protobuf::TextFormat::ParseFromString(*text, &config)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--rooms file ", path, " is not a valid text-format RoomsConfig"));
  }
  for (const v1::RoomConfig& room : config.room()) {
    absl::Status s;
    if (rooms->GetRoom(room.id()).ok()) {
      std::promise<absl::Status> updated;
      rooms->UpdateRoom(
          room.id(),
          [&](core::RoomSettings* settings) {
            return service::ApplySettingsPatch(room.settings(), settings);
          },
          [&](const absl::StatusOr<service::RoomInfo>& info) { updated.set_value(info.status()); });
      s = updated.get_future().get();
    } else {
      core::RoomSettings settings;
      s = service::ApplySettingsPatch(room.settings(), &settings);
      if (s.ok()) s = rooms->CreateRoom(room.id(), settings).status();
    }
    if (!s.ok()) {
      return absl::Status(
          s.code(), absl::StrCat("--rooms ", path, ", room '", room.id(), "': ", s.message()));
    }
  }
  return absl::OkStatus();
}

int Run(const DaemonOptions& options, const sigset_t& stop_signals, base::Clock* clock,
        base::RandomSource* random) {
  absl::StatusOr<std::unique_ptr<storage::RocksDbStore>> store =
      storage::RocksDbStore::Open(options.store);
  if (!store.ok()) return Fail(store.status());
  const bool replicated = !options.etcd_endpoints.empty();
  absl::StatusOr<std::unique_ptr<Node>> node =
      replicated ? StartReplica(options, store->get(), clock, random)
                 : StartSingle(options, store->get(), clock, random);
  if (!node.ok()) return Fail(node.status());

  std::unique_ptr<prometheus::Exposer> exposer;
  absl::StatusOr<std::string> metrics =
      ServeMetrics(options.metrics_listen, &exposer, (*node)->metrics()->registry());
  if (!metrics.ok()) return Fail(metrics.status());
  const service::ListenerOptions& listeners = options.instance.listeners;
  const std::string gateway = absl::StrCat(base::HostOf(listeners.listen), ":", (*node)->port());
  const std::string admin =
      absl::StrCat(base::HostOf(listeners.admin_listen), ":", (*node)->admin_port());
  if (replicated) {
    ANTEROOM_LOG(kInfo,
                 "anteroomd replica serving (a standby until it owns the rooms): gateway %s, "
                 "admin %s, metrics http://%s/metrics, data %s, etcd %s%s",
                 gateway, admin, *metrics, options.store.path,
                 absl::StrJoin(options.etcd_endpoints, ","), options.replica.prefix);
  } else {
    ANTEROOM_LOG(kInfo,
                 "anteroomd serving%s: gateway %s, admin %s, metrics http://%s/metrics, data %s%s",
                 listeners.tls_cert_pem.empty() ? "" : " over TLS", gateway, admin, *metrics,
                 options.store.path, options.store.sync_writes ? " (sync writes)" : "");
  }
  if (!options.ports_file.empty()) {
    absl::Status s = base::WriteFileAtomically(
        options.ports_file,
        absl::StrCat("gateway=", gateway, "\nadmin=", admin, "\nmetrics=", *metrics, "\n"));
    if (!s.ok()) return Fail(s);
  }

  const std::string signal_name = base::WaitForStopSignal(stop_signals);
  ANTEROOM_LOG(kInfo, "received %s: %s", signal_name,
               replicated ? "handing the rooms over" : "finishing in-flight calls");
  // In-flight calls finish (10 s at most), a last alive mark, everything pending written.
  (*node)->Stop(absl::Seconds(10));
  node->reset();
  // Once nothing writes any more: RocksDB flushed and closed (everything acknowledged is on
  // disk), and the process exits at once. Nothing left holds state: tearing down the metrics
  // HTTP server and the gRPC runtime takes seconds and would only delay a rolling restart.
  if (absl::Status s = (*store)->Flush(); !s.ok()) return Fail(s);
  store->reset();
  ANTEROOM_LOG(kInfo, "anteroomd stopped cleanly");
  std::fflush(nullptr);
  std::_Exit(0);
}

}  // namespace anteroom::daemon
