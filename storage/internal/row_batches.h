// Many rows in one statement, where each statement is a round trip to a
// database server: the INSERTs of one write combined into multi-row INSERTs.
//
// Pure: no database is touched here.
#pragma once

#include <vector>

#include "core/status.h"
#include "storage/internal/sql_value.h"

namespace herald::storage::internal {

// Most rows, and most values, one combined statement takes (PostgreSQL takes
// at most 65,535 parameters in a statement).
inline constexpr size_t kMaxRowsPerStatement = 500;
inline constexpr size_t kMaxValuesPerStatement = 30000;

// `inserts`, all of the same text `INSERT INTO t (...) VALUES (...) [suffix]`,
// as the fewest statements `INSERT INTO t (...) VALUES (...), (...) [suffix]`
// within the limits above, in order, with their values in order.
// InvalidArgument when the texts differ or one is not such an INSERT.
Result<std::vector<Statement>> CombineInserts(const std::vector<Statement>& inserts);

}  // namespace herald::storage::internal
