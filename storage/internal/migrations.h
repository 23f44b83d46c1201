// Schema migrations for the SQLite store, versioned in code.
//
// Each step has a number (1, 2, 3, ... with no gaps) and SQL; Migrate applies
// the steps a database has not seen yet, in order, each in its own
// transaction, and records them in the table schema_migrations. A database
// whose recorded version is higher than the last step known here was written
// by a newer herald and is refused.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/internal/migration_runner.h"
#include "storage/internal/sqlite.h"

namespace herald::storage::internal {

// herald's schema, oldest step first.
std::span<const Migration> SchemaMigrations();

// The version recorded in `db` (0 for a fresh database).
Result<int> SchemaVersion(Connection& db);

// Brings `db` up to the last of `steps` and returns how many steps it applied.
// FailedPrecondition when the database is newer than `steps`; Internal when
// `steps` is not numbered 1..N; Unavailable when the database cannot be written.
Result<int> Migrate(Connection& db, std::span<const Migration> steps);

}  // namespace herald::storage::internal
