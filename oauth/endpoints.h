// Endpoints: which token endpoint connects, and refreshes, an account. For
// most platforms it is the one app the server config names (`oauth:`); on a
// platform where every server is its own authorization server (Mastodon) it
// is herald's app on the account's instance (InstanceApps), registered there
// on first use, the instance read from the account's connector settings.
//
// Thread-safe once SetConnectorOf has been called (before any For).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "oauth/instance_apps.h"
#include "oauth/token_endpoint.h"

namespace herald::oauth {

// The platforms' token endpoints, by platform, as the server config's
// `oauth:` section gives them.
using Apps = std::map<std::string, TokenEndpoint, std::less<>>;

class Endpoints {
 public:
  // An account's connector settings. NotFound for an account no policy has.
  using ConnectorOf =
      std::function<Result<policies::ConnectorConfig>(const std::string& organization, const std::string& account)>;

  explicit Endpoints(Apps apps) : apps_(std::move(apps)) {}

  // Connects `instances.provider().platform` accounts through `instances`.
  void AddInstanceApps(std::unique_ptr<InstanceApps> instances);
  void SetConnectorOf(ConnectorOf connector_of);

  bool Connects(std::string_view platform) const;

  // The endpoint for `account` of `organization` on `platform`.
  // FailedPrecondition when the server config has no app for the platform;
  // InvalidArgument when the account's instance is not a URL herald may
  // reach; InstanceApps::EndpointOn's codes otherwise.
  Result<TokenEndpoint> For(const std::string& organization, const std::string& account, const std::string& platform,
                            Instant now);

  // The account's non-secret connector settings (which Page a Meta connect
  // picks). Unavailable before SetConnectorOf; NotFound for an unknown account.
  Result<AccountSettings> SettingsOf(const std::string& organization, const std::string& account);

 private:
  Result<policies::ConnectorConfig> Connector(const std::string& organization, const std::string& account);

  const Apps apps_;
  std::map<std::string, std::unique_ptr<InstanceApps>, std::less<>> instances_;  // set before use
  std::mutex mu_;
  ConnectorOf connector_of_;  // guarded by mu_
};

}  // namespace herald::oauth
