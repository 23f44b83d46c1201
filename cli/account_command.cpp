#include "cli/account_command.h"

#include <nlohmann/json.hpp>

#include <ostream>
#include <thread>

#include "cli/commands.h"
#include "cli/file_text.h"
#include "cli/oauth_setup.h"
#include "cli/policy_files.h"
#include "cli/secret_source.h"
#include "storage/store.h"

namespace herald::cli {
namespace {

class WallClock : public Clock {
 public:
  Instant Now() const override { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }
  std::chrono::system_clock::time_point NowPrecise() const override { return std::chrono::system_clock::now(); }
};

}  // namespace

int RunAccountConnect(const AccountConnectOptions& options, std::ostream& out, std::ostream& err) {
  const std::string name = "herald account connect: ";
  auto text = ReadFileText(options.config);
  if (!text) {
    err << name << options.config << ": " << text.error().message() << "\n";
    return kExitUsage;
  }
  auto config = policies::LoadServerConfig(*text, options.config);
  if (!config) {
    for (const Status& error : config.error()) err << error.ToString() << "\n";
    return kExitInvalid;
  }
  if (!config->token_keys || config->oauth.empty()) {
    err << name << options.config << " has no oauth section (and token_keys); see docs/tokens.md\n";
    return kExitInvalid;
  }
  auto policies = LoadPolicyDirectory(config->policies, *config);
  std::string organization, platform;
  policies::ConnectorConfig connector;
  for (const auto& p : policies.valid) {
    for (const auto& a : p.accounts) {
      if (a.id == options.account) {
        organization = p.organization;
        platform = a.platform;
        connector = a.connector;
      }
    }
  }
  if (organization.empty()) {
    err << name << "no valid policy in " << config->policies << " has an account " << options.account << "\n";
    return kExitInvalid;
  }
  auto ring = LoadKeyRing(*config->token_keys);
  if (!ring) {
    err << name << "token_keys: " << ring.error().message() << "\n";
    return kExitInvalid;
  }
  auto store = storage::OpenStore(options.storage.value_or(config->storage));
  if (!store) {
    err << name << "cannot open the store: " << store.error().message() << "\n";
    return kExitInvalid;
  }
  secrets::GrantVault vault(**store, std::move(*ring));
  WallClock clock;
  auto oauth = OAuthSetup::Make(*config, vault, clock);
  if (!oauth) {
    err << name << oauth.error().message() << "\n";
    return kExitInvalid;
  }
  // A Mastodon account's instance, where herald's app is registered first.
  (*oauth)->SetConnectorOf(
      [&](const std::string&, const std::string&) -> Result<policies::ConnectorConfig> { return connector; });
  const Instant started_at = clock.Now();
  auto started = (*oauth)->flow().Start(organization, options.account, platform, options.caller, started_at);
  if (!started) {
    err << name << started.error().message() << "\n";
    return kExitInvalid;
  }
  out << "Open this URL in a browser signed in to " << platform << " as the account " << options.account
      << ", and approve:\n"
      << started->authorization_url << "\n"
      << "Waiting for the callback (a running herald receives it) until "
      << FormatRfc3339(started->state_expires_at) << " ..." << std::endl;
  // Connected when the audit log shows this account connected since the
  // start (a refresh changes the grant too, so the grant alone does not say).
  while (clock.Now() <= started->state_expires_at) {
    std::this_thread::sleep_for(options.poll);
    auto entries = (*store)->ListAudit({.organization = organization, .from = started_at, .limit = 1000});
    if (!entries) continue;  // the store may be busy for a moment; look again
    for (const auto& e : *entries) {
      if (e.action != "account_connected") continue;
      auto detail = nlohmann::json::parse(e.detail, nullptr, false);
      if (detail.is_object() && detail.value("account", "") == options.account) {
        out << "account " << options.account << " connected (scope " << detail.value("scope", "") << ")" << std::endl;
        return kExitOk;
      }
    }
  }
  err << name << "the authorization expired at " << FormatRfc3339(started->state_expires_at)
      << " without a successful callback; the daemon's log says why if one came\n";
  return kExitInvalid;
}

}  // namespace herald::cli
