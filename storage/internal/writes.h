// The Store writes, written once for both databases: what CreatePost,
// UpdatePosts, AppendAudit and RecordPolicyVersion check and store. Each runs
// inside a transaction its caller opened on a WriteSession and rolls back on
// error; they return the caller's answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/internal/sql_value.h"
#include "storage/store.h"

namespace herald::storage::internal {

// A post row's number and change number as the database assigned them.
struct RowStamp {
  int64_t id = 0;
  int64_t change_seq = 0;
};

// What a change of a post is checked against: the stored row's state (as
// text), version and account.
struct PostHead {
  std::string state;
  int64_t version = 0;
  std::string account;
  std::optional<Instant> planned_at;
};

// A locked head with the post it belongs to, as LockPosts reads it.
struct LockedHead {
  int64_t id = 0;
  std::string organization;
  PostHead head;
};

// The statements of one write transaction, as one database runs them.
// Not thread-safe: one transaction at a time.
class WriteSession {
 public:
  virtual ~WriteSession() = default;

  // Runs a statement that returns no rows. AlreadyExists on a unique violation.
  // A session may hold it back and send it with its next statement that
  // answers, or with the commit: its failure then surfaces there, and the
  // transaction fails as a whole either way.
  virtual Result<void> Run(const Statement& statement) = 0;
  // Run, with `taken` as the failure when the statement violates a unique
  // key (instead of AlreadyExists), wherever that failure surfaces.
  virtual Result<void> RunUnique(const Statement& statement, Status taken) {
    auto r = Run(statement);
    if (!r && r.error().code() == Code::kAlreadyExists) return std::unexpected(std::move(taken));
    return r;
  }
  // Runs a statement that returns no rows and gives how many rows it changed.
  virtual Result<int64_t> RunCounting(const Statement& statement) = 0;
  // Inserts `post` as a new row (InsertPostSql) with version 1 and a new change_seq.
  virtual Result<RowStamp> InsertPostRow(const Post& post) = 0;
  // The stored head of post `id` in `organization`, locked against other
  // writers until the transaction ends; nullopt when there is no such post.
  virtual Result<std::optional<PostHead>> LockPost(int64_t id, std::string_view organization) = 0;
  // Writes `post` over its stored row (UpdatePostSql) when that is still at
  // post.version: the new change_seq, or nullopt when no row matched.
  virtual Result<std::optional<int64_t>> UpdatePostRow(const Post& post) = 0;
  // Runs a statement ending in a RETURNING clause of `columns` integer
  // columns: the first row's values (nullopt for NULL), or nullopt when it
  // returned no row.
  virtual Result<std::optional<std::vector<std::optional<int64_t>>>> RunReturning(const Statement& statement,
                                                                                  int columns) = 0;

  // Whether many rows go in one statement (LockPosts, UpdatePostRows and
  // combined INSERTs): worth it where each statement is a round trip to a
  // server. The calls below are used only where this is true.
  virtual bool BatchesRows() const { return false; }
  // The heads of the posts `ids` that exist, locked as LockPost locks one.
  virtual Result<std::vector<LockedHead>> LockPosts(const std::vector<int64_t>& ids);
  // Each post written over its row as UpdatePostRow writes one: the new
  // change_seq of each, in the order given, nullopt where no row matched.
  virtual Result<std::vector<std::optional<int64_t>>> UpdatePostRows(const std::vector<const Post*>& posts);
};

// Runs `inserts` (statements of one INSERT text), combined into multi-row
// statements where the session BatchesRows, else one by one.
Result<void> RunInserts(WriteSession& db, const std::vector<Statement>& inserts);

// Makes the stored form of `post`'s create entries in `audit` ahead of
// InsertPost, on the caller's thread rather than inside the write: without the
// post's text and reasons where they are the post's (created_text.h). `post`
// must be the post then given to InsertPost, unchanged. Pure.
void PrepareCreateAudit(const Post& post, std::vector<AuditEntry>& audit);

// InvalidArgument when the post, or an audit entry or the idempotency record,
// names no or another organization; AlreadyExists when the key is taken.
Result<Post> InsertPost(WriteSession& db, Post post, std::vector<AuditEntry> audit,
                        std::optional<IdempotencyRecord> idempotency);

// See Store::UpdatePosts for the failure codes.
Result<std::vector<Post>> ApplyChanges(WriteSession& db, std::vector<PostChange> changes);

// InvalidArgument when an entry names no organization. `post`: the post the
// entries are written with, when it is created (see InsertAuditStatement).
Result<void> InsertAudit(WriteSession& db, const std::vector<AuditEntry>& entries, const Post* post = nullptr);

Result<void> InsertPolicyVersion(WriteSession& db, const PolicyVersion& version);

// NotFound, naming the post and the organization.
Status NotInOrganization(int64_t id, std::string_view organization);

}  // namespace herald::storage::internal
