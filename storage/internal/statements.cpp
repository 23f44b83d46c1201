#include "storage/internal/statements.h"

#include <algorithm>

#include "storage/internal/created_text.h"
#include "storage/internal/packed_json.h"
#include "storage/internal/rows.h"

namespace herald::storage::internal {
namespace {

SqlValue Text(std::string_view v) { return std::string(v); }

// Calls `column(name)` for each name of a ", "-separated list.
template <class F>
void ForEachColumn(std::string_view columns, F&& column) {
  while (!columns.empty()) {
    size_t comma = columns.find(", ");
    column(columns.substr(0, comma));
    columns = comma == std::string_view::npos ? std::string_view() : columns.substr(comma + 2);
  }
}

Status NeedsOrganization() {
  return Status(Code::kInvalidArgument, "an organization is required to read posts and audit entries");
}

int64_t ClampLimit(int limit) { return std::clamp(limit, 1, kMaxListLimit); }

// Every state a post can still leave, quoted for IN (...).
std::string ActiveStates() {
  std::string active;
  for (int i = 0; i <= static_cast<int>(PostState::kMissed); ++i) {
    auto state = static_cast<PostState>(i);
    if (IsFinal(state)) continue;
    active += active.empty() ? "'" : ", '";
    active += PostStateName(state);
    active += "'";
  }
  return active;
}

}  // namespace

std::string NumberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (char c : sql) {
    if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

std::string PostColumns(std::string_view prefix) {
  std::string out;
  ForEachColumn(kPostColumns, [&](std::string_view name) {
    if (!out.empty()) out += ", ";
    out += prefix;
    out += name;
  });
  return out;
}

std::string InsertPostSql(std::string_view next_change_seq, std::string_view suffix) {
  std::string sql = "INSERT INTO posts (" + std::string(kPostFieldColumns) + ", version, change_seq) VALUES (";
  for (int i = 0; i < kPostFieldCount; ++i) sql += "?, ";
  return sql + "1, " + std::string(next_change_seq) + ")" + std::string(suffix);
}

std::string UpdatePostSql(std::string_view next_change_seq, std::string_view suffix) {
  std::string sql = "UPDATE posts SET ";
  ForEachColumn(kPostFieldColumns, [&](std::string_view name) {
    sql += name;
    sql += " = ?, ";
  });
  return sql + "version = version + 1, change_seq = " + std::string(next_change_seq) +
         " WHERE id = ? AND organization = ? AND version = ?" + std::string(suffix);
}

Statement InsertHistoryStatement(const StateChange& change) {
  SqlValue from;
  if (change.from) from = Text(PostStateName(*change.from));
  return {"INSERT INTO post_history (post_id, at, from_state, to_state, actor) VALUES (?, ?, ?, ?, ?)",
          {change.post_id, ToUnix(change.at), std::move(from), Text(PostStateName(change.to)), change.actor}};
}

Statement InsertAuditStatement(const AuditEntry& entry, const Post* post) {
  SqlValue post_id;
  if (entry.post_id) post_id = *entry.post_id;
  std::string detail = entry.stored_detail.empty() ? PackJson(entry.detail, entry.organization) : entry.stored_detail;
  if (post && entry.post_id == post->id && entry.action == "create") {
    detail = PackCreateDetailFrom(detail, entry.detail, entry.organization, post->text, ReasonsJson(post->reasons));
  }
  return {"INSERT INTO audit (organization, at, actor, action, post_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
          {entry.organization, ToUnix(entry.at), entry.actor, entry.action, std::move(post_id), std::move(detail)}};
}

Statement InsertIdempotencyStatement(const IdempotencyRecord& record) {
  return {"INSERT INTO idempotency_keys (organization, key, request_hash, post_id, status, created_at) "
          "VALUES (?, ?, ?, ?, ?, ?)",
          {record.organization, record.key, record.request_hash, record.post_id,
           record.first == FirstAnswer::kRefused ? kFirstRefused : kFirstCreated,
           ToUnix(record.created_at)}};
}

Statement InsertPolicyVersionStatement(const PolicyVersion& version) {
  return {"INSERT INTO policy_versions (organization, sha256, loaded_at, source) VALUES (?, ?, ?, ?)",
          {version.organization, version.sha256, ToUnix(version.loaded_at), version.source}};
}

Statement RenewLeaseStatement(std::string_view process, Instant until) {
  return {"INSERT INTO leases (process, until) VALUES (?, ?) "
          "ON CONFLICT (process) DO UPDATE SET until = excluded.until",
          {Text(process), ToUnix(until)}};
}

Statement SavePauseStatement(const AccountPause& pause) {
  return {"INSERT INTO account_pauses (organization, account, rule, until, why) VALUES (?, ?, ?, ?, ?) "
          "ON CONFLICT (organization, account) DO UPDATE SET rule = excluded.rule, until = excluded.until, "
          "why = excluded.why WHERE excluded.until > account_pauses.until",
          {pause.organization, pause.account, pause.rule, ToUnix(pause.until), pause.why}};
}

Result<Statement> ListPostsStatement(const PostQuery& q) {
  if (q.organization.empty()) return std::unexpected(NeedsOrganization());
  Statement s{"SELECT " + std::string(kPostColumns) + " FROM posts WHERE organization = ? AND id > ?",
              {q.organization, q.after_id}};
  if (q.account) {
    s.sql += " AND account = ?";
    s.values.emplace_back(*q.account);
  }
  if (q.state) {
    s.sql += " AND state = ?";
    s.values.push_back(Text(PostStateName(*q.state)));
  }
  if (q.from) {
    s.sql += " AND COALESCE(planned_at, requested_at) >= ?";
    s.values.emplace_back(ToUnix(*q.from));
  }
  if (q.to) {
    s.sql += " AND COALESCE(planned_at, requested_at) < ?";
    s.values.emplace_back(ToUnix(*q.to));
  }
  s.sql += " ORDER BY id LIMIT ?";
  s.values.emplace_back(ClampLimit(q.limit));
  return s;
}

Result<Statement> ListAuditStatement(const AuditQuery& q) {
  if (q.organization.empty()) return std::unexpected(NeedsOrganization());
  Statement s{"SELECT " + std::string(kAuditColumns) + " FROM audit WHERE organization = ? AND id > ?",
              {q.organization, q.after_id}};
  if (q.post_id) {
    s.sql += " AND post_id = ?";
    s.values.emplace_back(*q.post_id);
  }
  if (q.from) {
    s.sql += " AND at >= ?";
    s.values.emplace_back(ToUnix(*q.from));
  }
  if (q.to) {
    s.sql += " AND at < ?";
    s.values.emplace_back(ToUnix(*q.to));
  }
  s.sql += " ORDER BY id LIMIT ?";
  s.values.emplace_back(ClampLimit(q.limit));
  return s;
}

Statement GetPostStatement(std::string_view organization, int64_t id) {
  static const std::string sql = "SELECT " + std::string(kPostColumns) + " FROM posts WHERE id = ? AND organization = ?";
  return {sql, {id, Text(organization)}};
}

Statement PostExistsStatement(std::string_view organization, int64_t id) {
  return {"SELECT 1 FROM posts WHERE id = ? AND organization = ?", {id, Text(organization)}};
}

Statement HistoryStatement(int64_t post_id) {
  return {"SELECT at, from_state, to_state, actor FROM post_history WHERE post_id = ? ORDER BY id", {post_id}};
}

Statement LoadActiveStatement(Instant since) {
  static const std::string sql = "SELECT " + std::string(kPostColumns) + " FROM posts WHERE state IN (" +
                                 ActiveStates() + ") OR COALESCE(published_at, planned_at) >= ? ORDER BY id";
  return {sql, {ToUnix(since)}};
}

Statement FindIdempotencyStatement(std::string_view organization, std::string_view key) {
  return {"SELECT request_hash, post_id, status, created_at FROM idempotency_keys "
          "WHERE organization = ? AND key = ?",
          {Text(organization), Text(key)}};
}

Statement AccountChangesStatement(std::string_view organization, std::string_view account, int64_t after_seq) {
  static const std::string sql = "SELECT " + std::string(kPostColumns) +
                                 " FROM posts WHERE organization = ? AND account = ? AND change_seq > ?"
                                 " ORDER BY change_seq";
  return {sql, {Text(organization), Text(account), after_seq}};
}

Statement OrphanedClaimsStatement(Instant now) {
  static const std::string sql = "SELECT " + PostColumns("p.") +
                                 " FROM posts p LEFT JOIN leases l ON l.process = p.claimed_by"
                                 " WHERE p.state = 'publishing' AND (p.claimed_by = '' OR l.process IS NULL"
                                 " OR l.until < ?) ORDER BY p.id";
  return {sql, {ToUnix(now)}};
}

Statement ActivePausesStatement(Instant now) {
  return {"SELECT organization, account, rule, until, why FROM account_pauses WHERE until > ? "
          "ORDER BY organization, account",
          {ToUnix(now)}};
}

}  // namespace herald::storage::internal
