#include "storage/internal/pg_session.h"

#include "storage/internal/rows.h"

namespace herald::storage::internal {
namespace {

constexpr std::string_view kNextChangeSeq = "nextval('post_change_seq')";

PgStatement Numbered(const Statement& statement) {
  return {NumberPlaceholders(statement.sql), Params(statement.values)};
}

}  // namespace

PgWriteSession::PgWriteSession(PgConnection& db) : db_(db) {
  held_.push_back({"BEGIN", {}});
  taken_.push_back(std::nullopt);
}

Result<void> PgWriteSession::Run(const Statement& statement) { return Hold(Numbered(statement), std::nullopt); }

Result<void> PgWriteSession::RunUnique(const Statement& statement, Status taken) {
  return Hold(Numbered(statement), std::move(taken));
}

Result<void> PgWriteSession::Hold(PgStatement statement, std::optional<Status> taken) {
  held_.push_back(std::move(statement));
  taken_.push_back(std::move(taken));
  // A pipeline's answers wait in the socket until the whole batch is sent:
  // keep batches small enough that they never fill it.
  if (held_.size() < kMaxHeld) return {};
  auto sent = SendHeld();
  if (!sent) return std::unexpected(sent.error());
  return {};
}

Status PgWriteSession::FailureOf(PgBatchFailure failure) {
  if (failure.index < taken_.size() && taken_[failure.index] && failure.status.code() == Code::kAlreadyExists) {
    return *taken_[failure.index];
  }
  return std::move(failure.status);
}

Result<std::vector<PgResult>> PgWriteSession::SendHeld() {
  auto results = db_.ExecBatch(held_);
  held_.clear();
  if (!results) {
    Status error = FailureOf(std::move(results.error()));
    taken_.clear();
    return std::unexpected(std::move(error));
  }
  taken_.clear();
  answered_ = true;
  return std::move(*results);
}

Result<PgResult> PgWriteSession::Send(PgStatement last) {
  held_.push_back(std::move(last));
  taken_.push_back(std::nullopt);
  auto results = SendHeld();
  if (!results) return std::unexpected(results.error());
  return std::move(results->back());
}

TransactionResult<void> PgWriteSession::Commit(std::vector<PgStatement> after_commit) {
  if (!answered_) {
    // Nothing sent yet: BEGIN alone first, so that a connection found dead
    // here (a restarted server) is known to have run nothing of the write.
    auto begun = db_.ExecBatch({held_.front()});
    if (!begun) {
      held_.clear();
      taken_.clear();
      return std::unexpected(TransactionError{
          Status(begun.error().status.code(), "could not begin a transaction: " + begun.error().status.message()),
          TransactionStage::kNotBegun});
    }
    held_.erase(held_.begin());
    taken_.erase(taken_.begin());
    answered_ = true;
  }
  const size_t commit = held_.size();
  held_.push_back({"COMMIT", {}});
  taken_.push_back(std::nullopt);
  for (PgStatement& st : after_commit) {
    held_.push_back(std::move(st));
    taken_.push_back(std::nullopt);
  }
  auto results = db_.ExecBatch(held_);
  held_.clear();
  if (!results && results.error().index <= commit) {
    std::optional<Status> error;
    if (results.error().index < commit && db_.ok()) error = FailureOf(std::move(results.error()));
    taken_.clear();
    Rollback();
    if (error) return std::unexpected(TransactionError{std::move(*error)});
    return std::unexpected(TransactionError{Status(
        Code::kUnavailable, "committing to PostgreSQL at " + db_.target() + " failed: " + results.error().status.message())});
  }
  taken_.clear();
  return {};
}

void PgWriteSession::Rollback() {
  held_.clear();
  taken_.clear();
  if (db_.ok() && !db_.reusable()) (void)db_.ExecScript("ROLLBACK");
}

Result<int64_t> PgWriteSession::RunCounting(const Statement& statement) {
  auto r = Send(Numbered(statement));
  if (!r) return std::unexpected(r.error());
  return r->affected();
}

Result<RowStamp> PgWriteSession::InsertPostRow(const Post& post) {
  static const std::string sql = NumberPlaceholders(InsertPostSql(kNextChangeSeq, " RETURNING id, change_seq"));
  auto r = Send({sql, Params(PostFieldValues(post))});
  if (!r) return std::unexpected(r.error());
  touched_.emplace(post.organization, post.account);
  return RowStamp{r->Int(0, 0), r->Int(0, 1)};
}

Result<std::optional<PostHead>> PgWriteSession::LockPost(int64_t id, std::string_view organization) {
  static const std::string sql = NumberPlaceholders(std::string(kSelectPostHeadSql) + " FOR UPDATE");
  auto r = Send({sql, {P(id), P(organization)}});
  if (!r) return std::unexpected(r.error());
  if (r->rows() == 0) return std::optional<PostHead>();
  PostHead head{r->Text(0, 0), r->Int(0, 1), r->Text(0, 2), std::nullopt};
  if (auto t = r->OptionalInt(0, 3)) head.planned_at = FromUnix(*t);
  touched_.emplace(std::string(organization), head.account);
  return std::optional<PostHead>(std::move(head));
}

Result<std::optional<int64_t>> PgWriteSession::UpdatePostRow(const Post& post) {
  static const std::string sql = NumberPlaceholders(UpdatePostSql(kNextChangeSeq, " RETURNING change_seq"));
  PgParams params = Params(PostFieldValues(post));
  params.push_back(P(post.id));
  params.push_back(P(post.organization));
  params.push_back(P(post.version));
  auto r = Send({sql, std::move(params)});
  if (!r) return std::unexpected(r.error());
  if (r->rows() != 1) return std::optional<int64_t>();
  touched_.emplace(post.organization, post.account);
  return std::optional<int64_t>(r->Int(0, 0));
}

Result<std::optional<std::vector<std::optional<int64_t>>>> PgWriteSession::RunReturning(const Statement& statement,
                                                                                        int columns) {
  using Row = std::vector<std::optional<int64_t>>;
  auto r = Send(Numbered(statement));
  if (!r) return std::unexpected(r.error());
  if (r->rows() == 0) return std::optional<Row>();
  Row values;
  for (int c = 0; c < columns; ++c) values.push_back(r->OptionalInt(0, c));
  return std::optional<Row>(std::move(values));
}

}  // namespace herald::storage::internal
