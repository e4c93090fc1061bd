#include "tests/testing/daemon.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace anteroom::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

// Starts `binary`; with `own_group`, in a new process group led by it.
pid_t Spawn(const std::string& binary, const std::vector<std::string>& args,
            const std::string& stderr_path, int uid = -1, bool own_group = false) {
  std::vector<std::string> argv_storage = {binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string cannot_run = absl::StrCat("cannot run ", binary, ": ");
  const pid_t pid = fork();
  // Also in the parent, so the group exists before anyone signals it.
  if (pid > 0 && own_group) setpgid(pid, pid);
  if (pid == 0) {
    if (own_group) setpgid(0, 0);
    const int fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, STDERR_FILENO);
      dup2(fd, STDOUT_FILENO);
    }
    if (uid >= 0 &&
        (setgid(static_cast<gid_t>(uid)) != 0 || setuid(static_cast<uid_t>(uid)) != 0)) {
      _exit(126);
    }
    execv(binary.c_str(), argv.data());
    // No allocation between fork and exec: another thread may have held the heap's lock.
    const char* why = std::strerror(errno);
    (void)!write(STDERR_FILENO, cannot_run.data(), cannot_run.size());
    (void)!write(STDERR_FILENO, why, std::strlen(why));
    (void)!write(STDERR_FILENO, "\n", 1);
    _exit(127);
  }
  return pid;
}

// Waits for `pid` to exit, up to `timeout`; returns its exit code, or -1 (signal/timeout).
int WaitExit(pid_t pid, absl::Duration timeout, bool* exited) {
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (true) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      *exited = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (r < 0 || absl::Now() > deadline) {
      *exited = r < 0;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

std::string MakeTempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(base ? base : "/tmp", "/", prefix, "-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(const std::string& binary,
                                                      const std::string& data_dir,
                                                      std::vector<std::string> extra_args,
                                                      absl::Duration timeout) {
  std::string dir = MakeTempDir("anteroomd-run");
  const std::string ports_file = dir + "/ports";
  std::vector<std::string> args = {"--listen=127.0.0.1:0",
                                   "--admin_listen=127.0.0.1:0",
                                   "--metrics_listen=127.0.0.1:0",
                                   absl::StrCat("--data_dir=", data_dir),
                                   "--create_data_dir",
                                   absl::StrCat("--ports_file=", ports_file)};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const pid_t pid = Spawn(binary, args, dir + "/stderr");
  if (pid < 0) return absl::InternalError("fork failed");
  std::unique_ptr<Daemon> daemon(new Daemon(pid, dir));

  // Wait for the condition "ports file written" with a deadline, failing early if the
  // daemon exits.
  const absl::Time deadline = absl::Now() + timeout;
  while (access(ports_file.c_str(), R_OK) != 0) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      daemon->pid_ = -1;
      return absl::UnavailableError(
          absl::StrCat("anteroomd exited during start-up:\n", daemon->Stderr()));
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("anteroomd did not start in time:\n", daemon->Stderr()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  daemon->gateway_ = PortsFileValue(ports_file, "gateway");
  daemon->admin_ = PortsFileValue(ports_file, "admin");
  daemon->metrics_ = PortsFileValue(ports_file, "metrics");
  return daemon;
}

Daemon::~Daemon() {
  Kill9();
  // The run directory holds only the ports file and the log.
  (void)std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
}

void Daemon::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

int Daemon::Terminate(absl::Duration timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  bool exited = false;
  const int code = WaitExit(pid_, timeout, &exited);
  if (exited) pid_ = -1;
  return code;
}

std::string Daemon::Stderr() const { return ReadFile(dir_ + "/stderr"); }

absl::StatusOr<std::unique_ptr<Process>> Process::Start(const std::string& binary,
                                                        const std::vector<std::string>& args,
                                                        const std::string& log_path,
                                                        int stop_signal) {
  if (access(binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(binary, " is not installed (run .ci/install-deps)"));
  }
  const pid_t pid = Spawn(binary, args, log_path, /*uid=*/-1, /*own_group=*/true);
  if (pid < 0) return absl::InternalError("fork failed");
  return std::unique_ptr<Process>(new Process(pid, binary, stop_signal));
}

Process::~Process() {
  if (stopped_) return;
  if (absl::Status s = Stop(); !s.ok()) ADD_FAILURE() << s;
}

bool Process::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == 0) return true;
  pid_ = -1;
  return false;
}

absl::Status Process::Stop(absl::Duration timeout) {
  stopped_ = true;
  absl::Status result;
  if (pid_ > 0) {  // not reaped yet: the pid is still ours to signal
    kill(pid_, stop_signal_);
    bool exited = false;
    WaitExit(pid_, timeout, &exited);
    if (!exited) {
      result = absl::DeadlineExceededError(absl::StrCat(binary_, " did not stop within ",
                                                        absl::FormatDuration(timeout),
                                                        " of signal ", stop_signal_, "; killed"));
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  // What the program started is in its group; reparented orphans may take a moment to be
  // reaped after it exits.
  const bool group_gone =
      WaitUntil([&] { return kill(-group_, 0) != 0 && errno == ESRCH; }, absl::Seconds(5));
  if (!group_gone) {
    kill(-group_, SIGKILL);
    if (result.ok()) {
      result = absl::InternalError(absl::StrCat("processes started by ", binary_,
                                                " outlived it (killed now): it was not stopped "
                                                "the way it expects"));
    }
  }
  return result;
}

absl::Status WaitServing(Process& process, const std::string& what, const std::string& log_path,
                         const std::function<bool()>& serving, absl::Duration timeout) {
  bool exited = false;
  const bool up = WaitUntil(
      [&] {
        exited = !process.Running();
        return exited || serving();
      },
      timeout);
  if (exited) {
    (void)process.Stop();  // reaps it, and anything it started
    return absl::UnavailableError(
        absl::StrCat(what, " exited during start-up: ", ReadFile(log_path).substr(0, 2000)));
  }
  if (!up) {
    return absl::DeadlineExceededError(
        absl::StrCat(what, " did not start in time: ", ReadFile(log_path).substr(0, 2000)));
  }
  return absl::OkStatus();
}

std::string PortsFileValue(const std::string& path, const std::string& key) {
  for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (kv.first == key) return kv.second;
  }
  return "";
}

namespace {

// Binds `port` on 127.0.0.1 (0: any) and returns the port bound, or 0.
int BindLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof(addr);
  int bound = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    bound = ntohs(addr.sin_port);
  }
  close(fd);
  return bound;
}

}  // namespace

int FreeLoopbackPort() {
  int ephemeral_low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  constexpr int kLowest = 10000;
  if (ephemeral_low - kLowest >= 1000) {
    static std::mutex mu;
    static std::mt19937 draw(std::random_device{}());
    std::lock_guard<std::mutex> lock(mu);
    std::uniform_int_distribution<int> below(kLowest, ephemeral_low - 1);
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (const int port = BindLoopback(below(draw)); port != 0) return port;
    }
  }
  return BindLoopback(0);  // no room below the range: any port the kernel picks
}

ExitResult RunToExit(const std::string& binary, const std::vector<std::string>& args,
                     absl::Duration timeout, int uid) {
  const std::string dir = MakeTempDir("anteroom-exit");
  chmod(dir.c_str(), 0777);  // writable by `uid`
  // Another user may not reach the binary where it was built (a checkout under a private
  // home or temporary directory): that user runs a copy from `dir`.
  std::string run = binary;
  if (uid >= 0) {
    run = dir + "/" + std::filesystem::path(binary).filename().string();
    std::error_code error;
    std::filesystem::copy_file(binary, run, error);
    if (error || chmod(run.c_str(), 0755) != 0) {
      return ExitResult{-1, absl::StrCat("cannot copy ", binary, ": ", error.message())};
    }
  }
  const pid_t pid = Spawn(run, args, dir + "/stderr", uid);
  ExitResult result;
  bool exited = false;
  result.exit_code = WaitExit(pid, timeout, &exited);
  if (!exited) {
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
  }
  result.stderr_text = ReadFile(dir + "/stderr");
  (void)std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
  return result;
}

int64_t ProcessRssBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return 0;
}

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace anteroom::testing
