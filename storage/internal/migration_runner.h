// The schema migration runner both stores use: steps numbered 1..N with no
// gaps, each applied in its own transaction and recorded in the table
// schema_migrations, in order; a database whose recorded version is higher
// than the last step known here was written by a newer herald and is refused.
// The database-specific part (how a step is applied, how the version is read)
// is the caller's.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace herald::storage::internal {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// One database as the runner sees it.
struct MigrationTarget {
  // Names the database in messages: "database herald.db", "PostgreSQL database h:5432/db".
  std::string name;
  // What to point storage at instead of a database that is too new: "another file".
  std::string other;
  // The version recorded (0 for a fresh database).
  std::function<Result<int>()> version;
  // Applies `step` in a transaction of its own: true when this call applied it,
  // false when it found it applied (another process was first).
  std::function<Result<bool>(const Migration& step)> apply;
};

// Brings the target up to the last of `steps` and returns how many steps this
// call applied. FailedPrecondition when the database is newer than `steps`;
// Internal when `steps` is not numbered 1..N; a step's failure with its code,
// naming the step.
Result<int> RunMigrations(std::span<const Migration> steps, const MigrationTarget& target);

}  // namespace herald::storage::internal
