// GrantKeeper: keeps connected accounts' access tokens fresh. A token is
// refreshed ahead of its expiry, inside its refresh window (core/
// refresh_window.h: the last tenth of a short-lived token's life, at most ten
// minutes; the last quarter of a token living a day or more, at most 7 days):
// before a publish that needs it (AccessToken) and by a periodic sweep
// (RefreshDue), so an idle account stays connected too. A token that expired
// without a refresh token (LinkedIn apps without refresh tokens) needs
// reconnecting; a Threads token is renewed with itself (TokenEndpoint::Renew).
//
// One refresh per account at a time, in this process (a mutex per account)
// and across processes on a shared store (Store::LockAccount: the PostgreSQL
// advisory lock); the grant is read again under the lock, so a refresh another
// daemon made meanwhile is used, not repeated. The rotated refresh token is
// stored (by version compare-and-set) before the new access token is handed
// out: a crash in between leaves the account with tokens that still work.
// A refresh the platform refuses marks the grant "needs reconnect"; a new
// connect (AuthorizationFlow) replaces it.
//
// Thread-safe. Never logs or returns a token in a Status.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "oauth/authorization_flow.h"
#include "secrets/grant_vault.h"

namespace herald::oauth {

// What a sweep did.
struct SweepCount {
  int refreshed = 0;
  int needs_reconnect = 0;  // newly refused by their platform
  int failed = 0;           // transient: retried at the next sweep
};

class GrantKeeper {
 public:
  // `log` receives one line per refresh, refusal or failure (no token in
  // it). REQUIRES: `vault` and `endpoints` outlive the keeper.
  GrantKeeper(secrets::GrantVault& vault, Endpoints& endpoints, std::function<void(std::string_view)> log)
      : vault_(vault), endpoints_(endpoints), log_(std::move(log)) {}

  // Whether a token that expires at `expires_at`, issued at `issued_at`, is
  // due for a refresh at `now`.
  static bool Due(Instant issued_at, Instant expires_at, Instant now);

  // The access token to publish with on this account: nullopt when it has no
  // grant (its static token applies). Refreshed first when due.
  // FailedPrecondition when it needs reconnecting (the message says how);
  // Unavailable when its token has expired and cannot be refreshed now.
  Result<std::optional<std::string>> AccessToken(const std::string& organization, const std::string& account,
                                                 Instant now);

  // The platform refused `access_token`, the account's token, on a publish
  // (HTTP 401: revoked by the user or the platform): the grant is marked
  // "needs reconnect" with `why`, unless it was replaced meanwhile (a
  // reconnect or a refresh). Errors: the store's.
  Result<void> Refused(const std::string& organization, const std::string& account, const std::string& access_token,
                       const std::string& why, Instant now);

  // Refreshes every stored grant that is due at `now`. Errors: the store's.
  Result<SweepCount> RefreshDue(Instant now);

 private:
  struct Fresh {
    std::optional<secrets::StoredGrant> grant;
    bool newly_refused = false;
  };
  // Refreshes the account's grant if it is still due once locked.
  Result<Fresh> RefreshLocked(const std::string& organization, const std::string& account, Instant now);
  std::shared_ptr<std::mutex> MutexOf(const std::string& organization, const std::string& account);

  secrets::GrantVault& vault_;
  Endpoints& endpoints_;
  std::function<void(std::string_view)> log_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<std::mutex>> refreshing_;  // by "org/account"; guarded by mu_
};

// What the runtime tells a user whose account needs reconnecting.
std::string ReconnectAdvice(std::string_view account);

}  // namespace herald::oauth
