#pragma once

#include <string>

#include "server/core/room.h"
#include "wire/token.h"

namespace anteroom::testing {

// Drives a core::Room the way the service does, with token strings, for tests.
inline core::ClientKey Key(const std::string& client_id) {
  return core::ClientKey{std::hash<std::string>()(client_id), client_id.size()};
}

inline wire::ParsedToken Parse(const std::string& token) {
  std::optional<wire::ParsedToken> parsed = wire::ParseToken(token);
  if (!parsed) return wire::ParsedToken{wire::TokenKind::kTicket, "", 0, {0, 0}};
  return *parsed;
}

inline core::VisitorView PollToken(core::Room& room, const std::string& ticket, absl::Time now) {
  const wire::ParsedToken t = Parse(ticket);
  return room.Poll(t.id, t.secret, now);
}

inline core::VisitorView HeartbeatToken(core::Room& room, const std::string& session,
                                        absl::Time now, core::Changes* changes) {
  const wire::ParsedToken t = Parse(session);
  return room.Heartbeat(t.id, t.secret, now, changes);
}

inline bool LeaveToken(core::Room& room, const std::string& token, absl::Time now,
                       core::Changes* changes) {
  const wire::ParsedToken t = Parse(token);
  return room.Leave(t.kind, t.id, t.secret, now, changes);
}

}  // namespace anteroom::testing
