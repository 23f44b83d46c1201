#include "api/internal/metrics_text.h"

#include <cstdio>

#include "core/post.h"

namespace herald::api::internal {
namespace {

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

std::string EscapeLabel(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string RenderMetrics(const runtime::Metrics& m, const RequestCounts& http) {
  std::string out;
  Header(out, "herald_posts", "gauge", "Posts known to the scheduler, by state (queue depth).");
  auto by_state = m.posts_by_state;
  // Every state gets a series, so dashboards and alerts see zeros rather than gaps.
  for (int s = 0; s <= static_cast<int>(PostState::kMissed); ++s) {
    by_state.try_emplace(std::string(PostStateName(static_cast<PostState>(s))), 0);
  }
  for (const auto& [state, n] : by_state) {
    out += "herald_posts{state=\"" + EscapeLabel(state) + "\"} " + std::to_string(n) + "\n";
  }
  Header(out, "herald_decisions_total", "counter", "Governor decisions that deferred or refused a post, by rule.");
  for (const auto& [rule, n] : m.decisions_by_rule) {
    out += "herald_decisions_total{rule=\"" + EscapeLabel(rule) + "\"} " + std::to_string(n) + "\n";
  }
  Header(out, "herald_oldest_overdue_seconds", "gauge", "How late the oldest due post that has not fired is.");
  out += "herald_oldest_overdue_seconds " + std::to_string(m.oldest_overdue_seconds) + "\n";
  Header(out, "herald_accounts_needing_reconnect", "gauge",
         "Accounts connected by OAuth whose platform refused to refresh their token: they publish nothing until connected again.");
  out += "herald_accounts_needing_reconnect " + std::to_string(m.accounts_needing_reconnect) + "\n";
  Header(out, "herald_event_deliveries_total", "counter",
         "Event delivery attempts to subscribers, by outcome (delivered, retry, failed, gone, refused).");
  for (std::string_view outcome : {"delivered", "retry", "failed", "gone", "refused"}) {
    auto it = m.event_deliveries_by_outcome.find(std::string(outcome));
    int64_t n = it == m.event_deliveries_by_outcome.end() ? 0 : it->second;
    out += "herald_event_deliveries_total{outcome=\"" + std::string(outcome) + "\"} " + std::to_string(n) + "\n";
  }
  Header(out, "herald_event_deliveries_pending", "gauge", "Event deliveries waiting for their next attempt, in every organisation.");
  out += "herald_event_deliveries_pending " + std::to_string(m.event_deliveries_pending) + "\n";

  auto histogram = [&](std::string_view name, std::string_view help, const runtime::Histogram& h) {
    Header(out, name, "histogram", help);
    for (size_t i = 0; i < runtime::Histogram::kBounds.size(); ++i) {
      out.append(name).append("_bucket{le=\"" + Number(runtime::Histogram::kBounds[i]) + "\"} " +
                              std::to_string(h.buckets[i]) + "\n");
    }
    out.append(name).append("_bucket{le=\"+Inf\"} " + std::to_string(h.count) + "\n");
    out.append(name).append("_sum " + Number(h.sum) + "\n");
    out.append(name).append("_count " + std::to_string(h.count) + "\n");
  };
  histogram("herald_publish_latency_seconds", "Time the connector took to publish a post.", m.publish_latency_seconds);
  histogram("herald_publish_lateness_seconds", "From a post's planned time to the start of its publish.", m.lateness_seconds);
  Header(out, "herald_publishes_total", "counter", "Publishes by outcome.");
  for (const auto& [outcome, n] : m.publishes_by_outcome) {
    out += "herald_publishes_total{outcome=\"" + EscapeLabel(runtime::PublishOutcomeName(outcome)) + "\"} " +
           std::to_string(n) + "\n";
  }
  Header(out, "herald_connector_errors_total", "counter", "Publishes that did not succeed, by kind.");
  for (const auto& [kind, n] : m.connector_errors_by_kind) {
    out += "herald_connector_errors_total{kind=\"" + EscapeLabel(runtime::PublishOutcomeName(kind)) + "\"} " +
           std::to_string(n) + "\n";
  }

  Header(out, "herald_rechecks_total", "counter", "Re-checks of unconfirmed posts by outcome.");
  for (auto outcome : {runtime::RecheckOutcome::kPublished, runtime::RecheckOutcome::kAbsent,
                       runtime::RecheckOutcome::kUnknown, runtime::RecheckOutcome::kGaveUp}) {
    auto it = m.rechecks_by_outcome.find(outcome);
    out += "herald_rechecks_total{outcome=\"" + std::string(runtime::RecheckOutcomeName(outcome)) + "\"} " +
           std::to_string(it == m.rechecks_by_outcome.end() ? 0 : it->second) + "\n";
  }

  Header(out, "herald_engagement_reads_total", "counter",
         "Reads of published posts' engagement by platform and outcome (read, gone, failed, retry_later).");
  for (const auto& [key, n] : m.engagement_reads) {
    out += "herald_engagement_reads_total{platform=\"" + EscapeLabel(key.first) + "\",outcome=\"" +
           EscapeLabel(key.second) + "\"} " + std::to_string(n) + "\n";
  }

  Header(out, "herald_inbox_reads_total", "counter", "Reads of the accounts' inboxes by platform and outcome (read, failed, retry_later).");
  for (const auto& [key, n] : m.inbox_reads) {
    out += "herald_inbox_reads_total{platform=\"" + EscapeLabel(key.first) + "\",outcome=\"" + EscapeLabel(key.second) +
           "\"} " + std::to_string(n) + "\n";
  }
  Header(out, "herald_inbox_items_read_total", "counter", "Inbox items read and stored for the first time, by platform.");
  for (const auto& [platform, n] : m.inbox_items_read) {
    out += "herald_inbox_items_read_total{platform=\"" + EscapeLabel(platform) + "\"} " + std::to_string(n) + "\n";
  }
  Header(out, "herald_inbox_items", "gauge", "Inbox items by organization, department and state.");
  for (const auto& [key, n] : m.inbox_items) {
    const auto& [org, department, state] = key;
    out += "herald_inbox_items{organization=\"" + EscapeLabel(org) + "\",department=\"" + EscapeLabel(department) +
           "\",state=\"" + EscapeLabel(state) + "\"} " + std::to_string(n) + "\n";
  }
  Header(out, "herald_inbox_overdue", "gauge",
         "Inbox items open or assigned past their department's answer_within, by organization and department.");
  for (const auto& [key, n] : m.inbox_overdue) {
    out += "herald_inbox_overdue{organization=\"" + EscapeLabel(key.first) + "\",department=\"" +
           EscapeLabel(key.second) + "\"} " + std::to_string(n) + "\n";
  }

  Header(out, "herald_connector_publishes_total", "counter", "Publishes by connector type and outcome.");
  for (const auto& [type, c] : m.connectors) {
    for (const auto& [outcome, n] : c.publishes_by_outcome) {
      out += "herald_connector_publishes_total{connector=\"" + EscapeLabel(type) + "\",outcome=\"" + EscapeLabel(runtime::PublishOutcomeName(outcome)) +
             "\"} " + std::to_string(n) + "\n";
    }
  }
  Header(out, "herald_connector_publish_latency_seconds", "histogram", "Time each connector type took to publish.");
  for (const auto& [type, c] : m.connectors) {
    std::string label = "connector=\"" + EscapeLabel(type) + "\"";
    for (size_t i = 0; i < runtime::Histogram::kBounds.size(); ++i) {
      out += "herald_connector_publish_latency_seconds_bucket{" + label + ",le=\"" + Number(runtime::Histogram::kBounds[i]) +
             "\"} " + std::to_string(c.latency_seconds.buckets[i]) + "\n";
    }
    out += "herald_connector_publish_latency_seconds_bucket{" + label + ",le=\"+Inf\"} " + std::to_string(c.latency_seconds.count) + "\n";
    out += "herald_connector_publish_latency_seconds_sum{" + label + "} " + Number(c.latency_seconds.sum) + "\n";
    out += "herald_connector_publish_latency_seconds_count{" + label + "} " + std::to_string(c.latency_seconds.count) + "\n";
  }
  Header(out, "herald_connector_rate_limited_total", "counter", "Answers that said a platform limit was hit, by connector.");
  for (const auto& [type, c] : m.connectors) {
    out += "herald_connector_rate_limited_total{connector=\"" + EscapeLabel(type) + "\"} " + std::to_string(c.rate_limit_hits) + "\n";
  }
  Header(out, "herald_connector_breaker_open", "gauge", "1 while the connector type's circuit breaker is open.");
  for (const auto& [type, c] : m.connectors) {
    out += "herald_connector_breaker_open{connector=\"" + EscapeLabel(type) + "\"} " + (c.breaker_open ? "1" : "0") + "\n";
  }
  Header(out, "herald_connector_accounts_breaker_open", "gauge", "Accounts whose own circuit breaker is open, by connector.");
  for (const auto& [type, c] : m.connectors) {
    out += "herald_connector_accounts_breaker_open{connector=\"" + EscapeLabel(type) + "\"} " +
           std::to_string(c.accounts_breaker_open) + "\n";
  }
  Header(out, "herald_connector_breaker_openings_total", "counter", "Times a breaker of the connector type (or of an account on it) opened.");
  for (const auto& [type, c] : m.connectors) {
    out += "herald_connector_breaker_openings_total{connector=\"" + EscapeLabel(type) + "\"} " +
           std::to_string(c.breaker_openings) + "\n";
  }

  Header(out, "herald_http_requests_total", "counter", "HTTP requests answered, by route, method and status.");
  for (const auto& [key, n] : http.requests) {
    const auto& [route, method, status] = key;
    out += "herald_http_requests_total{route=\"" + EscapeLabel(route) + "\",method=\"" + EscapeLabel(method) +
           "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
  }
  Header(out, "herald_http_request_duration_seconds", "histogram", "Time spent answering API requests, by route.");
  for (const auto& [route, h] : http.latency_by_route) {
    std::string label = "route=\"" + EscapeLabel(route) + "\"";
    for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      out += "herald_http_request_duration_seconds_bucket{" + label + ",le=\"" + Number(kLatencyBuckets[i]) + "\"} " +
             std::to_string(h.buckets[i]) + "\n";
    }
    out += "herald_http_request_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    out += "herald_http_request_duration_seconds_sum{" + label + "} " + Number(h.sum) + "\n";
    out += "herald_http_request_duration_seconds_count{" + label + "} " + std::to_string(h.count) + "\n";
  }
  return out;
}

}  // namespace herald::api::internal
