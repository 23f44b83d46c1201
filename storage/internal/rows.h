// How posts and audit entries map to SQLite rows: column lists, binding and
// reading, JSON text for labels, media and reasons, unix seconds for times.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/post.h"
#include "core/status.h"
#include "storage/internal/sqlite.h"
#include "storage/store.h"

namespace herald::storage::internal {

// Every column of posts but id, version and change_seq, in the order
// BindPostFields binds.
inline constexpr std::string_view kPostFieldColumns =
    "organization, account, author, text, labels, priority, media, requested_at, planned_at, "
    "state, reasons, approved_by, remote_id, remote_url, published_at, failure, created_at, "
    "updated_at, claimed_by";
inline constexpr int kPostFieldCount = 19;
// What ReadPost expects to have been selected.
inline constexpr std::string_view kPostColumns =
    "id, organization, account, author, text, labels, priority, media, requested_at, planned_at, "
    "state, reasons, approved_by, remote_id, remote_url, published_at, failure, created_at, "
    "updated_at, version, change_seq, claimed_by";

inline constexpr std::string_view kAuditColumns =
    "id, organization, at, actor, action, post_id, detail";

int64_t ToUnix(Instant t);
Instant FromUnix(int64_t seconds);

// JSON text of the list columns, shared with the PostgreSQL store.
std::string LabelsJson(const std::vector<std::string>& labels);
std::string MediaJson(const std::vector<Media>& media);
std::string ReasonsJson(const std::vector<StoredReason>& reasons);
// Fills labels, media and reasons; Internal when the text is not what they wrote.
Status ReadJsonColumns(const std::string& labels, const std::string& media, const std::string& reasons,
                       Post& post);

// Binds the next kPostFieldCount parameters.
void BindPostFields(Query& query, const Post& post);
// Internal when a stored value cannot be read back (bad JSON, unknown state).
Result<Post> ReadPost(const Query& query);
Result<AuditEntry> ReadAudit(const Query& query);

}  // namespace herald::storage::internal
