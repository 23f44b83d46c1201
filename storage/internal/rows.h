// How posts, audit entries and the other records map to database rows, for
// both stores: column lists, the values a post's row is written with, and
// reading a row back. JSON text holds labels, media and reasons; times are
// unix seconds. Reasons are stored as [rule, detail] or [rule, detail, posts]
// arrays; rows of older herald versions hold objects, read the same.
//
// A Row is anything with `Int(col)`, `OptionalInt(col)`, `Text(col)` and
// `IsNull(col)` over the current row: SQLite's Query, or a PgRow.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/post.h"
#include "core/status.h"
#include "storage/internal/created_text.h"
#include "storage/internal/packed_json.h"
#include "storage/internal/sql_value.h"
#include "storage/store.h"

namespace herald::storage::internal {

// Every column of posts but id, version and change_seq, in the order
// PostFieldValues gives them.
inline constexpr std::string_view kPostFieldColumns =
    "organization, account, author, text, labels, priority, media, requested_at, planned_at, "
    "state, reasons, approved_by, remote_id, remote_url, published_at, failure, created_at, "
    "updated_at, claimed_by, unconfirmed_since, recheck_at, rechecks, answers_item, reply_to";
inline constexpr int kPostFieldCount = 24;
// What ReadPost expects to have been selected.
inline constexpr std::string_view kPostColumns =
    "id, organization, account, author, text, labels, priority, media, requested_at, planned_at, "
    "state, reasons, approved_by, remote_id, remote_url, published_at, failure, created_at, "
    "updated_at, version, change_seq, claimed_by, unconfirmed_since, recheck_at, rechecks, answers_item, reply_to";

// The last two are the post's text and reasons for a detail that leaves them
// out (created_text.h).
inline constexpr std::string_view kAuditColumns =
    "id, organization, at, actor, action, post_id, detail, CASE WHEN substr(detail, 1, 2) IN ('~2', '~4') THEN"
    " (SELECT p.text FROM posts p WHERE p.id = audit.post_id AND p.organization = audit.organization) END,"
    " CASE WHEN substr(detail, 1, 2) = '~4' THEN"
    " (SELECT p.reasons FROM posts p WHERE p.id = audit.post_id AND p.organization = audit.organization) END";

int64_t ToUnix(Instant t);
Instant FromUnix(int64_t seconds);

std::string LabelsJson(const std::vector<std::string>& labels);
std::string MediaJson(const std::vector<Media>& media);
std::string ReasonsJson(const std::vector<StoredReason>& reasons);
// Fills labels, media and reasons; Internal when the text is not what they wrote.
Status ReadJsonColumns(const std::string& labels, const std::string& media, const std::string& reasons,
                       Post& post);

// The kPostFieldColumns values of `post`, in order.
SqlValues PostFieldValues(const Post& post);

// Internal, naming the post, for a stored state or priority this herald does
// not know.
Status UnknownValue(int64_t post_id, std::string_view what, std::string_view value);

// Reads a row selected with kPostColumns. Internal when a stored value cannot
// be read back (bad JSON, unknown state or priority).
template <class Row>
Result<Post> ReadPost(const Row& row) {
  Post post;
  post.id = row.Int(0);
  post.organization = row.Text(1);
  post.account = row.Text(2);
  post.author = row.Text(3);
  post.text = row.Text(4);
  std::string priority = row.Text(6);
  if (priority != "normal" && priority != "urgent") {
    return std::unexpected(UnknownValue(post.id, "priority", priority));
  }
  post.priority = priority == "urgent" ? PostPriority::kUrgent : PostPriority::kNormal;
  post.requested_at = FromUnix(row.Int(8));
  if (auto t = row.OptionalInt(9)) post.planned_at = FromUnix(*t);
  std::string state = row.Text(10);
  auto parsed = ParsePostState(state);
  if (!parsed) return std::unexpected(UnknownValue(post.id, "state", state));
  post.state = *parsed;
  post.approved_by = row.Text(12);
  post.remote_id = row.Text(13);
  post.remote_url = row.Text(14);
  if (auto t = row.OptionalInt(15)) post.published_at = FromUnix(*t);
  post.failure = row.Text(16);
  post.created_at = FromUnix(row.Int(17));
  post.updated_at = FromUnix(row.Int(18));
  post.version = row.Int(19);
  post.change_seq = row.Int(20);
  post.claimed_by = row.Text(21);
  if (auto t = row.OptionalInt(22)) post.unconfirmed_since = FromUnix(*t);
  if (auto t = row.OptionalInt(23)) post.recheck_at = FromUnix(*t);
  post.rechecks = static_cast<int>(row.Int(24));
  post.answers_item = row.OptionalInt(25);
  post.reply_to = row.Text(26);
  if (Status s = ReadJsonColumns(row.Text(5), row.Text(7), row.Text(11), post); !s.ok()) {
    return std::unexpected(std::move(s));
  }
  return post;
}

// A row selected with kAuditColumns; the detail as it was written (packed_json.h,
// created_text.h). Internal when it cannot be read back.
template <class Row>
Result<AuditEntry> ReadAudit(const Row& row) {
  std::string organization = row.Text(1);
  std::optional<std::string> post_text, post_reasons;
  if (!row.IsNull(7)) post_text = row.Text(7);
  if (!row.IsNull(8)) post_reasons = row.Text(8);
  auto detail = UnpackDetail(row.Text(6), organization, post_text, post_reasons);
  if (!detail) {
    return std::unexpected(Status(Code::kInternal, "audit entry " + std::to_string(row.Int(0)) + ": " +
                                                       detail.error().message()));
  }
  return AuditEntry{row.Int(0),  std::move(organization), FromUnix(row.Int(2)), row.Text(3),
                    row.Text(4), row.OptionalInt(5),      std::move(*detail)};
}

// A row of HistoryStatement(): at, from_state, to_state, actor.
template <class Row>
Result<StateChange> ReadStateChange(const Row& row, int64_t post_id) {
  StateChange change{post_id, FromUnix(row.Int(0)), std::nullopt, PostState::kPendingApproval, row.Text(3)};
  if (!row.IsNull(1)) change.from = ParsePostState(row.Text(1));
  auto to = ParsePostState(row.Text(2));
  if (!to || (!row.IsNull(1) && !change.from)) {
    return std::unexpected(Status(Code::kInternal, "post " + std::to_string(post_id) +
                                                       " has a history row with an unknown state"));
  }
  change.to = *to;
  return change;
}

// A row of ActivePausesStatement(): organization, account, rule, until, why.
template <class Row>
Result<AccountPause> ReadPause(const Row& row) {
  return AccountPause{row.Text(0), row.Text(1), row.Text(2), FromUnix(row.Int(3)), row.Text(4)};
}

// The `status` column keeps the encoding of the first schema: 201 created, 422 refused.
inline constexpr int64_t kFirstCreated = 201;
inline constexpr int64_t kFirstRefused = 422;

// A row of FindIdempotencyStatement(): request_hash, post_id, status, created_at.
template <class Row>
Result<IdempotencyRecord> ReadIdempotency(const Row& row, std::string_view organization, std::string_view key) {
  return IdempotencyRecord{std::string(organization), std::string(key), row.Text(0), row.Int(1),
                           row.Int(2) == kFirstRefused ? FirstAnswer::kRefused : FirstAnswer::kCreated,
                           FromUnix(row.Int(3))};
}

}  // namespace herald::storage::internal
