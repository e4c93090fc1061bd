#include "tests/testing/nginx_stack.h"

#include <signal.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "tests/testing/http_get.h"

namespace anteroom::testing {
namespace fs = std::filesystem;

absl::StatusOr<std::unique_ptr<NginxStack>> NginxStack::Start(const Options& options) {
  // nginx listens on ports that were free a moment ago: when one was taken meanwhile, nginx
  // exits, and the stack starts again on fresh ones.
  return WithFreshPorts<std::unique_ptr<NginxStack>>([&] { return StartOnce(options); });
}

absl::StatusOr<std::unique_ptr<NginxStack>> NginxStack::StartOnce(const Options& options) {
  constexpr char kNginx[] = "/usr/sbin/nginx";
  if (!fs::exists(kNginx)) return absl::NotFoundError("nginx is missing: run .ci/install-deps");
  std::unique_ptr<NginxStack> stack(new NginxStack());
  stack->dir_ = MakeTempDir("anteroom-nginx");
  const std::string& dir = stack->dir_;
  // nginx's workers run as another user: they must reach the site and the run directory.
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);

  std::ofstream(dir + "/rooms.textproto") << options.rooms;
  auto daemon =
      Daemon::Start(options.anteroomd, dir + "/data", {"--rooms=" + dir + "/rooms.textproto"});
  if (!daemon.ok()) return daemon.status();
  stack->daemon_ = *std::move(daemon);
  stack->anteroomd_ = options.anteroomd;

  const std::string gate_ports = dir + "/gate.ports";
  std::vector<std::string> gate_args = {
      "--anteroom=" + stack->daemon_->gateway_address(), "--room=" + options.room,
      "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0", "--ports_file=" + gate_ports};
  gate_args.insert(gate_args.end(), options.gate_args.begin(), options.gate_args.end());
  auto gate = Process::Start(options.gate, gate_args, dir + "/gate.log");
  if (!gate.ok()) return gate.status();
  stack->gate_ = *std::move(gate);
  if (absl::Status s = WaitServing(
          *stack->gate_, "anteroom-gate", dir + "/gate.log", [&] { return fs::exists(gate_ports); },
          absl::Seconds(30));
      !s.ok()) {
    return s;
  }
  const std::string gate_http = PortsFileValue(gate_ports, "http");

  stack->port_ = FreeLoopbackPort();
  stack->site_ = absl::StrCat("127.0.0.1:", stack->port_);
  const int origin_port = FreeLoopbackPort();
  fs::copy(options.source_dir + "/deploy/nginx/demo-site", dir + "/site",
           fs::copy_options::recursive);
  std::ofstream(dir + "/nginx.conf")
      << absl::StrReplaceAll(ReadFile(options.source_dir + "/deploy/nginx/demo.conf.in"),
                             {{"@RUN_DIR@", dir},
                              {"@CONF_DIR@", options.source_dir + "/deploy/nginx"},
                              {"@SITE_DIR@", dir + "/site"},
                              {"@GATE_PORT@", gate_http.substr(gate_http.rfind(':') + 1)},
                              {"@ORIGIN_PORT@", absl::StrCat(origin_port)},
                              {"@PORT@", absl::StrCat(stack->port_)},
                              {"@ROOM@", options.room}});
  // nginx stops gracefully, with its workers, on SIGQUIT.
  auto nginx =
      Process::Start(kNginx, {"-p", dir, "-c", dir + "/nginx.conf"}, dir + "/nginx.log", SIGQUIT);
  if (!nginx.ok()) return nginx.status();
  stack->nginx_ = *std::move(nginx);
  const std::string origin = absl::StrCat("127.0.0.1:", origin_port);
  if (absl::Status s = WaitServing(
          *stack->nginx_, "nginx", dir + "/nginx-error.log",
          [&] {
            // Answered by this nginx (the demo site's page), not by whoever holds a port.
            auto page = HttpFetch(origin, "GET", "/");
            return page.ok() && absl::StrContains(page->body, "Demo Health Service") &&
                   HttpFetch(stack->site_, "GET", "/favicon.ico").ok();
          },
          absl::Seconds(30));
      !s.ok()) {
    return s;
  }
  return stack;
}

NginxStack::~NginxStack() {
  if (!stopped_) {
    if (absl::Status s = Stop(); !s.ok()) ADD_FAILURE() << s;
  }
}

void NginxStack::KillAnteroomd() { daemon_->Kill9(); }

absl::Status NginxStack::RestartAnteroomd() {
  auto daemon = Daemon::Start(
      anteroomd_, dir_ + "/data",
      {"--rooms=" + dir_ + "/rooms.textproto", "--listen=" + daemon_->gateway_address(),
       "--admin_listen=" + daemon_->admin_address()});
  if (!daemon.ok()) return daemon.status();
  daemon_ = *std::move(daemon);
  return absl::OkStatus();
}

std::string NginxStack::Logs() const {
  std::string logs;
  for (const char* log : {"/gate.log", "/nginx.log", "/nginx-error.log"})
    absl::StrAppend(&logs, "---- ", log, "\n", ReadFile(dir_ + log).substr(0, 4000), "\n");
  return logs;
}

absl::Status NginxStack::Stop(bool keep) {
  stopped_ = true;
  absl::Status result;
  for (auto* process : {&nginx_, &gate_}) {
    if (*process == nullptr) continue;
    if (absl::Status s = (*process)->Stop(); !s.ok() && result.ok()) result = s;
  }
  if (daemon_ != nullptr && daemon_->Terminate() != 0 && result.ok()) {
    result = absl::InternalError("anteroomd did not stop cleanly on SIGTERM");
  }
  daemon_.reset();
  if (!keep) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  return result;
}

}  // namespace anteroom::testing
