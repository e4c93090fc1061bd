#pragma once

// How the gRPC services run a call (grpc_services.h; for their .cc files only): each call's
// answer, its metrics, its place in the load shedder, and its hold on the rooms.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "server/service/convert.h"
#include "server/service/grpc_services.h"
#include "wire/token.h"

namespace anteroom::service {

// One of the two APIs, as its handlers see it.
struct Api {
  Metrics* metrics;
  ServingRooms* serving;
  bool gateway;  // the gateway API (else the admin API)
};

namespace rpc {

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
  const absl::Status entered = shedder->Enter(lane, absl::FromChrono(context->deadline()));
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
inline Callback<core::VisitorView> ViewTo(v1::VisitorStatus* response, std::string room,
                                          Finisher finish) {
  return [response, room = std::move(room), finish](absl::StatusOr<core::VisitorView> view) {
    if (view.ok()) ToProto(*view, room, response);
    finish(view.status());
  };
}

// Checks that `token` (the request field `field`) is a well-formed token of the wanted kind
// (any kind when `kind` is nullopt).
inline absl::StatusOr<wire::ParsedToken> ParseTokenField(absl::string_view token,
                                                         absl::string_view field,
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

}  // namespace rpc
}  // namespace anteroom::service
