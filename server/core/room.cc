#include "server/core/room.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/core/token.h"

namespace anteroom::core {
namespace {
// The refresh hint: about half the remaining wait, between 2 s near the front and the
// customary 20 s refresh of a waiting-room page.
constexpr absl::Duration kMinPollAfter = absl::Seconds(2);
constexpr absl::Duration kMaxPollAfter = absl::Seconds(20);
}  // namespace

Room::Room(std::string id, RoomSettings settings, absl::Time created_at, base::TokenSource* tokens)
    : id_(std::move(id)), settings_(settings), created_at_(created_at), tokens_(tokens) {}

void Room::UpdateSettings(const RoomSettings& settings, absl::Time now, Changes* changes) {
  settings_ = settings;
  Tick(now, changes);
}

VisitorView Room::Admit(absl::string_view client_id, absl::Time now, Changes* changes) {
  Tick(now, changes);
  if (auto it = by_client_.find(client_id); it != by_client_.end()) {
    if (auto s = sessions_.find(it->second); s != sessions_.end()) return AdmittedView(s->second);
    if (auto t = tickets_.find(it->second); t != tickets_.end()) return QueuedView(t->second);
  }
  if (order_.empty() && HasFreeSlot()) {
    return AdmittedView(StartSession(std::string(client_id), "", now, changes));
  }
  const std::string token = MakeToken(TokenKind::kTicket, id_, tokens_->NewTokenBits());
  auto [it, inserted] =
      tickets_.emplace(token, Ticket{token, std::string(client_id), next_seq_++, now});
  order_.insert({it->second.seq, &it->first});
  by_client_[it->second.client_id] = token;
  changes->put_tickets.push_back(it->second);
  return QueuedView(it->second);
}

VisitorView Room::Poll(absl::string_view ticket, absl::Time now) const {
  if (auto t = tickets_.find(ticket); t != tickets_.end()) return QueuedView(t->second);
  if (auto a = admitted_tickets_.find(ticket); a != admitted_tickets_.end()) {
    if (auto s = sessions_.find(a->second); s != sessions_.end() && s->second.expires_at > now) {
      return AdmittedView(s->second);
    }
  }
  return ExpiredView("unknown or expired ticket");
}

VisitorView Room::Heartbeat(absl::string_view session, absl::Time now, Changes* changes) {
  Tick(now, changes);
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return ExpiredView("unknown or expired session");
  Session& s = it->second;
  leases_.erase({s.expires_at, s.token});
  s.expires_at = now + settings_.session_ttl;
  leases_.insert({s.expires_at, s.token});
  changes->put_sessions.push_back(s);
  return AdmittedView(s);
}

bool Room::Leave(absl::string_view token, absl::Time now, Changes* changes) {
  Tick(now, changes);
  bool ended = false;
  if (auto t = tickets_.find(token); t != tickets_.end()) {
    RemoveTicket(t->first, changes);
    ended = true;
  } else if (auto a = admitted_tickets_.find(token); a != admitted_tickets_.end()) {
    EndSession(std::string(a->second), changes);
    ended = true;
  } else if (auto s = sessions_.find(token); s != sessions_.end()) {
    EndSession(s->first, changes);
    ended = true;
  }
  FillFreeSlots(now, changes);
  return ended;
}

void Room::Tick(absl::Time now, Changes* changes) {
  ExpireLeases(now, changes);
  FillFreeSlots(now, changes);
}

RoomStats Room::Stats() const {
  RoomStats stats;
  stats.queue_depth = static_cast<int64_t>(order_.size());
  stats.active_sessions = active_sessions();
  stats.admitted_total = admitted_total_;
  stats.estimated_wait = (order_.empty() && HasFreeSlot()) ? absl::ZeroDuration()
                                                           : EstimateWait(stats.queue_depth + 1);
  return stats;
}

absl::Status Room::RestoreTicket(Ticket ticket) {
  if (tickets_.contains(ticket.token) || order_.find(ticket.seq) != order_.end()) {
    return absl::DataLossError(absl::StrCat("room ", id_, ": duplicate ticket seq ", ticket.seq));
  }
  next_seq_ = std::max(next_seq_, ticket.seq + 1);
  const std::string token = ticket.token;
  auto [it, inserted] = tickets_.emplace(token, std::move(ticket));
  order_.insert({it->second.seq, &it->first});
  by_client_[it->second.client_id] = token;
  return absl::OkStatus();
}

absl::Status Room::RestoreSession(Session session) {
  if (sessions_.contains(session.token)) {
    return absl::DataLossError(absl::StrCat("room ", id_, ": duplicate session"));
  }
  const std::string token = session.token;
  auto [it, inserted] = sessions_.emplace(token, std::move(session));
  const Session& s = it->second;
  leases_.insert({s.expires_at, token});
  by_client_[s.client_id] = token;
  if (!s.origin_ticket.empty()) admitted_tickets_[s.origin_ticket] = token;
  return absl::OkStatus();
}

void Room::ExpireLeases(absl::Time now, Changes* changes) {
  while (!leases_.empty() && leases_.begin()->first <= now) {
    // Copy: EndSession erases the set entry that holds the string.
    const std::string token = leases_.begin()->second;
    EndSession(token, changes);
  }
}

void Room::FillFreeSlots(absl::Time now, Changes* changes) {
  while (HasFreeSlot() && !order_.empty()) {
    const std::string ticket_token = *order_.begin()->second;
    std::string client_id = tickets_.find(ticket_token)->second.client_id;
    RemoveTicket(ticket_token, changes);
    const Session& s = StartSession(std::move(client_id), ticket_token, now, changes);
    admitted_tickets_[ticket_token] = s.token;
  }
}

const Session& Room::StartSession(std::string client_id, std::string origin_ticket, absl::Time now,
                                  Changes* changes) {
  const std::string token = MakeToken(TokenKind::kSession, id_, tokens_->NewTokenBits());
  auto [it, inserted] =
      sessions_.emplace(token, Session{token, std::move(client_id), std::move(origin_ticket), now,
                                       now + settings_.session_ttl});
  const Session& s = it->second;
  leases_.insert({s.expires_at, token});
  by_client_[s.client_id] = token;
  ++admitted_total_;
  ++changes->admitted;
  changes->put_sessions.push_back(s);
  return s;
}

void Room::EndSession(const std::string& token, Changes* changes) {
  auto it = sessions_.find(token);
  if (it == sessions_.end()) return;
  const Session& s = it->second;
  leases_.erase({s.expires_at, s.token});
  if (auto c = by_client_.find(s.client_id); c != by_client_.end() && c->second == token) {
    by_client_.erase(c);
  }
  if (!s.origin_ticket.empty()) admitted_tickets_.erase(s.origin_ticket);
  changes->erased_sessions.push_back(token);
  sessions_.erase(it);
}

void Room::RemoveTicket(const std::string& token, Changes* changes) {
  auto it = tickets_.find(token);
  if (it == tickets_.end()) return;
  const Ticket& t = it->second;
  order_.erase(t.seq);
  if (auto c = by_client_.find(t.client_id); c != by_client_.end() && c->second == token) {
    by_client_.erase(c);
  }
  changes->erased_ticket_seqs.push_back(t.seq);
  tickets_.erase(it);
}

VisitorView Room::QueuedView(const Ticket& ticket) const {
  VisitorView view;
  view.state = VisitorState::kQueued;
  view.ticket = ticket.token;
  view.position = static_cast<int64_t>(order_.order_of_key(ticket.seq)) + 1;
  view.estimated_wait = EstimateWait(view.position);
  view.poll_after = std::clamp(view.estimated_wait / 2, kMinPollAfter, kMaxPollAfter);
  return view;
}

VisitorView Room::AdmittedView(const Session& session) const {
  VisitorView view;
  view.state = VisitorState::kAdmitted;
  view.ticket = session.origin_ticket;
  view.session = session.token;
  view.lease_expires_at = session.expires_at;
  // Heartbeat well inside the lease so one lost call does not end the session.
  view.poll_after = std::min(settings_.session_ttl / 3, absl::Minutes(1));
  return view;
}

VisitorView Room::ExpiredView(std::string reason) {
  VisitorView view;
  view.state = VisitorState::kExpired;
  view.reason = std::move(reason);
  return view;
}

absl::Duration Room::EstimateWait(int64_t position) const {
  // Until outflow is observed, assume each session holds its slot for the full TTL: the
  // budget frees max_active_sessions slots per session_ttl. An upper bound, honest for a
  // visitor deciding whether to wait.
  return settings_.session_ttl * static_cast<double>(position) /
         static_cast<double>(settings_.max_active_sessions);
}

}  // namespace anteroom::core
