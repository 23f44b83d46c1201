// Engagement: what a platform says people did with a published post, read
// back through its connector on a schedule (docs/engagement.md). Every count
// is optional: a platform that does not expose a count ("not available") is
// different from one that reports 0. Value types; no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace herald {

// The counts herald reads. Views are not interactions (they count eyes, not
// answers); the others are.
enum class EngagementMetric { kReplies, kReposts, kLikes, kQuotes, kBookmarks, kViews };
inline constexpr std::array kEngagementMetrics = {EngagementMetric::kReplies, EngagementMetric::kReposts,
                                                  EngagementMetric::kLikes,   EngagementMetric::kQuotes,
                                                  EngagementMetric::kBookmarks, EngagementMetric::kViews};
// "replies", "reposts", "likes", "quotes", "bookmarks", "views".
std::string_view EngagementMetricName(EngagementMetric m);

struct EngagementCounts {
  std::optional<int64_t> replies;
  std::optional<int64_t> reposts;    // reblogs, boosts, retweets, shares
  std::optional<int64_t> likes;      // favourites
  std::optional<int64_t> quotes;
  std::optional<int64_t> bookmarks;
  std::optional<int64_t> views;      // impressions

  std::optional<int64_t> Get(EngagementMetric m) const;
  void Set(EngagementMetric m, std::optional<int64_t> value);
  // The sum of the counts available, views left out.
  int64_t Interactions() const;
  // The counts the platform did not report, in kEngagementMetrics order.
  std::vector<EngagementMetric> NotAvailable() const;

  friend bool operator==(const EngagementCounts&, const EngagementCounts&) = default;
};

// The counts a connector (by type: "mastodon", "file", ...) does not read, as
// documented in docs/connectors/<type>.md: every count for a connector that
// reads no engagement. Counts some servers of a platform report and others
// do not (Mastodon quotes, Bluesky bookmarks) are listed: a read that finds
// them says otherwise.
std::vector<EngagementMetric> EngagementNotExposed(std::string_view connector);

// How one scheduled read of a post ended.
enum class EngagementOutcome {
  kRead,    // counts read
  kGone,    // the platform no longer has the post: no further reads
  kFailed,  // refused for good (credentials, a malformed answer): this point is skipped
};
std::string_view EngagementOutcomeName(EngagementOutcome outcome);  // "read", "gone", "failed"
std::optional<EngagementOutcome> ParseEngagementOutcome(std::string_view name);

// One point of a post's engagement series, as stored.
struct EngagementRead {
  int64_t post_id = 0;
  std::string organization;
  int point = 0;  // index into the read schedule
  Instant read_at;
  EngagementOutcome outcome = EngagementOutcome::kRead;
  EngagementCounts counts;  // kRead only
  std::string detail;       // kGone / kFailed: why

  friend bool operator==(const EngagementRead&, const EngagementRead&) = default;
};

// One published post's latest counts, for rollups.
struct EngagementSample {
  int64_t post_id = 0;
  std::string account;
  std::vector<std::string> labels;
  EngagementCounts latest;
};

// Interaction over a set of posts.
struct EngagementTotals {
  int64_t posts = 0;
  int64_t interactions = 0;
  // interactions / posts; 0 without posts.
  double PerPost() const { return posts == 0 ? 0.0 : static_cast<double>(interactions) / static_cast<double>(posts); }
};

struct EngagementRollup {
  EngagementTotals all;
  EngagementTotals promotional;  // posts with a promotional label
  EngagementTotals other;        // the rest
  std::map<std::string, EngagementTotals> by_account;
  std::map<std::string, EngagementTotals> by_label;  // a post counts under each of its labels
};

// Adds up the samples. A post is promotional when one of its labels is in
// `promotional_labels`.
EngagementRollup RollUp(const std::vector<EngagementSample>& samples, const std::vector<std::string>& promotional_labels);

}  // namespace herald
