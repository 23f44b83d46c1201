// InstanceApps: the apps herald registers on the servers of a platform where
// every server is its own authorization server (Mastodon). The first time an
// account on an instance is connected, herald registers itself there
// (POST /api/v1/apps with its name, redirect URI, scopes and website) and
// keeps the client id and secret the instance gave, sealed like a grant (the
// same key ring, re-sealed by `herald token-keys rotate`), in a row of the
// grants table keyed by the instance under an organisation no policy can
// name. An app registered for another redirect URI or other scopes (the
// server config changed) is replaced by a new registration.
//
// One registration per instance at a time, in this process and across
// daemons on one store (Store::LockAccount on the instance's row).
// Thread-safe. No client secret appears in a returned Status.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "connectors/http_client.h"
#include "core/status.h"
#include "core/time.h"
#include "oauth/token_endpoint.h"
#include "secrets/grant_vault.h"

namespace herald::oauth {

// The organisation under which instance apps are stored: a name no policy
// can take (':' is not allowed in one), so no account's grant is ever
// confused with an app.
inline constexpr std::string_view kInstanceAppsOrganization = "herald:instance-apps";

// scheme://host[:port] of `base_url`, the host in lower case. InvalidArgument
// unless it is https (or http to a loopback host, IsSafeOAuthUrl).
Result<std::string> InstanceOrigin(std::string_view base_url);

class InstanceApps {
 public:
  // REQUIRES: provider.per_instance, and `vault` outlives this.
  InstanceApps(Provider provider, secrets::GrantVault& vault, connectors::HttpClient http)
      : provider_(std::move(provider)), vault_(vault), http_(std::move(http)) {}

  // The token endpoint of herald's app on the instance at `origin`
  // (InstanceOrigin), registering the app first when there is none for the
  // current redirect URI and scopes. FailedPrecondition when the instance
  // refuses the registration; Unavailable when it cannot be reached or
  // fails (retry later); the Store's codes otherwise.
  Result<TokenEndpoint> EndpointOn(const std::string& origin, Instant now);

  const Provider& provider() const { return provider_; }

 private:
  struct App {
    std::string client_id;
    std::string client_secret;
  };
  struct Stored {
    std::optional<App> app;  // none, or registered for another redirect URI or scopes
    int64_t version = 0;     // of the row (0: none), for replacing it
  };
  Result<Stored> Find(const std::string& origin);
  Result<App> Register(const std::string& origin) const;
  std::shared_ptr<std::mutex> MutexOf(const std::string& origin);

  const Provider provider_;
  secrets::GrantVault& vault_;
  const connectors::HttpClient http_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<std::mutex>> registering_;  // by origin; guarded by mu_
};

}  // namespace herald::oauth
