// The roles around the daemon's parts in `herald serve`: ConnectorSet
// (connectors by account), RuntimeWaker (the plan changed: wake the runtime),
// Reloader (policies and tokens, polled and on SIGHUP), SignalHandler
// (SIGTERM/SIGINT: graceful stop).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/http_server.h"
#include "cli/oauth_setup.h"
#include "connectors/connector.h"
#include "policies/server_config.h"
#include "scheduler/runtime/connector_for.h"
#include "scheduler/runtime/engagement_reader.h"
#include "scheduler/runtime/inbox_reader.h"
#include "scheduler/runtime/runtime.h"
#include "scheduler/runtime/service.h"

namespace herald::cli {

// Connectors by account, rebuilt on reload. Old connectors stay alive (publishes
// in flight may hold them) until the daemon exits. Thread-safe.
class ConnectorSet {
 public:
  // `oauth`, when set, wraps the connectors of the platforms it connects so
  // that a connected account publishes with its grant's token.
  ConnectorSet(connectors::ConnectorRegistry registry, connectors::ConnectorContext context, OAuthSetup* oauth)
      : registry_(std::move(registry)), context_(std::move(context)), oauth_(oauth) {}

  void Rebuild(const std::vector<policies::Policy>& policies);
  runtime::ConnectorFor Find(const std::string& account);

 private:
  connectors::ConnectorRegistry registry_;
  connectors::ConnectorContext context_;
  OAuthSetup* const oauth_;  // null: no account is connected by OAuth
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<connectors::Connector>> by_account_;
  std::map<std::string, std::string> platforms_;
  std::vector<std::shared_ptr<connectors::Connector>> retired_;
};

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

  void ReloadPolicies();
  // The tokens file (`herald token add` rewrites it).
  void ReloadTokens();
  // Starts polling the files.
  void Watch();
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

  void Listen();

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

}  // namespace herald::cli
