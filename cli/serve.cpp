// `herald serve`: the composition root of the daemon. Reads the config, opens the
// store, loads the policies, builds the connectors, the Service, the Runtime and
// the HTTP server, and runs the io_context until stopped. The roles around them:
// ConnectorSet (connectors by account), RuntimeWaker (the plan changed: wake the
// runtime), Reloader (policies and tokens, polled and on SIGHUP), SignalHandler
// (SIGTERM/SIGINT: graceful stop). The only place that knows the real clock.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <random>
#include <sys/resource.h>
#include <unistd.h>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <ostream>
#include <sstream>

#include "api/http_server.h"
#include "cli/commands.h"
#include "cli/oauth_setup.h"
#include "oauth/granted_connector.h"
#include "cli/policy_files.h"
#include "cli/secret_source.h"
#include "connectors/connector.h"
#include "policies/server_config.h"
#include "scheduler/runtime/engagement_reader.h"
#include "scheduler/runtime/inbox_reader.h"
#include "scheduler/runtime/event_dispatcher.h"
#include "scheduler/runtime/runtime.h"
#include "scheduler/runtime/service.h"
#include "secrets/grant_vault.h"
#include "storage/store.h"

namespace herald::cli {
namespace {

using namespace std::chrono;

class SystemClock : public Clock {
 public:
  Instant Now() const override { return floor<seconds>(system_clock::now()); }
  system_clock::time_point NowPrecise() const override { return system_clock::now(); }
};

// Log messages as JSON strings (escaped), for `log: { format: json }`.
class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      switch (c) {
        case '"': dest.append(std::string_view("\\\"")); break;
        case '\\': dest.append(std::string_view("\\\\")); break;
        case '\n': dest.append(std::string_view("\\n")); break;
        case '\t': dest.append(std::string_view("\\t")); break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            dest.append(std::string_view(buf));
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonMessageFlag>(); }
};

void SetUpLogging(const policies::ServerConfig& config) {
  auto logger = spdlog::stderr_logger_mt("herald");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  if (config.log_format == "json") {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonMessageFlag>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})");
    spdlog::set_formatter(std::move(formatter));
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  spdlog::flush_on(spdlog::level::info);
}

// Connectors by account, rebuilt on reload. Old connectors stay alive (publishes
// in flight may hold them) until the daemon exits.
class ConnectorSet {
 public:
  // `oauth`, when set, wraps the connectors of the platforms it connects so
  // that a connected account publishes with its grant's token.
  ConnectorSet(connectors::ConnectorRegistry registry, connectors::ConnectorContext context, OAuthSetup* oauth)
      : registry_(std::move(registry)), context_(std::move(context)), oauth_(oauth) {}

  void Rebuild(const std::vector<policies::Policy>& policies) {
    std::map<std::string, std::shared_ptr<connectors::Connector>> fresh;
    std::map<std::string, std::string> platforms;
    for (const auto& p : policies) {
      for (const auto& a : p.accounts) {
        auto c = registry_.Create(a.connector, context_);
        if (!c) {
          spdlog::error("account {}: {}", a.id, c.error().ToString());
          continue;
        }
        std::shared_ptr<connectors::Connector> made(std::move(*c));
        if (oauth_ != nullptr && oauth_->Connects(a.platform)) {
          made = std::make_shared<oauth::GrantedConnector>(std::move(made), oauth_->keeper());
        }
        fresh[a.id] = std::move(made);
        platforms[a.id] = a.platform;
      }
    }
    std::lock_guard lock(mu_);
    for (auto& [id, c] : by_account_) retired_.push_back(c);
    by_account_ = std::move(fresh);
    platforms_ = std::move(platforms);
  }

  runtime::ConnectorFor Find(const std::string& account) {
    std::lock_guard lock(mu_);
    auto it = by_account_.find(account);
    if (it == by_account_.end()) return {};
    return {it->second.get(), platforms_[account]};
  }

 private:
  connectors::ConnectorRegistry registry_;
  connectors::ConnectorContext context_;
  OAuthSetup* const oauth_;  // null: no account is connected by OAuth
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<connectors::Connector>> by_account_;
  std::map<std::string, std::string> platforms_;
  std::vector<std::shared_ptr<connectors::Connector>> retired_;
};

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// This process as named in its claims: host, pid and a random part (a pid is
// reused after a restart; the claims of the dead process must not look ours).
std::string ProcessName() {
  char host[256] = "host";
  gethostname(host, sizeof host - 1);
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", rd());
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + suffix;
}

// Lifts the soft limit on open files to the hard one: each API connection is a
// descriptor, and a soft limit of 1024 (a common default) is below what
// limits.max_connections allows.
void RaiseOpenFileLimit() {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
}

std::string SqlitePath(const std::string& url) { return url.starts_with("sqlite:") ? url.substr(7) : std::string(); }

// Wakes the runtime when the plan changed. The Service calls it from other
// threads (HTTP handlers, publishes, the PostgreSQL listener) from Start()
// until the store is gone; it reaches the runtime only while one is attached.
// Thread-safe.
class RuntimeWaker {
 public:
  void Attach(runtime::Runtime* runtime) {
    std::lock_guard lock(mu_);
    runtime_ = runtime;
  }
  void Wake() {
    std::lock_guard lock(mu_);
    if (runtime_ != nullptr) runtime_->Wake();
  }

 private:
  std::mutex mu_;
  runtime::Runtime* runtime_ = nullptr;  // guarded by mu_
};

// Reloads the policies and the tokens: on request (SIGHUP) and whenever their
// files change, polled every `policy_poll`. A broken policy file keeps its
// organisation's policy (its errors show in /v1/policy); a broken tokens file
// keeps the tokens that were active. Runs on the io_context's thread.
class Reloader {
 public:
  // The signatures are those taken before the first load, so no change can
  // slip between the load and the first poll.
  Reloader(boost::asio::io_context& io, const policies::ServerConfig& config, ConnectorSet& connectors,
           runtime::Service& service, api::HttpServer& http, std::string policy_signature,
           std::string tokens_signature, std::map<std::string, std::string> org_of_file)
      : config_(config), connectors_(connectors), service_(service), http_(http), poll_(io),
        policy_signature_(std::move(policy_signature)), tokens_signature_(std::move(tokens_signature)),
        org_of_file_(std::move(org_of_file)) {}

  void ReloadPolicies() {
    policy_signature_ = DirectorySignature(config_.policies);
    auto next = LoadPolicyDirectory(config_.policies, config_);
    std::map<std::string, std::vector<std::string>> errors_by_org;
    for (const auto& [file, errors] : next.errors) {
      for (const auto& e : errors) spdlog::error("policy reload: {}", e);
      auto org = org_of_file_.find(file);
      if (org != org_of_file_.end()) errors_by_org[org->second] = errors;
    }
    for (const auto& p : next.valid) org_of_file_[p.source] = p.organization;
    connectors_.Rebuild(next.valid);
    if (auto r = service_.ReplacePolicies(next.valid, errors_by_org); !r) {
      spdlog::error("policy reload failed: {}", r.error().ToString());
    } else {
      spdlog::info("policies reloaded: {} valid, {} files with errors", next.valid.size(), next.errors.size());
    }
  }

  // The tokens file (`herald token add` rewrites it).
  void ReloadTokens() {
    tokens_signature_ = FileSignature(config_.tokens);
    auto next = api::TokenSet::Load(config_.tokens);
    if (!next) {
      spdlog::error("tokens reload: {}; the previous tokens stay active", next.error().ToString());
      return;
    }
    spdlog::info("tokens reloaded: {} tokens", next->records().size());
    http_.ReplaceTokens(std::move(*next));
  }

  // Starts polling the files.
  void Watch() {
    poll_.expires_after(config_.policy_poll);
    poll_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (DirectorySignature(config_.policies) != policy_signature_) ReloadPolicies();
      if (FileSignature(config_.tokens) != tokens_signature_) ReloadTokens();
      Watch();
    });
  }

  void Stop() { poll_.cancel(); }

 private:
  const policies::ServerConfig& config_;
  ConnectorSet& connectors_;
  runtime::Service& service_;
  api::HttpServer& http_;
  boost::asio::steady_timer poll_;
  std::string policy_signature_;
  std::string tokens_signature_;
  std::map<std::string, std::string> org_of_file_;  // policy file -> organisation, for its reload errors
};

// SIGHUP reloads; SIGTERM and SIGINT stop: no new requests, no more polling,
// and the runtime drains its publishes for up to `grace` before the
// io_context stops. Runs on the io_context's thread.
class SignalHandler {
 public:
  SignalHandler(boost::asio::io_context& io, Reloader& reloader, api::HttpServer& http, runtime::Runtime& runtime,
                runtime::EngagementReader& reader, runtime::InboxReader* inbox, Duration grace)
      : io_(io), signals_(io, SIGINT, SIGTERM, SIGHUP), reloader_(reloader), http_(http), runtime_(runtime),
        reader_(reader), inbox_(inbox), grace_(grace) {}

  void Listen() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        spdlog::info("SIGHUP: reloading policies and tokens");
        reloader_.ReloadPolicies();
        reloader_.ReloadTokens();
        Listen();
        return;
      }
      spdlog::info("{}: stopping (waiting up to {} for publishes in flight)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                   FormatDuration(grace_));
      http_.Stop();
      reloader_.Stop();
      reader_.Stop();
      if (inbox_ != nullptr) inbox_->Stop();
      runtime_.Stop(duration_cast<milliseconds>(grace_), [this] { io_.stop(); });
    });
  }

 private:
  boost::asio::io_context& io_;
  boost::asio::signal_set signals_;
  Reloader& reloader_;
  api::HttpServer& http_;
  runtime::Runtime& runtime_;
  runtime::EngagementReader& reader_;
  runtime::InboxReader* inbox_;  // null when inboxes are not read
  const Duration grace_;
};

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
