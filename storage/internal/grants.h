// The account_grants table for both stores: its statements, reading a row
// back, and the compare-and-set write behind Store::SaveGrant. The store only
// ever sees sealed grants; nothing here can decrypt them.
#pragma once

#include <string_view>

#include "core/status.h"
#include "storage/internal/rows.h"
#include "storage/internal/sql_value.h"
#include "storage/internal/writes.h"
#include "storage/store.h"

namespace herald::storage::internal {

// What ReadGrant expects to have been selected.
inline constexpr std::string_view kGrantColumns =
    "organization, account, key_id, sealed, expires_at, updated_at, version, needs_reconnect";

Statement FindGrantStatement(std::string_view organization, std::string_view account);
Statement ListGrantsStatement();

// See Store::SaveGrant for the failure codes. Runs inside its caller's transaction.
Result<SealedGrant> SaveGrant(WriteSession& db, SealedGrant grant);

// See Store::DeleteGrant for the failure codes.
Result<void> DeleteGrant(WriteSession& db, std::string_view organization, std::string_view account);

// Pending OAuth authorizations (Store::SaveAuthorization, TakeAuthorization).
inline constexpr std::string_view kAuthorizationColumns =
    "state_hash, organization, account, platform, caller, key_id, sealed_verifier, created_at, expires_at";
Statement FindAuthorizationStatement(std::string_view state_hash);
// AlreadyExists when the state hash is taken. Runs inside its caller's transaction.
Result<void> SaveAuthorization(WriteSession& db, const PendingAuthorization& authorization);
// True when this call removed it (the taker), false when it was gone.
Result<bool> RemoveAuthorization(WriteSession& db, std::string_view state_hash);

template <class Row>
Result<PendingAuthorization> ReadAuthorization(const Row& row) {
  return PendingAuthorization{row.Text(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4),
                              row.Text(5), row.Text(6), FromUnix(row.Int(7)), FromUnix(row.Int(8))};
}

template <class Row>
Result<SealedGrant> ReadGrant(const Row& row) {
  SealedGrant grant{row.Text(0), row.Text(1), row.Text(2), row.Text(3), std::nullopt, FromUnix(row.Int(5)),
                    row.Int(6), row.Text(7)};
  if (auto t = row.OptionalInt(4)) grant.expires_at = FromUnix(*t);
  return grant;
}

}  // namespace herald::storage::internal
