// The PostgreSQL session's writes of many posts in one statement each: the
// lock of every post a write changes, and the rewrite of their rows.
#include <bit>
#include <string>
#include <string_view>
#include <unordered_map>

#include "storage/internal/pg_session.h"
#include "storage/internal/row_batches.h"
#include "storage/internal/rows.h"

namespace herald::storage::internal {
namespace {

constexpr std::string_view kNextChangeSeq = "nextval('post_change_seq')";

// The post columns that are not text: a VALUES list of untyped parameters
// is text, so these are cast back when the row is written.
const std::unordered_map<std::string_view, std::string_view>& NonTextColumns() {
  static const std::unordered_map<std::string_view, std::string_view> types{
      {"requested_at", "bigint"}, {"planned_at", "bigint"},        {"published_at", "bigint"},
      {"created_at", "bigint"},   {"updated_at", "bigint"},        {"unconfirmed_since", "bigint"},
      {"recheck_at", "bigint"},   {"answers_item", "bigint"},      {"rechecks", "integer"}};
  return types;
}

std::vector<std::string_view> FieldColumns() {
  std::vector<std::string_view> names;
  std::string_view rest = kPostFieldColumns;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    names.push_back(name);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return names;
}

// UPDATE of `rows` posts from a VALUES list of their fields, then the id and
// the expected version of each: as UpdatePostSql, one statement for all.
std::string UpdateRowsSql(size_t rows) {
  static const std::vector<std::string_view> names = FieldColumns();
  const auto& types = NonTextColumns();
  auto value_of = [&](std::string_view name) {
    auto it = types.find(name);
    return it == types.end() ? "v." + std::string(name) : "v." + std::string(name) + "::" + std::string(it->second);
  };
  std::string sql = "UPDATE posts SET ";
  for (std::string_view name : names) {
    sql += std::string(name) + " = " + value_of(name) + ", ";
  }
  sql += "version = posts.version + 1, change_seq = " + std::string(kNextChangeSeq) + " FROM (VALUES ";
  const size_t width = names.size() + 2;
  size_t n = 0;
  for (size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (size_t c = 0; c < width; ++c) sql += (c == 0 ? "$" : ", $") + std::to_string(++n);
    sql += ")";
  }
  sql += ") AS v(" + std::string(kPostFieldColumns) + ", row_id, row_version)";
  sql += " WHERE posts.id = v.row_id::bigint AND posts.organization = v.organization"
         " AND posts.version = v.row_version::bigint RETURNING posts.id, posts.change_seq";
  return sql;
}

// UpdateRowsSql of `rows`, a power of two up to kMaxRowsPerStatement (what
// RowChunks gives), written once per process.
const std::string& UpdateRowsSqlFor(size_t rows) {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> out;
    for (size_t n = 1; n <= kMaxRowsPerStatement; n *= 2) out.push_back(UpdateRowsSql(n));
    return out;
  }();
  return texts.at(static_cast<size_t>(std::countr_zero(rows)));
}

}  // namespace

Result<std::vector<LockedHead>> PgWriteSession::LockPosts(const std::vector<int64_t>& ids) {
  std::string list = "{";
  for (size_t i = 0; i < ids.size(); ++i) list += (i ? "," : "") + std::to_string(ids[i]);
  list += "}";
  // In id order, so that two writers locking some of the same posts queue
  // up instead of deadlocking.
  auto r = Send({"SELECT id, organization, state, version, account, planned_at FROM posts WHERE id = ANY($1::bigint[])"
                 " ORDER BY id FOR UPDATE",
                 {P(list)}});
  if (!r) return std::unexpected(r.error());
  std::vector<LockedHead> heads;
  heads.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    LockedHead h{r->Int(i, 0), r->Text(i, 1), PostHead{r->Text(i, 2), r->Int(i, 3), r->Text(i, 4), std::nullopt}};
    if (auto t = r->OptionalInt(i, 5)) h.head.planned_at = FromUnix(*t);
    touched_.emplace(h.organization, h.head.account);
    heads.push_back(std::move(h));
  }
  return heads;
}

Result<std::vector<std::optional<int64_t>>> PgWriteSession::UpdatePostRows(const std::vector<const Post*>& posts) {
  std::vector<std::optional<int64_t>> seqs(posts.size());
  const size_t width = static_cast<size_t>(kPostFieldCount) + 2;
  size_t start = 0;
  for (size_t n : RowChunks(posts.size(), std::min(kMaxRowsPerStatement, kMaxValuesPerStatement / width))) {
    PgParams params;
    params.reserve(n * width);
    std::unordered_map<int64_t, size_t> index;
    for (size_t i = start; i < start + n; ++i) {
      const Post& post = *posts[i];
      for (PgParam& p : Params(PostFieldValues(post))) params.push_back(std::move(p));
      params.push_back(P(post.id));
      params.push_back(P(post.version));
      index.emplace(post.id, i);
      touched_.emplace(post.organization, post.account);
    }
    start += n;
    auto r = Send({UpdateRowsSqlFor(n), std::move(params)});
    if (!r) return std::unexpected(r.error());
    for (int row = 0; row < r->rows(); ++row) {
      auto it = index.find(r->Int(row, 0));
      if (it != index.end()) seqs[it->second] = r->Int(row, 1);
    }
  }
  return seqs;
}

}  // namespace herald::storage::internal
