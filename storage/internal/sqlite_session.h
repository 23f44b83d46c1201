// The shared statements (statements.h) and writes (writes.h) on a SQLite
// connection: a WriteSession for the group committer's transaction, and
// reading the rows of a Statement.
//
// Not thread-safe: the connection is used by one thread at a time.
#pragma once

#include <optional>
#include <vector>

#include "core/status.h"
#include "storage/internal/sql_value.h"
#include "storage/internal/sqlite.h"
#include "storage/internal/writes.h"

namespace herald::storage::internal {

class SqliteWriteSession final : public WriteSession {
 public:
  explicit SqliteWriteSession(Connection& db) : db_(db) {}

  Result<void> Run(const Statement& statement) override;
  Result<int64_t> RunCounting(const Statement& statement) override;
  Result<RowStamp> InsertPostRow(const Post& post) override;
  Result<std::optional<PostHead>> LockPost(int64_t id, std::string_view organization) override;
  Result<std::optional<int64_t>> UpdatePostRow(const Post& post) override;
  Result<std::optional<std::vector<std::optional<int64_t>>>> RunReturning(const Statement& statement,
                                                                          int columns) override;

 private:
  Result<int64_t> ChangeSeqOf(int64_t post_id);

  Connection& db_;
};

// Every row of `statement`, each read by `read(const Query&)` (a Result).
template <class Read>
auto SelectAll(Connection& db, const Statement& statement, Read&& read)
    -> Result<std::vector<typename decltype(read(std::declval<const Query&>()))::value_type>> {
  using T = typename decltype(read(std::declval<const Query&>()))::value_type;
  auto query = db.Prepare(statement.sql);
  if (!query) return std::unexpected(query.error());
  query->BindAll(statement.values);
  std::vector<T> out;
  for (;;) {
    auto row = query->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    auto item = read(std::as_const(*query));
    if (!item) return std::unexpected(item.error());
    out.push_back(std::move(*item));
  }
}

// The first row of `statement` read by `read`, nullopt when there is none.
template <class Read>
auto SelectOne(Connection& db, const Statement& statement, Read&& read)
    -> Result<std::optional<typename decltype(read(std::declval<const Query&>()))::value_type>> {
  using T = typename decltype(read(std::declval<const Query&>()))::value_type;
  auto query = db.Prepare(statement.sql);
  if (!query) return std::unexpected(query.error());
  auto row = query->BindAll(statement.values).Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<T>();
  auto item = read(std::as_const(*query));
  if (!item) return std::unexpected(item.error());
  return std::optional<T>(std::move(*item));
}

}  // namespace herald::storage::internal
