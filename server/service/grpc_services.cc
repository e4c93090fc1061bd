#include "server/service/grpc_services.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/log.h"
#include "server/service/convert.h"
#include "wire/token.h"

namespace anteroom::service {

// One of the two APIs, as its handlers see it.
struct Api {
  Metrics* metrics;
  ServingRooms* serving;
  bool gateway;  // the gateway API (else the admin API)
};

namespace {

constexpr size_t kMaxClientIdBytes = 128;
constexpr size_t kMaxSourceBytes = 64;
constexpr size_t kMaxSolutionFieldBytes = 128;

// A solution's text fields are bounded; what they hold is checked by Challenges::Verify.
absl::Status ValidateSolution(const v1::Solution& solution) {
  for (auto [value, field] : {std::pair{&solution.algorithm(), "solution.algorithm"},
                              std::pair{&solution.challenge(), "solution.challenge"},
                              std::pair{&solution.salt(), "solution.salt"},
                              std::pair{&solution.signature(), "solution.signature"}}) {
    if (value->size() > kMaxSolutionFieldBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " must be at most ", kMaxSolutionFieldBytes, " bytes"));
    }
  }
  return absl::OkStatus();
}

// Finishes one RPC (on whichever thread its answer arrives) and records its latency; for a
// call the load shedder let in, counts it out; for a call that holds the rooms, releases
// them. An UNAVAILABLE answer of a node that serves no rooms names the owner in the trailing
// metadata wire::kOwnerMetadata (the client library follows it). Called once per RPC.
class Finisher {
 public:
  Finisher(grpc::CallbackServerContext* context, const Api& api, absl::string_view method,
           LoadShedder* entered = nullptr)
      : context_(context),
        reactor_(context->DefaultReactor()),
        api_(api),
        method_(method),
        entered_(entered) {}
  void operator()(const absl::Status& status) const {
    api_.metrics->ObserveRpc(method_, stopwatch_.ElapsedSeconds(),
                             status.ok() ? "" : absl::StatusCodeToString(status.code()));
    if (entered_ != nullptr) {
      entered_->Exit();
      api_.metrics->CallEnded();
    }
    if (status.code() == absl::StatusCode::kUnavailable && !api_.serving->serving()) {
      const ServingRooms::Owner owner = api_.serving->owner();
      const std::string& address = api_.gateway ? owner.gateway : owner.admin;
      if (!address.empty())
        context_->AddTrailingMetadata(std::string(wire::kOwnerMetadata), address);
    }
    reactor_->Finish(ToGrpc(status));
    if (holds_rooms_) api_.serving->Release();
  }
  grpc::ServerUnaryReactor* reactor() const { return reactor_; }

  // The rooms for this call (held until it is answered), or null after answering it
  // UNAVAILABLE when this node serves none.
  RoomManager* AcquireRooms() {
    RoomManager* rooms = api_.serving->Acquire();
    if (rooms == nullptr) {
      const ServingRooms::Owner owner = api_.serving->owner();
      (*this)(api_.serving->NotServing(api_.gateway ? "gateway API" : "admin API",
                                       api_.gateway ? owner.gateway : owner.admin));
    }
    holds_rooms_ = rooms != nullptr;
    return rooms;
  }

 private:
  grpc::CallbackServerContext* context_;
  grpc::ServerUnaryReactor* reactor_;
  Api api_;
  absl::string_view method_;  // a literal
  LoadShedder* entered_;
  bool holds_rooms_ = false;
  base::Stopwatch stopwatch_;
};

// Runs a handler whose answer is ready at once, on the rooms, unless `gate` (an
// authorization) failed.
template <typename Fn>
grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* context, const Api& api,
                                 const absl::Status& gate, absl::string_view method, Fn&& fn) {
  Finisher finish(context, api, method);
  if (!gate.ok()) {
    finish(gate);
  } else if (RoomManager* rooms = finish.AcquireRooms()) {
    finish(fn(rooms));
  }
  return finish.reactor();
}

// Runs a handler that answers later through `finish` (after its changes are durable), on the
// rooms, unless `gate` failed.
template <typename Fn>
grpc::ServerUnaryReactor* HandleAsync(grpc::CallbackServerContext* context, const Api& api,
                                      const absl::Status& gate, absl::string_view method, Fn&& fn) {
  Finisher finish(context, api, method);
  if (!gate.ok()) {
    finish(gate);
  } else if (RoomManager* rooms = finish.AcquireRooms()) {
    // The answer may come (and release the rooms) before fn has left RoomManager's code.
    api.serving->Retain();
    fn(rooms, finish);
    api.serving->Release();
  }
  return finish.reactor();
}

// A gateway call: refused at once when the load shedder says so (overloaded, or its deadline
// already passed), else run like HandleAsync.
template <typename Fn>
grpc::ServerUnaryReactor* HandleGateway(grpc::CallbackServerContext* context, const Api& api,
                                        LoadShedder* shedder, CallLane lane,
                                        absl::string_view method, Fn&& fn) {
  const absl::Status entered = shedder->Enter(lane, context->deadline());
  if (!entered.ok()) {
    api.metrics->CountShed(method, ShedReason(entered));
    Finisher finish(context, api, method);
    finish(entered);
    return finish.reactor();
  }
  api.metrics->CallStarted();
  Finisher finish(context, api, method, shedder);
  if (RoomManager* rooms = finish.AcquireRooms()) {
    api.serving->Retain();  // as in HandleAsync
    fn(rooms, finish);
    api.serving->Release();
  }
  return finish.reactor();
}

// Answers with a visitor's status once it is known.
Callback<core::VisitorView> ViewTo(v1::VisitorStatus* response, std::string room, Finisher finish) {
  return [response, room = std::move(room), finish](absl::StatusOr<core::VisitorView> view) {
    if (view.ok()) ToProto(*view, room, response);
    finish(view.status());
  };
}

// Checks that `token` (the request field `field`) is a well-formed token of the wanted kind
// (any kind when `kind` is nullopt).
absl::StatusOr<wire::ParsedToken> ParseTokenField(absl::string_view token, absl::string_view field,
                                                  std::optional<wire::TokenKind> kind) {
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  std::optional<wire::ParsedToken> parsed = wire::ParseToken(token);
  if (!parsed) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is not a valid Anteroom token"));
  }
  if (kind && parsed->kind != *kind) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " is a ", parsed->kind == wire::TokenKind::kTicket ? "ticket" : "session token",
        ", not a ", *kind == wire::TokenKind::kTicket ? "ticket" : "session token"));
  }
  return *parsed;
}

}  // namespace

void ToProto(const RoomInfo& info, v1::Room* out) {
  out->set_id(info.id);
  *out->mutable_settings() = ToProto(info.settings);
  *out->mutable_create_time() = ToProtoTime(info.created_at);
}

// --- WaitingRoom ---

Api WaitingRoomService::api() const { return Api{metrics_, serving_, /*gateway=*/true}; }

grpc::ServerUnaryReactor* WaitingRoomService::Admit(grpc::CallbackServerContext* context,
                                                    const v1::AdmitRequest* request,
                                                    v1::VisitorStatus* response) {
  return HandleGateway(
      context, api(), shedder_, CallLane::kNewcomer, "Admit",
      [&](RoomManager* rooms, Finisher finish) {
        absl::Status invalid = wire::ValidateRoomId(request->room(), "room");
        if (invalid.ok() && request->client_id().empty()) {
          invalid = absl::InvalidArgumentError("client_id is required");
        }
        if (invalid.ok() && request->client_id().size() > kMaxClientIdBytes) {
          invalid = absl::InvalidArgumentError(
              absl::StrCat("client_id must be at most ", kMaxClientIdBytes, " bytes"));
        }
        const std::string& source = request->source();
        if (invalid.ok() && (source.size() > kMaxSourceBytes ||
                             !std::all_of(source.begin(), source.end(), [](char c) {
                               return absl::ascii_isalnum(c) || c == '-' || c == '_';
                             }))) {
          invalid = absl::InvalidArgumentError(absl::StrCat(
              "source must be at most ", kMaxSourceBytes,
              " characters of [A-Za-z0-9_-] (a keyed hash of the visitor's network, never an "
              "address)"));
        }
        if (invalid.ok() && request->has_solution())
          invalid = ValidateSolution(request->solution());
        // An entry token: who the visitor is (its subject) and how they come in.
        VisitorId visitor{request->client_id()};
        core::AdmitOptions options;
        if (invalid.ok() && !request->entry_token().empty()) {
          absl::StatusOr<wire::EntryToken> entry = CheckEntryToken(*request, rooms->Now());
          if (entry.ok()) {
            if (!entry->subject.empty()) visitor = VisitorId{entry->subject, /*identity=*/true};
            options.entry = entry->kind == wire::EntryKind::kPriority ? core::Entry::kPriority
                            : entry->kind == wire::EntryKind::kBypass ? core::Entry::kBypass
                                                                      : core::Entry::kRegular;
            options.proved_work = true;  // vouched for by the site
          }
          invalid = entry.status();
        }
        if (!invalid.ok()) return finish(invalid);
        // A vouched-for visitor is never challenged: the challenge is for the client_id.
        rooms->Admit(request->room(), visitor, source,
                     request->has_solution() ? &request->solution() : nullptr, options,
                     [rooms, request, response, finish](absl::StatusOr<core::VisitorView> view) {
                       if (view.ok()) {
                         ToProto(*view, request->room(), response);
                         if (view->state == core::VisitorState::kChallenged) {
                           *response->mutable_challenge() = rooms->IssueChallenge(
                               request->room(), request->client_id(), view->challenge_work);
                         }
                       }
                       finish(view.status());
                     });
      });
}

absl::StatusOr<wire::EntryToken> WaitingRoomService::CheckEntryToken(
    const v1::AdmitRequest& request, absl::Time now) const {
  if (entry_keys_ == nullptr) {
    return absl::FailedPreconditionError(
        "entry_token given, but this server has no entry keys (anteroomd --entry_key_file)");
  }
  return wire::VerifyEntryToken(*entry_keys_, request.entry_token(), request.room(), now,
                                "entry_token");
}

grpc::ServerUnaryReactor* WaitingRoomService::Poll(grpc::CallbackServerContext* context,
                                                   const v1::PollRequest* request,
                                                   v1::VisitorStatus* response) {
  return HandleGateway(context, api(), shedder_, CallLane::kVisitor, "Poll",
                       [&](RoomManager* rooms, Finisher finish) {
                         absl::StatusOr<wire::ParsedToken> ticket =
                             ParseTokenField(request->ticket(), "ticket", wire::TokenKind::kTicket);
                         if (!ticket.ok()) return finish(ticket.status());
                         rooms->Poll(*ticket, ViewTo(response, std::string(ticket->room), finish));
                       });
}

grpc::ServerUnaryReactor* WaitingRoomService::Heartbeat(grpc::CallbackServerContext* context,
                                                        const v1::HeartbeatRequest* request,
                                                        v1::VisitorStatus* response) {
  return HandleGateway(
      context, api(), shedder_, CallLane::kVisitor, "Heartbeat",
      [&](RoomManager* rooms, Finisher finish) {
        absl::StatusOr<wire::ParsedToken> session =
            ParseTokenField(request->session(), "session", wire::TokenKind::kSession);
        if (!session.ok()) return finish(session.status());
        rooms->Heartbeat(*session, ViewTo(response, std::string(session->room), finish));
      });
}

grpc::ServerUnaryReactor* WaitingRoomService::Leave(grpc::CallbackServerContext* context,
                                                    const v1::LeaveRequest* request,
                                                    v1::LeaveResponse* response) {
  return HandleGateway(context, api(), shedder_, CallLane::kVisitor, "Leave",
                       [&](RoomManager* rooms, Finisher finish) {
                         absl::StatusOr<wire::ParsedToken> token =
                             ParseTokenField(request->token(), "token", std::nullopt);
                         if (!token.ok()) return finish(token.status());
                         rooms->Leave(*token, [response, finish](absl::StatusOr<bool> ended) {
                           if (ended.ok()) response->set_ended(*ended);
                           finish(ended.status());
                         });
                       });
}

// --- RoomAdmin ---

Api RoomAdminService::api() const { return Api{metrics_, serving_, /*gateway=*/false}; }

absl::Status RoomAdminService::Authorize(grpc::CallbackServerContext* context) const {
  if (require_client_certificate_) {
    // The handshake verified any certificate presented; here it must have been presented.
    std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
    if (auth == nullptr || !auth->IsPeerAuthenticated()) {
      return absl::UnauthenticatedError("the admin API needs a client certificate (mutual TLS)");
    }
  }
  if (expected_authorization_.empty()) return absl::OkStatus();
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "the admin API needs an 'authorization: Bearer <token>' header");
  }
  const absl::string_view given(it->second.data(), it->second.size());
  const std::string& expected = expected_authorization_;
  // Compare in constant time: timing must not reveal how much of a guess was right.
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  }
  if (diff != 0) return absl::UnauthenticatedError("wrong admin token");
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* RoomAdminService::CreateRoom(grpc::CallbackServerContext* context,
                                                       const v1::CreateRoomRequest* request,
                                                       v1::Room* response) {
  return Handle(context, api(), Authorize(context), "CreateRoom",
                [&](RoomManager* rooms) -> absl::Status {
                  if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok())
                    return s;
                  core::RoomSettings settings;
                  if (absl::Status s = ApplySettingsPatch(request->settings(), &settings); !s.ok())
                    return s;
                  absl::StatusOr<RoomInfo> info = rooms->CreateRoom(request->room(), settings);
                  if (!info.ok()) return info.status();
                  ToProto(*info, response);
                  return absl::OkStatus();
                });
}

grpc::ServerUnaryReactor* RoomAdminService::UpdateRoom(grpc::CallbackServerContext* context,
                                                       const v1::UpdateRoomRequest* request,
                                                       v1::Room* response) {
  return HandleAsync(
      context, api(), Authorize(context), "UpdateRoom", [&](RoomManager* rooms, Finisher finish) {
        if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok())
          return finish(s);
        const v1::RoomSettings& patch = request->settings();  // copied into the mutation
        rooms->UpdateRoom(
            request->room(),
            [patch](core::RoomSettings* settings) { return ApplySettingsPatch(patch, settings); },
            [response, finish](absl::StatusOr<RoomInfo> info) {
              if (info.ok()) ToProto(*info, response);
              finish(info.status());
            });
      });
}

grpc::ServerUnaryReactor* RoomAdminService::GetRoom(grpc::CallbackServerContext* context,
                                                    const v1::GetRoomRequest* request,
                                                    v1::Room* response) {
  return Handle(context, api(), Authorize(context), "GetRoom",
                [&](RoomManager* rooms) -> absl::Status {
                  if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok())
                    return s;
                  absl::StatusOr<RoomInfo> info = rooms->GetRoom(request->room());
                  if (!info.ok()) return info.status();
                  ToProto(*info, response);
                  return absl::OkStatus();
                });
}

grpc::ServerUnaryReactor* RoomAdminService::ListRooms(grpc::CallbackServerContext* context,
                                                      const v1::ListRoomsRequest*,
                                                      v1::ListRoomsResponse* response) {
  return Handle(context, api(), Authorize(context), "ListRooms",
                [&](RoomManager* rooms) -> absl::Status {
                  for (const RoomInfo& info : rooms->ListRooms())
                    ToProto(info, response->add_rooms());
                  return absl::OkStatus();
                });
}

grpc::ServerUnaryReactor* RoomAdminService::DeleteRoom(grpc::CallbackServerContext* context,
                                                       const v1::DeleteRoomRequest* request,
                                                       v1::DeleteRoomResponse*) {
  return Handle(context, api(), Authorize(context), "DeleteRoom",
                [&](RoomManager* rooms) -> absl::Status {
                  if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok())
                    return s;
                  return rooms->DeleteRoom(request->room());
                });
}

grpc::ServerUnaryReactor* RoomAdminService::GetRoomStatus(grpc::CallbackServerContext* context,
                                                          const v1::GetRoomStatusRequest* request,
                                                          v1::RoomStatus* response) {
  return Handle(
      context, api(), Authorize(context), "GetRoomStatus", [&](RoomManager* rooms) -> absl::Status {
        if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok()) return s;
        absl::StatusOr<core::RoomStats> stats = rooms->GetRoomStatus(request->room());
        if (!stats.ok()) return stats.status();
        response->set_room(request->room());
        response->set_queue_depth(static_cast<uint64_t>(stats->queue_depth));
        response->set_prequeue_depth(static_cast<uint64_t>(stats->prequeue_depth));
        response->set_active_sessions(static_cast<uint64_t>(stats->active_sessions));
        response->set_max_active_sessions(static_cast<uint32_t>(stats->max_active_sessions));
        response->set_admitted_total(static_cast<uint64_t>(stats->admitted_total));
        response->set_observed_admissions_per_minute(stats->observed_admissions_per_minute);
        *response->mutable_estimated_wait() = ToProtoDuration(stats->estimated_wait);
        response->set_estimated_wait_unknown(stats->estimated_wait_unknown);
        response->set_shadow_depth(static_cast<uint64_t>(stats->shadow_depth));
        response->set_priority_depth(static_cast<uint64_t>(stats->priority_depth));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* RoomAdminService::CreateEvent(grpc::CallbackServerContext* context,
                                                        const v1::CreateEventRequest* request,
                                                        v1::Event* response) {
  return HandleAsync(context, api(), Authorize(context), "CreateEvent",
                     [&](RoomManager* rooms, Finisher finish) {
                       if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok())
                         return finish(s);
                       if (!request->has_event())
                         return finish(absl::InvalidArgumentError("event is required"));
                       absl::StatusOr<core::Event> event = EventFromProto(request->event());
                       if (!event.ok()) return finish(event.status());
                       rooms->CreateEvent(request->room(), *event,
                                          [response, finish](absl::StatusOr<core::Event> created) {
                                            if (created.ok()) *response = ToProto(*created);
                                            finish(created.status());
                                          });
                     });
}

grpc::ServerUnaryReactor* RoomAdminService::ListEvents(grpc::CallbackServerContext* context,
                                                       const v1::ListEventsRequest* request,
                                                       v1::ListEventsResponse* response) {
  return Handle(
      context, api(), Authorize(context), "ListEvents", [&](RoomManager* rooms) -> absl::Status {
        if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok()) return s;
        absl::StatusOr<std::vector<core::Event>> events = rooms->ListEvents(request->room());
        if (!events.ok()) return events.status();
        for (const core::Event& e : *events) *response->add_events() = ToProto(e);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* RoomAdminService::CancelEvent(grpc::CallbackServerContext* context,
                                                        const v1::CancelEventRequest* request,
                                                        v1::CancelEventResponse*) {
  return HandleAsync(
      context, api(), Authorize(context), "CancelEvent", [&](RoomManager* rooms, Finisher finish) {
        if (absl::Status s = wire::ValidateRoomId(request->room(), "room"); !s.ok())
          return finish(s);
        if (request->event_id().empty()) {
          return finish(absl::InvalidArgumentError("event_id is required"));
        }
        rooms->CancelEvent(request->room(), request->event_id(),
                           [finish](const absl::StatusOr<bool>& done) { finish(done.status()); });
      });
}

grpc::ServerUnaryReactor* RoomAdminService::RevokeSession(grpc::CallbackServerContext* context,
                                                          const v1::RevokeSessionRequest* request,
                                                          v1::RevokeSessionResponse* response) {
  return HandleAsync(
      context, api(), Authorize(context), "RevokeSession",
      [&](RoomManager* rooms, Finisher finish) {
        absl::StatusOr<wire::ParsedToken> session =
            ParseTokenField(request->session(), "session", wire::TokenKind::kSession);
        if (!session.ok()) return finish(session.status());
        rooms->RevokeSession(*session, [response, finish](absl::StatusOr<bool> revoked) {
          if (revoked.ok()) response->set_revoked(*revoked);
          finish(revoked.status());
        });
      });
}

grpc::ServerUnaryReactor* RoomAdminService::CreateCheckpoint(
    grpc::CallbackServerContext* context, const v1::CreateCheckpointRequest* request,
    v1::CreateCheckpointResponse* response) {
  return HandleAsync(
      context, api(), Authorize(context), "CreateCheckpoint", [&](RoomManager*, Finisher finish) {
        const std::string& name = request->name();
        bool valid = !name.empty() && name.size() <= 100 && name[0] != '.';
        for (char c : name)
          valid = valid && (absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-');
        if (!valid) {
          return finish(absl::InvalidArgumentError(
              "name must be 1 to 100 characters of [A-Za-z0-9._-], not starting with a dot"));
        }
        const std::string dir = absl::StrCat(backup_dir_, "/", name);
        // A checkpoint flushes memtables and links files: seconds on a large store. Off the
        // RPC threads.
        checkpoints_.Post([this, dir, response, finish] {
          std::error_code error;
          std::filesystem::create_directories(backup_dir_, error);
          absl::Status s =
              std::filesystem::exists(dir, error)
                  ? absl::AlreadyExistsError(absl::StrCat("checkpoint ", dir, " already exists"))
                  : store_->Checkpoint(dir);
          if (s.ok()) {
            // As an operator would write it: no "./" or "x/.." from a relative --backup_dir.
            response->set_directory(std::filesystem::absolute(dir).lexically_normal().string());
            ANTEROOM_LOG(kInfo, "checkpoint written to %s", response->directory());
          } else {
            ANTEROOM_LOG(kError, "checkpoint to %s failed: %s", dir, s.ToString());
          }
          finish(s);
        });
      });
}

}  // namespace anteroom::service
