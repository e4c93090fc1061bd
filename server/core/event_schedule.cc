#include "server/core/event_schedule.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace anteroom::core {
namespace {

void SortByStart(std::vector<Event>* events) {
  std::sort(events->begin(), events->end(),
            [](const Event& a, const Event& b) { return a.start < b.start; });
}

}  // namespace

RoomSettings EventSchedule::InForce(const RoomSettings& base, absl::Time now) const {
  for (const Event& e : events_) {
    if (e.started && e.start <= now && now < e.end) return ApplyOverrides(base, e.overrides);
  }
  return base;
}

const Event* EventSchedule::OpenPrequeue(absl::Time now) const {
  for (const Event& e : events_) {
    if (!e.started && e.prequeue_start <= now && now < e.start) return &e;
  }
  return nullptr;
}

absl::StatusOr<Event> EventSchedule::Add(Event event, absl::Time now,
                                         const RoomSettings& room_settings) {
  if (event.prequeue_start == absl::Time()) event.prequeue_start = event.start;
  if (absl::Status s = ValidateEvent(event, now, room_settings, events_); !s.ok()) return s;
  event.id = absl::StrCat("e", next_number_++);
  event.started = false;
  events_.push_back(event);
  SortByStart(&events_);
  return event;
}

Event* EventSchedule::Find(absl::string_view id) {
  auto it =
      std::find_if(events_.begin(), events_.end(), [&](const Event& e) { return e.id == id; });
  return it == events_.end() ? nullptr : &*it;
}

void EventSchedule::Remove(absl::string_view id) {
  events_.erase(
      std::remove_if(events_.begin(), events_.end(), [&](const Event& e) { return e.id == id; }),
      events_.end());
}

Event* EventSchedule::NextDue(absl::Time now) {
  for (Event& e : events_) {
    if (!e.started && now >= e.start) return &e;
  }
  return nullptr;
}

std::vector<std::string> EventSchedule::RemoveEnded(absl::Time now) {
  auto has_ended = [&](const Event& e) { return e.started && now >= e.end; };
  std::vector<std::string> ids;
  for (const Event& e : events_) {
    if (has_ended(e)) ids.push_back(e.id);  // before remove_if leaves them moved-from
  }
  events_.erase(std::remove_if(events_.begin(), events_.end(), has_ended), events_.end());
  return ids;
}

void EventSchedule::Restore(const Event& event) {
  events_.push_back(event);
  SortByStart(&events_);
}

void EventSchedule::RestoreNextNumber(uint64_t next_number) {
  next_number_ = std::max(next_number_, next_number);
}

}  // namespace anteroom::core
