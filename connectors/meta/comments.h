// The inbox of a Graph platform whose conversations hang under each post
// (Facebook Page comments, Instagram comments, Threads replies): one page of
// a post's edge per recent post on every read, each post walked on its own
// (internal/inbox_walk.h) with its state in the cursor, so nothing is
// returned twice and the cursor holds only the posts still listed as recent.
//
// Thread-safe: stateless; calls may run on several threads at once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/connector.h"
#include "connectors/meta/graph.h"

namespace herald::connectors::meta {

struct CommentEdge {
  std::string edge;   // GET /<post>/<edge>: "comments", "conversation"
  Fields query;       // fields, order, limit...
  bool newest_first;  // the edge lists newest first (an old item ends a post's walk)
  size_t max_posts;   // recent posts read per call, newest first
  // The items of one element of the answer's `data` (with its nested
  // replies, where the platform nests them), under `post`; none for one of
  // the account's own or one that lacks what the platform documents.
  std::function<std::vector<InboxMessage>(const nlohmann::json& item, const std::string& post)> read;
};

// One read: kRead with the new items of every post read, oldest first; `more`
// when a post has older pages still to walk. A rate limit after some posts
// were read keeps what was read (kRead with hold_until); a post the platform
// no longer has is left out. kFailed for credentials, an unreadable answer or
// a cursor this code did not write.
InboxReadResult ReadComments(const GraphClient& client, const CommentEdge& edge, const InboxReadRequest& request);

// Graph's "2026-11-23T10:00:00+0000", or nullopt.
std::optional<Instant> CommentTime(const nlohmann::json& item, std::string_view field);
// A string field of a JSON object, or "" (capped as inbox text).
std::string CommentString(const nlohmann::json& item, std::string_view field, size_t max_bytes = 20000);

}  // namespace herald::connectors::meta
