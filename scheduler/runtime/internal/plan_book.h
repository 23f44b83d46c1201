// PlanBook: the daemon's in-memory plan. Every post the runtime still needs,
// each account's timeline of posts holding capacity (and the subset actually
// publishing or published), the due set of scheduled posts by planned time,
// the posts whose write is in flight, and the undo log of changes not written
// yet: a failed write puts them back, so memory never runs ahead of the store.
//
// Posts are kept packed (PackedPost): Find unpacks a copy, so a change is
// always a copy changed and handed back through Change or Track.
//
// Not thread-safe: the Service holds it under its plan mutex.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/post.h"
#include "scheduler/governor.h"
#include "scheduler/runtime/internal/packed_post.h"
#include "scheduler/runtime/internal/policy_set.h"
#include "scheduler/timeline.h"
#include "storage/store.h"

namespace herald::runtime::internal {

// The posts as they were before the changes not written yet; nullopt: not
// tracked then.
using Undo = std::map<int64_t, std::optional<Post>>;

// The governor's request for a post, asking for `requested`.
scheduler::PostRequest RequestOf(const Post& p, Instant requested);

class PlanBook {
 public:
  // `policies` gives each account's governor; it must outlive the book.
  explicit PlanBook(const PolicySet& policies) : policies_(policies) {}

  // Adds a post; it holds capacity on its account's timelines when its state
  // does, and is due when scheduled.
  void Track(const Post& p);
  // Forgets a post, wherever it was.
  void Untrack(int64_t id);
  // Tracks every post again, e.g. after the rules changed (label bits may differ).
  void Rebuild();

  // Notes how post `id` is now, before a change that is written later.
  void Remember(int64_t id);
  // The remembered posts, emptying the log (a write is about to start).
  Undo TakeUndo() { return std::exchange(undo_, {}); }
  // Puts the remembered posts back (their write failed).
  void RollBack(const Undo& undo);
  // Applies a change to one tracked post: the timelines and due set follow.
  storage::PostChange Change(const Post& updated, storage::AuditEntry audit);

  // A copy of the tracked post; nullopt when it is not tracked.
  std::optional<Post> Find(int64_t id) const;
  // The tracked post's state, organisation and account without unpacking it;
  // nullptr when it is not tracked.
  const PackedPost* Peek(int64_t id) const;
  // Records the version and change number a write gave a tracked post.
  void Stamp(int64_t id, int64_t version, int64_t change_seq);
  // Every tracked post, packed: state, organisation and account read without
  // unpacking.
  const std::unordered_map<int64_t, PackedPost>& posts() const { return posts_; }
  // Posts holding capacity on the account (planned, publishing, published).
  scheduler::Timeline& TimelineOf(const std::string& account) { return timelines_[account]; }
  void ReplaceTimeline(const std::string& account, scheduler::Timeline fresh) { timelines_[account] = std::move(fresh); }
  // What was actually sent on the account: publishing, published, unconfirmed.
  const scheduler::Timeline& ActualOf(const std::string& account) { return actual_[account]; }
  // Scheduled posts by planned time.
  std::set<std::pair<Instant, int64_t>>& due() { return due_; }
  const std::set<std::pair<Instant, int64_t>>& due() const { return due_; }

  // Posts whose write runs with the plan mutex released: they keep their
  // place and are not claimed until it is in.
  void BeginWrite(const std::vector<int64_t>& ids);
  void EndWrite(const std::vector<int64_t>& ids);
  bool Writing(int64_t id) const { return writing_.contains(id); }

 private:
  const std::string* Intern(const std::string& name) { return &*names_.insert(name).first; }

  const PolicySet& policies_;
  // Organisation and account names the posts point to; never shrinks (there
  // are as many as the policies name).
  std::unordered_set<std::string> names_;
  std::unordered_map<int64_t, PackedPost> posts_;
  std::map<std::string, scheduler::Timeline> timelines_;  // by account
  std::map<std::string, scheduler::Timeline> actual_;     // by account
  std::set<std::pair<Instant, int64_t>> due_;
  std::set<int64_t> writing_;
  Undo undo_;
};

}  // namespace herald::runtime::internal
