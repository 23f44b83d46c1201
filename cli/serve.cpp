// `herald serve`: the composition root of the daemon. Reads the config, opens the
// store, loads the policies, builds the connectors, the Service, the Runtime,
// the readers, the event dispatcher and the HTTP server, and runs the
// io_context until stopped. The roles around them are in cli/daemon_roles.h,
// the process's own setup (clock, logging) in cli/daemon_setup.h.
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "api/http_server.h"
#include "cli/commands.h"
#include "cli/daemon_roles.h"
#include "cli/daemon_setup.h"
#include "cli/oauth_setup.h"
#include "cli/policy_files.h"
#include "cli/secret_source.h"
#include "connectors/connector.h"
#include "policies/server_config.h"
#include "scheduler/runtime/engagement_reader.h"
#include "scheduler/runtime/event_dispatcher.h"
#include "scheduler/runtime/inbox_reader.h"
#include "scheduler/runtime/runtime.h"
#include "scheduler/runtime/service.h"
#include "secrets/grant_vault.h"
#include "storage/store.h"

namespace herald::cli {
namespace {

using namespace std::chrono;

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string SqlitePath(const std::string& url) { return url.starts_with("sqlite:") ? url.substr(7) : std::string(); }

}  // namespace

int RunServe(const ServeOptions& options, std::ostream& out, std::ostream& err) {
  auto text = ReadFile(options.config);
  if (!text) {
    err << "herald serve: cannot read config file " << options.config << "\n";
    return kExitUsage;
  }
  auto config = policies::LoadServerConfig(*text, options.config);
  if (!config) {
    for (const auto& e : config.error()) err << e.ToString() << "\n";
    return kExitInvalid;
  }
  if (options.listen) {
    auto colon = options.listen->rfind(':');
    if (colon == std::string::npos) {
      err << "herald serve: --listen wants HOST:PORT\n";
      return kExitUsage;
    }
    config->host = options.listen->substr(0, colon);
    config->port = std::stoi(options.listen->substr(colon + 1));
  }
  if (options.storage) config->storage = *options.storage;
  if (options.outbox) config->outbox = *options.outbox;
  SetUpLogging(*config);

  // The address first: a second daemon on an address in use stops here,
  // before it opens the database or the outbox.
  const std::string listen =
      (config->host.find(':') != std::string::npos ? "[" + config->host + "]" : config->host) + ":" +
      std::to_string(config->port);
  RaiseOpenFileLimit();
  auto socket = api::Listen(listen);
  if (!socket) {
    err << "herald serve: " << socket.error().message() << "\n";
    return kExitInvalid;
  }

  if (auto path = SqlitePath(config->storage); !path.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  }
  auto store = storage::OpenStore(config->storage);
  if (!store) {
    err << "herald serve: storage " << config->storage << ": " << store.error().message() << "\n";
    return kExitInvalid;
  }
  // Grants sealed under an old key are re-sealed under the current one at every
  // start, so dropping an old key from the config needs no separate step once
  // the daemons have restarted (herald token-keys rotate does it without one).
  SystemClock clock;
  std::unique_ptr<secrets::GrantVault> vault;
  std::unique_ptr<OAuthSetup> oauth;
  if (config->token_keys) {
    auto ring = LoadKeyRing(*config->token_keys);
    if (!ring) {
      err << "herald serve: token_keys: " << ring.error().message() << "\n";
      return kExitInvalid;
    }
    vault = std::make_unique<secrets::GrantVault>(**store, std::move(*ring));
    auto rotation = vault->Rotate(clock.Now());
    if (!rotation) {
      err << "herald serve: re-sealing stored grants failed: " << rotation.error().ToString() << "\n";
      return kExitInvalid;
    }
    for (const Status& failure : rotation->failed) spdlog::error("token_keys: {}", failure.message());
    if (rotation->resealed > 0) {
      spdlog::info("token_keys: re-sealed {} stored grants under key {}", rotation->resealed,
                   vault->keys().current_id());
    }
    if (!config->oauth.empty()) {
      auto made = OAuthSetup::Make(*config, *vault, clock);
      if (!made) {
        err << "herald serve: " << made.error().message() << "\n";
        return kExitInvalid;
      }
      oauth = std::move(*made);
    }
  }
  std::string tokens_signature = FileSignature(config->tokens);
  auto tokens = api::TokenSet::Load(config->tokens);
  if (!tokens) {
    err << "herald serve: " << tokens.error().ToString() << "\n";
    return kExitInvalid;
  }

  std::string signature = DirectorySignature(config->policies);
  auto loaded = LoadPolicyDirectory(config->policies, *config);
  for (const auto& [file, errors] : loaded.errors)
    for (const auto& e : errors) spdlog::error("policy: {}", e);
  std::map<std::string, std::string> org_of_file;
  for (const auto& p : loaded.valid) org_of_file[p.source] = p.organization;

  boost::asio::io_context io;
  connectors::ConnectorContext connector_context;
  connector_context.outbox_dir = config->outbox;
  connector_context.resolve_secret = ResolveSecret;
  connector_context.http.media_allow = config->media_allow;
  // Every connector's requests share one set of kept-open connections, so
  // many accounts on one host (webhooks to one receiver) reuse them.
  connector_context.http.connections = std::make_shared<connectors::HttpConnections>();
  ConnectorSet connectors(connectors::ConnectorRegistry::Builtin(), connector_context, oauth.get());
  connectors.Rebuild(loaded.valid);

  // Declared before the Service, so it outlives the Service's callbacks on
  // every way out of this function.
  RuntimeWaker waker;
  std::unique_ptr<runtime::Runtime> rt;
  runtime::ServiceOptions service_options;
  service_options.process = ProcessName();
  service_options.lease = config->lease;
  service_options.limits = config->input;
  service_options.media_allow = config->media_allow;
  if (config->recheck) service_options.recheck = scheduler::RecheckSchedule{*config->recheck};
  if (!config->engagement.enabled) {
    service_options.engagement = {};
  } else if (config->engagement.reads) {
    service_options.engagement = scheduler::EngagementSchedule{*config->engagement.reads};
  }
  runtime::Service service(**store, clock, loaded.valid, [&waker] { waker.Wake(); }, service_options);
  if (auto r = service.Start(); !r) {
    err << "herald serve: loading posts failed: " << r.error().ToString() << "\n";
    return kExitInvalid;
  }
  runtime::RuntimeOptions runtime_options;
  runtime_options.maintain_every = duration_cast<milliseconds>(config->lease) / 5;
  rt = std::make_unique<runtime::Runtime>(io, service, clock,
                                          [&](const Post& p) { return connectors.Find(p.account); },
                                          runtime_options);
  waker.Attach(rt.get());
  runtime::EngagementReaderOptions reader_options;
  reader_options.process = service_options.process;
  auto reader = std::make_unique<runtime::EngagementReader>(
      io, service, **store, clock, [&](const Post& p) { return connectors.Find(p.account); },
      [&rt] { return rt->in_flight(); }, reader_options);
  std::unique_ptr<runtime::InboxReader> inbox_reader;
  if (config->inbox.enabled) {
    runtime::InboxReaderOptions inbox_options;
    inbox_options.process = service_options.process;
    inbox_options.every = duration_cast<milliseconds>(config->inbox.read_every);
    inbox_options.max_pages = config->inbox.max_pages;
    inbox_reader = std::make_unique<runtime::InboxReader>(
        io, service, **store, clock, [&](const Post& p) { return connectors.Find(p.account); },
        [&rt] { return rt->in_flight(); }, inbox_options);
  }

  // Events to the organisations' subscribers (docs/events.md): their own
  // threads and client, the media allow-list for internal receivers.
  connectors::HttpClientOptions event_http;
  event_http.connect_timeout = milliseconds{5000};
  event_http.read_timeout = milliseconds{10000};
  const connectors::HttpClient event_client(event_http);
  const MediaAllowList event_allow = config->media_allow;
  runtime::EventDispatcherOptions dispatcher_options;
  dispatcher_options.process = service_options.process;
  dispatcher_options.keep = config->events.keep;
  auto dispatcher = std::make_unique<runtime::EventDispatcher>(
      io, service, **store, clock,
      [&](const connectors::EventMessage& m) { return connectors::SendEvent(event_client, event_allow, m); },
      ResolveSecret, dispatcher_options);

  api::HttpServerOptions http_options;
  http_options.listen = listen;
  http_options.max_body_bytes = config->max_body_bytes;
  http_options.request_timeout = duration_cast<milliseconds>(config->request_timeout);
  http_options.max_connections = static_cast<size_t>(config->max_connections);
  http_options.log_error = [](std::string_view what) { spdlog::error("http: {}", what); };
  if (oauth) http_options.account_connect = oauth->ConnectEndpoints(service);
  api::HttpServer http(service, std::move(*tokens), http_options);
  if (auto started = http.Start(std::move(*socket)); !started) {
    err << "herald serve: cannot listen on " << http_options.listen << ": " << started.error().message() << "\n";
    return kExitInvalid;
  }
  const int port = http.port();
  // The loop's first heartbeat before anyone learns the port: /healthz asked
  // right after "listening" must not see a loop that has not started.
  rt->Start();
  if (oauth) oauth->StartSweep();
  reader->Start();
  if (inbox_reader) inbox_reader->Start();
  dispatcher->Start();
  Reloader reloader(io, *config, connectors, service, http, signature, tokens_signature, std::move(org_of_file));
  reloader.Watch();
  // The handlers are in place before the port is announced: a SIGTERM sent as
  // soon as "listening" is read must stop the daemon cleanly, not kill it.
  SignalHandler signals(io, reloader, http, *rt, *reader, inbox_reader.get(), config->shutdown_grace);
  signals.Listen();
  spdlog::info("herald listening on {}:{} (storage {}, policies {}, {} organisations)", config->host, port,
               config->storage, config->policies, loaded.valid.size());
  out << "listening on " << config->host << ":" << port << std::endl;

  io.run();
  dispatcher->Stop();
  dispatcher.reset();  // waits for the deliveries under way (the client's timeouts at most)
  if (oauth) oauth->Stop();
  waker.Attach(nullptr);
  reader.reset();  // its rounds ask the runtime how busy it is
  inbox_reader.reset();
  rt.reset();
  spdlog::info("herald stopped");
  return kExitOk;
}

}  // namespace herald::cli
