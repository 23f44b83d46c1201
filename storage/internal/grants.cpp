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
    auto r = db.Run({"INSERT INTO account_grants (" + std::string(kGrantColumns) + ") VALUES (?, ?, ?, ?, ?, ?, 1)",
                     {grant.organization, grant.account, grant.key_id, grant.sealed, OptionalTime(grant.expires_at),
                      ToUnix(grant.updated_at)}});
    if (!r && r.error().code() == Code::kAlreadyExists) {
      return std::unexpected(Status(Code::kFailedPrecondition,
                                    Names(grant) + " was connected by someone else meanwhile; read its grant again"));
    }
    if (!r) return std::unexpected(r.error());
    grant.version = 1;
    return grant;
  }
  auto changed = db.RunCounting(
      {"UPDATE account_grants SET key_id = ?, sealed = ?, expires_at = ?, updated_at = ?, version = version + 1 "
       "WHERE organization = ? AND account = ? AND version = ?",
       {grant.key_id, grant.sealed, OptionalTime(grant.expires_at), ToUnix(grant.updated_at), grant.organization,
        grant.account, grant.version}});
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

}  // namespace herald::storage::internal
