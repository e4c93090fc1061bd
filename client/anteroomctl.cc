// anteroomctl: the operator's and tester's command line for Anteroom. Administers rooms over
// the admin API and plays a visitor over the gateway API, printing each response as JSON.

#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "anteroom/v1/room_admin.grpc.pb.h"
#include "anteroom/v1/waiting_room.grpc.pb.h"
#include "base/program.h"
#include "client/anteroom_client.h"
#include "client/channel.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/security/credentials.h"
#include "proto/time_convert.h"
#include "wire/entry_token.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "Gateway API address.");
ABSL_FLAG(std::string, admin, "127.0.0.1:50052", "Admin API address.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(5), "Deadline of each call.");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA bundle: connect over TLS and verify the server.");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate (mutual TLS).");
ABSL_FLAG(std::string, tls_key, "", "PEM client key (mutual TLS).");
ABSL_FLAG(std::string, admin_token_file, "",
          "File holding the admin token sent as 'authorization: Bearer <token>'.");
ABSL_FLAG(int64_t, max_active_sessions, -1, "create-room/update-room: concurrency budget.");
ABSL_FLAG(std::string, session_ttl, "", "create-room/update-room: lease length, e.g. 5m.");
ABSL_FLAG(std::string, settings, "",
          "create-room/update-room: any RoomSettings as JSON, e.g. '{\"queue_all\":true}'.");
ABSL_FLAG(std::string, prequeue_start, "",
          "create-event: when the pre-queue opens (RFC 3339, or +DURATION from now). "
          "Default: no pre-queue.");
ABSL_FLAG(std::string, start, "", "create-event: when the event opens (RFC 3339 or +DURATION).");
ABSL_FLAG(std::string, end, "", "create-event: when the event closes (RFC 3339 or +DURATION).");
ABSL_FLAG(bool, shuffle, true, "create-event: shuffle the pre-queue at start.");
ABSL_FLAG(std::string, overrides, "",
          "create-event: RoomSettings JSON in force during the event, e.g. "
          "'{\"max_active_sessions\":500}'.");

ABSL_FLAG(std::string, entry_key_file, "",
          "entry-token: the keys file anteroomd reads (--entry_key_file); the first signs.");
ABSL_FLAG(std::string, subject, "",
          "entry-token: the verified identity (required for identity; optional otherwise).");
ABSL_FLAG(absl::Duration, ttl, absl::Hours(24), "entry-token: how long the token is good for.");
ABSL_FLAG(std::string, entry_token, "", "admit: an entry token to present.");

namespace {

constexpr char kUsage[] = R"(anteroomctl: administer Anteroom rooms and play a visitor.

Operators (admin API, --admin):
  anteroomctl rooms                          list rooms
  anteroomctl create-room ROOM [--max_active_sessions=N] [--session_ttl=5m] [--settings=JSON]
  anteroomctl update-room ROOM [--max_active_sessions=N] [--session_ttl=5m] [--settings=JSON]
  anteroomctl get-room ROOM
  anteroomctl status ROOM                    queue depth, active sessions, admissions
  anteroomctl delete-room ROOM
  anteroomctl create-event ROOM --start=+10m --end=+2h [--prequeue_start=+0s] [--shuffle=false]
                                [--overrides=JSON]     times: RFC 3339 or +DURATION from now
  anteroomctl events ROOM
  anteroomctl cancel-event ROOM EVENT_ID
  anteroomctl revoke SESSION                 ends a visitor's session at once
  anteroomctl checkpoint NAME                consistent copy of the store under --backup_dir
  anteroomctl route ROOM HOST:PORT,...       which of these servers holds ROOM (the gateways'
                                             consistent hashing): create the room there
  anteroomctl entry-token ROOM KIND --entry_key_file=FILE [--subject=S] [--ttl=24h]
                                             signs an entry token (offline): KIND is identity
                                             (one place per --subject), priority or bypass
                                             (--subject required)

Visitors (gateway API, --server):
  anteroomctl admit ROOM CLIENT_ID [--entry_token=T]
                                             -> ADMITTED with a session, or QUEUED with a ticket
  anteroomctl poll TICKET                    -> position and wait, or ADMITTED
  anteroomctl heartbeat SESSION              -> renews the lease
  anteroomctl leave TOKEN                    -> ends a ticket or session

Responses are printed as JSON; errors go to stderr with the gRPC status code (exit 1).)";

using google::protobuf::Message;

const char* CodeName(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < static_cast<int>(std::size(kNames)) ? kNames[i] : "UNKNOWN";
}

int PrintResult(const grpc::Status& status, const Message& response) {
  if (!status.ok()) {
    std::cerr << "error: " << CodeName(status.error_code()) << ": " << status.error_message()
              << (status.error_code() == grpc::StatusCode::UNAVAILABLE
                      ? " (is anteroomd running at that address?)"
                      : "")
              << "\n";
    return 1;
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(response, &json, options);
  std::cout << json;
  return 0;
}

int Failure(const absl::Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return 1;
}

int UsageError(const std::string& message) {
  std::cerr << "error: " << message << "\n\n" << kUsage << "\n";
  return 2;
}

// Builds the settings patch from --max_active_sessions, --session_ttl and --settings.
bool SettingsFromFlags(anteroom::v1::RoomSettings* settings, std::string* error) {
  if (const std::string json = absl::GetFlag(FLAGS_settings); !json.empty()) {
    auto status = google::protobuf::util::JsonStringToMessage(json, settings);
    if (!status.ok()) {
      *error =
          absl::StrCat("--settings is not valid RoomSettings JSON: ", status.message().as_string());
      return false;
    }
  }
  if (const int64_t n = absl::GetFlag(FLAGS_max_active_sessions); n >= 0) {
    settings->set_max_active_sessions(static_cast<uint32_t>(n));
  }
  if (const std::string ttl = absl::GetFlag(FLAGS_session_ttl); !ttl.empty()) {
    absl::Duration d;
    if (!absl::ParseDuration(ttl, &d)) {
      *error = absl::StrCat("--session_ttl '", ttl, "' is not a duration (e.g. 90s, 5m)");
      return false;
    }
    *settings->mutable_session_ttl() = anteroom::ToProtoDuration(d);
  }
  return true;
}

// Parses "2026-12-01T12:00:00Z" or "+10m" (from now) into a Timestamp.
bool ParseWhen(const std::string& text, google::protobuf::Timestamp* out, std::string* error) {
  absl::Time t;
  if (!text.empty() && text[0] == '+') {
    absl::Duration d;
    if (!absl::ParseDuration(text.substr(1), &d)) {
      *error = absl::StrCat("'", text, "' is not +DURATION (e.g. +10m)");
      return false;
    }
    t = absl::Now() + d;
  } else if (!absl::ParseTime(absl::RFC3339_full, text, &t, error)) {
    *error = absl::StrCat("'", text, "' is not an RFC 3339 time: ", *error);
    return false;
  }
  out->set_seconds(absl::ToUnixSeconds(t));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  anteroom::base::PromptGrpcReconnects();  // before anything starts gRPC
  anteroom::base::SetProgramUsage(kUsage, __FILE__);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) return UsageError("no command given");
  const std::string command = args[1];
  auto arg = [&](size_t i) { return i < args.size() ? std::string(args[i]) : std::string(); };
  auto need = [&](size_t count) { return args.size() == count + 2; };

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoNanoseconds(absl::GetFlag(FLAGS_timeout)));
  auto tls = anteroom::client::CredentialsFromFiles(
      absl::GetFlag(FLAGS_tls_ca), absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key));
  if (!tls.ok()) return Failure(tls.status());
  auto gateway = anteroom::v1::WaitingRoom::NewStub(
      anteroom::client::MakeChannel(absl::GetFlag(FLAGS_server), *tls));
  auto admin = anteroom::v1::RoomAdmin::NewStub(
      anteroom::client::MakeChannel(absl::GetFlag(FLAGS_admin), *tls));
  // The admin token goes to the admin listener only.
  if (command == "entry-token" && need(2)) {
    // Offline: signs with the keys file; calls nothing.
    const std::optional<anteroom::wire::EntryKind> kind = anteroom::wire::EntryKindFromName(arg(3));
    if (!kind) return UsageError("KIND must be identity, priority or bypass");
    if (absl::GetFlag(FLAGS_entry_key_file).empty()) {
      return UsageError("entry-token needs --entry_key_file");
    }
    if (absl::GetFlag(FLAGS_ttl) <= absl::ZeroDuration())
      return UsageError("--ttl must be positive");
    auto keys =
        anteroom::wire::Signer::FromFile("entry_key_file", absl::GetFlag(FLAGS_entry_key_file));
    if (!keys.ok()) return Failure(keys.status());
    auto token = anteroom::wire::SignEntryToken(*keys, {arg(2), *kind, absl::GetFlag(FLAGS_subject),
                                                        absl::Now() + absl::GetFlag(FLAGS_ttl)});
    if (!token.ok()) return Failure(token.status());
    std::cout << *token << "\n";
    return 0;
  }
  const bool gateway_command =
      command == "admit" || command == "poll" || command == "heartbeat" || command == "leave";
  if (!gateway_command) {
    auto token =
        anteroom::base::ReadFlagFile("admin_token_file", absl::GetFlag(FLAGS_admin_token_file));
    if (!token.ok()) return Failure(token.status());
    if (!token->empty()) {
      context.AddMetadata("authorization",
                          absl::StrCat("Bearer ", absl::StripAsciiWhitespace(*token)));
    }
  }

  if (command == "rooms" && need(0)) {
    anteroom::v1::ListRoomsResponse response;
    return PrintResult(admin->ListRooms(&context, {}, &response), response);
  }
  if ((command == "create-room" || command == "update-room") && need(1)) {
    anteroom::v1::RoomSettings settings;
    std::string error;
    if (!SettingsFromFlags(&settings, &error)) return UsageError(error);
    anteroom::v1::Room response;
    if (command == "create-room") {
      anteroom::v1::CreateRoomRequest request;
      request.set_room(arg(2));
      *request.mutable_settings() = settings;
      return PrintResult(admin->CreateRoom(&context, request, &response), response);
    }
    anteroom::v1::UpdateRoomRequest request;
    request.set_room(arg(2));
    *request.mutable_settings() = settings;
    return PrintResult(admin->UpdateRoom(&context, request, &response), response);
  }
  if (command == "get-room" && need(1)) {
    anteroom::v1::GetRoomRequest request;
    request.set_room(arg(2));
    anteroom::v1::Room response;
    return PrintResult(admin->GetRoom(&context, request, &response), response);
  }
  if (command == "status" && need(1)) {
    anteroom::v1::GetRoomStatusRequest request;
    request.set_room(arg(2));
    anteroom::v1::RoomStatus response;
    return PrintResult(admin->GetRoomStatus(&context, request, &response), response);
  }
  if (command == "delete-room" && need(1)) {
    anteroom::v1::DeleteRoomRequest request;
    request.set_room(arg(2));
    anteroom::v1::DeleteRoomResponse response;
    return PrintResult(admin->DeleteRoom(&context, request, &response), response);
  }
  if (command == "create-event" && need(1)) {
    anteroom::v1::CreateEventRequest request;
    request.set_room(arg(2));
    anteroom::v1::Event* event = request.mutable_event();
    std::string error;
    if (absl::GetFlag(FLAGS_start).empty() || absl::GetFlag(FLAGS_end).empty()) {
      return UsageError("create-event needs --start and --end");
    }
    if (!ParseWhen(absl::GetFlag(FLAGS_start), event->mutable_start(), &error) ||
        !ParseWhen(absl::GetFlag(FLAGS_end), event->mutable_end(), &error) ||
        (!absl::GetFlag(FLAGS_prequeue_start).empty() &&
         !ParseWhen(absl::GetFlag(FLAGS_prequeue_start), event->mutable_prequeue_start(),
                    &error))) {
      return UsageError(error);
    }
    event->set_shuffle_at_start(absl::GetFlag(FLAGS_shuffle));
    if (const std::string json = absl::GetFlag(FLAGS_overrides); !json.empty()) {
      auto status = google::protobuf::util::JsonStringToMessage(json, event->mutable_overrides());
      if (!status.ok()) {
        return UsageError(absl::StrCat("--overrides is not valid RoomSettings JSON: ",
                                       status.message().as_string()));
      }
    }
    anteroom::v1::Event response;
    return PrintResult(admin->CreateEvent(&context, request, &response), response);
  }
  if (command == "events" && need(1)) {
    anteroom::v1::ListEventsRequest request;
    request.set_room(arg(2));
    anteroom::v1::ListEventsResponse response;
    return PrintResult(admin->ListEvents(&context, request, &response), response);
  }
  if (command == "cancel-event" && need(2)) {
    anteroom::v1::CancelEventRequest request;
    request.set_room(arg(2));
    request.set_event_id(arg(3));
    anteroom::v1::CancelEventResponse response;
    return PrintResult(admin->CancelEvent(&context, request, &response), response);
  }
  if (command == "revoke" && need(1)) {
    anteroom::v1::RevokeSessionRequest request;
    request.set_session(arg(2));
    anteroom::v1::RevokeSessionResponse response;
    return PrintResult(admin->RevokeSession(&context, request, &response), response);
  }
  if (command == "checkpoint" && need(1)) {
    anteroom::v1::CreateCheckpointRequest request;
    request.set_name(arg(2));
    anteroom::v1::CreateCheckpointResponse response;
    return PrintResult(admin->CreateCheckpoint(&context, request, &response), response);
  }
  if (command == "admit" && need(2)) {
    anteroom::v1::AdmitRequest request;
    request.set_room(arg(2));
    request.set_client_id(arg(3));
    request.set_entry_token(absl::GetFlag(FLAGS_entry_token));
    anteroom::v1::VisitorStatus response;
    return PrintResult(gateway->Admit(&context, request, &response), response);
  }
  if (command == "poll" && need(1)) {
    anteroom::v1::PollRequest request;
    request.set_ticket(arg(2));
    anteroom::v1::VisitorStatus response;
    return PrintResult(gateway->Poll(&context, request, &response), response);
  }
  if (command == "heartbeat" && need(1)) {
    anteroom::v1::HeartbeatRequest request;
    request.set_session(arg(2));
    anteroom::v1::VisitorStatus response;
    return PrintResult(gateway->Heartbeat(&context, request, &response), response);
  }
  if (command == "route" && need(2)) {
    anteroom::client::ClientOptions options;
    options.servers = absl::StrSplit(arg(3), ',', absl::SkipEmpty());
    auto client = anteroom::client::Client::Create(options);
    if (!client.ok()) return UsageError(std::string(client.status().message()));
    std::cout << (*client)->ServerFor(arg(2)) << "\n";
    return 0;
  }
  if (command == "leave" && need(1)) {
    anteroom::v1::LeaveRequest request;
    request.set_token(arg(2));
    anteroom::v1::LeaveResponse response;
    return PrintResult(gateway->Leave(&context, request, &response), response);
  }
  return UsageError(absl::StrCat("unknown command or wrong number of arguments: ", command));
}
