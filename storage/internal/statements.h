// herald's SQL, written once for both stores with `?` placeholders (the
// PostgreSQL store numbers them with NumberPlaceholders). Each function gives
// a statement's text and, where it has any, the values it takes.
//
// Pure: no database is touched here.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/internal/sql_value.h"
#include "storage/store.h"

namespace herald::storage::internal {

// Largest page ListPosts and ListAudit return.
inline constexpr int kMaxListLimit = 1000;

// `sql` with its n-th `?` replaced by `$n` (PostgreSQL's placeholders). The
// statements here hold no `?` inside a literal.
std::string NumberPlaceholders(std::string_view sql);

// kPostColumns, each prefixed (`prefix` "p." gives "p.id, p.organization, ...").
std::string PostColumns(std::string_view prefix = "");

// INSERT of the kPostFieldColumns values with version 1 and change_seq taken
// from `next_change_seq` (an SQL expression), then `suffix`.
std::string InsertPostSql(std::string_view next_change_seq, std::string_view suffix = "");
// UPDATE of the kPostFieldColumns values, then id, organization and the
// expected version, raising version by one and taking a new change_seq.
std::string UpdatePostSql(std::string_view next_change_seq, std::string_view suffix = "");
// state, version, account of the post (id, organization): what a change is
// checked against.
inline constexpr std::string_view kSelectPostHeadSql =
    "SELECT state, version, account, planned_at FROM posts WHERE id = ? AND organization = ?";

Statement InsertHistoryStatement(const StateChange& change);
// `post`: the post a "create" entry is written with, whose text and reasons
// the entry's stored detail then leaves out while the post keeps them
// (created_text.h).
Statement InsertAuditStatement(const AuditEntry& entry, const Post* post = nullptr);
Statement InsertIdempotencyStatement(const IdempotencyRecord& record);
Statement InsertPolicyVersionStatement(const PolicyVersion& version);
Statement RenewLeaseStatement(std::string_view process, Instant until);
Statement SavePauseStatement(const AccountPause& pause);

// InvalidArgument when the query names no organization.
Result<Statement> ListPostsStatement(const PostQuery& query);
Result<Statement> ListAuditStatement(const AuditQuery& query);

Statement GetPostStatement(std::string_view organization, int64_t id);
// One row (any) when the post is in the organization.
Statement PostExistsStatement(std::string_view organization, int64_t id);
Statement HistoryStatement(int64_t post_id);
Statement LoadActiveStatement(Instant since);
Statement FindIdempotencyStatement(std::string_view organization, std::string_view key);
Statement AccountChangesStatement(std::string_view organization, std::string_view account, int64_t after_seq);
Statement OrphanedClaimsStatement(Instant now);
Statement ActivePausesStatement(Instant now);

}  // namespace herald::storage::internal
