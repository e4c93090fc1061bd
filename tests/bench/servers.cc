#include "tests/bench/servers.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "tests/testing/http_get.h"

namespace anteroom::bench {

std::string BuiltBinary(const std::string& override_path, const std::string& relative) {
  if (!override_path.empty()) return override_path;
  const std::filesystem::path self = std::filesystem::canonical("/proc/self/exe");
  return (self.parent_path() / relative).lexically_normal().string();
}

double MetricValue(const std::string& page, const std::string& name) {
  const size_t at = page.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::atof(page.c_str() + at + name.size() + 2);
}

absl::StatusOr<std::unique_ptr<ReplicatedCluster>> ReplicatedCluster::Start(
    const std::string& anteroomd, const std::string& dir, int nodes) {
  std::unique_ptr<ReplicatedCluster> cluster(new ReplicatedCluster(anteroomd, dir));
  absl::StatusOr<std::unique_ptr<testing::EtcdCluster>> etcd =
      testing::EtcdCluster::Start(dir + "/etcd");
  if (!etcd.ok()) return etcd.status();
  cluster->etcd_ = *std::move(etcd);
  for (int i = 0; i < nodes; ++i) {
    cluster->nodes_.push_back(cluster->StartNode(i));
    if (cluster->nodes_.back() == nullptr) {
      return absl::UnavailableError(absl::StrCat("replicated node ", i, " did not start"));
    }
  }
  return cluster;
}

ReplicatedCluster::~ReplicatedCluster() {
  for (auto& node : nodes_) {
    if (node != nullptr) node->Terminate();
  }
  nodes_.clear();
  etcd_.reset();
}

std::unique_ptr<testing::Daemon> ReplicatedCluster::StartNode(int i) {
  auto d = testing::Daemon::Start(
      anteroomd_, absl::StrCat(dir_, "/node", i),
      {absl::StrCat("--etcd=", etcd_->endpoints()), absl::StrCat("--node_name=node", i)});
  if (!d.ok()) std::fprintf(stderr, "%s\n", std::string(d.status().message()).c_str());
  return d.ok() ? *std::move(d) : nullptr;
}

int ReplicatedCluster::Owner() {
  int owner = -1;
  testing::WaitUntil(
      [&] {
        for (size_t i = 0; i < nodes_.size(); ++i) {
          if (nodes_[i] == nullptr) continue;
          auto page = testing::HttpGet(nodes_[i]->metrics_address(), "/metrics");
          if (page.ok() && MetricValue(*page, "anteroom_replica_owner") == 1) {
            owner = static_cast<int>(i);
            return true;
          }
        }
        return false;
      },
      absl::Seconds(20));
  return owner;
}

}  // namespace anteroom::bench
