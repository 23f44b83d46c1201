#include "cli/oauth_setup.h"

#include <spdlog/spdlog.h>

#include <cctype>

#include "cli/secret_source.h"
#include "connectors/http_client.h"

namespace herald::cli {
namespace {

void Log(std::string_view line) { spdlog::info("oauth: {}", line); }

class ConnectEndpoints final : public api::AccountConnect {
 public:
  ConnectEndpoints(runtime::Service& service, oauth::AuthorizationFlow& flow, const Clock& clock)
      : service_(service), flow_(flow), clock_(clock) {}

  Result<api::ConnectStarted> Start(const runtime::Caller& caller, const std::string& account) override {
    auto platform = service_.ConnectableAccount(caller, account);
    if (!platform) return std::unexpected(platform.error());
    auto started = flow_.Start(caller.organization, account, *platform, caller.name, clock_.Now());
    if (!started) return std::unexpected(started.error());
    spdlog::info("oauth: {} started connecting account {} of {}", caller.name, account, caller.organization);
    return api::ConnectStarted{started->authorization_url, started->state_expires_at};
  }

  Result<api::ConnectFinished> Finish(std::string_view code, std::string_view state, std::string_view error) override {
    auto done = flow_.Complete(code, state, error, clock_.Now());
    if (!done) {
      spdlog::warn("oauth: a callback was refused: {}", done.error().message());
      return std::unexpected(done.error());
    }
    spdlog::info("oauth: account {} of {} connected by {} (scope {})", done->account, done->organization,
                 done->caller, done->scope);
    // Posts held for the missing connection go now, not when the hold ends.
    if (auto r = service_.AccountConnected(done->organization, done->account); !r) {
      spdlog::warn("oauth: account {} is connected, but its waiting posts keep their times: {}", done->account,
                   r.error().ToString());
    }
    return api::ConnectFinished{done->account, done->platform, done->scope};
  }

 private:
  runtime::Service& service_;
  oauth::AuthorizationFlow& flow_;
  const Clock& clock_;
};

}  // namespace

OAuthSetup::OAuthSetup(oauth::Apps apps, secrets::GrantVault& vault, const Clock& clock)
    : clock_(clock), endpoints_(std::move(apps)), flow_(vault, endpoints_), keeper_(vault, endpoints_, Log) {}

Result<std::unique_ptr<OAuthSetup>> OAuthSetup::Make(const policies::ServerConfig& config, secrets::GrantVault& vault,
                                                     const Clock& clock) {
  oauth::Apps apps;
  std::vector<oauth::Provider> per_instance;
  for (const auto& [platform, app] : config.oauth) {
    auto provider = oauth::ProviderFor(platform, app);
    if (!provider) return std::unexpected(provider.error());
    if (provider->per_instance) {
      per_instance.push_back(std::move(*provider));
      continue;
    }
    std::optional<std::string> secret;
    if (app.client_secret) {
      auto read = ResolveSecret(*app.client_secret);
      if (!read) {
        return Error(Code::kFailedPrecondition, "oauth." + platform + ".client_secret: " + read.error().message());
      }
      secret = *read;
      // A secret file usually ends with a newline; the secret does not.
      while (!secret->empty() && std::isspace(static_cast<unsigned char>(secret->back()))) secret->pop_back();
      if (secret->empty()) return Error(Code::kFailedPrecondition, "oauth." + platform + ".client_secret is empty");
    }
    apps.emplace(platform, oauth::TokenEndpoint(std::move(*provider), std::move(secret), connectors::HttpClient()));
  }
  std::unique_ptr<OAuthSetup> setup(new OAuthSetup(std::move(apps), vault, clock));
  for (auto& provider : per_instance) {
    setup->endpoints_.AddInstanceApps(
        std::make_unique<oauth::InstanceApps>(std::move(provider), vault, connectors::HttpClient()));
  }
  return setup;
}

OAuthSetup::~OAuthSetup() { Stop(); }

std::shared_ptr<api::AccountConnect> OAuthSetup::ConnectEndpoints(runtime::Service& service) {
  endpoints_.SetConnectorOf([&service](const std::string& organization, const std::string& account) {
    return service.ConnectorOf(organization, account);
  });
  return std::make_shared<class ConnectEndpoints>(service, flow_, clock_);
}

void OAuthSetup::StartSweep() {
  sweeper_ = std::thread([this] { Sweep(); });
}

void OAuthSetup::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

void OAuthSetup::Sweep() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, kSweepEvery, [this] { return stopping_; })) {
    lock.unlock();
    auto swept = keeper_.RefreshDue(clock_.Now());
    if (!swept) spdlog::error("oauth: checking grants for a due refresh failed: {}", swept.error().message());
    lock.lock();
  }
}

}  // namespace herald::cli
