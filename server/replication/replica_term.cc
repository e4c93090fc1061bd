#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "server/replication/replica.h"

namespace anteroom::replication {

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

  const std::string id = random_->Hex(8);
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
