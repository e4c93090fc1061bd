// anteroomd: the Anteroom server. The only place that reads flags, opens RocksDB, names the
// real clock, starts the listeners and handles signals.

#include <signal.h>

#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <tuple>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "anteroom/v1/config.pb.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/program.h"
#include "base/random.h"
#include "google/protobuf/text_format.h"
#include "prometheus/exposer.h"
#include "server/replication/etcd_client.h"
#include "server/replication/replica.h"
#include "server/service/convert.h"
#include "server/service/instance.h"
#include "server/service/records.h"
#include "storage/rocksdb_store.h"
#include "wire/signer.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "Gateway API (WaitingRoom) address.");
ABSL_FLAG(std::string, admin_listen, "127.0.0.1:50052", "Admin API (RoomAdmin) address.");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "Prometheus /metrics address (host:port).");
ABSL_FLAG(std::string, data_dir, "./data",
          "RocksDB data directory (must exist unless --create_data_dir).");
ABSL_FLAG(bool, create_data_dir, false,
          "Create --data_dir if it does not exist (by default a missing directory is an error: "
          "it usually means a volume that is not mounted).");
ABSL_FLAG(std::string, backup_dir, "./backups",
          "Where CreateCheckpoint writes checkpoints (created when first needed).");
ABSL_FLAG(int64_t, min_free_disk_mb, 64,
          "Refuse writes (UNAVAILABLE) while the data directory's disk has less free space.");
ABSL_FLAG(bool, sync_writes, false,
          "fsync the write-ahead log before acknowledging a write (survives power loss).");
ABSL_FLAG(std::string, rooms, "",
          "Text-format anteroom.v1.RoomsConfig file: rooms created or updated at start-up.");
ABSL_FLAG(std::string, ports_file, "",
          "If set, write the bound addresses here once serving (for scripts and tests).");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain: serve both gRPC listeners over TLS.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key for --tls_cert.");
ABSL_FLAG(std::string, gateway_client_ca, "",
          "PEM CA bundle: the gateway listener requires client certificates chaining to it.");
ABSL_FLAG(std::string, admin_client_ca, "",
          "PEM CA bundle: the admin listener requires client certificates chaining to it.");
ABSL_FLAG(std::string, admin_token_file, "",
          "File holding a token every RoomAdmin call must present as "
          "'authorization: Bearer <token>'.");
ABSL_FLAG(std::string, entry_key_file, "",
          "Keys of operators' entry tokens (identity, priority, bypass), one per line, 32+ "
          "characters each: the first signs (anteroomctl entry-token), all verify. Empty: "
          "entry tokens are refused.");
ABSL_FLAG(int64_t, max_calls_in_flight, 4096,
          "Gateway calls worked on at once. Past half of it new Admits answer "
          "RESOURCE_EXHAUSTED; past all of it every gateway call does. 0: no bound.");
ABSL_FLAG(int32_t, max_concurrent_streams, 1024,
          "Concurrent calls per client connection (HTTP/2 streams) on each listener.");
ABSL_FLAG(int32_t, max_request_bytes, 64 * 1024,
          "Largest request accepted (bytes); a larger one answers RESOURCE_EXHAUSTED.");
ABSL_FLAG(std::string, etcd, "",
          "Replicated mode: the etcd cluster's client endpoints (host:port,host:port,...). Empty "
          "(default): a single node with its own store.");
ABSL_FLAG(std::string, etcd_prefix, "/anteroom/default",
          "Replicated mode: the cluster's key prefix in etcd; nodes with the same prefix serve "
          "one set of rooms.");
ABSL_FLAG(absl::Duration, etcd_lease_ttl, absl::Seconds(5),
          "Replicated mode: the owner's lease. A standby takes over at most this long after the "
          "owner stops (plus catching up); the owner keeps the rooms through an etcd leader "
          "election shorter than the lease less 0.5s (a tenth of it when longer). Whole seconds, "
          "2s or more.");
ABSL_FLAG(uint64_t, etcd_snapshot_log_bytes, 64ULL << 20,
          "Replicated mode: the owner snapshots the rooms into etcd and truncates the log behind "
          "the snapshot once this much log (or as much as the last snapshot, if more) has been "
          "written since the last one.");
ABSL_FLAG(std::string, advertise, "",
          "Replicated mode: the gateway address standbys name to clients (default: --listen "
          "with the bound port).");
ABSL_FLAG(std::string, advertise_admin, "",
          "Replicated mode: the admin address standbys name (default: --admin_listen).");
ABSL_FLAG(std::string, node_name, "",
          "Replicated mode: this node's name in logs and in etcd (default: --advertise).");
ABSL_FLAG(int64_t, grpc_memory_mb, 256,
          "Memory gRPC may use for buffers on each listener (MiB); past it, it reads less.");

namespace anteroom {
namespace {

int Fail(const absl::Status& status) {
  ANTEROOM_LOG(kError, "%s", status.ToString());
  return 1;
}

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

// The overload bounds, checked before anything starts.
absl::Status ReadOverloadFlags(service::ListenerOptions* options) {
  struct Bound {
    const char* flag;
    int64_t value, min, max;
  };
  for (const Bound& b : {
           Bound{"max_calls_in_flight", absl::GetFlag(FLAGS_max_calls_in_flight), 0, 100'000'000},
           Bound{"max_concurrent_streams", absl::GetFlag(FLAGS_max_concurrent_streams), 1,
                 1'000'000},
           Bound{"max_request_bytes", absl::GetFlag(FLAGS_max_request_bytes), 4096, 64 << 20},
           Bound{"grpc_memory_mb", absl::GetFlag(FLAGS_grpc_memory_mb), 16, 1 << 20},
       }) {
    if (b.value < b.min || b.value > b.max) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", b.flag, " must be from ", b.min, " to ", b.max, ", not ", b.value));
    }
  }
  options->max_calls_in_flight = absl::GetFlag(FLAGS_max_calls_in_flight);
  options->max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  options->max_request_bytes = absl::GetFlag(FLAGS_max_request_bytes);
  options->grpc_memory_bytes = absl::GetFlag(FLAGS_grpc_memory_mb) << 20;
  return absl::OkStatus();
}

// Serves /metrics of `registry`; the bound address.
absl::StatusOr<std::string> ServeMetrics(std::unique_ptr<prometheus::Exposer>* exposer,
                                         const std::shared_ptr<prometheus::Registry>& registry) {
  const std::string metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  try {
    *exposer = std::make_unique<prometheus::Exposer>(metrics_listen);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", metrics_listen, " (address in use?): ", e.what()));
  }
  (*exposer)->RegisterCollectable(registry);
  return absl::StrCat(base::HostOf(metrics_listen), ":", (*exposer)->GetListeningPorts().front());
}

// Writes the bound addresses to --ports_file, if given.
absl::Status WritePorts(const std::string& gateway, const std::string& admin,
                        const std::string& metrics) {
  if (absl::GetFlag(FLAGS_ports_file).empty()) return absl::OkStatus();
  return base::WriteFileAtomically(
      absl::GetFlag(FLAGS_ports_file),
      absl::StrCat("gateway=", gateway, "\nadmin=", admin, "\nmetrics=", metrics, "\n"));
}

// The end of a clean stop, once nothing writes any more: flushes and closes RocksDB
// (everything acknowledged is on disk) and exits at once. Nothing left holds state: tearing
// down the metrics HTTP server and the gRPC runtime takes seconds and would only delay a
// rolling restart.
int CloseStoreAndExit(std::unique_ptr<storage::RocksDbStore>* store) {
  if (absl::Status s = (*store)->Flush(); !s.ok()) return Fail(s);
  store->reset();
  ANTEROOM_LOG(kInfo, "anteroomd stopped cleanly");
  std::fflush(nullptr);
  std::_Exit(0);
}

// Replicated mode (--etcd): a Replica follows the cluster's log into `store` and serves the
// rooms while it owns them (server/replication/replica.h).
int RunReplicated(const service::InstanceOptions& instance_options,
                  std::unique_ptr<storage::RocksDbStore>* store, base::Clock* clock,
                  base::RandomSource* random, const sigset_t& stop_signals) {
  absl::StatusOr<std::vector<std::string>> endpoints =
      replication::EtcdClient::ParseEndpoints(absl::GetFlag(FLAGS_etcd), "etcd");
  if (!endpoints.ok()) return Fail(endpoints.status());
  replication::EtcdClient::Options etcd_options;
  etcd_options.endpoints = *endpoints;
  etcd_options.clock = clock;
  absl::StatusOr<std::unique_ptr<replication::EtcdClient>> etcd =
      replication::EtcdClient::Create(etcd_options);
  if (!etcd.ok()) return Fail(etcd.status());
  const std::string prefix = absl::GetFlag(FLAGS_etcd_prefix);
  if (prefix.empty() || prefix.front() != '/' || prefix.back() == '/') {
    return Fail(absl::InvalidArgumentError(
        "--etcd_prefix must start with '/' and not end with one, e.g. /anteroom/tickets"));
  }
  service::Metrics metrics;
  replication::ReplicaOptions options;
  options.prefix = prefix;
  options.node = absl::GetFlag(FLAGS_node_name);
  options.advertise = absl::GetFlag(FLAGS_advertise);
  options.advertise_admin = absl::GetFlag(FLAGS_advertise_admin);
  options.lease_ttl = absl::GetFlag(FLAGS_etcd_lease_ttl);
  options.snapshot_log_bytes = absl::GetFlag(FLAGS_etcd_snapshot_log_bytes);
  if (options.snapshot_log_bytes < 4096) {
    return Fail(absl::InvalidArgumentError("--etcd_snapshot_log_bytes must be 4096 or more"));
  }
  options.instance = instance_options;
  const std::string rooms_file = absl::GetFlag(FLAGS_rooms);
  options.on_elected = [rooms_file](service::Instance* instance) {
    return rooms_file.empty() ? absl::OkStatus() : ApplyRoomsFile(rooms_file, instance->rooms());
  };
  replication::Replica replica(etcd->get(), store->get(), clock, random, &metrics, options);
  if (absl::Status s = replica.Start(); !s.ok()) return Fail(s);

  std::unique_ptr<prometheus::Exposer> exposer;
  absl::StatusOr<std::string> metrics_address = ServeMetrics(&exposer, metrics.registry());
  if (!metrics_address.ok()) return Fail(metrics_address.status());
  const std::string gateway_address =
      absl::StrCat(base::HostOf(instance_options.listeners.listen), ":", replica.port());
  const std::string admin_address = absl::StrCat(
      base::HostOf(instance_options.listeners.admin_listen), ":", replica.admin_port());
  ANTEROOM_LOG(kInfo,
               "anteroomd replica serving (a standby until it owns the rooms): gateway %s, admin "
               "%s, metrics http://%s/metrics, data %s, etcd %s%s",
               gateway_address, admin_address, *metrics_address, absl::GetFlag(FLAGS_data_dir),
               absl::GetFlag(FLAGS_etcd), prefix);
  if (absl::Status s = WritePorts(gateway_address, admin_address, *metrics_address); !s.ok()) {
    return Fail(s);
  }
  const std::string signal_name = base::WaitForStopSignal(stop_signals);
  ANTEROOM_LOG(kInfo, "received %s: handing the rooms over", signal_name);
  replica.Stop(absl::Seconds(10));
  return CloseStoreAndExit(store);
}

int Run() {
  // Block the stop signals in every thread; the main thread waits for them.
  const sigset_t stop_signals = base::BlockStopSignals();
  if (absl::Status s = base::SetLogLevelByName(absl::GetFlag(FLAGS_log_level)); !s.ok())
    return Fail(s);
  // A file-size limit must give a write error (answered UNAVAILABLE), not kill the server.
  signal(SIGXFSZ, SIG_IGN);
  service::InstanceOptions instance_options;
  service::ListenerOptions& server_options = instance_options.listeners;
  if (absl::Status s = ReadOverloadFlags(&server_options); !s.ok()) return Fail(s);
  if (const std::string keys = absl::GetFlag(FLAGS_entry_key_file); !keys.empty()) {
    absl::StatusOr<wire::Signer> signer = wire::Signer::FromFile("entry_key_file", keys);
    if (!signer.ok()) return Fail(signer.status());
    server_options.entry_keys = std::make_shared<const wire::Signer>(*std::move(signer));
  }

  storage::RocksDbStoreOptions store_options;
  store_options.path = absl::GetFlag(FLAGS_data_dir);
  store_options.sync_writes = absl::GetFlag(FLAGS_sync_writes);
  store_options.create_if_missing = absl::GetFlag(FLAGS_create_data_dir);
  store_options.min_free_bytes = absl::GetFlag(FLAGS_min_free_disk_mb) << 20;
  store_options.format_version = service::kFormatVersion;
  absl::StatusOr<std::unique_ptr<storage::RocksDbStore>> store =
      storage::RocksDbStore::Open(store_options);
  if (!store.ok()) return Fail(store.status());

  server_options.listen = absl::GetFlag(FLAGS_listen);
  server_options.admin_listen = absl::GetFlag(FLAGS_admin_listen);
  server_options.backup_dir = absl::GetFlag(FLAGS_backup_dir);
  for (auto [flag, path, target] :
       {std::tuple{"tls_cert", absl::GetFlag(FLAGS_tls_cert), &server_options.tls_cert_pem},
        std::tuple{"tls_key", absl::GetFlag(FLAGS_tls_key), &server_options.tls_key_pem},
        std::tuple{"gateway_client_ca", absl::GetFlag(FLAGS_gateway_client_ca),
                   &server_options.gateway_client_ca_pem},
        std::tuple{"admin_client_ca", absl::GetFlag(FLAGS_admin_client_ca),
                   &server_options.admin_client_ca_pem},
        std::tuple{"admin_token_file", absl::GetFlag(FLAGS_admin_token_file),
                   &server_options.admin_token}}) {
    absl::StatusOr<std::string> content = base::ReadFlagFile(flag, path);
    if (!content.ok()) return Fail(content.status());
    *target = std::move(*content);
  }
  server_options.admin_token = std::string(absl::StripAsciiWhitespace(server_options.admin_token));
  if (!absl::GetFlag(FLAGS_admin_token_file).empty() && server_options.admin_token.size() < 16) {
    return Fail(
        absl::InvalidArgumentError("--admin_token_file must hold a token of 16+ characters"));
  }
  if (server_options.tls_cert_pem.empty() != server_options.tls_key_pem.empty()) {
    return Fail(absl::InvalidArgumentError("--tls_cert and --tls_key go together"));
  }

  base::RealClock clock;
  base::SecureRandom random;
  if (!absl::GetFlag(FLAGS_etcd).empty()) {
    return RunReplicated(instance_options, &*store, &clock, &random, stop_signals);
  }
  absl::StatusOr<std::unique_ptr<service::Instance>> instance =
      service::Instance::Create(store->get(), &clock, &random);
  if (!instance.ok()) return Fail(instance.status());
  service::RoomManager& rooms = *(*instance)->rooms();
  if (!absl::GetFlag(FLAGS_rooms).empty()) {
    if (absl::Status s = ApplyRoomsFile(absl::GetFlag(FLAGS_rooms), &rooms); !s.ok()) {
      return Fail(s);
    }
  }

  if (absl::Status s = (*instance)->Serve(instance_options); !s.ok()) return Fail(s);

  std::unique_ptr<prometheus::Exposer> exposer;
  absl::StatusOr<std::string> metrics_served =
      ServeMetrics(&exposer, (*instance)->metrics()->registry());
  if (!metrics_served.ok()) return Fail(metrics_served.status());
  const std::string metrics_address = *metrics_served;
  const std::string gateway_address =
      absl::StrCat(base::HostOf(server_options.listen), ":", (*instance)->port());
  const std::string admin_address =
      absl::StrCat(base::HostOf(server_options.admin_listen), ":", (*instance)->admin_port());
  ANTEROOM_LOG(
      kInfo, "anteroomd serving%s: gateway %s, admin %s, metrics http://%s/metrics, data %s%s",
      server_options.tls_cert_pem.empty() ? "" : " over TLS", gateway_address, admin_address,
      metrics_address, store_options.path, store_options.sync_writes ? " (sync writes)" : "");
  if (absl::Status s = WritePorts(gateway_address, admin_address, metrics_address); !s.ok()) {
    return Fail(s);
  }

  const std::string signal_name = base::WaitForStopSignal(stop_signals);
  ANTEROOM_LOG(kInfo, "received %s: finishing in-flight calls", signal_name);
  // In-flight calls finish (10 s at most), a last alive mark, everything pending written.
  (*instance)->Stop(absl::Seconds(10));
  instance->reset();
  return CloseStoreAndExit(&*store);
}

}  // namespace
}  // namespace anteroom

int main(int argc, char** argv) {
  anteroom::base::PromptGrpcReconnects();  // before anything starts gRPC
  anteroom::base::SetProgramUsage(
      "Anteroom waiting-room server.\nUsage: anteroomd [--listen=ADDR] [--admin_listen=ADDR] "
      "[--metrics_listen=ADDR] [--data_dir=DIR] [--sync_writes] [--rooms=FILE]",
      __FILE__);
  absl::ParseCommandLine(argc, argv);
  const int code = anteroom::Run();
  // As after a clean stop: the gRPC runtime's teardown only delays the exit.
  std::fflush(nullptr);
  std::_Exit(code);
}
