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
inline constexpr size_t kMaxRowsPerStatement = 256;
inline constexpr size_t kMaxValuesPerStatement = 30000;

// The row counts `rows` rows are written in: powers of two, largest first,
// none above `cap` (rounded down to a power of two). A connection prepares
// each statement text once, so a few sizes are reused where every count
// would be a new text: 500 rows are 256 + 128 + 64 + 32 + 16 + 4.
std::vector<size_t> RowChunks(size_t rows, size_t cap);

// `inserts`, all of the same text `INSERT INTO t (...) VALUES (...) [suffix]`,
// as the statements `INSERT INTO t (...) VALUES (...), (...) [suffix]` of
// RowChunks within the limits above, in order, with their values in order.
// InvalidArgument when the texts differ or one is not such an INSERT.
Result<std::vector<Statement>> CombineInserts(const std::vector<Statement>& inserts);

}  // namespace herald::storage::internal
