// The statements behind each Store write, run by the group committer inside
// its transaction (and a savepoint of their own). They return the caller's
// answer; on error the committer rolls back everything they did.
#pragma once

#include <optional>
#include <vector>

#include "core/status.h"
#include "storage/internal/sqlite.h"
#include "storage/store.h"

namespace herald::storage::internal {

Result<Post> InsertPost(Connection& db, Post post, std::vector<AuditEntry> audit,
                        std::optional<IdempotencyRecord> idempotency);

Result<std::vector<Post>> ApplyChanges(Connection& db, std::vector<PostChange> changes);

Result<void> InsertAudit(Connection& db, std::vector<AuditEntry> entries);

Result<void> InsertPolicyVersion(Connection& db, const PolicyVersion& version);

}  // namespace herald::storage::internal
