#include "storage/internal/pg_session.h"

#include "storage/internal/rows.h"

namespace herald::storage::internal {
namespace {

constexpr std::string_view kNextChangeSeq = "nextval('post_change_seq')";

}  // namespace

Result<void> PgWriteSession::Run(const Statement& statement) {
  auto r = db_.Exec(NumberPlaceholders(statement.sql), Params(statement.values));
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<int64_t> PgWriteSession::RunCounting(const Statement& statement) {
  auto r = db_.Exec(NumberPlaceholders(statement.sql), Params(statement.values));
  if (!r) return std::unexpected(r.error());
  return r->affected();
}

Result<RowStamp> PgWriteSession::InsertPostRow(const Post& post) {
  static const std::string sql = NumberPlaceholders(InsertPostSql(kNextChangeSeq, " RETURNING id, change_seq"));
  auto r = db_.Exec(sql, Params(PostFieldValues(post)));
  if (!r) return std::unexpected(r.error());
  touched_.emplace(post.organization, post.account);
  return RowStamp{r->Int(0, 0), r->Int(0, 1)};
}

Result<std::optional<PostHead>> PgWriteSession::LockPost(int64_t id, std::string_view organization) {
  static const std::string sql = std::string(kSelectPostHeadSql) + " FOR UPDATE";
  auto head = PgSelectOne(db_, {sql, {id, std::string(organization)}}, [](const PgRow& row) -> Result<PostHead> {
    PostHead head{row.Text(0), row.Int(1), row.Text(2), std::nullopt};
    if (auto t = row.OptionalInt(3)) head.planned_at = FromUnix(*t);
    return head;
  });
  if (head && *head) touched_.emplace(std::string(organization), (*head)->account);
  return head;
}

Result<std::optional<int64_t>> PgWriteSession::UpdatePostRow(const Post& post) {
  static const std::string sql = NumberPlaceholders(UpdatePostSql(kNextChangeSeq, " RETURNING change_seq"));
  PgParams params = Params(PostFieldValues(post));
  params.push_back(P(post.id));
  params.push_back(P(post.organization));
  params.push_back(P(post.version));
  auto r = db_.Exec(sql, params);
  if (!r) return std::unexpected(r.error());
  if (r->rows() != 1) return std::optional<int64_t>();
  touched_.emplace(post.organization, post.account);
  return std::optional<int64_t>(r->Int(0, 0));
}

Result<std::optional<std::vector<std::optional<int64_t>>>> PgWriteSession::RunReturning(const Statement& statement,
                                                                                        int columns) {
  using Row = std::vector<std::optional<int64_t>>;
  auto r = db_.Exec(NumberPlaceholders(statement.sql), Params(statement.values));
  if (!r) return std::unexpected(r.error());
  if (r->rows() == 0) return std::optional<Row>();
  Row values;
  for (int c = 0; c < columns; ++c) values.push_back(r->OptionalInt(0, c));
  return std::optional<Row>(std::move(values));
}

}  // namespace herald::storage::internal
