// The gateway API (anteroom.v1.WaitingRoom): requests checked, converted, and run on the
// rooms the node serves.

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/service/grpc_services.h"
#include "server/service/rpc_call.h"

namespace anteroom::service {

using rpc::Finisher;
using rpc::HandleGateway;
using rpc::ParseTokenField;
using rpc::ViewTo;

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

}  // namespace

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

}  // namespace anteroom::service
