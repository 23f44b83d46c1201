// TokenEndpoint: a platform's OAuth 2.0 token endpoint (RFC 6749 section 4.1.3
// and 6): exchanges an authorization code (with its PKCE verifier) for tokens,
// and a refresh token for new ones. A confidential client authenticates with
// HTTP Basic (client id and secret); a public one sends its client id.
//
// No token, code, verifier or secret ever appears in a returned Status: the
// platform's error code and description are quoted with every value this
// request sent blanked out. Thread-safe: immutable after construction.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "connectors/http_client.h"
#include "core/status.h"
#include "core/time.h"
#include "oauth/provider.h"
#include "secrets/grant_vault.h"

namespace herald::oauth {

// The non-secret connector settings of the account being connected, as its
// policy gives them (Meta: which Page, which Instagram or Threads user).
using AccountSettings = std::map<std::string, std::string>;

// Whether herald can renew `grant` before it expires: it has a refresh token,
// or its platform refreshes a token with itself (Threads).
bool Refreshable(const secrets::Grant& grant);

class TokenEndpoint {
 public:
  TokenEndpoint(Provider provider, std::optional<std::string> client_secret, connectors::HttpClient http)
      : provider_(std::move(provider)), client_secret_(std::move(client_secret)), http_(std::move(http)) {}

  // The grant for an authorization code, its expiry counted from `now`.
  // PermissionDenied when the platform refuses the grant (invalid_grant,
  // invalid_request: a used or expired code, a wrong verifier, a revoked
  // authorization: connect again); FailedPrecondition when it refuses the
  // client (invalid_client, unauthorized_client: check the oauth config);
  // Unavailable when it cannot be reached or fails (retry later).
  // Meta (Provider::flow): the exchange continues to the token herald
  // publishes with (internal/graph_tokens.h), picked by `account`'s settings;
  // InvalidArgument when they name no Page or user the login gave.
  Result<secrets::Grant> ExchangeCode(const std::string& code, const std::string& verifier,
                                      const AccountSettings& account, Instant now) const;
  Result<secrets::Grant> ExchangeCode(const std::string& code, const std::string& verifier, Instant now) const {
    return ExchangeCode(code, verifier, {}, now);
  }

  // New tokens for `refresh_token`; the answer's refresh token replaces it
  // (X rotates it on every refresh), or it is kept when none comes back.
  // Failure codes as ExchangeCode.
  Result<secrets::Grant> Refresh(const std::string& refresh_token, Instant now) const;

  // `grant` renewed the platform's way: with its refresh token, or (Threads)
  // with the access token itself. FailedPrecondition when it cannot be
  // (REQUIRES Refreshable(grant) to avoid that); codes otherwise as Refresh.
  Result<secrets::Grant> Renew(const secrets::Grant& grant, Instant now) const;

  const Provider& provider() const { return provider_; }

 private:
  Result<secrets::Grant> Post(std::vector<std::pair<std::string, std::string>> fields, const std::string& what,
                              Instant now) const;

  const Provider provider_;
  const std::optional<std::string> client_secret_;
  const connectors::HttpClient http_;
};

}  // namespace herald::oauth
