#include "storage/internal/writes.h"

#include <string>

#include "storage/internal/rows.h"

namespace herald::storage::internal {
namespace {

// Writes run one at a time on the single writer connection, so the largest
// number so far plus one is new and larger than every committed one.
constexpr std::string_view kNextChangeSeq = "(SELECT COALESCE(MAX(change_seq), 0) + 1 FROM posts)";

Result<int64_t> ChangeSeqOf(Connection& db, int64_t post_id) {
  auto query = db.Prepare("SELECT change_seq FROM posts WHERE id = ?");
  if (!query) return std::unexpected(query.error());
  auto row = query->Bind(post_id).Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::unexpected(Status(Code::kInternal, "post " + std::to_string(post_id) + " vanished"));
  return query->Int(0);
}

std::string InsertPostSql() {
  std::string sql = "INSERT INTO posts (" + std::string(kPostFieldColumns) + ", version, change_seq) VALUES (";
  for (int i = 0; i < kPostFieldCount; ++i) sql += "?, ";
  return sql + "1, " + std::string(kNextChangeSeq) + ")";
}

std::string UpdatePostSql() {
  std::string sql = "UPDATE posts SET ";
  std::string_view columns = kPostFieldColumns;
  while (!columns.empty()) {
    size_t comma = columns.find(", ");
    sql += columns.substr(0, comma);
    sql += " = ?, ";
    columns = comma == std::string_view::npos ? std::string_view() : columns.substr(comma + 2);
  }
  return sql + "version = version + 1, change_seq = " + std::string(kNextChangeSeq) +
         " WHERE id = ? AND organization = ? AND version = ?";
}

Result<void> InsertHistory(Connection& db, int64_t post_id, Instant at, std::optional<PostState> from,
                           PostState to, const std::string& actor) {
  auto insert = db.Prepare(
      "INSERT INTO post_history (post_id, at, from_state, to_state, actor) VALUES (?, ?, ?, ?, ?)");
  if (!insert) return std::unexpected(insert.error());
  std::optional<std::string_view> from_name;
  if (from) from_name = PostStateName(*from);
  return insert->Bind(post_id).Bind(ToUnix(at)).Bind(from_name).Bind(PostStateName(to)).Bind(actor).Run();
}

// Audit entries of a post's write belong to that post and its organisation.
Result<void> InsertAuditFor(Connection& db, std::vector<AuditEntry>& entries,
                            const std::string& organization, std::optional<int64_t> post_id) {
  for (AuditEntry& entry : entries) {
    if (entry.organization.empty()) entry.organization = organization;
    if (entry.organization != organization) {
      return std::unexpected(Status(Code::kInvalidArgument,
                                    "audit entry of organization \"" + entry.organization +
                                        "\" given with a write for organization \"" + organization + "\""));
    }
    if (!entry.post_id) entry.post_id = post_id;
  }
  return InsertAudit(db, std::move(entries));
}

std::string ActorOf(const std::vector<AuditEntry>& audit, const std::string& fallback) {
  if (!audit.empty() && !audit.front().actor.empty()) return audit.front().actor;
  return fallback.empty() ? "herald" : fallback;
}

Status Conflict(const Post& post, int64_t stored_version) {
  return Status(Code::kFailedPrecondition,
                "post " + std::to_string(post.id) + " was changed by someone else: this change is based on version " +
                    std::to_string(post.version) + " but the stored post is at version " +
                    std::to_string(stored_version) + "; reload it and apply the change again");
}

}  // namespace

Result<Post> InsertPost(Connection& db, Post post, std::vector<AuditEntry> audit,
                        std::optional<IdempotencyRecord> idempotency) {
  if (post.organization.empty()) {
    return std::unexpected(Status(Code::kInvalidArgument, "a post needs an organization"));
  }
  auto insert = db.Prepare(InsertPostSql());
  if (!insert) return std::unexpected(insert.error());
  BindPostFields(*insert, post);
  if (auto r = insert->Run(); !r) return std::unexpected(r.error());
  post.id = db.LastInsertRowId();
  post.version = 1;
  auto seq = ChangeSeqOf(db, post.id);
  if (!seq) return std::unexpected(seq.error());
  post.change_seq = *seq;

  if (auto r = InsertHistory(db, post.id, post.created_at, std::nullopt, post.state, ActorOf(audit, post.author));
      !r) {
    return std::unexpected(r.error());
  }
  if (auto r = InsertAuditFor(db, audit, post.organization, post.id); !r) return std::unexpected(r.error());

  if (idempotency) {
    if (idempotency->organization.empty()) idempotency->organization = post.organization;
    if (idempotency->organization != post.organization) {
      return std::unexpected(Status(Code::kInvalidArgument, "idempotency key of organization \"" +
                                                                idempotency->organization +
                                                                "\" given with a post of \"" +
                                                                post.organization + "\""));
    }
    auto key = db.Prepare(
        "INSERT INTO idempotency_keys (organization, key, request_hash, post_id, status, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    if (!key) return std::unexpected(key.error());
    auto r = key->Bind(idempotency->organization)
                 .Bind(idempotency->key)
                 .Bind(idempotency->request_hash)
                 .Bind(post.id)
                 .Bind(int64_t{idempotency->status})
                 .Bind(ToUnix(idempotency->created_at))
                 .Run();
    if (!r && r.error().code() == Code::kAlreadyExists) {
      return std::unexpected(Status(Code::kAlreadyExists,
                                    "idempotency key \"" + idempotency->key + "\" of organization " +
                                        idempotency->organization +
                                        " is already taken; the first answer is in FindIdempotency"));
    }
    if (!r) return std::unexpected(r.error());
  }
  return post;
}

Result<std::vector<Post>> ApplyChanges(Connection& db, std::vector<PostChange> changes) {
  std::vector<Post> stored;
  stored.reserve(changes.size());
  for (PostChange& change : changes) {
    Post& post = change.post;
    PostState old_state;
    {
      auto current = db.Prepare("SELECT state, version FROM posts WHERE id = ? AND organization = ?");
      if (!current) return std::unexpected(current.error());
      auto row = current->Bind(post.id).Bind(post.organization).Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) {
        return std::unexpected(Status(Code::kNotFound, "post " + std::to_string(post.id) +
                                                           " not found in organization " + post.organization));
      }
      if (current->Int(1) != post.version) return std::unexpected(Conflict(post, current->Int(1)));
      auto state = ParsePostState(current->Text(0));
      if (!state) {
        return std::unexpected(Status(Code::kInternal, "post " + std::to_string(post.id) +
                                                           " has unknown state \"" + current->Text(0) + "\""));
      }
      old_state = *state;
    }
    auto update = db.Prepare(UpdatePostSql());
    if (!update) return std::unexpected(update.error());
    BindPostFields(*update, post);
    if (auto r = update->Bind(post.id).Bind(post.organization).Bind(post.version).Run(); !r) {
      return std::unexpected(r.error());
    }
    if (db.Changes() != 1) {
      return std::unexpected(Status(Code::kFailedPrecondition,
                                    "post " + std::to_string(post.id) + " at version " +
                                        std::to_string(post.version) +
                                        " changed while it was being updated; reload it and retry"));
    }
    post.version += 1;
    auto seq = ChangeSeqOf(db, post.id);
    if (!seq) return std::unexpected(seq.error());
    post.change_seq = *seq;
    if (old_state != post.state) {
      if (auto r = InsertHistory(db, post.id, post.updated_at, old_state, post.state, ActorOf(change.audit, ""));
          !r) {
        return std::unexpected(r.error());
      }
    }
    if (auto r = InsertAuditFor(db, change.audit, post.organization, post.id); !r) {
      return std::unexpected(r.error());
    }
    stored.push_back(std::move(post));
  }
  return stored;
}

Result<void> InsertAudit(Connection& db, std::vector<AuditEntry> entries) {
  for (const AuditEntry& entry : entries) {
    if (entry.organization.empty()) {
      return std::unexpected(Status(Code::kInvalidArgument, "an audit entry needs an organization"));
    }
    auto insert = db.Prepare(
        "INSERT INTO audit (organization, at, actor, action, post_id, detail) VALUES (?, ?, ?, ?, ?, ?)");
    if (!insert) return std::unexpected(insert.error());
    auto r = insert->Bind(entry.organization)
                 .Bind(ToUnix(entry.at))
                 .Bind(entry.actor)
                 .Bind(entry.action)
                 .Bind(entry.post_id)
                 .Bind(entry.detail)
                 .Run();
    if (!r) return r;
  }
  return {};
}

Result<void> InsertPolicyVersion(Connection& db, const PolicyVersion& version) {
  auto insert = db.Prepare(
      "INSERT INTO policy_versions (organization, sha256, loaded_at, source) VALUES (?, ?, ?, ?)");
  if (!insert) return std::unexpected(insert.error());
  return insert->Bind(version.organization).Bind(version.sha256).Bind(ToUnix(version.loaded_at)).Bind(version.source).Run();
}

}  // namespace herald::storage::internal
