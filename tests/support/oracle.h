// A brute-force oracle for the governor, written from docs/governor.md ("Exact meaning of
// the rules") without looking at scheduler/*.cpp. It is deliberately slow and
// simple: CheckPlan enumerates every window of every rule over a finished plan,
// and EarliestFeasible tries candidate instants one after another. Tests compare
// the governor and planner against it. Pure functions; thread-safe.
//
// Reading of the spec the oracle holds the governor to (each rule "belongs" to a
// post, its owner; a violation is a (rule, owner) pair):
//   * max_delay: every post, at <= requested_at + max_delay.
//   * blackout: every post, urgent included: at not in [from, to).
//   * quiet_hours, days, ramp_up.forbid_labels: every non-urgent post, on its own
//     local wall time / local date / instant.
//   * min_spacing: a non-urgent post p is violated when any other post q (urgent
//     or not) stands less than S from it. Two urgent posts never violate it.
//   * caps (rolling and calendar; the account's and ramp-up's): a post p owns the
//     cap when it carries the cap's label (or the cap has none), is non-urgent or
//     the cap is a preset, and, for ramp-up caps, stands in [begin, end). p is
//     violated when some window that contains p (a rolling [s, s+W), or p's local
//     day / ISO week / month) counts more than N posts, counting every post with
//     the label, urgent ones included (ramp-up caps count only posts in
//     [begin, end)). This is "urgent posts bypass the rules for themselves but
//     still count": an over-full window is only a violation for its non-urgent
//     (or, for presets, any) members.
//   * mix: at every non-urgent post p carrying the label, among all posts in
//     (p.at - over, p.at], labelled <= max_share * all.
//   * Order matters for urgent posts: the input vector is placement order
//     (history first). Inserting an urgent post may break the non-preset rules
//     of posts already there (that is its bypass); inserting any other post must
//     break nothing, counting every post already there, urgent ones included.
//     CheckPlan judges a finished plan accordingly: an urgent post placed AFTER
//     a post p is left out of p's own non-preset rules (spacing, caps, mix). (Decided for
//     the policy reference's "urgent posts may ignore the organisation's own frequency
//     rules": otherwise an urgent post could never come closer than min_spacing
//     to any planned or published post, and the bypass would mean nothing.)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/time.h"
#include "policies/resolve.h"

namespace herald::oracle {

struct OraclePost {
  std::string id;
  Instant at;
  std::vector<std::string> labels;
  bool urgent = false;
  Instant requested_at;
};

// `rule` names the rule and which one ("caps[1]", "ramp_up.caps[0]",
// "min_spacing", "quiet_hours", "days", "blackout", "ramp_up.forbid_labels",
// "mix[0]", "max_delay"); `post` is the owner's id; `detail` is for people.
// Two violations are the same when rule and post are.
struct Violation {
  std::string rule;
  std::string post;
  std::string detail;
};

// Every violation of `rules` in `posts` (one account's whole plan).
std::vector<Violation> CheckPlan(const policies::AccountRules& rules, const std::vector<OraclePost>& posts);

// The earliest instant t in [post.requested_at, post.requested_at + max_delay]
// such that CheckPlan(before + {post at t}) has no (rule, post) violation that
// CheckPlan(before) does not already have; nullopt when there is none.
// `post.at` is ignored. Exact (to the second) when every duration, clock time,
// requested time, blackout bound and post time is a whole minute; see oracle.cpp.
std::optional<Instant> EarliestFeasible(const policies::AccountRules& rules, const std::vector<OraclePost>& before,
                                        const OraclePost& post);

// The new violations `post` would bring at exactly `at` (the same notion as
// above); empty when it may stand there. Slow reference path: full CheckPlan
// twice. Used to cross-check the fast path of EarliestFeasible.
std::vector<Violation> NewViolationsAt(const policies::AccountRules& rules, const std::vector<OraclePost>& before,
                                       const OraclePost& post, Instant at);

}  // namespace herald::oracle
