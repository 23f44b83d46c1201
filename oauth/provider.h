// What herald knows of each platform's OAuth 2.0 authorization server (its
// authorization and token endpoints and the scopes a publishing account
// needs), merged with the operator's app from the server config (`oauth:`).
// Values only; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "policies/server_config.h"

namespace herald::oauth {

struct Provider {
  std::string platform;
  std::string authorize_url;
  std::string token_url;
  std::vector<std::string> scopes;
  std::string client_id;
  std::string redirect_uri;
};

// The platform's defaults with `app`'s overrides. InvalidArgument for a
// platform herald cannot connect by OAuth (policies::kOAuthPlatforms).
Result<Provider> ProviderFor(const std::string& platform, const policies::OAuthApp& app);

// The authorization URL the user's browser is sent to: response_type=code,
// client_id, redirect_uri, scope, state and the S256 code challenge.
std::string AuthorizationUrl(const Provider& provider, const std::string& state, const std::string& challenge);

}  // namespace herald::oauth
