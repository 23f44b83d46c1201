// The governor: for one account, given its timeline (posts that hold
// capacity) and its resolved rules, finds the earliest whole second >= the
// requested time at which every rule holds for the new post and for every post
// already in the timeline, or refuses with every rule that blocked it within
// max_delay. Pure: no clock, no I/O; time is passed in. A Governor is immutable
// after construction and safe to share across threads.
//
// How it searches (docs/governor.md): a candidate instant t starts at the
// requested time; every rule either holds at t or names the earliest instant
// before which it cannot hold (the end of the quiet hours, the spacing after
// the nearest post, the start of the next day for a full daily cap, ...). t
// jumps to the latest of those and the rules are asked again, so a placement
// costs a few binary searches per rule, not a scan over minutes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/post.h"
#include "core/time.h"
#include "policies/content.h"
#include "policies/resolve.h"
#include "scheduler/timeline.h"

namespace herald::scheduler {

enum class Priority { kNormal, kUrgent };

struct PostRequest {
  std::string id;
  Holder holder = Holder::kPost;  // kHeld / kProbe: not a stored post (see Timeline)
  std::string text;
  Instant requested_at;
  std::vector<std::string> labels;
  Priority priority = Priority::kNormal;
  int media_count = 0;
  // A reply to an inbox item passes the content rules (but for duplicates:
  // answering two people alike is no repeat) and the blackouts and the
  // platform's preset limits, and nothing else of the policy: no caps,
  // spacing, quiet hours, days, ramp-up or mix; nor does it count against
  // them for the posts around it.
  PostKind kind = PostKind::kPost;
};

// One rule that delayed or refused a post. `rule` is the rule's name as policy
// files spell it ("min_spacing", "quiet_hours", "caps", "preset", "blackout",
// "days", "ramp_up", "mix", "max_delay", "content.banned_term", ...), `detail`
// says which and why ("45m after post 812"), `posts` the related post ids.
struct Reason {
  std::string rule;
  std::string detail;
  std::vector<std::string> posts;

  friend bool operator==(const Reason&, const Reason&) = default;
};

namespace internal {
struct UnwordedReasons;
}

// The reasons of a decision. The search keeps them as small records (the rule,
// its numbers, the post it relates to) and they are put into words the first
// time they are read, so a decision nobody reads (a re-plan that leaves a post
// where it was, a suggestion not taken) costs no strings. Reads as a
// std::vector<Reason>. Copies share the records and their words; reading from
// several threads at once is safe (the words are made once).
class Reasons {
 public:
  using value_type = Reason;
  using const_iterator = std::vector<Reason>::const_iterator;

  Reasons() = default;
  Reasons(std::vector<Reason> words) : words_(std::move(words)) {}
  explicit Reasons(std::shared_ptr<const internal::UnwordedReasons> unworded) : unworded_(std::move(unworded)) {}

  // The reasons in words, in the order the rules were met.
  const std::vector<Reason>& words() const;
  operator const std::vector<Reason>&() const { return words(); }

  size_t size() const;
  bool empty() const { return size() == 0; }
  const_iterator begin() const { return words().begin(); }
  const_iterator end() const { return words().end(); }
  const Reason& operator[](size_t i) const { return words()[i]; }
  const Reason& at(size_t i) const { return words().at(i); }
  const Reason& front() const { return words().front(); }
  const Reason& back() const { return words().back(); }

  void push_back(Reason reason);

  friend bool operator==(const Reasons& a, const Reasons& b) { return a.words() == b.words(); }
  friend bool operator==(const Reasons& a, const std::vector<Reason>& b) { return a.words() == b; }

 private:
  std::vector<Reason> words_;  // the reasons when unworded_ is null
  std::shared_ptr<const internal::UnwordedReasons> unworded_;
};

// A span in which nothing may be sent on the account whatever the rules say:
// a platform's rate limit in force, an open circuit breaker. The governor
// places nothing in [from, until) and gives `rule` and `detail` as the reason.
// A post requested inside the span is postponed, not delayed: max_delay
// counts from the span's end.
struct BlockedSpan {
  Instant from = Instant::min();
  Instant until;
  std::string rule;    // "rate_limit", "circuit_open"
  std::string detail;  // why, and until when

  friend bool operator==(const BlockedSpan&, const BlockedSpan&) = default;
};

struct Decision {
  enum class Outcome { kPlaced, kRefused };
  Outcome outcome = Outcome::kPlaced;
  Instant requested_at;
  std::optional<Instant> planned_at;  // set when placed
  Reasons reasons;                    // why it was deferred or refused; empty when on time
  bool content_refusal = false;       // refused at once for its text

  bool placed() const { return outcome == Outcome::kPlaced; }
  // "on time", "deferred 1h15m: min_spacing 45m after post 812; quiet_hours 21:00-08:00",
  // "refused: content.banned_term \"RivalCorp\"".
  std::string Summary() const;
};

class Governor {
 public:
  explicit Governor(policies::AccountRules rules);

  const policies::AccountRules& rules() const { return *rules_; }

  // Label bits of the labels this governor's rules name (other labels: 0).
  uint32_t LabelBits(const std::vector<std::string>& labels) const;

  // The entry a post would have in a timeline when placed at `at`.
  TimelineEntry EntryFor(const PostRequest& post, Instant at) const;

  // Places `post` against `timeline` (which must not contain it): CheckContent
  // first (a refusal at once), then Schedule.
  Decision Place(const Timeline& timeline, const PostRequest& post, std::span<const BlockedSpan> blocked = {}) const;

  // The content rules alone (text, media, duplicates within the timeline): every
  // broken rule, empty when the post may be scheduled.
  std::vector<Reason> CheckContent(const Timeline& timeline, const PostRequest& post) const;

  // The frequency rules alone: the search described above, for a post whose
  // content has been checked, placed outside every span in `blocked`.
  Decision Schedule(const Timeline& timeline, const PostRequest& post,
                    std::span<const BlockedSpan> blocked = {}) const;

  // Whether `post` may stand at exactly `at` against `timeline` (the publish-time
  // re-check); the reasons say what blocks it. Content rules are not re-run.
  std::vector<Reason> Violations(const Timeline& timeline, const PostRequest& post, Instant at) const;

 private:
  class Search;
  int BitOf(const std::string& label) const;  // -1 when not tracked

  // Shared with the unworded reasons of this governor's decisions, which may
  // outlive it (a policy reload builds new governors).
  std::shared_ptr<const policies::AccountRules> rules_;
  policies::ContentChecker content_;      // compiled once from rules_
  std::vector<std::string> label_names_;  // bit i -> label
  // The label bit (-1: all posts, or a label no rule tracks) of each of
  // rules_->caps, rules_->ramp_up->caps and rules_->mix, in their order.
  std::vector<int> cap_bits_, ramp_cap_bits_, mix_bits_;
};

}  // namespace herald::scheduler
