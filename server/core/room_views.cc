// The room's answers to visitors (views) and its figures for operators.

#include <algorithm>

#include "server/core/room.h"

namespace anteroom::core {

// --- Views ---

VisitorView Room::QueueFull(Changes* changes) {
  ++changes->rejected_queue_full;
  return RejectedView("queue full");
}

VisitorView Room::QueuedView(uint64_t seq, absl::Time now) const {
  return WaitView(seq, line_.Position(seq), line_.queued(), now);
}

// A shadow place is told it is last in line, and every real place is counted ahead of it.
VisitorView Room::ShadowView(uint64_t seq, absl::Time now) const {
  return WaitView(seq, line_.queued() + 1, line_.queued() + 1, now);
}

VisitorView Room::WaitView(uint64_t seq, int64_t position, int64_t queued, absl::Time now) const {
  const Slot& slot = *line_.FindSeq(seq);
  VisitorView view;
  view.state = VisitorState::kQueued;
  view.ticket = wire::MakeToken(wire::TokenKind::kTicket, id_, slot.id, slot.secret);
  view.position = position;
  const Outflow::Estimate e = outflow_.ForPosition(position, queued, now, EffectiveSettings(now));
  view.estimated_wait = e.wait;
  view.estimated_wait_max = e.wait_max;
  view.wait_unknown = e.unknown;
  view.poll_after = e.poll_after;
  return view;
}

VisitorView Room::WaitingView(uint64_t seq, absl::Time now) const {
  switch (line_.FindSeq(seq)->state) {
    case SlotState::kPreQueued:
      return PrequeuedView(seq, schedule_.OpenPrequeue(now));
    case SlotState::kShadow:
      return ShadowView(seq, now);
    default:
      return QueuedView(seq, now);
  }
}

VisitorView Room::PrequeuedView(uint64_t seq, const Event* event) const {
  const Slot& slot = *line_.FindSeq(seq);
  VisitorView view;
  view.state = VisitorState::kPreQueued;
  view.ticket = wire::MakeToken(wire::TokenKind::kTicket, id_, slot.id, slot.secret);
  if (event != nullptr) {
    view.event_starts_at = event->start;
    view.poll_after = Outflow::kMaxPollAfter;
  } else {
    // The event has started but the tick that places the pre-queue has not run yet.
    view.poll_after = Outflow::kMinPollAfter;
  }
  return view;
}

VisitorView Room::AdmittedView(const Session& session, absl::Time now) const {
  VisitorView view;
  view.state = VisitorState::kAdmitted;
  if (session.origin_ticket != 0) {
    view.ticket = wire::MakeToken(wire::TokenKind::kTicket, id_, session.origin_ticket,
                                  session.origin_secret);
  }
  view.session = wire::MakeToken(wire::TokenKind::kSession, id_, session.id, session.secret);
  view.lease_expires_at = session.expires_at;
  // Heartbeat well inside what is left of the lease, so one lost call does not end the
  // session. (Not a third of the time since admission: renewals push the lease's end on, and
  // that share would grow until the next heartbeat came after the lease had ended.)
  view.poll_after = std::clamp((session.expires_at - now) / 3, absl::Seconds(1), absl::Minutes(1));
  return view;
}

VisitorView Room::ExpiredView(std::string reason) {
  VisitorView view;
  view.state = VisitorState::kExpired;
  view.reason = std::move(reason);
  return view;
}

VisitorView Room::RejectedView(std::string reason) {
  VisitorView view;
  view.state = VisitorState::kRejected;
  view.reason = std::move(reason);
  view.poll_after = Outflow::kMaxPollAfter;
  return view;
}

RoomStats Room::Stats(absl::Time now) const {
  const RoomSettings s = EffectiveSettings(now);
  RoomStats stats;
  stats.queue_depth = line_.queued();
  stats.prequeue_depth = line_.prequeued();
  stats.shadow_depth = line_.shadowed();
  stats.priority_depth = line_.in_priority_lane();
  stats.active_sessions = leases_.active();
  stats.max_active_sessions = s.max_active_sessions;
  stats.admitted_total = admitted_total_;
  stats.observed_admissions_per_minute = outflow_.ObservedPerSecond(now) * 60.0;
  // A visitor arriving now waits unless they would be admitted at once.
  if (!(line_.queued() == 0 && leases_.active() < s.max_active_sessions && !s.queue_all)) {
    const double outflow = outflow_.PerSecond(now, s);
    if (outflow > 0) {
      stats.estimated_wait = absl::Seconds(static_cast<double>(line_.queued() + 1) / outflow);
    } else {
      stats.estimated_wait_unknown = true;
    }
  }
  return stats;
}

size_t Room::MemoryBytes() const {
  return line_.MemoryBytes() + leases_.MemoryBytes() + clients_.capacity() * (sizeof(uint64_t) + 1);
}

}  // namespace anteroom::core
