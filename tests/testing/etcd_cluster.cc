#include "tests/testing/etcd_cluster.h"

#include <signal.h>

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "server/replication/etcd_client.h"

namespace anteroom::testing {
namespace {
constexpr char kEtcd[] = "/usr/bin/etcd";
}

absl::StatusOr<std::unique_ptr<EtcdCluster>> EtcdCluster::Start(const std::string& dir, int members,
                                                                bool quick_elections) {
  // A member that cannot bind the port it was given exits; the whole cluster then starts
  // again on fresh ports (a member's ports are in every member's --initial-cluster).
  return WithFreshPorts<std::unique_ptr<EtcdCluster>>(
      [&]() -> absl::StatusOr<std::unique_ptr<EtcdCluster>> {
        std::error_code error;
        std::filesystem::remove_all(dir, error);
        std::filesystem::create_directories(dir, error);
        if (error) {
          return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", error.message()));
        }
        std::unique_ptr<EtcdCluster> cluster(new EtcdCluster(dir, quick_elections));
        for (int i = 0; i < members; ++i) {
          Member m;
          m.name = absl::StrCat("etcd", i);
          m.client_port = FreeLoopbackPort();
          m.peer_port = FreeLoopbackPort();
          cluster->members_.push_back(std::move(m));
        }
        for (int i = 0; i < members; ++i) {
          if (absl::Status s = cluster->StartMember(i); !s.ok()) return s;
        }
        if (absl::Status s = cluster->WaitWritable(); !s.ok()) return s;
        return cluster;
      });
}

EtcdCluster::~EtcdCluster() {
  for (Member& m : members_) {
    if (m.process == nullptr) continue;
    absl::Status s = m.process->Stop();
    EXPECT_TRUE(s.ok()) << m.name << ": " << s;
  }
}

absl::Status EtcdCluster::StartMember(int i) {
  std::vector<std::string> initial;
  for (const Member& m : members_) {
    initial.push_back(absl::StrCat(m.name, "=http://127.0.0.1:", m.peer_port));
  }
  const Member& m = members_[i];
  const std::string client_url = absl::StrCat("http://127.0.0.1:", m.client_port);
  const std::string peer_url = absl::StrCat("http://127.0.0.1:", m.peer_port);
  std::vector<std::string> args = {"--name",
                                   m.name,
                                   "--data-dir",
                                   absl::StrCat(dir_, "/", m.name),
                                   "--listen-client-urls",
                                   client_url,
                                   "--advertise-client-urls",
                                   client_url,
                                   "--listen-peer-urls",
                                   peer_url,
                                   "--initial-advertise-peer-urls",
                                   peer_url,
                                   "--initial-cluster",
                                   absl::StrJoin(initial, ","),
                                   "--initial-cluster-state",
                                   "new",
                                   "--initial-cluster-token",
                                   "anteroom-test",
                                   "--logger",
                                   "zap",
                                   "--log-outputs",
                                   "stderr"};
  if (quick_elections_) {
    // Quick leader elections on loopback (the defaults suit a real network).
    args.insert(args.end(), {"--heartbeat-interval", "50", "--election-timeout", "500"});
  }
  absl::StatusOr<std::unique_ptr<Process>> process =
      Process::Start(kEtcd, args, absl::StrCat(dir_, "/", m.name, ".log"));
  if (!process.ok()) return process.status();
  members_[i].process = *std::move(process);
  return absl::OkStatus();
}

std::string EtcdCluster::endpoints() const {
  std::vector<std::string> out;
  for (const Member& m : members_) out.push_back(absl::StrCat("127.0.0.1:", m.client_port));
  return absl::StrJoin(out, ",");
}

void EtcdCluster::Kill9(int i) {
  Member& m = members_[i];
  if (m.process == nullptr) return;
  kill(m.process->pid(), SIGKILL);
  // Reaps it (the stop signal goes to a process already gone).
  (void)m.process->Stop(absl::Seconds(10));
  m.process.reset();
}

absl::Status EtcdCluster::Restart(int i) {
  if (members_[i].process != nullptr) return absl::FailedPreconditionError("member runs");
  return StartMember(i);
}

absl::Status EtcdCluster::WaitWritable(absl::Duration timeout) {
  base::RealClock clock;
  replication::EtcdClient::Options options;
  for (const Member& m : members_) {
    options.endpoints.push_back(absl::StrCat("127.0.0.1:", m.client_port));
  }
  options.clock = &clock;
  options.attempt_timeout = absl::Milliseconds(500);
  absl::StatusOr<std::unique_ptr<replication::EtcdClient>> client =
      replication::EtcdClient::Create(options);
  if (!client.ok()) return client.status();
  etcdserverpb::TxnRequest put;
  put.add_success()->mutable_request_put()->set_key("/anteroom-test/ping");
  absl::Status last;
  int gone = -1;  // a member that exited (one that was never killed)
  const bool written = WaitUntil(
      [&] {
        for (int i = 0; i < size(); ++i) {
          if (members_[i].process != nullptr && !members_[i].process->Running()) gone = i;
        }
        if (gone >= 0) return true;
        last = (*client)->Txn(put, absl::Seconds(1)).status();
        return last.ok();
      },
      timeout);
  if (gone >= 0) {
    const std::string log = LogTail(gone);
    (void)members_[gone].process->Stop();
    members_[gone].process.reset();
    const std::string message =
        absl::StrCat("etcd member ", members_[gone].name, " exited:\n", log);
    // A port taken meanwhile is worth another start on fresh ports; anything else is not.
    if (absl::StrContains(absl::AsciiStrToLower(log), "address already in use"))
      return absl::UnavailableError(message);
    return absl::InternalError(message);
  }
  if (written) return absl::OkStatus();
  return absl::DeadlineExceededError(
      absl::StrCat("etcd cluster not writable: ", last.message(), "\n", LogTail(0)));
}

int EtcdCluster::Leader() const {
  base::RealClock clock;
  replication::EtcdClient::Options options;
  for (const Member& m : members_) {
    options.endpoints.push_back(absl::StrCat("127.0.0.1:", m.client_port));
  }
  options.clock = &clock;
  absl::StatusOr<std::unique_ptr<replication::EtcdClient>> client =
      replication::EtcdClient::Create(options);
  if (!client.ok()) return -1;
  for (int i = 0; i < size(); ++i) {
    if (members_[i].process == nullptr) continue;
    absl::StatusOr<etcdserverpb::StatusResponse> status =
        (*client)->MemberStatus(i, absl::Seconds(1));
    if (status.ok() && status->leader() != 0 && status->leader() == status->header().member_id())
      return i;
  }
  return -1;
}

std::string EtcdCluster::LogTail(int i) const {
  const std::string log = ReadFile(absl::StrCat(dir_, "/", members_[i].name, ".log"));
  return log.size() > 3000 ? log.substr(log.size() - 3000) : log;
}

}  // namespace anteroom::testing
