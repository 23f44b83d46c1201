#include "core/engagement.h"

#include <catch2/catch.hpp>

namespace herald {
namespace {

using M = EngagementMetric;

EngagementCounts Counts(std::optional<int64_t> replies, std::optional<int64_t> reposts, std::optional<int64_t> likes,
                        std::optional<int64_t> views = std::nullopt) {
  EngagementCounts c;
  c.replies = replies;
  c.reposts = reposts;
  c.likes = likes;
  c.views = views;
  return c;
}

TEST_CASE("Engagement counts tell not available from zero, and views are not interactions", "[engagement][core]") {
  EngagementCounts c = Counts(0, 2, 5, 1000);
  CHECK(c.Interactions() == 7);
  CHECK(c.NotAvailable() == std::vector<M>{M::kQuotes, M::kBookmarks});
  CHECK(EngagementCounts{}.Interactions() == 0);
  CHECK(EngagementCounts{}.NotAvailable().size() == kEngagementMetrics.size());
  for (M m : kEngagementMetrics) {
    EngagementCounts one;
    one.Set(m, 3);
    CHECK(one.Get(m) == 3);
    CHECK(one.NotAvailable().size() == kEngagementMetrics.size() - 1);
  }
}

TEST_CASE("Engagement outcomes and metric names read back", "[engagement][core]") {
  for (auto o : {EngagementOutcome::kRead, EngagementOutcome::kGone, EngagementOutcome::kFailed})
    CHECK(ParseEngagementOutcome(EngagementOutcomeName(o)) == o);
  CHECK_FALSE(ParseEngagementOutcome("claimed"));
  CHECK(EngagementMetricName(M::kReposts) == "reposts");
}

TEST_CASE("Each connector's documented gaps: a connector that reads nothing lacks every count", "[engagement][core]") {
  CHECK(EngagementNotExposed("mastodon") == std::vector<M>{M::kQuotes, M::kBookmarks, M::kViews});
  CHECK(EngagementNotExposed("bluesky") == std::vector<M>{M::kBookmarks, M::kViews});
  CHECK(EngagementNotExposed("x").empty());
  for (auto other : {"file", "webhook", "discord", "slack", "telegram", "linkedin", "facebook_page", "instagram", "threads"})
    CHECK(EngagementNotExposed(other).size() == kEngagementMetrics.size());
}

TEST_CASE("Engagement rolls up per account and label, promotional against the rest", "[engagement][core]") {
  std::vector<EngagementSample> samples = {
      {1, "acme-toot", {"promo", "launch"}, Counts(1, 1, 8)},   // 10
      {2, "acme-toot", {"news"}, Counts(5, 5, 20)},             // 30
      {3, "acme-sky", {"news", "news"}, Counts(std::nullopt, 2, 2, 900)},  // 4, views left out
  };
  EngagementRollup r = RollUp(samples, {"promo", "promotional"});
  CHECK(r.all.posts == 3);
  CHECK(r.all.interactions == 44);
  CHECK(r.all.PerPost() == Approx(44.0 / 3));
  CHECK(r.promotional.posts == 1);
  CHECK(r.promotional.interactions == 10);
  CHECK(r.other.posts == 2);
  CHECK(r.other.PerPost() == Approx(17.0));
  CHECK(r.by_account.at("acme-toot").posts == 2);
  CHECK(r.by_account.at("acme-sky").interactions == 4);
  CHECK(r.by_label.at("news").posts == 2);  // a label named twice counts the post once
  CHECK(r.by_label.at("launch").interactions == 10);
  CHECK(RollUp({}, {}).all.PerPost() == 0.0);
}

}  // namespace
}  // namespace herald
