// `herald serve`: the composition root of the daemon. Reads the config, opens the
// store, loads the policies, builds the connectors, the Service, the Runtime and
// the HTTP server, wires signals (SIGTERM/SIGINT: graceful stop; SIGHUP: reload)
// and a poller that reloads policy files when they change, and runs the
// io_context until stopped. The only place that knows the real clock.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <random>
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
#include "cli/policy_files.h"
#include "connectors/connector.h"
#include "policies/server_config.h"
#include "scheduler/runtime/runtime.h"
#include "scheduler/runtime/service.h"
#include "storage/store.h"

namespace herald::cli {
namespace {

using namespace std::chrono;

class SystemClock : public runtime::Clock {
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
  ConnectorSet(connectors::ConnectorRegistry registry, connectors::ConnectorContext context)
      : registry_(std::move(registry)), context_(std::move(context)) {}

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
        fresh[a.id] = std::shared_ptr<connectors::Connector>(std::move(*c));
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

// Secrets are read here, in the composition root, and nowhere else: `env:NAME`
// from the environment, `file:/path` from the file (re-read on every reload, so
// a rotated token takes effect with the next policy reload or SIGHUP).
Result<std::string> ResolveSecret(const policies::SecretRef& ref) {
  if (ref.kind == policies::SecretRef::Kind::kEnv) {
    const char* value = std::getenv(ref.target.c_str());
    if (value == nullptr) return Error(Code::kFailedPrecondition, "environment variable " + ref.target + " is not set");
    return std::string(value);
  }
  auto text = ReadFile(ref.target);
  if (!text) return Error(Code::kFailedPrecondition, "cannot read " + ref.target + ": " + std::strerror(errno));
  return *text;
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

  if (auto path = SqlitePath(config->storage); !path.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  }
  auto store = storage::OpenStore(config->storage);
  if (!store) {
    err << "herald serve: storage " << config->storage << ": " << store.error().message() << "\n";
    return kExitInvalid;
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

  SystemClock clock;
  boost::asio::io_context io;
  connectors::ConnectorContext connector_context;
  connector_context.outbox_dir = config->outbox;
  connector_context.resolve_secret = ResolveSecret;
  connector_context.http.media_allow = config->media_allow;
  ConnectorSet connectors(connectors::ConnectorRegistry::Builtin(), connector_context);
  connectors.Rebuild(loaded.valid);

  std::unique_ptr<runtime::Runtime> rt;
  // The plan-changed callback runs on other threads (HTTP handlers, publishes,
  // the PostgreSQL listener) from service.Start() until the store is gone: it
  // wakes the runtime only between the runtime's creation and its destruction.
  std::mutex wake_mu;
  runtime::Runtime* wake = nullptr;  // guarded by wake_mu
  runtime::ServiceOptions service_options;
  service_options.process = ProcessName();
  service_options.lease = config->lease;
  service_options.media_allow = config->media_allow;
  runtime::Service service(**store, clock, loaded.valid, [&wake_mu, &wake] {
    std::lock_guard lock(wake_mu);
    if (wake != nullptr) wake->Wake();
  }, service_options);
  if (auto r = service.Start(); !r) {
    err << "herald serve: loading posts failed: " << r.error().ToString() << "\n";
    return kExitInvalid;
  }
  runtime::RuntimeOptions runtime_options;
  runtime_options.maintain_every = duration_cast<milliseconds>(config->lease) / 5;
  rt = std::make_unique<runtime::Runtime>(io, service, clock,
                                          [&](const Post& p) { return connectors.Find(p.account); },
                                          runtime_options);
  {
    std::lock_guard lock(wake_mu);
    wake = rt.get();
  }

  api::HttpServerOptions http_options;
  http_options.listen = (config->host.find(':') != std::string::npos ? "[" + config->host + "]" : config->host) + ":" +
                        std::to_string(config->port);
  http_options.log_error = [](std::string_view what) { spdlog::error("http: {}", what); };
  api::HttpServer http(service, std::move(*tokens), http_options);
  if (auto started = http.Start(); !started) {
    err << "herald serve: cannot listen on " << http_options.listen << ": " << started.error().message() << "\n";
    return kExitInvalid;
  }
  const int port = http.port();
  // The loop's first heartbeat before anyone learns the port: /healthz asked
  // right after "listening" must not see a loop that has not started.
  rt->Start();
  spdlog::info("herald listening on {}:{} (storage {}, policies {}, {} organisations)", config->host, port,
               config->storage, config->policies, loaded.valid.size());
  out << "listening on " << config->host << ":" << port << std::endl;

  // Reload: on SIGHUP and whenever the policy files change (since the
  // signature taken before the first load, so no change can slip between).
  auto reload = [&] {
    signature = DirectorySignature(config->policies);
    auto next = LoadPolicyDirectory(config->policies, *config);
    std::map<std::string, std::vector<std::string>> errors_by_org;
    for (const auto& [file, errors] : next.errors) {
      for (const auto& e : errors) spdlog::error("policy reload: {}", e);
      auto org = org_of_file.find(file);
      if (org != org_of_file.end()) errors_by_org[org->second] = errors;
    }
    for (const auto& p : next.valid) org_of_file[p.source] = p.organization;
    connectors.Rebuild(next.valid);
    if (auto r = service.ReplacePolicies(next.valid, errors_by_org); !r) {
      spdlog::error("policy reload failed: {}", r.error().ToString());
    } else {
      spdlog::info("policies reloaded: {} valid, {} files with errors", next.valid.size(), next.errors.size());
    }
  };
  // The tokens file (`herald token add` rewrites it): re-read on change and on
  // SIGHUP. A broken file keeps the tokens that were active.
  auto reload_tokens = [&] {
    tokens_signature = FileSignature(config->tokens);
    auto next = api::TokenSet::Load(config->tokens);
    if (!next) {
      spdlog::error("tokens reload: {}; the previous tokens stay active", next.error().ToString());
      return;
    }
    spdlog::info("tokens reloaded: {} tokens", next->records().size());
    http.ReplaceTokens(std::move(*next));
  };
  boost::asio::steady_timer poll(io);
  std::function<void()> arm_poll = [&] {
    poll.expires_after(config->policy_poll);
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      if (DirectorySignature(config->policies) != signature) reload();
      if (FileSignature(config->tokens) != tokens_signature) reload_tokens();
      arm_poll();
    });
  };
  arm_poll();

  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::function<void()> arm_signals = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        spdlog::info("SIGHUP: reloading policies and tokens");
        reload();
        reload_tokens();
        arm_signals();
        return;
      }
      spdlog::info("{}: stopping (waiting up to {} for publishes in flight)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                   FormatDuration(config->shutdown_grace));
      http.Stop();
      poll.cancel();
      rt->Stop(duration_cast<milliseconds>(config->shutdown_grace), [&] { io.stop(); });
    });
  };
  arm_signals();

  io.run();
  {
    std::lock_guard lock(wake_mu);
    wake = nullptr;
  }
  rt.reset();
  spdlog::info("herald stopped");
  return kExitOk;
}

}  // namespace herald::cli
