#include "server/replication/etcd_client.h"

#include <grpc/support/time.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grpcpp/create_channel.h"

namespace anteroom::replication {
namespace {

absl::Status ToAbsl(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

bool NoAnswer(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable ||
         s.code() == absl::StatusCode::kDeadlineExceeded;
}

gpr_timespec DeadlineIn(absl::Duration d) {
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_micros(absl::ToInt64Microseconds(d), GPR_TIMESPAN));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> EtcdClient::ParseEndpoints(absl::string_view text,
                                                                    absl::string_view flag) {
  std::vector<std::string> endpoints;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, "https://")) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": ", part, ": TLS to etcd is not supported; use http://"));
    }
    absl::ConsumePrefix(&part, "http://");
    absl::ConsumeSuffix(&part, "/");
    const size_t colon = part.rfind(':');
    if (colon == absl::string_view::npos || colon == 0 || colon + 1 == part.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", flag, ": '", part, "' is not host:port (e.g. 127.0.0.1:2379,10.0.0.2:2379)"));
    }
    endpoints.emplace_back(part);
  }
  if (endpoints.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " names no etcd endpoint"));
  }
  return endpoints;
}

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Create(Options options) {
  if (options.endpoints.empty()) return absl::InvalidArgumentError("no etcd endpoint");
  if (options.clock == nullptr) return absl::InvalidArgumentError("EtcdClient needs a clock");
  return std::unique_ptr<EtcdClient>(new EtcdClient(std::move(options)));
}

EtcdClient::EtcdClient(Options options) : options_(std::move(options)) {
  for (const std::string& endpoint : options_.endpoints) {
    grpc::ChannelArguments args;
    // A member that went away is retried within a second of coming back. A connection to one
    // that stopped answering is noticed by keepalive pings while calls are in flight, no more
    // often than etcd allows (--grpc-keepalive-min-time, 5 s: pinging more often, or with no
    // call in flight, makes etcd close the connection); each call's own deadline moves it to
    // the next member sooner.
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
    args.SetMaxReceiveMessageSize(256 << 20);  // a follow read: 64 entries of up to 1 MiB
    auto channel = grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args);
    members_.push_back(Member{etcdserverpb::KV::NewStub(channel),
                              etcdserverpb::Lease::NewStub(channel),
                              etcdserverpb::Maintenance::NewStub(channel)});
  }
}

template <typename Fn>
absl::Status EtcdClient::OnAnyMember(absl::Duration timeout, const Fn& attempt,
                                     absl::Duration attempt_timeout) {
  if (attempt_timeout <= absl::ZeroDuration()) attempt_timeout = options_.attempt_timeout;
  // Intervals on the monotonic clock: a step of the wall clock stretches no deadline.
  const absl::Time deadline = options_.clock->Monotonic() + timeout;
  size_t member;
  {
    base::MutexLock lock(&mu_);
    member = current_;
  }
  absl::Status status;
  for (size_t tries = 0;; ++tries) {
    const absl::Duration left = deadline - options_.clock->Monotonic();
    if (tries > 0 && left <= absl::ZeroDuration()) break;
    grpc::ClientContext context;
    // Do not wait for a member to connect beyond the attempt's deadline. The first attempt
    // gets at least 50 ms; later ones never run past the call's deadline.
    context.set_wait_for_ready(false);
    const absl::Duration this_attempt = std::min(left, attempt_timeout);
    context.set_deadline(
        DeadlineIn(tries == 0 ? std::max(absl::Milliseconds(50), this_attempt) : this_attempt));
    status = ToAbsl(attempt(members_[member], &context));
    if (!NoAnswer(status)) {
      base::MutexLock lock(&mu_);
      current_ = member;
      return status;
    }
    member = (member + 1) % members_.size();
    // After a full round with no answer, a short pause before the next (members that were
    // refused at once would otherwise be retried in a tight loop), never past the deadline.
    if ((tries + 1) % members_.size() == 0) {
      const absl::Duration pause =
          std::min(absl::Milliseconds(100), deadline - options_.clock->Monotonic());
      if (pause > absl::ZeroDuration()) absl::SleepFor(pause);
    }
  }
  return absl::UnavailableError(absl::StrCat("etcd (", absl::StrJoin(options_.endpoints, ","),
                                             ") did not answer: ", status.message()));
}

absl::StatusOr<etcdserverpb::TxnResponse> EtcdClient::Txn(const etcdserverpb::TxnRequest& request,
                                                          absl::Duration timeout) {
  etcdserverpb::TxnResponse response;
  absl::Status s = OnAnyMember(timeout, [&](Member& m, grpc::ClientContext* context) {
    return m.kv->Txn(context, request, &response);
  });
  if (!s.ok()) return s;
  return response;
}

absl::StatusOr<etcdserverpb::RangeResponse> EtcdClient::Range(
    const etcdserverpb::RangeRequest& request, absl::Duration timeout) {
  etcdserverpb::RangeResponse response;
  absl::Status s = OnAnyMember(timeout, [&](Member& m, grpc::ClientContext* context) {
    return m.kv->Range(context, request, &response);
  });
  if (!s.ok()) return s;
  return response;
}

absl::StatusOr<int64_t> EtcdClient::GrantLease(absl::Duration ttl, absl::Duration timeout) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(std::max<int64_t>(1, absl::ToInt64Seconds(ttl)));
  etcdserverpb::LeaseGrantResponse response;
  absl::Status s = OnAnyMember(timeout, [&](Member& m, grpc::ClientContext* context) {
    return m.lease->LeaseGrant(context, request, &response);
  });
  if (!s.ok()) return s;
  if (!response.error().empty()) return absl::UnavailableError(response.error());
  return response.id();
}

std::string EtcdClient::Describe() const { return absl::StrJoin(options_.endpoints, ","); }

absl::StatusOr<Etcd::Renewal> EtcdClient::KeepAlive(int64_t lease, absl::Duration timeout,
                                                    absl::Duration attempt_timeout) {
  etcdserverpb::LeaseKeepAliveResponse response;
  absl::Time sent;
  absl::Status s = OnAnyMember(
      timeout,
      [&](Member& m, grpc::ClientContext* context) {
        sent = options_.clock->Monotonic();
        // The keep-alive call is a stream; one request, one answer.
        auto stream = m.lease->LeaseKeepAlive(context);
        etcdserverpb::LeaseKeepAliveRequest request;
        request.set_id(lease);
        if (!stream->Write(request) || !stream->Read(&response)) {
          stream->WritesDone();
          grpc::Status finished = stream->Finish();
          return finished.ok()
                     ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "keep-alive stream closed")
                     : finished;
        }
        stream->WritesDone();
        context->TryCancel();
        stream->Finish();
        return grpc::Status::OK;
      },
      attempt_timeout);
  if (!s.ok()) return s;
  return Renewal{absl::Seconds(response.ttl()), sent};
}

absl::Status EtcdClient::RevokeLease(int64_t lease, absl::Duration timeout) {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(lease);
  etcdserverpb::LeaseRevokeResponse response;
  return OnAnyMember(timeout, [&](Member& m, grpc::ClientContext* context) {
    return m.lease->LeaseRevoke(context, request, &response);
  });
}

absl::Status EtcdClient::Compact(int64_t revision, absl::Duration timeout) {
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  etcdserverpb::CompactionResponse response;
  return OnAnyMember(timeout, [&](Member& m, grpc::ClientContext* context) {
    return m.kv->Compact(context, request, &response);
  });
}

absl::StatusOr<etcdserverpb::StatusResponse> EtcdClient::MemberStatus(size_t member,
                                                                      absl::Duration timeout) {
  if (member >= members_.size()) return absl::InvalidArgumentError("no such etcd member");
  grpc::ClientContext context;
  context.set_deadline(DeadlineIn(timeout));
  etcdserverpb::StatusRequest request;
  etcdserverpb::StatusResponse response;
  absl::Status s = ToAbsl(members_[member].maintenance->Status(&context, request, &response));
  if (!s.ok()) return s;
  return response;
}

}  // namespace anteroom::replication
