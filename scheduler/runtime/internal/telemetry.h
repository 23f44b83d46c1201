// Telemetry: the counters and histograms behind /metrics and the heartbeat
// behind /healthz, as the Service records them.
//
// Not thread-safe: the Service holds it under its plan mutex.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/post.h"
#include "core/time.h"
#include "scheduler/runtime/metrics.h"

namespace herald::runtime::internal {

class Telemetry {
 public:
  // Every rule that deferred or refused a post counts once per decision.
  void CountDecision(const std::vector<StoredReason>& reasons);
  // A publish through connector type `connector` (empty: unknown account).
  void RecordPublish(const std::string& connector, std::optional<double> lateness_seconds, double latency_seconds,
                     PublishOutcome outcome);
  void RecordBreakerOpening(const std::string& connector) { ++publish_.connectors[connector].breaker_openings; }
  void RecordRecheck(RecheckOutcome outcome) { ++publish_.rechecks_by_outcome[outcome]; }
  void RecordEngagementRead(const std::string& platform, const std::string& outcome) {
    ++publish_.engagement_reads[{platform, outcome}];
  }
  void RecordInboxRead(const std::string& platform, const std::string& outcome, int64_t items) {
    ++publish_.inbox_reads[{platform, outcome}];
    publish_.inbox_items_read[platform] += items;
  }
  // When the inbox's overdue items were last counted (nullopt the first
  // time); records `now` as the new last time.
  std::optional<Instant> ExchangeInboxCheck(Instant now) {
    std::optional<Instant> previous = inbox_checked_;
    inbox_checked_ = now;
    return previous;
  }
  void RecordEventDelivery(const std::string& outcome) { ++publish_.event_deliveries_by_outcome[outcome]; }
  void RecordRateLimitHit(const std::string& connector) { ++publish_.connectors[connector].rate_limit_hits; }

  void Heartbeat(Instant now) { last_heartbeat_ = now; }
  // The firing loop's problem at `now`, if it has not ticked within `max_silence`.
  std::optional<std::string> LoopProblem(Instant now, Duration max_silence) const;

  // The counters recorded so far; the caller adds what it reads from the plan.
  Metrics Snapshot() const;

 private:
  Metrics publish_;  // histograms and outcome counters
  std::map<std::string, int64_t> decisions_by_rule_;
  std::optional<Instant> last_heartbeat_;
  std::optional<Instant> inbox_checked_;
};

}  // namespace herald::runtime::internal
