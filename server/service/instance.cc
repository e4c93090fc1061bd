#include "server/service/instance.h"

namespace anteroom::service {

Instance::Instance(storage::Store* store) : store_(store) {}

absl::StatusOr<std::unique_ptr<Instance>> Instance::Create(storage::Store* store,
                                                           base::Clock* clock,
                                                           base::RandomSource* random,
                                                           CommitLog* log, Metrics* metrics) {
  std::unique_ptr<Instance> instance(new Instance(store));
  if (metrics == nullptr) {
    instance->own_metrics_ = std::make_unique<Metrics>();
    metrics = instance->own_metrics_.get();
  }
  instance->metrics_ = metrics;
  if (log == nullptr) {
    instance->local_log_ = std::make_unique<LocalCommitLog>(store);
    log = instance->local_log_.get();
  }
  absl::StatusOr<ClientKeyer> keyer = ClientKeyer::LoadOrCreate(store, random, log);
  if (!keyer.ok()) return keyer.status();
  instance->keyer_ = std::make_unique<ClientKeyer>(*std::move(keyer));
  instance->committer_ = std::make_unique<Committer>(log, instance->metrics_);
  instance->rooms_ = std::make_unique<RoomManager>(store, instance->committer_.get(), clock, random,
                                                   instance->keyer_.get(), instance->metrics_,
                                                   &instance->background_);
  if (absl::Status s = instance->rooms_->Load(); !s.ok()) {
    instance->rooms_.reset();  // nothing was served: no alive mark at the stop
    return s;
  }
  return instance;
}

Instance::~Instance() { Stop(absl::ZeroDuration()); }

absl::Status Instance::Serve(const InstanceOptions& options) {
  absl::StatusOr<std::unique_ptr<Listeners>> listeners =
      Listeners::Start(options.listeners, metrics_, store_);
  if (!listeners.ok()) return listeners.status();
  own_listeners_ = *std::move(listeners);
  ServeOn(own_listeners_.get(), options.tick_interval);
  return absl::OkStatus();
}

void Instance::ServeOn(Listeners* listeners, absl::Duration tick_interval) {
  listeners_ = listeners;
  listeners_->Serve(rooms_.get());
  ticker_ = std::thread([this, tick_interval] { RunTicker(tick_interval); });
}

void Instance::Stop(absl::Duration grace) {
  {
    base::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = stopping_ = true;
    wake_.SignalAll();
  }
  if (listeners_) listeners_->Withdraw(grace);
  if (ticker_.joinable()) ticker_.join();
  if (rooms_) rooms_->RecordAlive();
  // Joining the committer's thread orders every answer it finished before what follows;
  // then any reload a failed write started runs to its end.
  if (committer_) committer_->Stop();
  background_.Stop();
  // The calls left hold the rooms only until they are answered (nothing waits on a write
  // any more).
  if (listeners_) listeners_->WaitReleased();
  if (own_listeners_) own_listeners_->Shutdown(absl::ZeroDuration());
  own_listeners_.reset();
  listeners_ = nullptr;
}

void Instance::RunTicker(absl::Duration interval) {
  base::MutexLock lock(&mu_);
  while (!stopping_) {
    mu_.Unlock();
    rooms_->TickAll();
    mu_.Lock();
    if (!stopping_) wake_.WaitWithTimeout(&mu_, interval);
  }
}

}  // namespace anteroom::service
