// The planner: places many posts at once, in placement order (urgent first, then
// requested time, then id), each against the posts placed before it. The one
// re-plan: `herald simulate` and the daemon (after a cancel, an edit, an urgent
// post, a policy reload or a pause) both call it.
// Published posts are fixed history: they keep their time and are placed first.
// Pure; a Planner is immutable and safe to share across threads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/governor.h"

namespace herald::scheduler {

struct PlanInput {
  std::string account;
  PostRequest post;
  // Set for posts whose time is history (published, publishing, unconfirmed):
  // they are not moved, only counted.
  std::optional<Instant> fixed_at;
  // The time the post had before this re-plan, if any (to report moves).
  std::optional<Instant> previous_at;
  // Placed no earlier than this (the daemon: now), while its place in the
  // order still follows post.requested_at.
  std::optional<Instant> not_before;
  // The content rules passed when the post was created: only the frequency
  // rules are asked again.
  bool content_checked = false;
};

// Spans in which nothing is sent, by account id.
using BlockedSpans = std::map<std::string, std::vector<BlockedSpan>>;

struct PlanOutput {
  std::string account;
  std::string id;
  Decision decision;
  std::optional<Instant> previous_at;
  // True when the post had a time before and now has another (or none).
  bool moved = false;
};

class Planner {
 public:
  // Governors by account id.
  explicit Planner(std::map<std::string, Governor> governors);

  const Governor* FindGovernor(const std::string& account) const;

  // Places every input; returns one output per input, in the inputs' order.
  // An input whose account is unknown is refused with rule "account".
  // Nothing is placed inside a span of `blocked` on its account.
  std::vector<PlanOutput> Plan(const std::vector<PlanInput>& inputs, const BlockedSpans& blocked = {}) const;

  // The less-than of placement order: urgent first, then requested time, then id
  // (numerically when both ids are numbers).
  static bool PlacesBefore(const PostRequest& a, const PostRequest& b);

 private:
  std::map<std::string, Governor> governors_;
};

}  // namespace herald::scheduler
