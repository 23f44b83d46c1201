// Replies (posts that answer an inbox item, docs/inbox.md "Answering") and
// their item, kept in step inside the transaction that writes the post: a
// reply created links its item (`reply_post_id`); a reply published makes
// its item `answered`; a reply that ends without being published (failed,
// refused, rejected, cancelled, missed) leaves the item's state as it was and
// is audited on it. Pure apart from the WriteSession it is handed.
#pragma once

#include <optional>
#include <vector>

#include "core/post.h"
#include "core/status.h"
#include "storage/internal/writes.h"
#include "storage/store.h"

namespace herald::storage::internal {

// Links the stored reply `post` (with its id) to its item. FailedPrecondition
// when the item is not of the post's organisation and account, or dismissed.
Result<void> LinkReply(WriteSession& db, const Post& post, const std::string& actor);

// After `post` (a reply) went from `from` to its current state: settles its
// item as above. Nothing for an ordinary post or a state that settles nothing.
Result<void> SettleReply(WriteSession& db, const Post& post, PostState from, const std::string& actor);

}  // namespace herald::storage::internal
