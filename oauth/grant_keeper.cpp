#include "oauth/grant_keeper.h"

#include "storage/event_payloads.h"
#include "core/refresh_window.h"

namespace herald::oauth {
namespace {

std::string Names(std::string_view organization, std::string_view account) {
  return "account " + std::string(account) + " of " + std::string(organization);
}

Status NeedsReconnect(const std::string& account, const std::string& why) {
  return Status(Code::kFailedPrecondition, "account " + account + " needs reconnecting (" + why + "); " +
                                               ReconnectAdvice(account));
}

}  // namespace

std::string ReconnectAdvice(std::string_view account) {
  return "a manager connects it again with POST /v1/accounts/" + std::string(account) + "/connect";
}

bool GrantKeeper::Due(Instant issued_at, Instant expires_at, Instant now) {
  return InRefreshWindow(issued_at, expires_at, now);
}

std::shared_ptr<std::mutex> GrantKeeper::MutexOf(const std::string& organization, const std::string& account) {
  std::lock_guard lock(mu_);
  auto& m = refreshing_[organization + "/" + account];
  if (!m) m = std::make_shared<std::mutex>();
  return m;
}

Result<GrantKeeper::Fresh> GrantKeeper::RefreshLocked(const std::string& organization, const std::string& account,
                                                      Instant now) {
  auto local = MutexOf(organization, account);
  std::lock_guard in_process(*local);
  auto across = vault_.store().LockAccount(organization, account);
  if (!across) return std::unexpected(across.error());
  // Read again under the lock: another daemon may have refreshed it.
  auto stored = vault_.Load(organization, account);
  if (!stored) return std::unexpected(stored.error());
  Fresh out{*stored, false};
  if (!*stored) return out;
  secrets::StoredGrant current = **stored;
  if (!current.needs_reconnect.empty() || !Refreshable(current.grant) || !current.grant.expires_at ||
      !Due(current.updated_at, *current.grant.expires_at, now)) {
    return out;
  }
  auto app = endpoints_.For(organization, account, current.grant.platform, now);
  if (!app) {
    return Error(app.error().code(), Names(organization, account) + ": its token is due for a refresh, but " +
                                         app.error().message());
  }
  auto refreshed = app->Renew(current.grant, now);
  if (refreshed) refreshed->platform = current.grant.platform;
  if (!refreshed) {
    if (refreshed.error().code() != Code::kPermissionDenied) return std::unexpected(refreshed.error());
    std::string why = refreshed.error().message();
    auto marked = vault_.Save(organization, account, current.grant, now, current.version, why);
    if (!marked) return std::unexpected(marked.error());
    if (log_) log_(Names(organization, account) + " needs reconnecting: " + why);
    // Told once per refused grant (its new version), after the mark is durable.
    storage::AccountFacts facts{organization, account, current.grant.platform, "needs_reconnect", std::nullopt, why,
                                std::nullopt};
    if (auto r = vault_.store().RecordEvents({storage::AccountEvent(EventType::kAccountCredentialsBroken, facts, now,
                                                                    "grant" + std::to_string(*marked))});
        !r && log_) {
      log_(Names(organization, account) + ": account.credentials_broken not recorded: " + r.error().message());
    }
    current.needs_reconnect = why;
    current.version = *marked;
    out.grant = current;
    out.newly_refused = true;
    return out;
  }
  // The rotated refresh token is durable before the new access token is used.
  // A conflict here is a re-seal (token-keys rotate) of the grant just
  // refreshed: the old refresh token is spent, so save ours over it.
  int64_t based_on = current.version;
  for (int attempt = 0;; ++attempt) {
    auto saved = vault_.Save(organization, account, *refreshed, now, based_on);
    if (saved) {
      out.grant = secrets::StoredGrant{*refreshed, *saved, vault_.keys().current_id(), now, ""};
      break;
    }
    if (saved.error().code() != Code::kFailedPrecondition || attempt == 2) {
      if (log_) log_(Names(organization, account) + ": refreshed tokens could not be stored: " + saved.error().message());
      return std::unexpected(saved.error());
    }
    auto again = vault_.Load(organization, account);
    if (!again) return std::unexpected(again.error());
    if (!*again || (*again)->grant.refresh_token != current.grant.refresh_token ||
        (*again)->grant.access_token != current.grant.access_token) {
      // Replaced by a connect or by another refresh meanwhile: that one wins.
      out.grant = *again;
      return out;
    }
    based_on = (*again)->version;
  }
  if (log_) {
    log_("refreshed the access token of " + Names(organization, account) +
         (refreshed->expires_at ? "; it expires at " + FormatRfc3339(*refreshed->expires_at) : ""));
  }
  return out;
}

Result<std::optional<std::string>> GrantKeeper::AccessToken(const std::string& organization,
                                                            const std::string& account, Instant now) {
  auto stored = vault_.Load(organization, account);
  if (!stored) return std::unexpected(stored.error());
  if (!*stored) return std::optional<std::string>();
  const secrets::StoredGrant* grant = &**stored;
  Fresh fresh;
  if (grant->needs_reconnect.empty() && grant->grant.expires_at && Refreshable(grant->grant) &&
      Due(grant->updated_at, *grant->grant.expires_at, now)) {
    auto refreshed = RefreshLocked(organization, account, now);
    if (refreshed && refreshed->grant) {
      fresh = std::move(*refreshed);
      grant = &*fresh.grant;
    } else if (!refreshed && *grant->grant.expires_at <= now) {
      return Error(Code::kUnavailable, "the access token of " + Names(organization, account) +
                                           " has expired and could not be refreshed: " + refreshed.error().message());
    }
    // Otherwise a failed refresh leaves a token that still works: use it.
  }
  if (!grant->needs_reconnect.empty()) return std::unexpected(NeedsReconnect(account, grant->needs_reconnect));
  if (!Refreshable(grant->grant) && grant->grant.expires_at && *grant->grant.expires_at <= now) {
    return std::unexpected(NeedsReconnect(account, "its access token expired at " +
                                                       FormatRfc3339(*grant->grant.expires_at) +
                                                       " and the platform gave no refresh token"));
  }
  return std::optional<std::string>(grant->grant.access_token);
}

Result<void> GrantKeeper::Refused(const std::string& organization, const std::string& account,
                                  const std::string& access_token, const std::string& why, Instant now) {
  auto local = MutexOf(organization, account);
  std::lock_guard in_process(*local);
  auto across = vault_.store().LockAccount(organization, account);
  if (!across) return std::unexpected(across.error());
  auto stored = vault_.Load(organization, account);
  if (!stored) return std::unexpected(stored.error());
  if (!*stored || (*stored)->grant.access_token != access_token || !(*stored)->needs_reconnect.empty()) return {};
  auto marked = vault_.Save(organization, account, (*stored)->grant, now, (*stored)->version, why);
  if (!marked) return std::unexpected(marked.error());
  if (log_) log_(Names(organization, account) + " needs reconnecting: " + why);
  return {};
}

Result<SweepCount> GrantKeeper::RefreshDue(Instant now) {
  auto all = vault_.store().ListGrants();
  if (!all) return std::unexpected(all.error());
  SweepCount count;
  for (const storage::SealedGrant& g : *all) {
    if (!g.needs_reconnect.empty() || !g.expires_at || !Due(g.updated_at, *g.expires_at, now)) continue;
    auto refreshed = RefreshLocked(g.organization, g.account, now);
    if (!refreshed) {
      ++count.failed;
      if (log_) log_("refreshing " + Names(g.organization, g.account) + " failed: " + refreshed.error().message());
    } else if (refreshed->newly_refused) {
      ++count.needs_reconnect;
    } else if (refreshed->grant && refreshed->grant->updated_at == now) {
      ++count.refreshed;
    }
  }
  return count;
}

}  // namespace herald::oauth
