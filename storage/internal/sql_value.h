// SqlValue: one statement parameter as both databases take it, so that the
// statements and their parameters are written once (statements.h) and each
// driver only binds them (sqlite.h, pg.h).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace herald::storage::internal {

// SQL NULL, an integer, or text.
using SqlValue = std::variant<std::monostate, int64_t, std::string>;
using SqlValues = std::vector<SqlValue>;

// A statement written with `?` placeholders and the values they take, in order.
struct Statement {
  std::string sql;
  SqlValues values;
};

}  // namespace herald::storage::internal
