#include "storage/internal/reply_rows.h"

#include <string>

#include <nlohmann/json.hpp>

#include "storage/internal/rows.h"

namespace herald::storage::internal {
namespace {

using nlohmann::json;

Result<void> AuditItem(WriteSession& db, const Post& post, const std::string& actor, const char* action,
                       json detail) {
  detail["inbox_item"] = *post.answers_item;
  detail["reply_post_id"] = post.id;
  return InsertAudit(db, {AuditEntry{0, post.organization, post.updated_at, actor, action, post.id, detail.dump()}});
}

}  // namespace

Result<void> LinkReply(WriteSession& db, const Post& post, const std::string& actor) {
  if (!post.answers_item) return {};
  // The state is checked in the write itself: an item dismissed since the
  // caller looked is not answered.
  auto changed = db.RunCounting(
      {"UPDATE inbox_items SET reply_post_id = ?, updated_at = ?, version = version + 1"
       " WHERE id = ? AND organization = ? AND account = ? AND state <> 'dismissed'",
       {post.id, ToUnix(post.updated_at), *post.answers_item, post.organization, post.account}});
  if (!changed) return std::unexpected(changed.error());
  if (*changed != 1) {
    return std::unexpected(Status(Code::kFailedPrecondition,
                                  "inbox item " + std::to_string(*post.answers_item) + " of account " + post.account +
                                      " cannot be answered: it is dismissed, or gone"));
  }
  return AuditItem(db, post, actor, "inbox_reply",
                   {{"state", PostStateName(post.state)}, {"text", post.text}});
}

Result<void> SettleReply(WriteSession& db, const Post& post, PostState from, const std::string& actor) {
  if (!post.answers_item || from == post.state) return {};
  if (post.state == PostState::kPublished) {
    auto changed = db.RunCounting(
        {"UPDATE inbox_items SET state = 'answered', reply_post_id = ?, updated_at = ?, version = version + 1"
         " WHERE id = ? AND organization = ?",
         {post.id, ToUnix(post.updated_at), *post.answers_item, post.organization}});
    if (!changed) return std::unexpected(changed.error());
    if (*changed == 0) return {};  // the item is gone: the reply stands on its own
    // Who answered: the reply's author (and its approver, when it needed one).
    json detail = {{"to", "answered"}, {"by", post.author}, {"remote_id", post.remote_id}};
    if (!post.approved_by.empty()) detail["approved_by"] = post.approved_by;
    return AuditItem(db, post, post.author.empty() ? actor : post.author, "inbox_answered", std::move(detail));
  }
  if (!IsFinal(post.state)) return {};
  // Failed, refused, rejected, cancelled or missed: the item stays where it
  // was (open, assigned, or answered by an earlier reply) and shows this one.
  auto changed = db.RunCounting(
      {"UPDATE inbox_items SET updated_at = ?, version = version + 1"
       " WHERE id = ? AND organization = ? AND reply_post_id = ?",
       {ToUnix(post.updated_at), *post.answers_item, post.organization, post.id}});
  if (!changed) return std::unexpected(changed.error());
  if (*changed == 0) return {};  // a later reply took its place
  return AuditItem(db, post, actor, "inbox_reply_failed",
                   {{"state", PostStateName(post.state)}, {"failure", post.failure}});
}

}  // namespace herald::storage::internal
