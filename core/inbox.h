// The inbox: what people wrote to the organisation's accounts (replies to its
// posts, mentions, quotes, comments), read through the connectors, routed to
// a department and answered (docs/inbox.md). Value types; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace herald {

// What an item is, as the platform says it.
enum class InboxKind {
  kReply,    // an answer to one of the account's posts (or to a thread under one)
  kMention,  // a post that names the account without answering it
  kQuote,    // a post quoting one of the account's posts
  kComment,  // a comment under one of the account's posts (Facebook, Instagram)
};
std::string_view InboxKindName(InboxKind kind);  // "reply", "mention", "quote", "comment"
std::optional<InboxKind> ParseInboxKind(std::string_view name);

// One item as a connector reads it (Connector::ReadInbox). Everything in it
// came from the platform and is untrusted text.
struct InboxMessage {
  std::string remote_id;   // the platform's id of the item: unique per account, the idempotency key
  InboxKind kind = InboxKind::kReply;
  std::string author;      // the platform handle of who wrote it ("@alice@example.social", "alice.bsky.social")
  std::string author_name; // display name, may be empty
  std::string text;        // plain text (HTML stripped by the connector)
  std::string language;    // BCP 47 tag when the platform says, else empty
  std::string url;         // where a person can read it, may be empty
  Instant created_at;      // when the platform says it was written
  // The remote id of the organisation's post it answers or quotes (empty for a
  // mention that answers nothing of ours): links the item to a herald post.
  std::string in_reply_to;
  // What the connector needs to publish a threaded answer to this item,
  // opaque to everything but the connector that wrote it (Bluesky: the parent
  // and root uri+cid; Mastodon: the status id). Stored verbatim; handed back
  // in PublishRequest::reply_to.
  std::string reply_ref;

  friend bool operator==(const InboxMessage&, const InboxMessage&) = default;
};

// Where an item is in its handling.
enum class InboxState { kOpen, kAssigned, kAnswered, kDismissed };
std::string_view InboxStateName(InboxState state);  // "open", "assigned", "answered", "dismissed"
std::optional<InboxState> ParseInboxState(std::string_view name);

}  // namespace herald
