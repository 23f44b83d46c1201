// What the daemon reports about itself: /metrics counters and histograms, and
// /healthz. Plain values, copied out of the Service under its lock.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace herald::runtime {

// What came of one hand-over of a post to its connector, as /metrics counts it.
enum class PublishOutcome {
  kPublished,    // the platform holds it
  kRecovered,    // found on the platform after a crash left it publishing
  kRetryLater,   // a rate limit or a transient failure: placed again
  kFailed,       // permanently refused
  kUnknown,      // no answer: unconfirmed, never sent blindly again
  kNoConnector,  // the account has no usable connector
};
// The label /metrics shows: "published", "recovered", "retry_later", "failed",
// "unknown", "no_connector".
std::string_view PublishOutcomeName(PublishOutcome outcome);
// Whether it counts among the connector errors.
inline bool IsConnectorError(PublishOutcome outcome) {
  return outcome != PublishOutcome::kPublished && outcome != PublishOutcome::kRecovered;
}

// What came of one re-check of an unconfirmed post, as /metrics counts it.
enum class RecheckOutcome {
  kPublished,  // the platform shows it: published
  kAbsent,     // certainly not there: planned again (or failed, or missed)
  kUnknown,    // the platform still cannot tell: another check later
  kGaveUp,     // could not tell at the last check: unconfirmed for good
};
// The label /metrics shows: "published", "absent", "unknown", "gave_up".
std::string_view RecheckOutcomeName(RecheckOutcome outcome);

struct Health {
  bool ok = true;
  std::vector<std::string> problems;
};

// Cumulative histogram buckets in seconds, Prometheus style.
struct Histogram {
  static constexpr std::array<double, 11> kBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30};
  std::array<int64_t, 11> buckets{};  // observations <= kBounds[i]
  int64_t count = 0;
  double sum = 0;
  void Observe(double seconds) {
    for (size_t i = 0; i < kBounds.size(); ++i)
      if (seconds <= kBounds[i]) ++buckets[i];
    ++count;
    sum += seconds;
  }
};

// One connector type's publishes, for /metrics.
struct ConnectorMetrics {
  std::map<PublishOutcome, int64_t> publishes_by_outcome;
  Histogram latency_seconds;
  int64_t rate_limit_hits = 0;     // answers that said a limit was hit (429 and the like)
  int64_t breaker_openings = 0;    // times its breaker (or an account's on it) opened
  bool breaker_open = false;       // the connector-wide breaker, now
  int accounts_breaker_open = 0;   // accounts on it whose own breaker is open now
};

// What the runtime and /metrics need to know, by organisation-independent totals.
struct Metrics {
  std::map<std::string, ConnectorMetrics> connectors;  // by connector type
  Histogram publish_latency_seconds;  // connector call duration
  Histogram lateness_seconds;         // planned time -> publish started
  std::map<PublishOutcome, int64_t> publishes_by_outcome;
  std::map<PublishOutcome, int64_t> connector_errors_by_kind;  // the outcomes IsConnectorError names
  std::map<RecheckOutcome, int64_t> rechecks_by_outcome;       // re-checks of unconfirmed posts
  // Engagement reads by {platform, outcome}: read, gone, failed, retry_later.
  // Totals only: per-post series live in the store, never in /metrics.
  std::map<std::pair<std::string, std::string>, int64_t> engagement_reads;
  std::map<std::string, int64_t> posts_by_state;
  std::map<std::string, int64_t> decisions_by_rule;  // every rule that deferred or refused a post
  int64_t oldest_overdue_seconds = 0;                // due and not fired
  int64_t accounts_needing_reconnect = 0;            // OAuth grants their platform refused to refresh
  // The inbox: reads by {platform, outcome}, items stored by platform, items
  // by {organization, department, state}, and overdue items by
  // {organization, department}. Aggregates only.
  std::map<std::pair<std::string, std::string>, int64_t> inbox_reads;
  std::map<std::string, int64_t> inbox_items_read;
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> inbox_items;
  std::map<std::pair<std::string, std::string>, int64_t> inbox_overdue;
  // Event delivery attempts by outcome: delivered, retry, failed, gone,
  // refused (docs/events.md); and deliveries pending in every organisation.
  std::map<std::string, int64_t> event_deliveries_by_outcome;
  int64_t event_deliveries_pending = 0;
};

}  // namespace herald::runtime
