#include "core/engagement.h"

#include <algorithm>

namespace herald {

std::string_view EngagementMetricName(EngagementMetric m) {
  switch (m) {
    case EngagementMetric::kReplies: return "replies";
    case EngagementMetric::kReposts: return "reposts";
    case EngagementMetric::kLikes: return "likes";
    case EngagementMetric::kQuotes: return "quotes";
    case EngagementMetric::kBookmarks: return "bookmarks";
    case EngagementMetric::kViews: return "views";
  }
  return "unknown";
}

std::optional<int64_t> EngagementCounts::Get(EngagementMetric m) const {
  switch (m) {
    case EngagementMetric::kReplies: return replies;
    case EngagementMetric::kReposts: return reposts;
    case EngagementMetric::kLikes: return likes;
    case EngagementMetric::kQuotes: return quotes;
    case EngagementMetric::kBookmarks: return bookmarks;
    case EngagementMetric::kViews: return views;
  }
  return std::nullopt;
}

void EngagementCounts::Set(EngagementMetric m, std::optional<int64_t> value) {
  switch (m) {
    case EngagementMetric::kReplies: replies = value; break;
    case EngagementMetric::kReposts: reposts = value; break;
    case EngagementMetric::kLikes: likes = value; break;
    case EngagementMetric::kQuotes: quotes = value; break;
    case EngagementMetric::kBookmarks: bookmarks = value; break;
    case EngagementMetric::kViews: views = value; break;
  }
}

int64_t EngagementCounts::Interactions() const {
  int64_t sum = 0;
  for (EngagementMetric m : kEngagementMetrics) {
    if (m != EngagementMetric::kViews) sum += Get(m).value_or(0);
  }
  return sum;
}

std::vector<EngagementMetric> EngagementCounts::NotAvailable() const {
  std::vector<EngagementMetric> out;
  for (EngagementMetric m : kEngagementMetrics)
    if (!Get(m)) out.push_back(m);
  return out;
}

std::vector<EngagementMetric> EngagementNotExposed(std::string_view connector) {
  using M = EngagementMetric;
  if (connector == "mastodon") return {M::kQuotes, M::kBookmarks, M::kViews};
  if (connector == "bluesky") return {M::kBookmarks, M::kViews};
  if (connector == "x") return {};
  return {kEngagementMetrics.begin(), kEngagementMetrics.end()};
}

std::string_view EngagementOutcomeName(EngagementOutcome outcome) {
  switch (outcome) {
    case EngagementOutcome::kRead: return "read";
    case EngagementOutcome::kGone: return "gone";
    case EngagementOutcome::kFailed: return "failed";
  }
  return "unknown";
}

std::optional<EngagementOutcome> ParseEngagementOutcome(std::string_view name) {
  for (auto o : {EngagementOutcome::kRead, EngagementOutcome::kGone, EngagementOutcome::kFailed})
    if (EngagementOutcomeName(o) == name) return o;
  return std::nullopt;
}

EngagementRollup RollUp(const std::vector<EngagementSample>& samples, const std::vector<std::string>& promotional_labels) {
  EngagementRollup out;
  auto add = [](EngagementTotals& t, int64_t interactions) {
    ++t.posts;
    t.interactions += interactions;
  };
  for (const auto& s : samples) {
    const int64_t n = s.latest.Interactions();
    add(out.all, n);
    bool promotional = std::any_of(s.labels.begin(), s.labels.end(), [&](const std::string& l) {
      return std::find(promotional_labels.begin(), promotional_labels.end(), l) != promotional_labels.end();
    });
    add(promotional ? out.promotional : out.other, n);
    add(out.by_account[s.account], n);
    std::vector<std::string> labels = s.labels;
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    for (const auto& l : labels) add(out.by_label[l], n);
  }
  return out;
}

}  // namespace herald
