#include "oauth/endpoints.h"

namespace herald::oauth {

void Endpoints::AddInstanceApps(std::unique_ptr<InstanceApps> instances) {
  std::string platform = instances->provider().platform;
  instances_[platform] = std::move(instances);
}

void Endpoints::SetBaseUrlOf(BaseUrlOf base_url_of) {
  std::lock_guard lock(mu_);
  base_url_of_ = std::move(base_url_of);
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
  BaseUrlOf base_url_of;
  {
    std::lock_guard lock(mu_);
    base_url_of = base_url_of_;
  }
  if (!base_url_of) return Error(Code::kUnavailable, "the daemon is still starting; try again");
  auto base_url = base_url_of(organization, account);
  if (!base_url) return std::unexpected(base_url.error());
  auto origin = InstanceOrigin(*base_url);
  if (!origin) return std::unexpected(origin.error());
  return instances->second->EndpointOn(*origin, now);
}

}  // namespace herald::oauth
