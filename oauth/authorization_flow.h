// AuthorizationFlow: connecting an account by OAuth 2.0 authorization code
// with PKCE (RFC 6749 section 4.1, RFC 7636). Start makes a random state and
// a code verifier, keeps them in the store bound to the organisation, the
// account and the caller (the state only as its hash, the verifier sealed), and
// gives the platform's authorization URL; Complete takes the state back (once:
// a replayed or forged state finds nothing), exchanges the code with the
// verifier, stores the grant sealed and audits "account_connected" (naming the
// scope, never a token). Pending authorizations live in the store, so the
// callback may reach any daemon on the database, or one restarted meanwhile.
//
// Thread-safe as the Store is.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "oauth/endpoints.h"
#include "secrets/grant_vault.h"

namespace herald::oauth {

struct AuthorizationStart {
  std::string authorization_url;
  Instant state_expires_at;
};

struct Connected {
  std::string organization;
  std::string account;
  std::string platform;
  std::string caller;
  std::string scope;  // as granted
};

class AuthorizationFlow {
 public:
  // How long a started authorization waits for its callback.
  static constexpr Duration kStateLifetime = std::chrono::minutes{10};

  // REQUIRES: `vault` and `endpoints` outlive the flow.
  AuthorizationFlow(secrets::GrantVault& vault, Endpoints& endpoints) : vault_(vault), endpoints_(endpoints) {}

  // REQUIRES: the caller may connect `account` of `organization` (the
  // Service checked its role and organisation). FailedPrecondition when the
  // server config has no app for `platform`; Endpoints::For's codes (an
  // instance that cannot register herald's app); the Store's codes otherwise.
  Result<AuthorizationStart> Start(const std::string& organization, const std::string& account,
                                   const std::string& platform, const std::string& caller, Instant now);

  // The callback: `state` and `code` as the platform sent them back, or the
  // platform's `error` (the user refused) with no code. InvalidArgument for a
  // state never issued, used already, or expired, and for an `error`;
  // PermissionDenied when the platform refuses the code; FailedPrecondition
  // or Unavailable when its token endpoint does (TokenEndpoint). Nothing is
  // stored on any failure, and the state is spent either way.
  Result<Connected> Complete(std::string_view code, std::string_view state, std::string_view error, Instant now);

 private:
  secrets::GrantVault& vault_;
  Endpoints& endpoints_;
};

}  // namespace herald::oauth
