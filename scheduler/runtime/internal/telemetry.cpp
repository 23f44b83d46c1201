#include "scheduler/runtime/internal/telemetry.h"

#include <algorithm>

namespace herald::runtime::internal {

void Telemetry::CountDecision(const std::vector<StoredReason>& reasons) {
  for (const auto& r : reasons) ++decisions_by_rule_[r.rule];
}

void Telemetry::RecordPublish(const std::string& connector, std::optional<double> lateness_seconds,
                              double latency_seconds, PublishOutcome outcome) {
  auto& m = publish_;
  if (lateness_seconds) m.lateness_seconds.Observe(std::max(0.0, *lateness_seconds));
  m.publish_latency_seconds.Observe(latency_seconds);
  ++m.publishes_by_outcome[outcome];
  if (IsConnectorError(outcome)) ++m.connector_errors_by_kind[outcome];
  if (connector.empty()) return;
  auto& c = m.connectors[connector];
  c.latency_seconds.Observe(latency_seconds);
  ++c.publishes_by_outcome[outcome];
}

std::optional<std::string> Telemetry::LoopProblem(Instant now, Duration max_silence) const {
  if (last_heartbeat_ && now - *last_heartbeat_ <= max_silence) return std::nullopt;
  return last_heartbeat_ ? "the firing loop has not ticked for " + FormatDuration(now - *last_heartbeat_)
                         : "the firing loop has not started";
}

Metrics Telemetry::Snapshot() const {
  Metrics m = publish_;
  m.decisions_by_rule = decisions_by_rule_;
  return m;
}

}  // namespace herald::runtime::internal

namespace herald::runtime {

std::string_view PublishOutcomeName(PublishOutcome outcome) {
  switch (outcome) {
    case PublishOutcome::kPublished: return "published";
    case PublishOutcome::kRecovered: return "recovered";
    case PublishOutcome::kRetryLater: return "retry_later";
    case PublishOutcome::kFailed: return "failed";
    case PublishOutcome::kUnknown: return "unknown";
    case PublishOutcome::kNoConnector: return "no_connector";
  }
  return "unknown";
}

std::string_view RecheckOutcomeName(RecheckOutcome outcome) {
  switch (outcome) {
    case RecheckOutcome::kPublished: return "published";
    case RecheckOutcome::kAbsent: return "absent";
    case RecheckOutcome::kUnknown: return "unknown";
    case RecheckOutcome::kGaveUp: return "gave_up";
  }
  return "unknown";
}

}  // namespace herald::runtime
