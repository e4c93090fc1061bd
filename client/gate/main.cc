// anteroom-gate: the HTTP side of a gateway for nginx's auth_request (see deploy/nginx/).
// Reads flags, connects to the Anteroom servers, serves /check, /wait, /leave and metrics.

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/log.h"
#include "base/program.h"
#include "client/anteroom_client.h"
#include "client/channel.h"
#include "client/gate/gate.h"
#include "client/gate/gate_metrics.h"
#include "client/gate/http_server.h"
#include "client/gate/preview.h"
#include "prometheus/exposer.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:8090", "HTTP address for nginx (host:port).");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9465",
          "Prometheus /metrics address; empty to disable.");
ABSL_FLAG(std::string, anteroom, "127.0.0.1:50051",
          "Anteroom gateway listeners, comma-separated host:port; rooms are spread over them "
          "by consistent hashing. The nodes of a replicated cluster (anteroomd --etcd) are one "
          "entry joined by '|' (a:50051|b:50051|c:50051): calls follow the owner.");
ABSL_FLAG(std::string, room, "", "Room for requests without an X-Anteroom-Room header.");
ABSL_FLAG(std::string, site_name, "This site", "The site's name on the waiting page.");
ABSL_FLAG(std::string, template, "",
          "HTML template file for the waiting page (default: the built-in page).");
ABSL_FLAG(std::string, routes, "",
          "Routes file (text-format anteroom.gate.v1.Routes): host and path prefix to room, "
          "each with its page, language, time zone... Checked at start; re-read on SIGHUP, "
          "and kept as it was when the new file has an error. Default: one route, from "
          "--room and the flags below.");
ABSL_FLAG(std::string, messages_dir, "",
          "Directory of message catalogs (<language>.textproto) that override the built-in "
          "texts or add languages; re-read on SIGHUP.");
ABSL_FLAG(std::string, default_language, "en",
          "Language of the page when the browser asks for none the gate speaks (a route's "
          "default_language overrides it).");
ABSL_FLAG(std::string, time_zone, "UTC",
          "IANA time zone the event's opening time is shown in (a route's time_zone "
          "overrides it).");
ABSL_FLAG(int, queued_status, 200,
          "HTTP status of the page while a visitor waits in line: 200, 202 or 429.");
ABSL_FLAG(std::string, preview, "",
          "Render pages with sample figures and exit, without Anteroom: ROOM/STATE/LANGUAGE, "
          "each part a name or *, or \"all\". One page goes to stdout; several need "
          "--preview_out.");
ABSL_FLAG(std::string, preview_out, "",
          "Directory --preview writes its pages to, as ROOM-STATE-LANGUAGE.html.");
ABSL_FLAG(std::string, failure_mode, "closed",
          "When Anteroom cannot be reached: \"closed\" shows \"temporarily unavailable\"; "
          "\"open\" lets visitors through unchecked.");
ABSL_FLAG(absl::Duration, session_check_interval, absl::Seconds(10),
          "A session found valid is let through without a call for this long; a busy "
          "visitor's is renewed in the background after 3/4 of it (one Heartbeat, never on "
          "a request's path). Shorter than the room's session TTL.");
ABSL_FLAG(absl::Duration, attempt_timeout, absl::Milliseconds(300), "Deadline of one call.");
ABSL_FLAG(absl::Duration, call_timeout, absl::Seconds(1), "Deadline of a call with retries.");
ABSL_FLAG(int, max_attempts, 3, "Attempts per call (retried on UNAVAILABLE/DEADLINE_EXCEEDED).");
ABSL_FLAG(std::string, cookie_same_site, "Lax", "SameSite of the cookie: Lax, Strict or None.");
ABSL_FLAG(std::string, cookie_secure, "auto",
          "Secure cookie: auto (when X-Forwarded-Proto is https), always or never.");
ABSL_FLAG(absl::Duration, min_refresh, absl::Seconds(2), "Shortest page reload interval.");
ABSL_FLAG(absl::Duration, max_refresh, absl::Seconds(20), "Longest page reload interval.");
ABSL_FLAG(absl::Duration, retry_after, absl::Seconds(30),
          "Retry-After of the \"queue full\" and \"unavailable\" pages.");
ABSL_FLAG(bool, cookie_check, true,
          "Give a newcomer a signed visitor id to bring back before placing them, so a client "
          "that keeps no cookie, or fires many requests first, holds one place at most.");
ABSL_FLAG(std::string, key_file, "",
          "Keys (one per line, 32+ characters; the first signs, all verify) for the visitor "
          "ids this gate signs. Gates in front of one site must share them. Default: a random "
          "key per gate process.");
ABSL_FLAG(int, source_prefix_v4, 24,
          "Visitors' sources (for rooms' per-source limits) are their networks: this many "
          "leading bits of an IPv4 address.");
ABSL_FLAG(int, source_prefix_v6, 56, "The same for IPv6 addresses.");
ABSL_FLAG(int, threads, 0,
          "Threads that serve HTTP (read, decide, write); 0: one per core. Connections, idle or "
          "waiting for Anteroom's answer, hold none: calls to Anteroom are asynchronous.");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA bundle to verify Anteroom's certificate; set to talk TLS to Anteroom.");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate (Anteroom's --gateway_client_ca).");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, ports_file, "", "If set, the bound addresses are written here.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");

namespace anteroom {
namespace {

int Fail(const absl::Status& status) {
  ANTEROOM_LOG(kError, "anteroom-gate: %s", status.ToString());
  return 1;
}

// The languages and the routes, as the flags name them.
struct Loaded {
  std::shared_ptr<const gate::Catalogs> catalogs;
  std::shared_ptr<const gate::RouteTable> routes;
};

absl::StatusOr<Loaded> LoadConfig(const gate::GateOptions& options) {
  Loaded loaded;
  auto catalogs = gate::Catalogs::Load(absl::GetFlag(FLAGS_messages_dir));
  if (!catalogs.ok()) return catalogs.status();
  loaded.catalogs = *std::move(catalogs);
  const std::string path = absl::GetFlag(FLAGS_routes);
  auto routes =
      path.empty() ? gate::RouteTable::Single(gate::RouteDefaultsOf(options), options.default_room,
                                              *loaded.catalogs)
                   : gate::RouteTable::Load(path, gate::RouteDefaultsOf(options), *loaded.catalogs);
  if (!routes.ok()) {
    return absl::Status(routes.status().code(),
                        absl::StrCat(path.empty() ? "--" : "--routes ", routes.status().message()));
  }
  loaded.routes = *std::move(routes);
  return loaded;
}

int Preview(const Loaded& loaded) {
  auto pages = gate::RenderPreviews(absl::GetFlag(FLAGS_preview), *loaded.routes, *loaded.catalogs,
                                    absl::Now());
  if (!pages.ok()) return Fail(pages.status());
  const std::string dir = absl::GetFlag(FLAGS_preview_out);
  if (dir.empty()) {
    if (pages->size() != 1) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
          "--preview gives ", pages->size(), " pages: name a directory with --preview_out")));
    }
    std::fwrite(pages->front().html.data(), 1, pages->front().html.size(), stdout);
    return 0;
  }
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  for (const gate::PreviewPage& page : *pages) {
    const std::string path = (std::filesystem::path(dir) / page.name).string();
    if (absl::Status s = base::WriteFileAtomically(path, page.html); !s.ok()) return Fail(s);
  }
  ANTEROOM_LOG(kInfo, "anteroom-gate: wrote %d pages to %s", static_cast<int>(pages->size()), dir);
  return 0;
}

int Run() {
  const sigset_t signals = base::BlockStopSignals(/*and_reload=*/true);
  if (absl::Status s = base::SetLogLevelByName(absl::GetFlag(FLAGS_log_level)); !s.ok())
    return Fail(s);
  signal(SIGPIPE, SIG_IGN);

  client::ClientOptions client_options;
  for (absl::string_view s : absl::StrSplit(absl::GetFlag(FLAGS_anteroom), ',', absl::SkipEmpty()))
    client_options.servers.emplace_back(s);
  auto failure_mode = client::ParseFailureMode(absl::GetFlag(FLAGS_failure_mode));
  if (!failure_mode.ok()) return Fail(failure_mode.status());
  client_options.failure_mode = *failure_mode;
  client_options.session_check_interval = absl::GetFlag(FLAGS_session_check_interval);
  client_options.attempt_timeout = absl::GetFlag(FLAGS_attempt_timeout);
  client_options.call_timeout = absl::GetFlag(FLAGS_call_timeout);
  client_options.max_attempts = absl::GetFlag(FLAGS_max_attempts);
  auto credentials = client::CredentialsFromFiles(
      absl::GetFlag(FLAGS_tls_ca), absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key));
  if (!credentials.ok()) return Fail(credentials.status());
  client_options.credentials = *credentials;
  auto client = client::Client::Create(client_options);
  if (!client.ok()) return Fail(client.status());

  gate::GateOptions gate_options;
  gate_options.default_room = absl::GetFlag(FLAGS_room);
  gate_options.site_name = absl::GetFlag(FLAGS_site_name);
  gate_options.cookie_same_site = absl::GetFlag(FLAGS_cookie_same_site);
  gate_options.cookie_secure = absl::GetFlag(FLAGS_cookie_secure);
  gate_options.min_refresh = absl::GetFlag(FLAGS_min_refresh);
  gate_options.max_refresh = absl::GetFlag(FLAGS_max_refresh);
  gate_options.retry_after = absl::GetFlag(FLAGS_retry_after);
  gate_options.cookie_check = absl::GetFlag(FLAGS_cookie_check);
  gate_options.source_prefix_v4 = absl::GetFlag(FLAGS_source_prefix_v4);
  gate_options.source_prefix_v6 = absl::GetFlag(FLAGS_source_prefix_v6);
  if (const std::string path = absl::GetFlag(FLAGS_key_file); !path.empty()) {
    auto signer = wire::Signer::FromFile("key_file", path);
    if (!signer.ok()) return Fail(signer.status());
    gate_options.signer = std::make_shared<const wire::Signer>(*std::move(signer));
  }
  if (!absl::GetFlag(FLAGS_template).empty()) {
    auto text = base::ReadFlagFile("template", absl::GetFlag(FLAGS_template));
    if (!text.ok()) return Fail(text.status());
    auto page = gate::PageTemplate::Parse(*text);
    if (!page.ok()) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
          "--template ", absl::GetFlag(FLAGS_template), ": ", page.status().message())));
    }
    gate_options.page = std::make_shared<const gate::PageTemplate>(*std::move(page));
  }
  gate_options.default_language = absl::GetFlag(FLAGS_default_language);
  gate_options.time_zone = absl::GetFlag(FLAGS_time_zone);
  gate_options.queued_status = absl::GetFlag(FLAGS_queued_status);
  auto loaded = LoadConfig(gate_options);
  if (!loaded.ok()) return Fail(loaded.status());
  gate_options.catalogs = loaded->catalogs;
  gate_options.routes = loaded->routes;
  if (absl::Status s = gate::ValidateGateOptions(gate_options); !s.ok()) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("--", s.message())));
  }
  if (!absl::GetFlag(FLAGS_preview).empty()) return Preview(*loaded);

  auto registry = std::make_shared<prometheus::Registry>();
  base::RealClock clock;
  base::SecureRandom random;
  gate::Gate gate(gate_options, client->get(), &clock, &random, registry.get());

  std::unique_ptr<prometheus::Exposer> exposer;
  std::string metrics_address;
  const std::string metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  if (!metrics_listen.empty()) {
    try {
      exposer = std::make_unique<prometheus::Exposer>(metrics_listen);
    } catch (const std::exception& e) {
      return Fail(absl::UnavailableError(absl::StrCat("cannot serve metrics on ", metrics_listen,
                                                      " (address in use?): ", e.what())));
    }
    exposer->RegisterCollectable(registry);
    exposer->RegisterCollectable(
        std::make_shared<gate::ClientStatsCollector>([c = client->get()] { return c->stats(); }));
    metrics_address =
        absl::StrCat(base::HostOf(metrics_listen), ":", exposer->GetListeningPorts().front());
  }

  const std::string listen = absl::GetFlag(FLAGS_listen);
  gate::HttpServerOptions http_options;
  http_options.listen = listen;
  http_options.threads = absl::GetFlag(FLAGS_threads);
  if (http_options.threads < 0)
    return Fail(absl::InvalidArgumentError("--threads must not be negative"));
  if (http_options.threads == 0)
    http_options.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  auto http = gate::HttpServer::Start(
      http_options, [&gate](gate::HttpRequest request, gate::HttpServer::Respond respond) {
        gate.Handle(std::move(request), std::move(respond));
      });
  if (!http.ok()) return Fail(http.status());
  const std::string address = absl::StrCat(base::HostOf(listen), ":", (*http)->port());
  // Where each request's room comes from.
  const std::string routes_file = absl::GetFlag(FLAGS_routes);
  const std::string rooms =
      !routes_file.empty()                 ? absl::StrCat("rooms from the routes in ", routes_file)
      : !gate_options.default_room.empty() ? absl::StrCat("room ", gate_options.default_room)
                                           : std::string("room from X-Anteroom-Room");
  ANTEROOM_LOG(kInfo, "anteroom-gate serving http://%s (%s, Anteroom %s, fail %s)%s%s", address,
               rooms, absl::GetFlag(FLAGS_anteroom), absl::GetFlag(FLAGS_failure_mode),
               metrics_address.empty() ? "" : ", metrics http://",
               metrics_address.empty() ? "" : metrics_address + "/metrics");
  if (const std::string path = absl::GetFlag(FLAGS_ports_file); !path.empty()) {
    absl::Status s = base::WriteFileAtomically(
        path, absl::StrCat("http=", address, "\nmetrics=", metrics_address, "\n"));
    if (!s.ok()) return Fail(s);
  }

  ANTEROOM_LOG(kInfo, "anteroom-gate: %d route(s)%s, %d languages",
               static_cast<int>(loaded->routes->routes().size()),
               absl::GetFlag(FLAGS_routes).empty() ? "" : " from " + absl::GetFlag(FLAGS_routes),
               static_cast<int>(loaded->catalogs->Tags().size()));
  int signal_number = 0;
  while ((signal_number = base::WaitForSignal(signals)) == SIGHUP) {
    // Re-read the catalogs and routes; a file with an error changes nothing.
    auto reloaded = LoadConfig(gate_options);
    if (!reloaded.ok()) {
      ANTEROOM_LOG(kError, "anteroom-gate: SIGHUP: kept the running routes and languages: %s",
                   reloaded.status().message());
      continue;
    }
    gate.Reload(reloaded->catalogs, reloaded->routes);
    ANTEROOM_LOG(kInfo, "anteroom-gate: SIGHUP: reloaded %d route(s), %d languages",
                 static_cast<int>(reloaded->routes->routes().size()),
                 static_cast<int>(reloaded->catalogs->Tags().size()));
  }
  ANTEROOM_LOG(kInfo, "anteroom-gate: received %s, stopping", strsignal(signal_number));
  (*http)->Stop();
  return 0;
}

}  // namespace
}  // namespace anteroom

int main(int argc, char** argv) {
  anteroom::base::PromptGrpcReconnects();  // before anything starts gRPC
  anteroom::base::SkipLockOrderChecksInRelease();
  anteroom::base::SetProgramUsage(
      "Anteroom's HTTP gate for nginx auth_request.\nUsage: anteroom-gate [--listen=ADDR] "
      "[--anteroom=HOST:PORT,...] [--room=ROOM] [--failure_mode=closed|open] [--template=FILE]",
      __FILE__);
  absl::ParseCommandLine(argc, argv);
  const int code = anteroom::Run();
  // Nothing holds state: skip tearing down the metrics HTTP server and the gRPC runtime,
  // which takes seconds and would only delay a restart.
  std::fflush(nullptr);
  std::_Exit(code);
}
