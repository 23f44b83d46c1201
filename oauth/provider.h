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

// How a confidential client proves itself at the token endpoint (RFC 6749
// section 2.3.1): HTTP Basic, or client_id and client_secret in the form (the
// only way some platforms document).
enum class ClientAuth { kBasic, kForm };

// How the code becomes the token herald publishes with.
enum class Flow {
  kOAuth2,         // RFC 6749: the token endpoint's answer is the grant
  kFacebookLogin,  // code -> user token -> long-lived user token -> the Page's token (oauth/internal/graph_tokens.h)
  kThreads,        // code -> short-lived token -> 60-day token, refreshed with itself
};

struct Provider {
  std::string platform;
  std::string authorize_url;
  std::string token_url;
  std::vector<std::string> scopes;
  std::string client_id;
  std::string redirect_uri;
  ClientAuth client_auth = ClientAuth::kBasic;
  // Whether the authorization carries a PKCE challenge and the exchange its
  // verifier. LinkedIn takes PKCE only from native apps it enabled it for;
  // a web app there is a confidential client bound by `state` and its secret.
  bool pkce = true;
  // Mastodon: the URLs above are paths on the account's instance, and
  // client_id is the app herald registered there (InstanceApps).
  bool per_instance = false;
  std::string client_name;  // per_instance: the registered app's name and website
  std::string website;
  Flow flow = Flow::kOAuth2;
  std::string scope_separator = " ";  // Meta's dialogs document commas
};

// Whether a platform refreshes its access token with the token itself (no
// refresh token: Threads' th_refresh_token).
bool RefreshesWithAccessToken(std::string_view platform);

// `provider` on the server at `origin` (scheme://host[:port]) with the app
// herald registered there. REQUIRES: provider.per_instance.
Provider OnInstance(Provider provider, std::string_view origin, std::string client_id);

// The platform's defaults with `app`'s overrides. InvalidArgument for a
// platform herald cannot connect by OAuth (policies::kOAuthPlatforms).
Result<Provider> ProviderFor(const std::string& platform, const policies::OAuthApp& app);

// The authorization URL the user's browser is sent to: response_type=code,
// client_id, redirect_uri, scope, state and (provider.pkce) the S256 code
// challenge. Scopes are joined with provider.scope_separator.
std::string AuthorizationUrl(const Provider& provider, const std::string& state, const std::string& challenge);

}  // namespace herald::oauth
