#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/settings.h"

namespace anteroom::core {

// A room's scheduled events, ordered by start: which settings are in force (a running
// event's overrides), whether a pre-queue is open, which events are due to start or have
// ended. Starting an event (placing its pre-queue) is the Room's business.
//
// Guarantees (tests/core/event_schedule_test.cc): events never overlap (pre-queues
// included); ids are "e1", "e2", ... and never reused within a room.
//
// Not thread-safe: the owning Room is.
class EventSchedule {
 public:
  const std::vector<Event>& events() const { return events_; }
  uint64_t next_event_number() const { return next_number_; }

  // The settings in force at `now`: `base`, with a running event's overrides.
  RoomSettings InForce(const RoomSettings& base, absl::Time now) const;
  // The event whose pre-queue is open at `now`, or null.
  const Event* OpenPrequeue(absl::Time now) const;

  // Checks `event` (ValidateEvent: against `now`, the room's settings and the other events),
  // gives it the next id and schedules it.
  absl::StatusOr<Event> Add(Event event, absl::Time now, const RoomSettings& room_settings);
  // The event `id`, or null.
  Event* Find(absl::string_view id);
  void Remove(absl::string_view id);
  // The first event due to start by `now` that has not started yet, or null.
  Event* NextDue(absl::Time now);
  // Removes the started events that ended by `now`; returns their ids.
  std::vector<std::string> RemoveEnded(absl::Time now);

  // Restoring persisted events (any order) and the id counter.
  void Restore(const Event& event);
  void RestoreNextNumber(uint64_t next_number);

 private:
  std::vector<Event> events_;  // by start
  uint64_t next_number_ = 1;
};

}  // namespace anteroom::core
