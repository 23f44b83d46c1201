// The daemon's OAuth parts, built from the server config in the composition
// root: the platform apps (client secrets read now), the authorization flow
// behind the API's connect endpoints, the GrantKeeper that refreshes tokens
// before publishes, and the sweep that refreshes idle accounts' tokens ahead
// of expiry on a thread of its own.
//
// Thread-safe once built; Stop() ends the sweep (also on destruction).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "api/account_connect.h"
#include "core/clock.h"
#include "oauth/authorization_flow.h"
#include "oauth/grant_keeper.h"
#include "policies/server_config.h"
#include "scheduler/runtime/service.h"
#include "secrets/grant_vault.h"

namespace herald::cli {

class OAuthSetup {
 public:
  // How often stored grants are checked for a due refresh.
  static constexpr std::chrono::seconds kSweepEvery{1};

  // REQUIRES: config.oauth is not empty, and `vault` and `clock` outlive
  // this. FailedPrecondition when a client secret cannot be read.
  static Result<std::unique_ptr<OAuthSetup>> Make(const policies::ServerConfig& config, secrets::GrantVault& vault,
                                                  const Clock& clock);
  ~OAuthSetup();

  oauth::GrantKeeper& keeper() { return keeper_; }
  oauth::AuthorizationFlow& flow() { return flow_; }
  bool Connects(const std::string& platform) const { return endpoints_.Connects(platform); }
  // Where accounts' servers are (Mastodon); ConnectEndpoints sets it from the Service.
  void SetConnectorOf(oauth::Endpoints::ConnectorOf connector_of) { endpoints_.SetConnectorOf(std::move(connector_of)); }
  // The API's connect endpoints over `service`, which must outlive them and
  // this (it also tells where each account's instance is).
  std::shared_ptr<api::AccountConnect> ConnectEndpoints(runtime::Service& service);

  // Starts the sweep thread.
  void StartSweep();
  void Stop();

 private:
  OAuthSetup(oauth::Apps apps, secrets::GrantVault& vault, const Clock& clock);
  void Sweep();

  const Clock& clock_;
  oauth::Endpoints endpoints_;
  oauth::AuthorizationFlow flow_;
  oauth::GrantKeeper keeper_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread sweeper_;
};

}  // namespace herald::cli
