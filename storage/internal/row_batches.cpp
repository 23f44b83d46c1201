#include "storage/internal/row_batches.h"

#include <algorithm>
#include <string>
#include <string_view>

namespace herald::storage::internal {
namespace {

// Where the row of `sql` (an INSERT ... VALUES (...)) starts and ends: the
// "(" after VALUES and one past its matching ")". Quoted text is skipped.
Result<std::pair<size_t, size_t>> RowOf(std::string_view sql) {
  const size_t values = sql.find(" VALUES (");
  if (values == std::string_view::npos || !sql.starts_with("INSERT INTO ")) {
    return std::unexpected(Status(Code::kInvalidArgument, "not an INSERT ... VALUES (...): " + std::string(sql)));
  }
  const size_t open = values + 8;
  int depth = 0;
  bool quoted = false;
  for (size_t i = open; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'') quoted = !quoted;
    if (quoted) continue;
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) return std::pair{open, i + 1};
  }
  return std::unexpected(Status(Code::kInvalidArgument, "unbalanced VALUES row: " + std::string(sql)));
}

}  // namespace

std::vector<size_t> RowChunks(size_t rows, size_t cap) {
  size_t largest = 1;
  while (largest * 2 <= std::max<size_t>(cap, 1)) largest *= 2;
  std::vector<size_t> chunks;
  for (size_t size = largest; rows > 0; size /= 2) {
    while (rows >= size) {
      chunks.push_back(size);
      rows -= size;
    }
  }
  return chunks;
}

Result<std::vector<Statement>> CombineInserts(const std::vector<Statement>& inserts) {
  std::vector<Statement> out;
  if (inserts.empty()) return out;
  const std::string& sql = inserts.front().sql;
  auto row = RowOf(sql);
  if (!row) return std::unexpected(row.error());
  const std::string_view head = std::string_view(sql).substr(0, row->first);
  const std::string_view tuple = std::string_view(sql).substr(row->first, row->second - row->first);
  const std::string_view suffix = std::string_view(sql).substr(row->second);
  const size_t width = inserts.front().values.size();
  const size_t cap = width == 0 ? kMaxRowsPerStatement : std::min(kMaxRowsPerStatement, kMaxValuesPerStatement / width);
  size_t i = 0;
  for (size_t n : RowChunks(inserts.size(), cap)) {
    Statement combined;
    combined.sql.reserve(head.size() + n * (tuple.size() + 2) + suffix.size());
    combined.sql += head;
    combined.values.reserve(n * width);
    for (size_t k = i; k < i + n; ++k) {
      const Statement& s = inserts[k];
      if (s.sql != sql || s.values.size() != width) {
        return std::unexpected(Status(Code::kInvalidArgument, "cannot combine different INSERTs: " + s.sql));
      }
      if (k > i) combined.sql += ", ";
      combined.sql += tuple;
      combined.values.insert(combined.values.end(), s.values.begin(), s.values.end());
    }
    combined.sql += suffix;
    out.push_back(std::move(combined));
    i += n;
  }
  return out;
}

}  // namespace herald::storage::internal
