#include "oauth/endpoints.h"

namespace herald::oauth {

void Endpoints::AddInstanceApps(std::unique_ptr<InstanceApps> instances) {
  std::string platform = instances->provider().platform;
  instances_[platform] = std::move(instances);
}

void Endpoints::SetConnectorOf(ConnectorOf connector_of) {
  std::lock_guard lock(mu_);
  connector_of_ = std::move(connector_of);
}

Result<policies::ConnectorConfig> Endpoints::Connector(const std::string& organization, const std::string& account) {
  ConnectorOf connector_of;
  {
    std::lock_guard lock(mu_);
    connector_of = connector_of_;
  }
  if (!connector_of) return Error(Code::kUnavailable, "the daemon is still starting; try again");
  return connector_of(organization, account);
}

Result<AccountSettings> Endpoints::SettingsOf(const std::string& organization, const std::string& account) {
  auto connector = Connector(organization, account);
  if (!connector) return std::unexpected(connector.error());
  return connector->settings;
}

bool Endpoints::Connects(std::string_view platform) const {
  return apps_.contains(platform) || instances_.contains(platform);
}

Result<TokenEndpoint> Endpoints::For(const std::string& organization, const std::string& account,
                                     const std::string& platform, Instant now) {
  if (auto app = apps_.find(platform); app != apps_.end()) return app->second;
  auto instances = instances_.find(platform);
  if (instances == instances_.end()) {
    return Error(Code::kFailedPrecondition, "account " + account + " is on " + platform +
                                                ", and the server config has no oauth." + platform +
                                                " app to connect it with; ask the operator to add one");
  }
  auto connector = Connector(organization, account);
  if (!connector) return std::unexpected(connector.error());
  auto origin = InstanceOrigin(connector->base_url);
  if (!origin) return std::unexpected(origin.error());
  return instances->second->EndpointOn(*origin, now);
}

}  // namespace herald::oauth
