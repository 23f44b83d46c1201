#include "storage/internal/grants.h"

#include <string>

namespace herald::storage::internal {
namespace {

SqlValue Text(std::string_view v) { return std::string(v); }

SqlValue OptionalTime(const std::optional<Instant>& t) {
  if (!t) return {};
  return ToUnix(*t);
}

std::string Names(const SealedGrant& grant) {
  return "account " + grant.account + " of organization " + grant.organization;
}

}  // namespace

Statement FindGrantStatement(std::string_view organization, std::string_view account) {
  return {"SELECT " + std::string(kGrantColumns) + " FROM account_grants WHERE organization = ? AND account = ?",
          {Text(organization), Text(account)}};
}

Statement ListGrantsStatement() {
  return {"SELECT " + std::string(kGrantColumns) + " FROM account_grants ORDER BY organization, account", {}};
}

Result<void> DeleteGrant(WriteSession& db, std::string_view organization, std::string_view account) {
  auto deleted = db.RunCounting(
      {"DELETE FROM account_grants WHERE organization = ? AND account = ?", {Text(organization), Text(account)}});
  if (!deleted) return std::unexpected(deleted.error());
  if (*deleted == 0) {
    return std::unexpected(Status(Code::kNotFound, "account " + std::string(account) + " of organization " +
                                                       std::string(organization) + " has no stored grant"));
  }
  return {};
}

Result<SealedGrant> SaveGrant(WriteSession& db, SealedGrant grant) {
  if (grant.organization.empty() || grant.account.empty()) {
    return std::unexpected(Status(Code::kInvalidArgument, "a grant needs an organization and an account"));
  }
  if (grant.key_id.empty() || grant.sealed.empty()) {
    return std::unexpected(Status(Code::kInvalidArgument, "the grant of " + Names(grant) + " is not sealed"));
  }
  if (grant.version == 0) {
    auto r = db.RunUnique(
        {"INSERT INTO account_grants (" + std::string(kGrantColumns) + ") VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
         {grant.organization, grant.account, grant.key_id, grant.sealed, OptionalTime(grant.expires_at),
          ToUnix(grant.updated_at), grant.needs_reconnect}},
        Status(Code::kFailedPrecondition, Names(grant) + " was connected by someone else meanwhile; read its grant again"));
    if (!r) return std::unexpected(r.error());
    grant.version = 1;
    return grant;
  }
  auto changed = db.RunCounting(
      {"UPDATE account_grants SET key_id = ?, sealed = ?, expires_at = ?, updated_at = ?, needs_reconnect = ?, "
       "version = version + 1 WHERE organization = ? AND account = ? AND version = ?",
       {grant.key_id, grant.sealed, OptionalTime(grant.expires_at), ToUnix(grant.updated_at), grant.needs_reconnect,
        grant.organization, grant.account, grant.version}});
  if (!changed) return std::unexpected(changed.error());
  if (*changed != 1) {
    return std::unexpected(Status(Code::kFailedPrecondition,
                                  "the grant of " + Names(grant) + " is no longer at version " +
                                      std::to_string(grant.version) +
                                      ": someone else changed or removed it; read it again"));
  }
  grant.version += 1;
  return grant;
}

// Kept a day past their expiry, so that a late callback hears "expired"
// rather than "unknown".
constexpr int64_t kKeepExpiredSeconds = 24 * 3600;

Statement FindAuthorizationStatement(std::string_view state_hash) {
  return {"SELECT " + std::string(kAuthorizationColumns) + " FROM oauth_authorizations WHERE state_hash = ?",
          {Text(state_hash)}};
}

Result<void> SaveAuthorization(WriteSession& db, const PendingAuthorization& a) {
  if (a.state_hash.empty() || a.organization.empty() || a.account.empty() || a.sealed_verifier.empty()) {
    return std::unexpected(Status(Code::kInvalidArgument, "an authorization needs a state, an account and a verifier"));
  }
  if (auto r = db.Run({"DELETE FROM oauth_authorizations WHERE expires_at < ?",
                       {ToUnix(a.created_at) - kKeepExpiredSeconds}});
      !r) {
    return r;
  }
  return db.Run({"INSERT INTO oauth_authorizations (" + std::string(kAuthorizationColumns) +
                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 {a.state_hash, a.organization, a.account, a.platform, a.caller, a.key_id, a.sealed_verifier,
                  ToUnix(a.created_at), ToUnix(a.expires_at)}});
}

Result<bool> RemoveAuthorization(WriteSession& db, std::string_view state_hash) {
  auto removed = db.RunCounting({"DELETE FROM oauth_authorizations WHERE state_hash = ?", {Text(state_hash)}});
  if (!removed) return std::unexpected(removed.error());
  return *removed == 1;
}

}  // namespace herald::storage::internal
