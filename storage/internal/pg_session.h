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

// Where a failed transaction stopped, which is what decides whether running
// it again is safe.
enum class TransactionStage {
  kNotBegun,  // nothing of the write can have been committed, and the
              // server answered none of it: safe to run again
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

// One write transaction on a PostgreSQL connection. Statements whose answer
// the writes do not read (Run, RunUnique) are held back and sent with the
// next statement that answers, or with the COMMIT, in one round trip; BEGIN
// goes with the first of them. A create (post, history, audit, event, key)
// is two round trips: BEGIN and the post's INSERT, then the rest and COMMIT.
class PgWriteSession final : public WriteSession {
 public:
  // REQUIRES: `db` is outside any transaction.
  explicit PgWriteSession(PgConnection& db);

  Result<void> Run(const Statement& statement) override;
  Result<void> RunUnique(const Statement& statement, Status taken) override;
  Result<int64_t> RunCounting(const Statement& statement) override;
  Result<RowStamp> InsertPostRow(const Post& post) override;
  Result<std::optional<PostHead>> LockPost(int64_t id, std::string_view organization) override;
  Result<std::optional<int64_t>> UpdatePostRow(const Post& post) override;
  Result<std::optional<std::vector<std::optional<int64_t>>>> RunReturning(const Statement& statement,
                                                                          int columns) override;
  bool BatchesRows() const override { return true; }
  Result<std::vector<LockedHead>> LockPosts(const std::vector<int64_t>& ids) override;
  Result<std::vector<std::optional<int64_t>>> UpdatePostRows(const std::vector<const Post*>& posts) override;

  // Sends what is held back and COMMIT, then (outside the transaction, on
  // the same round trip) `after_commit`, whose failures are ignored. A failed
  // statement is reported as itself; a failed or unanswered COMMIT is
  // Unavailable (its outcome unknown). Either way the transaction is over.
  TransactionResult<void> Commit(std::vector<PgStatement> after_commit = {});
  // Ends the transaction without committing; what is held back is dropped.
  void Rollback();

  // Every account whose posts this session inserted or changed, before and
  // after the change.
  const Accounts& touched() const { return touched_; }
  // Where a failure of this session so far leaves the write.
  TransactionStage stage() const { return answered_ ? TransactionStage::kBegun : TransactionStage::kNotBegun; }

  // Statements held back at most; more are sent at once.
  static constexpr size_t kMaxHeld = 64;

 private:
  // Holds `statement` back (sending what is held when that reaches kMaxHeld).
  Result<void> Hold(PgStatement statement, std::optional<Status> taken);
  // Sends the held-back statements; their results.
  Result<std::vector<PgResult>> SendHeld();
  // Sends the held-back statements and `last`; `last`'s result.
  Result<PgResult> Send(PgStatement last);
  // The error of the batch's failed statement, as the writes expect it.
  Status FailureOf(PgBatchFailure failure);

  PgConnection& db_;
  std::vector<PgStatement> held_;     // BEGIN first, until the first send
  std::vector<std::optional<Status>> taken_;  // per held statement: its unique-violation error
  bool answered_ = false;             // the server answered some of this write
  Accounts touched_;
};

// Runs `body(PgWriteSession&)` (a Result<T>) as one transaction on `db` and
// commits it, then runs `after_commit(session)` (a vector<PgStatement>) on the
// commit's round trip; rolls back when the body fails.
template <class T, class F, class After>
TransactionResult<T> InTransaction(PgConnection& db, F&& body, After&& after_commit) {
  PgWriteSession session(db);
  Result<T> result = body(session);
  if (!result) {
    TransactionStage stage = session.stage();
    session.Rollback();
    return std::unexpected(TransactionError{std::move(result.error()), stage});
  }
  if (auto r = session.Commit(after_commit(session)); !r) return std::unexpected(std::move(r.error()));
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
