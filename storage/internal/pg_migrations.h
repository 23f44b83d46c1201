// Schema migrations for the PostgreSQL store, versioned in code (numbered
// independently of SQLite's).
//
// Migrate takes a session advisory lock on a fixed key, so that several
// herald processes starting at once on a fresh database migrate it one after
// the other: the first applies the steps, the others find them applied. Each
// step runs in its own transaction and is recorded in schema_migrations. A
// database whose version is higher than the last known step was written by a
// newer herald and is refused.
#pragma once

#include <span>

#include "core/status.h"
#include "storage/internal/migration_runner.h"
#include "storage/internal/pg.h"

namespace herald::storage::internal {

// herald's PostgreSQL schema, oldest step first.
std::span<const Migration> PgSchemaMigrations();

// The version recorded in `db` (0 for a fresh database).
Result<int> PgSchemaVersion(PgConnection& db);

// Brings `db` up to the last of `steps` and returns how many steps it applied.
// FailedPrecondition when the database is newer; Internal when `steps` is not
// numbered 1..N; Unavailable when the server cannot be reached.
Result<int> PgMigrate(PgConnection& db, std::span<const Migration> steps);

}  // namespace herald::storage::internal
