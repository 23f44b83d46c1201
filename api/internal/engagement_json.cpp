#include "api/internal/engagement_json.h"

#include <cmath>

namespace herald::api::internal {

using nlohmann::json;

namespace {

json CountsToJson(const EngagementCounts& counts) {
  json out = json::object();
  for (EngagementMetric m : kEngagementMetrics) {
    auto v = counts.Get(m);
    out[std::string(EngagementMetricName(m))] = v ? json(*v) : json(nullptr);
  }
  return out;
}

json TotalsToJson(const EngagementTotals& t) {
  // Two decimals: a rate, not a ledger.
  return {{"posts", t.posts},
          {"interactions", t.interactions},
          {"interactions_per_post", std::round(t.PerPost() * 100.0) / 100.0}};
}

}  // namespace

json EngagementSeriesToJson(const runtime::EngagementSeries& s) {
  json series = json::array();
  for (const auto& r : s.reads) {
    json point = {{"point", r.point},
                  {"read_at", FormatRfc3339(r.read_at)},
                  {"outcome", std::string(EngagementOutcomeName(r.outcome))}};
    if (r.outcome == EngagementOutcome::kRead) {
      point["counts"] = CountsToJson(r.counts);
      point["interactions"] = r.counts.Interactions();
    } else {
      point["detail"] = r.detail;
    }
    series.push_back(std::move(point));
  }
  json not_available = json::array();
  for (EngagementMetric m : s.not_available) not_available.push_back(std::string(EngagementMetricName(m)));
  return {{"post", s.post_id},
          {"account", s.account},
          {"platform", s.platform},
          {"published_at", s.published_at ? json(FormatRfc3339(*s.published_at)) : json(nullptr)},
          {"gone", s.gone},
          {"next_read", s.next_read ? json(FormatRfc3339(*s.next_read)) : json(nullptr)},
          {"not_available", not_available},
          {"series", series}};
}

json EngagementRollupToJson(const runtime::EngagementRollupView& v) {
  json by_account = json::object();
  for (const auto& [account, t] : v.rollup.by_account) by_account[account] = TotalsToJson(t);
  json by_label = json::object();
  for (const auto& [label, t] : v.rollup.by_label) by_label[label] = TotalsToJson(t);
  return {{"from", FormatRfc3339(v.from)},
          {"to", FormatRfc3339(v.to)},
          {"promotional_labels", v.promotional_labels},
          {"totals", TotalsToJson(v.rollup.all)},
          {"promotional", TotalsToJson(v.rollup.promotional)},
          {"other", TotalsToJson(v.rollup.other)},
          {"by_account", by_account},
          {"by_label", by_label}};
}

}  // namespace herald::api::internal
