#include "tests/bench/redis_peer.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>

#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace anteroom::bench {
namespace {

// KEYS: waiting (sorted set by arrival number), arrivals (counter), active (hash: session id
// -> expiry, s). ARGV: client id, now (s), capacity, session ttl (s).
// Answers {1, 0} when admitted, {2, place} when waiting.
constexpr char kAdmitLua[] = R"lua(
local waiting, arrivals, active = KEYS[1], KEYS[2], KEYS[3]
local id, now = ARGV[1], tonumber(ARGV[2])
if redis.call('HEXISTS', active, id) == 1 then return {1, 0} end
local rank = redis.call('ZRANK', waiting, id)
if rank then return {2, rank + 1} end
if redis.call('ZCARD', waiting) == 0 and redis.call('HLEN', active) < tonumber(ARGV[3]) then
  redis.call('HSET', active, id, now + tonumber(ARGV[4]))
  return {1, 0}
end
redis.call('ZADD', waiting, 'NX', redis.call('INCR', arrivals), id)
return {2, redis.call('ZCARD', waiting)}
)lua";

// KEYS: waiting, last seen (hash). ARGV: client id, now (s). Answers the place, or -1 when
// the visitor does not wait.
constexpr char kPollLua[] = R"lua(
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if not rank then return -1 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return rank + 1
)lua";

// KEYS: active. ARGV: session id, now (s), session ttl (s). Answers the new expiry, or -1
// when the session is gone.
constexpr char kHeartbeatLua[] = R"lua(
local expires = redis.call('HGET', KEYS[1], ARGV[1])
if not expires or tonumber(expires) < tonumber(ARGV[2]) then return -1 end
local renewed = tonumber(ARGV[2]) + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], renewed)
return renewed
)lua";

constexpr int64_t kNow = 1'800'000'000;
constexpr int64_t kSessionTtl = 86'400;

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

absl::StatusOr<Context> Connect(int port) {
  Context c(redisConnect("127.0.0.1", port));
  if (c == nullptr || c->err != 0) {
    return absl::UnavailableError(absl::StrCat("cannot connect to redis-server on port ", port,
                                               ": ", c == nullptr ? "out of memory" : c->errstr));
  }
  return c;
}

// One command, waited for; its reply's string (or integer as text), or the error.
absl::StatusOr<std::string> Command(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lengths.data()));
  if (reply == nullptr) return absl::UnavailableError(c->errstr);
  std::string text = reply->type == REDIS_REPLY_INTEGER ? absl::StrCat(reply->integer)
                                                        : std::string(reply->str, reply->len);
  const bool error = reply->type == REDIS_REPLY_ERROR;
  freeReplyObject(reply);
  if (error) return absl::InternalError(absl::StrCat(argv[0], ": ", text));
  return text;
}

// Sends `commands` (each an argv) pipelined, then reads every reply.
absl::Status Pipeline(redisContext* c, const std::vector<std::vector<std::string>>& commands) {
  for (const auto& argv : commands) {
    std::vector<const char*> args;
    std::vector<size_t> lengths;
    for (const std::string& a : argv) {
      args.push_back(a.data());
      lengths.push_back(a.size());
    }
    redisAppendCommandArgv(c, static_cast<int>(args.size()), args.data(), lengths.data());
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    void* reply = nullptr;
    if (redisGetReply(c, &reply) != REDIS_OK) return absl::UnavailableError(c->errstr);
    const bool error = static_cast<redisReply*>(reply)->type == REDIS_REPLY_ERROR;
    freeReplyObject(reply);
    if (error) return absl::InternalError("a fill command failed");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisPeer>> RedisPeer::Start(const std::string& dir,
                                                            const std::string& fsync) {
  // On a port free a moment ago: one taken meanwhile makes redis-server exit, and it starts
  // again on another.
  int port = 0;
  absl::StatusOr<std::unique_ptr<testing::Process>> process =
      testing::WithFreshPorts<std::unique_ptr<testing::Process>>(
          [&]() -> absl::StatusOr<std::unique_ptr<testing::Process>> {
            port = testing::FreeLoopbackPort();
            auto started = testing::Process::Start(
                "/usr/bin/redis-server",
                {"--port", absl::StrCat(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
                 "--appendonly", "yes", "--appendfsync", fsync,
                 // no rewrite forking during a row: its CPU would go unseen
                 "--auto-aof-rewrite-percentage", "0", "--daemonize", "no", "--protected-mode",
                 "yes"},
                dir + "/redis.log");
            if (!started.ok()) return started.status();
            absl::Status answers = testing::WaitServing(
                **started, "redis-server", dir + "/redis.log",
                [&] {
                  absl::StatusOr<Context> c = Connect(port);
                  return c.ok() && Command(c->get(), {"PING"}).ok();
                },
                absl::Seconds(20));
            if (!answers.ok()) return answers;
            return started;
          });
  if (!process.ok()) return process.status();
  std::unique_ptr<RedisPeer> peer(new RedisPeer(*std::move(process), port));
  absl::StatusOr<Context> c = Connect(port);
  if (!c.ok()) return c.status();
  for (auto [script, sha] :
       {std::pair{kAdmitLua, &peer->admit_sha_}, std::pair{kPollLua, &peer->poll_sha_},
        std::pair{kHeartbeatLua, &peer->heartbeat_sha_}}) {
    absl::StatusOr<std::string> loaded = Command(c->get(), {"SCRIPT", "LOAD", script});
    if (!loaded.ok()) return loaded.status();
    *sha = *loaded;
  }
  return peer;
}

RedisPeer::~RedisPeer() {
  absl::Status stopped = process_->Stop();
  if (!stopped.ok()) std::fprintf(stderr, "redis-server: %s\n", stopped.ToString().c_str());
}

absl::Status RedisPeer::Fill(int64_t waiting, int64_t sessions) {
  absl::StatusOr<Context> c = Connect(port_);
  if (!c.ok()) return c.status();
  constexpr int64_t kPerCommand = 1000;
  std::vector<std::vector<std::string>> batch;
  auto flush = [&]() -> absl::Status {
    absl::Status s = Pipeline(c->get(), batch);
    batch.clear();
    return s;
  };
  for (int64_t first = 0; first < sessions; first += kPerCommand) {
    std::vector<std::string> argv = {"HSET", "active"};
    for (int64_t i = first; i < std::min(sessions, first + kPerCommand); ++i) {
      argv.push_back(absl::StrCat("s", i));
      argv.push_back(absl::StrCat(kNow + kSessionTtl));
    }
    batch.push_back(std::move(argv));
    if (batch.size() == 100) {
      if (absl::Status s = flush(); !s.ok()) return s;
    }
  }
  for (int64_t first = 0; first < waiting; first += kPerCommand) {
    std::vector<std::string> argv = {"ZADD", "waiting"};
    for (int64_t i = first; i < std::min(waiting, first + kPerCommand); ++i) {
      argv.push_back(absl::StrCat(i + 1));
      argv.push_back(absl::StrCat("v", i));
    }
    batch.push_back(std::move(argv));
    if (batch.size() == 100) {
      if (absl::Status s = flush(); !s.ok()) return s;
    }
  }
  batch.push_back({"SET", "arrivals", absl::StrCat(waiting)});
  if (absl::Status s = flush(); !s.ok()) return s;
  waiting_ = waiting;
  sessions_ = sessions;
  return absl::OkStatus();
}

absl::Status RedisPeer::SetFsync(const std::string& fsync) {
  absl::StatusOr<Context> c = Connect(port_);
  if (!c.ok()) return c.status();
  return Command(c->get(), {"CONFIG", "SET", "appendfsync", fsync}).status();
}

RunResult RedisPeer::Drive(Method method, int in_flight, double seconds) {
  RunResult result;
  const std::string run = absl::StrCat("n", ++runs_, "-");
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds));
  std::atomic<int64_t> next_admit{0};
  base::Mutex errors_mu;
  const SteadyTime start = std::chrono::steady_clock::now();

  // One client thread: `connections` connections, each with one call in flight, over poll().
  auto client = [&](int connections, uint64_t seed) {
    std::mt19937_64 random(seed);
    std::vector<Context> contexts;
    std::vector<SteadyTime> sent(static_cast<size_t>(connections));
    std::vector<pollfd> fds(static_cast<size_t>(connections));
    auto send = [&](size_t k) {
      redisContext* c = contexts[k].get();
      const std::string now = absl::StrCat(kNow);
      switch (method) {
        case Method::kAdmit: {
          const std::string id = absl::StrCat(run, next_admit.fetch_add(1));
          redisAppendCommand(c, "EVALSHA %s 3 waiting arrivals active %s %s %lld %lld",
                             admit_sha_.c_str(), id.c_str(), now.c_str(),
                             static_cast<long long>(sessions_),
                             static_cast<long long>(kSessionTtl));
          break;
        }
        case Method::kPoll: {
          const std::string id = absl::StrCat("v", random() % static_cast<uint64_t>(waiting_));
          redisAppendCommand(c, "EVALSHA %s 2 waiting seen %s %s", poll_sha_.c_str(), id.c_str(),
                             now.c_str());
          break;
        }
        default: {
          const std::string id = absl::StrCat("s", random() % static_cast<uint64_t>(sessions_));
          redisAppendCommand(c, "EVALSHA %s 1 active %s %s %lld", heartbeat_sha_.c_str(),
                             id.c_str(), now.c_str(), static_cast<long long>(kSessionTtl));
          break;
        }
      }
      sent[k] = std::chrono::steady_clock::now();
      int done = 0;
      while (!done && redisBufferWrite(c, &done) == REDIS_OK) {
      }
      fds[k].events = done ? POLLIN : POLLIN | POLLOUT;
    };
    for (int k = 0; k < connections; ++k) {
      absl::StatusOr<Context> c = Connect(port_);
      if (!c.ok()) {
        base::MutexLock lock(&errors_mu);
        ++result.errors["CONNECT"];
        return;
      }
      fcntl((*c)->fd, F_SETFL, fcntl((*c)->fd, F_GETFL) | O_NONBLOCK);
      (*c)->flags &= ~REDIS_BLOCK;
      fds[static_cast<size_t>(k)].fd = (*c)->fd;
      contexts.push_back(*std::move(c));
    }
    for (size_t k = 0; k < contexts.size(); ++k) send(k);
    size_t open = contexts.size();
    // Calls still unanswered 10 s after the end count as DEADLINE_EXCEEDED, as gRPC's would.
    const auto give_up = deadline + std::chrono::seconds(10);
    while (open > 0) {
      if (std::chrono::steady_clock::now() > give_up) {
        base::MutexLock lock(&errors_mu);
        result.errors["DEADLINE_EXCEEDED"] += static_cast<int64_t>(open);
        break;
      }
      if (::poll(fds.data(), fds.size(), 1000) < 0) break;
      for (size_t k = 0; k < fds.size(); ++k) {
        if (fds[k].fd < 0 || fds[k].revents == 0) continue;
        redisContext* c = contexts[k].get();
        if (fds[k].revents & POLLOUT) {
          int done = 0;
          redisBufferWrite(c, &done);
          if (done) fds[k].events = POLLIN;
        }
        if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        void* reply = nullptr;
        if (redisBufferRead(c) != REDIS_OK || redisGetReply(c, &reply) != REDIS_OK) {
          base::MutexLock lock(&errors_mu);
          ++result.errors["CONNECTION_LOST"];
          fds[k].fd = -1;
          --open;
          continue;
        }
        if (reply == nullptr) continue;  // not all of it yet
        const SteadyTime now = std::chrono::steady_clock::now();
        const auto* r = static_cast<redisReply*>(reply);
        const bool failed =
            r->type == REDIS_REPLY_ERROR || (r->type == REDIS_REPLY_INTEGER && r->integer < 0);
        freeReplyObject(reply);
        if (failed) {
          base::MutexLock lock(&errors_mu);
          ++result.errors["REDIS_ERROR"];
        } else {
          result.latency->Add(std::chrono::duration<double, std::micro>(now - sent[k]).count());
        }
        if (now < deadline) {
          send(k);
        } else {
          fds[k].fd = -1;
          --open;
        }
      }
    }
  };
  const int first = in_flight / 2;
  std::thread other(client, in_flight - first, 2);
  client(first, 1);
  other.join();
  result.seconds = SecondsSince(start);
  return result;
}

}  // namespace anteroom::bench
