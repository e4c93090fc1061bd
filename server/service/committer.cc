#include "server/service/committer.h"

#include <future>

#include "base/clock.h"
#include "server/service/metrics.h"

namespace anteroom::service {

Committer::Committer(CommitLog* log, Metrics* metrics)
    : log_(log), metrics_(metrics), thread_([this] { Run(); }) {}

Committer::~Committer() { Stop(); }

void Committer::Submit(std::string room, uint64_t epoch, storage::WriteBatch batch, Done done) {
  {
    base::MutexLock lock(&mu_);
    if (!stopping_) {
      pending_.push_back(Pending{std::move(room), epoch, std::move(batch), std::move(done)});
      wake_.SignalAll();
      return;
    }
  }
  // Not here: the caller may hold a lock `done` takes (a room's, while it submits).
  refusals_.Post(
      [done = std::move(done)] { done(absl::UnavailableError("server is shutting down")); });
}

absl::Status Committer::SubmitAndWait(std::string room, uint64_t epoch, storage::WriteBatch batch) {
  std::promise<absl::Status> outcome;
  std::future<absl::Status> result = outcome.get_future();
  Submit(std::move(room), epoch, std::move(batch),
         [&outcome](const absl::Status& s) { outcome.set_value(s); });
  return result.get();
}

void Committer::Stop() {
  {
    base::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    wake_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void Committer::Run() {
  while (true) {
    std::vector<Pending> group;
    {
      base::MutexLock lock(&mu_);
      while (pending_.empty() && !stopping_) wake_.Wait(&mu_);
      if (pending_.empty()) return;  // stopping, and everything is written
      group.swap(pending_);
    }
    // Batches of rooms whose earlier write failed under the same epoch are not written.
    std::vector<absl::Status> outcomes(group.size());
    storage::WriteBatch merged;
    for (size_t i = 0; i < group.size(); ++i) {
      auto poisoned = poisoned_.find(group[i].room);
      if (poisoned != poisoned_.end() && group[i].epoch <= poisoned->second) {
        outcomes[i] = absl::UnavailableError("an earlier write of this room failed");
      } else {
        merged.Append(std::move(group[i].batch));
      }
    }
    absl::Status written = absl::OkStatus();
    if (!merged.empty()) {
      const base::Stopwatch stopwatch;
      written = log_->Append(merged);
      if (metrics_ != nullptr)
        metrics_->ObserveStorageWrite(stopwatch.ElapsedSeconds(), written.ok());
    }
    for (size_t i = 0; i < group.size(); ++i) {
      if (!outcomes[i].ok()) continue;
      outcomes[i] = written;
      if (!written.ok()) {
        uint64_t& epoch = poisoned_[group[i].room];
        epoch = std::max(epoch, group[i].epoch);
      }
    }
    for (size_t i = 0; i < group.size(); ++i) group[i].done(outcomes[i]);
  }
}

}  // namespace anteroom::service
