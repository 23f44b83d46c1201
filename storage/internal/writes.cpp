#include "storage/internal/writes.h"

#include <string>
#include <unordered_map>
#include <unordered_set>

#include "storage/internal/created_text.h"
#include "storage/internal/event_rows.h"
#include "storage/internal/packed_json.h"
#include "storage/internal/reply_rows.h"
#include "storage/internal/row_batches.h"
#include "storage/internal/rows.h"
#include "storage/internal/statements.h"

namespace herald::storage::internal {
namespace {

// Who a history row names: the first audit entry's actor, else `fallback`
// (the author of a new post), else herald itself.
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

// Audit entries of a post's write belong to that post and its organisation.
Result<void> OwnAudit(std::vector<AuditEntry>& entries, const std::string& organization,
                      std::optional<int64_t> post_id) {
  for (AuditEntry& entry : entries) {
    if (entry.organization.empty()) entry.organization = organization;
    if (entry.organization != organization) {
      return std::unexpected(Status(Code::kInvalidArgument,
                                    "audit entry of organization \"" + entry.organization +
                                        "\" given with a write for organization \"" + organization + "\""));
    }
    if (!entry.post_id) entry.post_id = post_id;
  }
  return {};
}

Result<void> InsertAuditFor(WriteSession& db, std::vector<AuditEntry>& entries, const std::string& organization,
                            std::optional<int64_t> post_id, const Post* created = nullptr) {
  if (auto r = OwnAudit(entries, organization, post_id); !r) return r;
  return InsertAudit(db, entries, created);
}

Result<void> InsertHistory(WriteSession& db, const StateChange& change) {
  return db.Run(InsertHistoryStatement(change));
}

}  // namespace

Status NotInOrganization(int64_t id, std::string_view organization) {
  return Status(Code::kNotFound,
                "post " + std::to_string(id) + " not found in organization " + std::string(organization));
}

Result<Post> InsertPost(WriteSession& db, Post post, std::vector<AuditEntry> audit,
                        std::optional<IdempotencyRecord> idempotency) {
  if (post.organization.empty()) {
    return std::unexpected(Status(Code::kInvalidArgument, "a post needs an organization"));
  }
  if (idempotency) {
    if (idempotency->organization.empty()) idempotency->organization = post.organization;
    if (idempotency->organization != post.organization) {
      return std::unexpected(Status(Code::kInvalidArgument, "idempotency key of organization \"" +
                                                                idempotency->organization +
                                                                "\" given with a post of \"" +
                                                                post.organization + "\""));
    }
  }
  auto stamp = db.InsertPostRow(post);
  if (!stamp) return std::unexpected(stamp.error());
  post.id = stamp->id;
  post.change_seq = stamp->change_seq;
  post.version = 1;

  if (auto r = InsertHistory(db, {post.id, post.created_at, std::nullopt, post.state, ActorOf(audit, post.author)});
      !r) {
    return std::unexpected(r.error());
  }
  if (auto r = InsertAuditFor(db, audit, post.organization, post.id, &post); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = LinkReply(db, post, ActorOf(audit, post.author)); !r) return std::unexpected(r.error());
  if (auto event = StoredPostEvent(std::nullopt, std::nullopt, post)) {
    std::vector<StoredEvent> events;
    events.push_back(std::move(*event));
    if (auto r = InsertEvents(db, std::move(events)); !r) return std::unexpected(r.error());
  }

  if (idempotency) {
    idempotency->post_id = post.id;
    Status taken(Code::kAlreadyExists, "idempotency key \"" + idempotency->key + "\" of organization " +
                                           idempotency->organization +
                                           " is already taken; the first answer is in FindIdempotency");
    if (auto r = db.RunUnique(InsertIdempotencyStatement(*idempotency), std::move(taken)); !r) {
      return std::unexpected(r.error());
    }
  }
  return post;
}

void PrepareCreateAudit(const Post& post, std::vector<AuditEntry>& audit) {
  for (AuditEntry& entry : audit) {
    if (entry.action != "create" || entry.organization != post.organization || entry.post_id) continue;
    std::string packed =
        entry.stored_detail.empty() ? PackJson(entry.detail, entry.organization) : std::move(entry.stored_detail);
    entry.stored_detail =
        PackCreateDetailFrom(packed, entry.detail, entry.organization, post.text, ReasonsJson(post.reasons));
  }
}

namespace {

// The changes one post at a time: where every statement is cheap.
Result<std::vector<Post>> ApplyEach(WriteSession& db, std::vector<PostChange>& changes) {
  std::vector<Post> stored;
  stored.reserve(changes.size());
  for (PostChange& change : changes) {
    Post& post = change.post;
    // Under PostgreSQL the row lock makes concurrent updates of one post queue
    // up here; the later ones then see the new version and fail the check.
    auto head = db.LockPost(post.id, post.organization);
    if (!head) return std::unexpected(head.error());
    if (!*head) return std::unexpected(NotInOrganization(post.id, post.organization));
    if ((*head)->version != post.version) return std::unexpected(Conflict(post, (*head)->version));
    auto old_state = ParsePostState((*head)->state);
    if (!old_state) return std::unexpected(UnknownValue(post.id, "state", (*head)->state));

    auto seq = db.UpdatePostRow(post);
    if (!seq) return std::unexpected(seq.error());
    if (!*seq) {
      return std::unexpected(Status(Code::kFailedPrecondition,
                                    "post " + std::to_string(post.id) + " at version " +
                                        std::to_string(post.version) +
                                        " changed while it was being updated; reload it and retry"));
    }
    post.version += 1;
    post.change_seq = **seq;
    if (*old_state != post.state) {
      if (auto r = InsertHistory(db, {post.id, post.updated_at, *old_state, post.state, ActorOf(change.audit, "")});
          !r) {
        return std::unexpected(r.error());
      }
    }
    if (auto r = InsertAuditFor(db, change.audit, post.organization, post.id); !r) {
      return std::unexpected(r.error());
    }
    if (auto r = SettleReply(db, post, *old_state, ActorOf(change.audit, "")); !r) return std::unexpected(r.error());
    // The event is in the same transaction as the change it tells of.
    if (auto event = StoredPostEvent(*old_state, (*head)->planned_at, post)) {
      std::vector<StoredEvent> events;
      events.push_back(std::move(*event));
      if (auto r = InsertEvents(db, std::move(events)); !r) return std::unexpected(r.error());
    }
    stored.push_back(std::move(post));
  }
  return stored;
}

// The changes together: one statement locks every post, one writes them all,
// and the history, audit and event rows go in multi-row INSERTs. What is
// checked, and what is stored, are the same as ApplyEach's.
Result<std::vector<Post>> ApplyTogether(WriteSession& db, std::vector<PostChange>& changes) {
  std::vector<int64_t> ids;
  ids.reserve(changes.size());
  for (const PostChange& change : changes) ids.push_back(change.post.id);
  auto locked = db.LockPosts(ids);
  if (!locked) return std::unexpected(locked.error());
  std::unordered_map<int64_t, const LockedHead*> heads;
  for (const LockedHead& h : *locked) heads.emplace(h.id, &h);

  std::vector<PostState> old_states;
  std::vector<const Post*> posts;
  old_states.reserve(changes.size());
  posts.reserve(changes.size());
  for (const PostChange& change : changes) {
    const Post& post = change.post;
    auto it = heads.find(post.id);
    if (it == heads.end() || it->second->organization != post.organization) {
      return std::unexpected(NotInOrganization(post.id, post.organization));
    }
    const PostHead& head = it->second->head;
    if (head.version != post.version) return std::unexpected(Conflict(post, head.version));
    auto old_state = ParsePostState(head.state);
    if (!old_state) return std::unexpected(UnknownValue(post.id, "state", head.state));
    old_states.push_back(*old_state);
    posts.push_back(&post);
  }
  auto seqs = db.UpdatePostRows(posts);
  if (!seqs) return std::unexpected(seqs.error());

  std::vector<Statement> history;
  std::vector<AuditEntry> audit;
  std::vector<StoredEvent> events;
  std::vector<std::string> actors;  // read before the entries move to `audit`
  actors.reserve(changes.size());
  for (size_t i = 0; i < changes.size(); ++i) {
    Post& post = changes[i].post;
    if (i >= seqs->size() || !(*seqs)[i]) {
      return std::unexpected(Status(Code::kFailedPrecondition,
                                    "post " + std::to_string(post.id) + " at version " +
                                        std::to_string(post.version) +
                                        " changed while it was being updated; reload it and retry"));
    }
    post.version += 1;
    post.change_seq = *(*seqs)[i];
    actors.push_back(ActorOf(changes[i].audit, ""));
    if (old_states[i] != post.state) {
      history.push_back(InsertHistoryStatement({post.id, post.updated_at, old_states[i], post.state, actors.back()}));
    }
    if (auto r = OwnAudit(changes[i].audit, post.organization, post.id); !r) return std::unexpected(r.error());
    std::move(changes[i].audit.begin(), changes[i].audit.end(), std::back_inserter(audit));
    if (auto event = StoredPostEvent(old_states[i], heads.at(post.id)->head.planned_at, post)) {
      events.push_back(std::move(*event));
    }
  }
  if (auto r = RunInserts(db, history); !r) return std::unexpected(r.error());
  if (auto r = InsertAudit(db, audit); !r) return std::unexpected(r.error());
  for (size_t i = 0; i < changes.size(); ++i) {
    if (auto r = SettleReply(db, changes[i].post, old_states[i], actors[i]); !r) {
      return std::unexpected(r.error());
    }
  }
  if (auto r = InsertEvents(db, std::move(events)); !r) return std::unexpected(r.error());
  std::vector<Post> stored;
  stored.reserve(changes.size());
  for (PostChange& change : changes) stored.push_back(std::move(change.post));
  return stored;
}

}  // namespace

Result<std::vector<Post>> ApplyChanges(WriteSession& db, std::vector<PostChange> changes) {
  if (!db.BatchesRows() || changes.size() < 2) return ApplyEach(db, changes);
  // A post changed twice in one call is written twice, in order.
  std::unordered_set<int64_t> seen;
  for (const PostChange& change : changes) {
    if (!seen.insert(change.post.id).second) return ApplyEach(db, changes);
  }
  return ApplyTogether(db, changes);
}

Result<void> InsertAudit(WriteSession& db, const std::vector<AuditEntry>& entries, const Post* post) {
  std::vector<Statement> inserts;
  inserts.reserve(entries.size());
  for (const AuditEntry& entry : entries) {
    if (entry.organization.empty()) {
      return std::unexpected(Status(Code::kInvalidArgument, "an audit entry needs an organization"));
    }
    inserts.push_back(InsertAuditStatement(entry, post));
  }
  return RunInserts(db, inserts);
}

Result<void> RunInserts(WriteSession& db, const std::vector<Statement>& inserts) {
  if (!db.BatchesRows() || inserts.size() < 2) {
    for (const Statement& insert : inserts) {
      if (auto r = db.Run(insert); !r) return r;
    }
    return {};
  }
  auto combined = CombineInserts(inserts);
  if (!combined) return std::unexpected(combined.error());
  for (const Statement& statement : *combined) {
    if (auto r = db.Run(statement); !r) return r;
  }
  return {};
}

Result<std::vector<LockedHead>> WriteSession::LockPosts(const std::vector<int64_t>&) {
  return std::unexpected(Status(Code::kInternal, "this database locks posts one at a time"));
}

Result<std::vector<std::optional<int64_t>>> WriteSession::UpdatePostRows(const std::vector<const Post*>&) {
  return std::unexpected(Status(Code::kInternal, "this database updates posts one at a time"));
}

Result<void> InsertPolicyVersion(WriteSession& db, const PolicyVersion& version) {
  return db.Run(InsertPolicyVersionStatement(version));
}

}  // namespace herald::storage::internal
