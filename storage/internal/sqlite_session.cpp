#include "storage/internal/sqlite_session.h"

#include <string>

#include "storage/internal/rows.h"
#include "storage/internal/statements.h"

namespace herald::storage::internal {
namespace {

// Writes run one at a time on the single writer connection, so the largest
// number so far plus one is new and larger than every committed one.
constexpr std::string_view kNextChangeSeq = "(SELECT COALESCE(MAX(change_seq), 0) + 1 FROM posts)";

}  // namespace

Result<void> SqliteWriteSession::Run(const Statement& statement) {
  auto query = db_.Prepare(statement.sql);
  if (!query) return std::unexpected(query.error());
  return query->BindAll(statement.values).Run();
}

Result<int64_t> SqliteWriteSession::RunCounting(const Statement& statement) {
  if (auto r = Run(statement); !r) return std::unexpected(r.error());
  return int64_t{db_.Changes()};
}

Result<int64_t> SqliteWriteSession::ChangeSeqOf(int64_t post_id) {
  auto query = db_.Prepare("SELECT change_seq FROM posts WHERE id = ?");
  if (!query) return std::unexpected(query.error());
  auto row = query->Bind(post_id).Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::unexpected(Status(Code::kInternal, "post " + std::to_string(post_id) + " vanished"));
  return query->Int(0);
}

Result<RowStamp> SqliteWriteSession::InsertPostRow(const Post& post) {
  static const std::string sql = InsertPostSql(kNextChangeSeq);
  auto insert = db_.Prepare(sql);
  if (!insert) return std::unexpected(insert.error());
  if (auto r = insert->BindAll(PostFieldValues(post)).Run(); !r) return std::unexpected(r.error());
  int64_t id = db_.LastInsertRowId();
  auto seq = ChangeSeqOf(id);
  if (!seq) return std::unexpected(seq.error());
  return RowStamp{id, *seq};
}

// The single writer connection already excludes every other writer.
Result<std::optional<PostHead>> SqliteWriteSession::LockPost(int64_t id, std::string_view organization) {
  return SelectOne(db_, {std::string(kSelectPostHeadSql), {id, std::string(organization)}},
                   [](const Query& row) -> Result<PostHead> {
                     PostHead head{row.Text(0), row.Int(1), row.Text(2), std::nullopt};
                     if (auto t = row.OptionalInt(3)) head.planned_at = FromUnix(*t);
                     return head;
                   });
}

Result<std::optional<int64_t>> SqliteWriteSession::UpdatePostRow(const Post& post) {
  static const std::string sql = UpdatePostSql(kNextChangeSeq);
  auto update = db_.Prepare(sql);
  if (!update) return std::unexpected(update.error());
  if (auto r = update->BindAll(PostFieldValues(post)).Bind(post.id).Bind(post.organization).Bind(post.version).Run(); !r) return std::unexpected(r.error());
  if (db_.Changes() != 1) return std::optional<int64_t>();
  auto seq = ChangeSeqOf(post.id);
  if (!seq) return std::unexpected(seq.error());
  return std::optional<int64_t>(*seq);
}

Result<std::optional<std::vector<std::optional<int64_t>>>> SqliteWriteSession::RunReturning(
    const Statement& statement, int columns) {
  using Row = std::vector<std::optional<int64_t>>;
  auto query = db_.Prepare(statement.sql);
  if (!query) return std::unexpected(query.error());
  auto row = query->BindAll(statement.values).Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<Row>();
  Row values;
  for (int c = 0; c < columns; ++c) values.push_back(query->OptionalInt(c));
  // Stepping to the end lets the statement finish before the next one runs.
  for (;;) {
    auto more = query->Step();
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
  }
  return std::optional<Row>(std::move(values));
}

}  // namespace herald::storage::internal
