// A post as herald stores it, and its lifecycle (docs/daemon.md). Value types; no I/O.
//
//   pending_approval -> scheduled -> publishing -> published | failed | unconfirmed
//   and rejected, cancelled, refused, missed as final states.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace herald {

enum class PostState {
  kPendingApproval,
  kScheduled,
  kPublishing,
  kPublished,
  kFailed,
  kUnconfirmed,
  kRejected,
  kCancelled,
  kRefused,
  kMissed,
};

std::string_view PostStateName(PostState s);  // "pending_approval", ...
std::optional<PostState> ParsePostState(std::string_view name);

// States whose post takes capacity in the plan: the governor counts them.
// (pending_approval holds no capacity until approved, docs/governor.md.)
bool HoldsCapacity(PostState s);
// States a post never leaves.
bool IsFinal(PostState s);

enum class PostPriority { kNormal, kUrgent };

// What a post is to the governor: an ordinary post, or a reply to an inbox
// item (docs/inbox.md, "Answering"). A reply passes the content rules like
// a post but counts only against the platform's preset limits, not the
// policy's caps, spacing, mix, quiet hours or ramp-up.
enum class PostKind { kPost, kReply };
std::string_view PostKindName(PostKind k);  // "post", "reply"

struct Media {
  std::string url;
  std::string alt;
  friend bool operator==(const Media&, const Media&) = default;
};

// A governor reason as stored with a post and in the audit log.
struct StoredReason {
  std::string rule;
  std::string detail;
  std::vector<std::string> posts;
  friend bool operator==(const StoredReason&, const StoredReason&) = default;
};

struct Post {
  int64_t id = 0;  // assigned by the store
  std::string organization;
  std::string account;
  std::string author;  // token name of the editor who created it
  std::string text;
  std::vector<std::string> labels;
  PostPriority priority = PostPriority::kNormal;
  std::vector<Media> media;

  // A reply: the inbox item it answers (same organisation and account), and
  // the item's reply_ref, handed to the connector as PublishRequest::reply_to.
  // Both empty for an ordinary post.
  std::optional<int64_t> answers_item;
  std::string reply_to;
  PostKind kind() const { return answers_item ? PostKind::kReply : PostKind::kPost; }

  Instant requested_at;                // `at`, or the creation time when absent
  std::optional<Instant> planned_at;   // scheduled / the time it would get (pending)
  PostState state = PostState::kPendingApproval;
  std::vector<StoredReason> reasons;   // the governor's last decision
  std::string approved_by;

  std::string remote_id;   // published
  std::string remote_url;  // published
  std::optional<Instant> published_at;
  std::string failure;     // failed / unconfirmed / missed: why

  Instant created_at;
  Instant updated_at;
  int64_t version = 0;  // bumped on every update (optimistic concurrency)
  // Set by the store on every write: a store-wide number that grows with each
  // write, so a process can ask for what others changed since it last looked.
  int64_t change_seq = 0;
  // `publishing`: the process (RuntimeIdentity) that claimed it and holds its
  // lease; empty otherwise.
  std::string claimed_by;

  // `unconfirmed`: since when, when herald asks the platform again (nullopt:
  // never again), and how many times it has asked (docs/daemon.md,
  // "Unconfirmed posts"). Empty in every other state.
  std::optional<Instant> unconfirmed_since;
  std::optional<Instant> recheck_at;
  int rechecks = 0;

  friend bool operator==(const Post&, const Post&) = default;
};

}  // namespace herald
