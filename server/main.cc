// anteroomd: the Anteroom server. Reads its flags into daemon::DaemonOptions, names the real
// clock and randomness, and runs the daemon (server/daemon/daemon.h: the one place that
// builds and wires its parts).

#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>
#include <tuple>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/program.h"
#include "base/random.h"
#include "server/daemon/daemon.h"
#include "server/replication/etcd_client.h"
#include "server/service/records.h"
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

int Run() {
  // Block the stop signals in every thread; the main thread waits for them.
  const sigset_t stop_signals = base::BlockStopSignals();
  if (absl::Status s = base::SetLogLevelByName(absl::GetFlag(FLAGS_log_level)); !s.ok())
    return Fail(s);
  // A file-size limit must give a write error (answered UNAVAILABLE), not kill the server.
  signal(SIGXFSZ, SIG_IGN);
  daemon::DaemonOptions options;
  service::ListenerOptions& server_options = options.instance.listeners;
  if (absl::Status s = ReadOverloadFlags(&server_options); !s.ok()) return Fail(s);
  if (const std::string keys = absl::GetFlag(FLAGS_entry_key_file); !keys.empty()) {
    absl::StatusOr<wire::Signer> signer = wire::Signer::FromFile("entry_key_file", keys);
    if (!signer.ok()) return Fail(signer.status());
    server_options.entry_keys = std::make_shared<const wire::Signer>(*std::move(signer));
  }

  storage::RocksDbStoreOptions& store_options = options.store;
  store_options.path = absl::GetFlag(FLAGS_data_dir);
  store_options.sync_writes = absl::GetFlag(FLAGS_sync_writes);
  store_options.create_if_missing = absl::GetFlag(FLAGS_create_data_dir);
  store_options.min_free_bytes = absl::GetFlag(FLAGS_min_free_disk_mb) << 20;
  store_options.format_version = service::kFormatVersion;

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

  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.ports_file = absl::GetFlag(FLAGS_ports_file);
  options.rooms_file = absl::GetFlag(FLAGS_rooms);
  if (!absl::GetFlag(FLAGS_etcd).empty()) {
    absl::StatusOr<std::vector<std::string>> endpoints =
        replication::EtcdClient::ParseEndpoints(absl::GetFlag(FLAGS_etcd), "etcd");
    if (!endpoints.ok()) return Fail(endpoints.status());
    options.etcd_endpoints = *endpoints;
    replication::ReplicaOptions& replica = options.replica;
    replica.prefix = absl::GetFlag(FLAGS_etcd_prefix);
    if (replica.prefix.empty() || replica.prefix.front() != '/' || replica.prefix.back() == '/') {
      return Fail(absl::InvalidArgumentError(
          "--etcd_prefix must start with '/' and not end with one, e.g. /anteroom/tickets"));
    }
    replica.node = absl::GetFlag(FLAGS_node_name);
    replica.advertise = absl::GetFlag(FLAGS_advertise);
    replica.advertise_admin = absl::GetFlag(FLAGS_advertise_admin);
    replica.lease_ttl = absl::GetFlag(FLAGS_etcd_lease_ttl);
    replica.snapshot_log_bytes = absl::GetFlag(FLAGS_etcd_snapshot_log_bytes);
    if (replica.snapshot_log_bytes < 4096) {
      return Fail(absl::InvalidArgumentError("--etcd_snapshot_log_bytes must be 4096 or more"));
    }
  }
  // The real clock and randomness, named here only.
  base::RealClock clock;
  base::SecureRandom random;
  return daemon::Run(options, stop_signals, &clock, &random);
}

}  // namespace
}  // namespace anteroom

int main(int argc, char** argv) {
  anteroom::base::PromptGrpcReconnects();  // before anything starts gRPC
  anteroom::base::SkipLockOrderChecksInRelease();
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
