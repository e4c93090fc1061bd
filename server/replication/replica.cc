#include "server/replication/replica.h"

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/program.h"

namespace anteroom::replication {
namespace {

std::string WithPort(const std::string& listen, int port) {
  return absl::StrCat(base::HostOf(listen), ":", port);
}

}  // namespace

Replica::Replica(Etcd* etcd, storage::Store* store, base::Clock* clock, base::RandomSource* random,
                 service::Metrics* metrics, ReplicaOptions options)
    : etcd_(etcd),
      store_(store),
      clock_(clock),
      random_(random),
      metrics_(metrics),
      options_(std::move(options)),
      keys_(options_.prefix) {}

Replica::~Replica() { Stop(absl::ZeroDuration()); }

absl::Status Replica::Start() {
  if (options_.lease_ttl < absl::Seconds(2) ||
      options_.lease_ttl != absl::Seconds(absl::ToInt64Seconds(options_.lease_ttl))) {
    // (etcd's leases are whole seconds: a fraction would be granted shorter than served.)
    return absl::InvalidArgumentError(
        absl::StrCat("--etcd_lease_ttl must be whole seconds, 2s or more, not ",
                     absl::FormatDuration(options_.lease_ttl)));
  }
  // The store must follow this cluster, or be new.
  absl::StatusOr<std::optional<std::string>> prefix =
      store_->Get(storage::Table::kMeta, kPrefixKey);
  if (!prefix.ok()) return prefix.status();
  if (prefix->has_value()) {
    if (**prefix != options_.prefix) {
      return absl::FailedPreconditionError(
          absl::StrCat("the data directory follows the cluster '", **prefix, "', not '",
                       options_.prefix, "' (--etcd_prefix); use an empty --data_dir"));
    }
  } else {
    bool empty = true;
    for (storage::Table table :
         {storage::Table::kRooms, storage::Table::kTickets, storage::Table::kSessions}) {
      absl::Status s = store_->Scan(table, "", [&](absl::string_view, absl::string_view) {
        empty = false;
        return absl::CancelledError();
      });
      if (!s.ok() && !absl::IsCancelled(s)) return s;
    }
    if (!empty) {
      return absl::FailedPreconditionError(
          "the data directory holds rooms of a server that was not replicated; replicated mode "
          "(--etcd) needs an empty --data_dir (the rooms come from the cluster's log)");
    }
    storage::WriteBatch mark;
    mark.Put(storage::Table::kMeta, std::string(kPrefixKey), options_.prefix);
    if (absl::Status s = store_->Write(mark); !s.ok()) return s;
  }
  if (absl::Status s = ReloadMark(); !s.ok()) return s;

  if (metrics_ == nullptr) return absl::InvalidArgumentError("a replica needs metrics");
  absl::StatusOr<std::unique_ptr<service::Listeners>> listeners = service::Listeners::Start(
      options_.instance.listeners, metrics_, store_,
      [this] {
        base::MutexLock lock(&mu_);
        return current_owner_;
      },
      clock_);
  if (!listeners.ok()) return listeners.status();
  listeners_ = *std::move(listeners);
  port_ = listeners_->port();
  admin_port_ = listeners_->admin_port();
  if (options_.advertise.empty()) {
    options_.advertise = WithPort(options_.instance.listeners.listen, port_);
  }
  if (options_.advertise_admin.empty()) {
    options_.advertise_admin = WithPort(options_.instance.listeners.admin_listen, admin_port_);
  }
  if (options_.node.empty()) options_.node = options_.advertise;
  ANTEROOM_LOG(kInfo, "replica %s: following %s in etcd (%s) from log entry %d", options_.node,
               options_.prefix, etcd_->Describe(), mark_.seq + 1);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void Replica::Stop(absl::Duration grace) {
  {
    base::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    stop_grace_ = grace;
    wake_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
  if (listeners_) listeners_->Shutdown(absl::ZeroDuration());
  listeners_.reset();
}

bool Replica::Pause(absl::Duration d) {
  base::MutexLock lock(&mu_);
  if (!stopping_ && !lost_) wake_.WaitWithTimeout(&mu_, d);
  return !stopping_;
}

absl::StatusOr<int64_t> Replica::Campaign(int64_t lease) {
  storage::v1::OwnerRecord me;
  me.set_node(options_.node);
  me.set_gateway_address(options_.advertise);
  me.set_admin_address(options_.advertise_admin);
  me.set_since_us(absl::ToUnixMicros(clock_->Now()));
  absl::StatusOr<etcdserverpb::TxnResponse> response =
      etcd_->Txn(ClaimRequest(keys_, me, lease), kCallTimeout);
  if (!response.ok()) return response.status();
  if (!response->succeeded()) {
    // An earlier attempt of this same claim may have landed (its answer was lost).
    const auto& owner = response->responses(0).response_range();
    if (owner.kvs_size() > 0 && owner.kvs(0).lease() == lease) {
      return owner.kvs(0).create_revision();
    }
    return 0;
  }
  return response->header().revision();  // the claim's create revision
}

void Replica::Run() {
  while (true) {
    {
      base::MutexLock lock(&mu_);
      if (stopping_) return;
      lost_ = false;
      lost_why_.clear();
    }
    bool more = false;
    bool owner_seen = true;
    absl::Status s = FollowOnce(&more, &owner_seen);
    if (!s.ok()) {
      ANTEROOM_LOG(kWarning, "replica %s: cannot follow the log: %s", options_.node, s.ToString());
      if (!Pause(absl::Seconds(1))) return;
      continue;
    }
    metrics_->SetReplicaLogEntry(mark_.seq);
    if (more) continue;
    if (!owner_seen) {
      const absl::Time granted = clock_->Monotonic();
      absl::StatusOr<int64_t> lease = etcd_->GrantLease(options_.lease_ttl, kCallTimeout);
      if (lease.ok()) {
        absl::StatusOr<int64_t> revision = Campaign(*lease);
        if (revision.ok() && *revision > 0) {
          Own(*lease, *revision, granted);
          continue;
        }
        (void)etcd_->RevokeLease(*lease, kCallTimeout);
      }
    }
    if (!Pause(options_.follow_interval)) return;
  }
}

}  // namespace anteroom::replication
