// The shared statements (statements.h) and writes (writes.h) on a PostgreSQL
// connection: a WriteSession that remembers which accounts it touched (they
// are announced to other processes after the commit), transactions whose
// failure says whether anything reached the server, and reading the rows of a
// Statement.
//
// Not thread-safe: the connection is used by one thread at a time.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "storage/internal/pg.h"
#include "storage/internal/sql_value.h"
#include "storage/internal/statements.h"
#include "storage/internal/writes.h"

namespace herald::storage::internal {

// (organization, account) pairs.
using Accounts = std::set<std::pair<std::string, std::string>>;

class PgWriteSession final : public WriteSession {
 public:
  explicit PgWriteSession(PgConnection& db) : db_(db) {}

  Result<void> Run(const Statement& statement) override;
  Result<int64_t> RunCounting(const Statement& statement) override;
  Result<RowStamp> InsertPostRow(const Post& post) override;
  Result<std::optional<PostHead>> LockPost(int64_t id, std::string_view organization) override;
  Result<std::optional<int64_t>> UpdatePostRow(const Post& post) override;
  Result<std::optional<std::vector<std::optional<int64_t>>>> RunReturning(const Statement& statement,
                                                                          int columns) override;
  bool BatchesRows() const override { return true; }
  Result<std::vector<LockedHead>> LockPosts(const std::vector<int64_t>& ids) override;
  Result<std::vector<std::optional<int64_t>>> UpdatePostRows(const std::vector<const Post*>& posts) override;

  // Every account whose posts this session inserted or changed, before and
  // after the change.
  const Accounts& touched() const { return touched_; }

 private:
  PgConnection& db_;
  Accounts touched_;
};

// Where a failed transaction stopped, which is what decides whether running
// it again is safe.
enum class TransactionStage {
  kNotBegun,  // BEGIN failed: nothing of the write reached the server
  kBegun,     // rolled back, or the COMMIT's outcome is unknown
};

struct TransactionError {
  // Implicit: a failure before any transaction (no connection) is a Status.
  TransactionError(Status s, TransactionStage at = TransactionStage::kBegun) : status(std::move(s)), stage(at) {}

  Status status;
  TransactionStage stage;
};

inline const Status& StatusOf(const TransactionError& error) { return error.status; }

template <class T>
using TransactionResult = std::expected<T, TransactionError>;

// Runs `body(PgConnection&)` (a Result<T>) inside BEGIN ... COMMIT; rolls back
// when it fails. A lost connection during COMMIT is Unavailable: the outcome
// is unknown to us.
template <class T, class F>
TransactionResult<T> InTransaction(PgConnection& db, F&& body) {
  if (auto r = db.ExecScript("BEGIN"); !r) {
    return std::unexpected(TransactionError{
        Status(r.error().code(), "could not begin a transaction: " + r.error().message()),
        TransactionStage::kNotBegun});
  }
  Result<T> result = body(db);
  if (!result) {
    (void)db.ExecScript("ROLLBACK");
    return std::unexpected(TransactionError{std::move(result.error())});
  }
  if (auto r = db.ExecScript("COMMIT"); !r) {
    if (db.ok()) (void)db.ExecScript("ROLLBACK");
    return std::unexpected(TransactionError{
        Status(Code::kUnavailable, "committing to PostgreSQL at " + db.target() + " failed: " + r.error().message())});
  }
  if constexpr (std::is_void_v<T>) {
    return {};
  } else {
    return std::move(*result);
  }
}

// Every row of `statement`, each read by `read(const PgRow&)` (a Result).
template <class Read>
auto PgSelectAll(PgConnection& db, const Statement& statement, Read&& read)
    -> Result<std::vector<typename decltype(read(std::declval<const PgRow&>()))::value_type>> {
  using T = typename decltype(read(std::declval<const PgRow&>()))::value_type;
  auto r = db.Exec(NumberPlaceholders(statement.sql), Params(statement.values));
  if (!r) return std::unexpected(r.error());
  std::vector<T> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    auto item = read(PgRow{*r, i});
    if (!item) return std::unexpected(item.error());
    out.push_back(std::move(*item));
  }
  return out;
}

// The first row of `statement` read by `read`, nullopt when there is none.
template <class Read>
auto PgSelectOne(PgConnection& db, const Statement& statement, Read&& read)
    -> Result<std::optional<typename decltype(read(std::declval<const PgRow&>()))::value_type>> {
  using T = typename decltype(read(std::declval<const PgRow&>()))::value_type;
  auto r = db.Exec(NumberPlaceholders(statement.sql), Params(statement.values));
  if (!r) return std::unexpected(r.error());
  if (r->rows() == 0) return std::optional<T>();
  auto item = read(PgRow{*r, 0});
  if (!item) return std::unexpected(item.error());
  return std::optional<T>(std::move(*item));
}

}  // namespace herald::storage::internal
