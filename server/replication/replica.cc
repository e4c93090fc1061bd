#include "server/replication/replica.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/log.h"
#include "base/program.h"
#include "server/service/records.h"

namespace anteroom::replication {
namespace {

// Entries read per request while following (each at most about 1 MiB: larger batches go in
// parts).
constexpr int64_t kFollowBatch = 64;
// Timeout of the reads and claims of the role loop.
constexpr absl::Duration kCallTimeout = absl::Seconds(2);
constexpr absl::string_view kBehindTheLog = "this store is behind the log's start";

std::string WithPort(const std::string& listen, int port) {
  return absl::StrCat(base::HostOf(listen), ":", port);
}

}  // namespace

LeasePolicy LeasePolicyFor(absl::Duration ttl) {
  LeasePolicy policy;
  policy.renew_every = ttl / 10;
  policy.serve_for = ttl - std::max(ttl / 10, absl::Milliseconds(500));
  policy.attempt_timeout = absl::Seconds(1);
  return policy;
}

Replica::Replica(EtcdClient* etcd, storage::Store* store, base::Clock* clock,
                 base::RandomSource* random, service::Metrics* metrics, ReplicaOptions options)
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
               options_.prefix, absl::StrJoin(etcd_->endpoints(), ","), mark_.seq + 1);
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

absl::Status Replica::ApplyEntry(uint64_t seq, const std::string& value) {
  auto record =
      service::ParseRecord<storage::v1::WriteBatchRecord>(value, absl::StrCat("log entry ", seq));
  if (!record.ok()) return record.status();
  storage::WriteBatch batch;
  if (record->parts() > 0) {
    for (uint32_t i = 0; i < record->parts(); ++i) {
      etcdserverpb::RangeRequest read;
      read.set_key(keys_.Part(seq, i));
      absl::StatusOr<etcdserverpb::RangeResponse> part = etcd_->Range(read, kCallTimeout);
      if (!part.ok()) return part.status();
      if (part->kvs_size() == 0) {
        return absl::DataLossError(absl::StrCat("log entry ", seq, " lacks its part ", i));
      }
      auto part_record = service::ParseRecord<storage::v1::WriteBatchRecord>(
          part->kvs(0).value(), absl::StrCat("part ", i, " of log entry ", seq));
      if (!part_record.ok()) return part_record.status();
      if (absl::Status s = AppendRecord(*part_record, &batch); !s.ok()) return s;
    }
  } else if (absl::Status s = AppendRecord(*record, &batch); !s.ok()) {
    return s;
  }
  // The entry must continue this store's last one: otherwise the store holds entries etcd
  // lost, and the log went on without them.
  if (record->prev_term() != 0 && mark_.term != 0 && record->prev_term() != mark_.term) {
    diverged_ = true;
    return absl::DataLossError(absl::StrCat(
        "log entry ", seq, " follows an entry of term ", record->prev_term(),
        " but this store's entry ", seq - 1, " is of term ", mark_.term,
        ": it holds entries etcd lost. Waiting for a snapshot of the log to replace it"));
  }
  const AppliedMark mark{seq, record->term(), record->log_bytes()};
  AppendAppliedMark(mark, &batch);
  if (absl::Status s = store_->Write(batch); !s.ok()) return s;
  mark_ = mark;
  return absl::OkStatus();
}

absl::Status Replica::ReloadMark() {
  absl::StatusOr<AppliedMark> mark = ReadApplied(store_);
  if (!mark.ok()) return mark.status();
  mark_ = *mark;
  absl::StatusOr<std::optional<std::string>> log_id = store_->Get(storage::Table::kMeta, kLogIdKey);
  if (!log_id.ok()) return log_id.status();
  log_id_ = log_id->value_or("");
  return absl::OkStatus();
}

absl::Status Replica::Restore(const storage::v1::SnapshotRecord& record, absl::string_view why) {
  const base::Stopwatch stopwatch;
  if (absl::Status s = RestoreSnapshot(etcd_, keys_, record, store_); !s.ok()) return s;
  // Behind the log's start is routine (a new or long-gone node); the rest follows data loss.
  base::Log(why == kBehindTheLog ? base::LogLevel::kInfo : base::LogLevel::kWarning,
            "replica %s: restored the snapshot at log entry %d (%d chunks, %d bytes) in %.2f s "
            "and replaced this store: %s (it was at entry %d)",
            options_.node, record.seq(), record.chunks(), record.bytes(),
            stopwatch.ElapsedSeconds(), why, mark_.seq);
  diverged_ = false;
  return ReloadMark();
}

absl::Status Replica::FollowOnce(bool* more, bool* owner_seen) {
  // One read: what follows the last applied entry, and who owns the rooms.
  etcdserverpb::TxnRequest read;
  etcdserverpb::RangeRequest* log = read.add_success()->mutable_request_range();
  log->set_key(keys_.Log(mark_.seq + 1));
  log->set_range_end(PrefixEnd(keys_.LogPrefix()));
  log->set_limit(kFollowBatch);
  read.add_success()->mutable_request_range()->set_key(keys_.Owner());
  read.add_success()->mutable_request_range()->set_key(keys_.Snapshot());
  read.add_success()->mutable_request_range()->set_key(keys_.LogId());
  absl::StatusOr<etcdserverpb::TxnResponse> response = etcd_->Txn(read, kCallTimeout);
  if (!response.ok()) return response.status();
  const auto& entries = response->responses(0).response_range();
  const auto& owner = response->responses(1).response_range();
  const auto& snapshot = response->responses(2).response_range();
  const auto& log_id = response->responses(3).response_range();
  *owner_seen = owner.kvs_size() > 0;
  {
    service::ServingRooms::Owner seen;
    if (*owner_seen) {
      storage::v1::OwnerRecord record;
      if (record.ParseFromString(owner.kvs(0).value())) {
        seen.gateway = record.gateway_address();
        seen.admin = record.admin_address();
      }
    }
    base::MutexLock lock(&mu_);
    current_owner_ = seen;
  }
  // The store must hold entries of the log etcd holds now, and follow on from its start;
  // otherwise the snapshot (of this log) replaces it.
  const std::string etcd_log_id = log_id.kvs_size() > 0 ? log_id.kvs(0).value() : "";
  std::optional<storage::v1::SnapshotRecord> record;
  if (snapshot.kvs_size() > 0) {
    auto parsed =
        service::ParseRecord<storage::v1::SnapshotRecord>(snapshot.kvs(0).value(), "snapshot");
    if (!parsed.ok()) return parsed.status();
    if (etcd_log_id.empty() || parsed->log_id() == etcd_log_id) record = *std::move(parsed);
  }
  const uint64_t first = entries.kvs_size() > 0 ? keys_.SeqOf(entries.kvs(0).key()) : 0;
  absl::string_view why;  // why the snapshot must replace the store
  if (!etcd_log_id.empty() && etcd_log_id != log_id_) {
    if (mark_.seq == 0) {
      // A new store: it follows this log from here.
      storage::WriteBatch adopt;
      adopt.Put(storage::Table::kMeta, std::string(kLogIdKey), etcd_log_id);
      if (absl::Status s = store_->Write(adopt); !s.ok()) return s;
      log_id_ = etcd_log_id;
    } else {
      // etcd lost data since, and was seeded anew from another node's store.
      why = "this store holds entries of another log";
    }
  }
  if (why.empty() && diverged_) why = "this store holds entries etcd lost";
  if (why.empty() && record && first != mark_.seq + 1 && record->seq() > mark_.seq) {
    why = kBehindTheLog;
  }
  if (!why.empty()) {
    if (!record) {
      return absl::FailedPreconditionError(
          absl::StrCat(why, "; waiting for a snapshot of the current log"));
    }
    *more = true;
    return Restore(*record, why);
  }
  for (const auto& kv : entries.kvs()) {
    const uint64_t seq = keys_.SeqOf(kv.key());
    if (seq != mark_.seq + 1) {
      return absl::DataLossError(absl::StrCat(
          "the log in etcd goes from entry ", mark_.seq, " to ", seq,
          ": the entries between are gone (compacted behind a snapshot this version cannot "
          "read, or etcd's data was lost)"));
    }
    if (absl::Status s = ApplyEntry(seq, kv.value()); !s.ok()) return s;
  }
  *more = entries.more();
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Replica::Campaign(int64_t lease) {
  storage::v1::OwnerRecord me;
  me.set_node(options_.node);
  me.set_gateway_address(options_.advertise);
  me.set_admin_address(options_.advertise_admin);
  me.set_since_us(absl::ToUnixMicros(clock_->Now()));
  etcdserverpb::TxnRequest claim;
  RequireCreateRevision(&claim, keys_.Owner(), 0);  // nobody owns the rooms
  etcdserverpb::PutRequest* put = claim.add_success()->mutable_request_put();
  put->set_key(keys_.Owner());
  put->set_value(me.SerializeAsString());
  put->set_lease(lease);
  claim.add_failure()->mutable_request_range()->set_key(keys_.Owner());
  absl::StatusOr<etcdserverpb::TxnResponse> response = etcd_->Txn(claim, kCallTimeout);
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

void Replica::Own(int64_t lease, int64_t revision, absl::Time granted) {
  const absl::Time elected = clock_->Monotonic();
  {
    base::MutexLock lock(&mu_);
    term_over_ = false;
  }
  // Calls are served only until etcd could let the lease lapse, whatever this node's threads
  // are doing; each renewal moves the bound on.
  listeners_->ServeUntil(granted + LeasePolicyFor(options_.lease_ttl).serve_for);
  // The lease is renewed from the claim on: starting the term (reading the log's end,
  // loading a large store) may take longer than the lease.
  std::thread renewer([this, lease, granted] { RenewLease(lease, granted); });
  std::unique_ptr<EtcdCommitLog> log;
  std::unique_ptr<service::Instance> instance;
  const absl::Status started = BeginTerm(revision, &log, &instance);

  std::thread snapshotter;
  std::string why;
  if (started.ok()) {
    {
      base::MutexLock lock(&mu_);
      if (!lost_) metrics_->SetReplicaOwner(true);  // (LoseTerm clears it)
    }
    ANTEROOM_LOG(kInfo, "replica %s: owns the rooms from log entry %d (serving %s after the claim)",
                 options_.node, mark_.seq, absl::FormatDuration(clock_->Monotonic() - elected));
    snapshotter = std::thread([this, revision, &log] { SnapshotWhenDue(revision, log.get()); });
    // Serve until the term is lost (the renewer or the log says so) or the node stops.
    while (Pause(absl::Seconds(1))) {
      base::MutexLock lock(&mu_);
      if (lost_) {
        why = lost_why_;
        break;
      }
    }
  } else {
    why = started.ToString();
  }
  bool stopping;
  absl::Duration grace;
  {
    base::MutexLock lock(&mu_);
    stopping = stopping_;
    grace = stop_grace_;
    if (why.empty() && lost_) why = lost_why_;
    // Not the owner from here on: the gauge says so at once, and calls turned away name no
    // owner until the log says who is.
    metrics_->SetReplicaOwner(false);
    current_owner_ = {};
  }
  if (instance != nullptr) {
    if (stopping && why.empty()) {
      // A clean stop: calls in flight finish and the last alive mark is written through the
      // log (the lease still renewed) before the lease is given up.
      instance->Stop(grace);
      log->Close();
      ANTEROOM_LOG(kInfo, "replica %s: stopping; hands the rooms over", options_.node);
    } else {
      // Writes stop at once; calls in flight and calls that arrive meanwhile are answered
      // UNAVAILABLE (the listeners stay: nothing is cut off).
      log->Close();
      ANTEROOM_LOG(kWarning, "replica %s: steps down: %s", options_.node, why);
      instance->Stop(options_.step_down_grace);
    }
    // A standby reports no room gauges (summed over nodes, they would count rooms twice).
    for (const service::RoomInfo& room : instance->rooms()->ListRooms()) {
      metrics_->RemoveRoom(room.id);
    }
    instance.reset();
  } else {
    if (log != nullptr) log->Close();
    ANTEROOM_LOG(kWarning, "replica %s: gives up the rooms: %s", options_.node, why);
  }
  {
    base::MutexLock lock(&mu_);
    term_over_ = true;
    wake_.SignalAll();
  }
  if (snapshotter.joinable()) snapshotter.join();
  renewer.join();
  (void)etcd_->RevokeLease(lease, kCallTimeout);
  if (started.ok()) metrics_->CountStepDown();
  // The store holds exactly the log entries applied.
  if (absl::Status s = ReloadMark(); !s.ok()) {
    ANTEROOM_LOG(kError, "replica %s: cannot read the store: %s", options_.node, s.ToString());
  }
}

absl::Status Replica::BeginTerm(int64_t revision, std::unique_ptr<EtcdCommitLog>* log,
                                std::unique_ptr<service::Instance>* instance) {
  // Read the log to its end: with the claim held, nobody can extend it any more.
  for (bool more = true, seen = true; more;) {
    if (absl::Status s = FollowOnce(&more, &seen); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("cannot read the log to its end: ", s.message()));
    }
  }
  if (absl::Status s = EnsureLogIdentity(revision); !s.ok()) return s;
  *log = std::make_unique<EtcdCommitLog>(
      etcd_, keys_, revision, mark_, store_,
      [this](const absl::Status& why) {
        LoseTerm(absl::StrCat("etcd refused or lost a write: ", why.message()));
      },
      options_.log, metrics_);
  absl::StatusOr<std::unique_ptr<service::Instance>> created =
      service::Instance::Create(store_, clock_, random_, log->get(), metrics_);
  if (!created.ok()) return created.status();
  *instance = *std::move(created);
  if (options_.on_elected) {
    if (absl::Status s = options_.on_elected(instance->get()); !s.ok()) return s;
  }
  {
    // Lost while starting (the lease could not be renewed while the rooms loaded): never serve.
    base::MutexLock lock(&mu_);
    if (lost_) return absl::UnavailableError(lost_why_);
  }
  (*instance)->ServeOn(listeners_.get(), options_.instance.tick_interval);
  return absl::OkStatus();
}

absl::Status Replica::EnsureLogIdentity(int64_t revision) {
  // A new log gets its identity. A store ahead of everything etcd holds means etcd lost data
  // (restored from an old backup, or recreated empty): this store is then the best copy there
  // is, so etcd is seeded with a snapshot of it under a new identity, and standbys holding
  // entries etcd lost replace their stores by that snapshot.
  absl::StatusOr<uint64_t> last_entry = LastLogEntry(etcd_, keys_);
  if (!last_entry.ok()) return last_entry.status();
  absl::StatusOr<std::optional<storage::v1::SnapshotRecord>> snapshot =
      ReadSnapshotRecord(etcd_, keys_);
  if (!snapshot.ok()) return snapshot.status();
  const uint64_t etcd_end = std::max<uint64_t>(*last_entry, *snapshot ? (*snapshot)->seq() : 0);
  etcdserverpb::RangeRequest read_log_id;
  read_log_id.set_key(keys_.LogId());
  absl::StatusOr<etcdserverpb::RangeResponse> etcd_log_id = etcd_->Range(read_log_id, kCallTimeout);
  if (!etcd_log_id.ok()) return etcd_log_id.status();
  if (etcd_log_id->kvs_size() > 0 && mark_.seq <= etcd_end) return absl::OkStatus();

  uint8_t raw[8];
  random_->Fill(raw, sizeof(raw));
  const std::string id =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(raw), sizeof(raw)));
  if (mark_.seq > 0) {
    ANTEROOM_LOG(kWarning,
                 "replica %s: this store has log entries up to %d but etcd only up to %d: etcd "
                 "lost data. Seeding it with a snapshot of this store, as log %s",
                 options_.node, mark_.seq, etcd_end, id);
    absl::StatusOr<SnapshotTaken> seeded =
        TakeSnapshot(etcd_, keys_, revision, store_, options_.snapshot_chunk_bytes, clock_, {}, id);
    if (!seeded.ok()) return seeded.status();
  } else {
    absl::Status published =
        FencedPut(etcd_, keys_.Owner(), revision, keys_.LogId(), id, /*only_new=*/false,
                  clock_->Monotonic() + absl::Seconds(10), {});
    if (!published.ok()) return published;
  }
  // Only once etcd has it: the store follows that log.
  storage::WriteBatch mark;
  mark.Put(storage::Table::kMeta, std::string(kLogIdKey), id);
  if (absl::Status s = store_->Write(mark); !s.ok()) return s;
  log_id_ = id;
  return absl::OkStatus();
}

void Replica::LoseTerm(const std::string& why) {
  base::MutexLock lock(&mu_);
  if (!lost_) {
    lost_ = true;
    lost_why_ = why;
    metrics_->SetReplicaOwner(false);              // from this moment, whatever the step-down takes
    listeners_->ServeUntil(absl::InfinitePast());  // and no call is served from now on
  }
  wake_.SignalAll();
}

void Replica::RenewLease(int64_t lease, absl::Time granted) {
  const LeasePolicy policy = LeasePolicyFor(options_.lease_ttl);
  absl::Time renewed = granted;  // etcd cannot have started the lease before this
  while (true) {
    {
      base::MutexLock lock(&mu_);
      if (!term_over_ && !lost_) wake_.WaitWithTimeout(&mu_, policy.renew_every);
      if (term_over_ || lost_) return;
    }
    // Keep trying, member after member, until the term must end: an etcd leader election
    // holds renewals until the new leader (which extends every lease) takes them.
    const absl::Duration left = renewed + policy.serve_for - clock_->Monotonic();
    absl::StatusOr<EtcdClient::Renewal> renewal =
        left > absl::ZeroDuration()
            ? etcd_->KeepAlive(lease, left, std::min(left, policy.attempt_timeout))
            : absl::DeadlineExceededError("no time left");
    if (renewal.ok() && renewal->ttl > absl::ZeroDuration()) {
      renewed = std::max(renewed, renewal->sent);
      listeners_->ServeUntil(renewed + policy.serve_for);
    } else if (renewal.ok()) {
      return LoseTerm("its lease lapsed");
    }
    if (clock_->Monotonic() - renewed >= policy.serve_for) {
      return LoseTerm(absl::StrCat("cannot renew its lease (last renewed ",
                                   absl::FormatDuration(clock_->Monotonic() - renewed),
                                   " ago): ", renewal.status().message()));
    }
  }
}

bool Replica::PauseTerm(absl::Duration d) {
  base::MutexLock lock(&mu_);
  if (!stopping_ && !lost_ && !term_over_) wake_.WaitWithTimeout(&mu_, d);
  return !stopping_ && !lost_ && !term_over_;
}

void Replica::SnapshotWhenDue(int64_t revision, const EtcdCommitLog* log) {
  // Due once the log grew past the last snapshot (by anyone's writes, across terms) by the
  // larger of snapshot_log_bytes and that snapshot's size.
  uint64_t last_size = 0;
  uint64_t log_bytes_at_last = 0;
  absl::StatusOr<std::optional<storage::v1::SnapshotRecord>> current =
      ReadSnapshotRecord(etcd_, keys_);
  if (current.ok() && current->has_value()) {
    last_size = (*current)->bytes();
    log_bytes_at_last = (*current)->log_bytes();
  }
  const auto term_over = [this] {
    base::MutexLock lock(&mu_);
    return stopping_ || lost_ || term_over_;
  };
  while (PauseTerm(absl::Seconds(1))) {
    const uint64_t grown = log->log_bytes() - std::min(log->log_bytes(), log_bytes_at_last);
    if (grown < std::max(options_.snapshot_log_bytes, last_size)) continue;
    const base::Stopwatch stopwatch;
    absl::StatusOr<SnapshotTaken> taken = TakeSnapshot(
        etcd_, keys_, revision, store_, options_.snapshot_chunk_bytes, clock_, term_over);
    if (!taken.ok()) {
      ANTEROOM_LOG(kWarning, "replica %s: snapshot failed (the log stays as it is): %s",
                   options_.node, taken.status().ToString());
      continue;
    }
    last_size = taken->bytes;
    log_bytes_at_last = taken->log_bytes;
    ANTEROOM_LOG(kInfo,
                 "replica %s: snapshot at log entry %d (%d chunks, %d bytes) in %.2f s; the log "
                 "behind it is deleted and etcd compacted at revision %d",
                 options_.node, taken->seq, taken->chunks, taken->bytes, stopwatch.ElapsedSeconds(),
                 taken->compacted_revision);
  }
}

}  // namespace anteroom::replication
