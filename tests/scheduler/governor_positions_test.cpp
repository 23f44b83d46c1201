// The governor's search keeps one position per question (each cap's window or
// period ends, each mix window's ends) for a fixed number of caps and mix
// rules, and searches without a kept position beyond them. Rules with more caps
// and mix rules than that, and long deferrals that cross many days, weeks and
// months, must place every post where the brute-force oracle does.
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "scheduler/governor.h"
#include "tests/support/oracle.h"

namespace herald::scheduler {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using policies::AccountRules;
using policies::Cap;

const char* const kLabels[] = {"promo", "news", "event"};

Instant Utc(int y, unsigned m, unsigned d) {
  return Instant{std::chrono::sys_days{std::chrono::year{y} / m / d}.time_since_epoch()};
}

AccountRules ManyRules(std::mt19937_64& rng, int caps, int mixes) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  AccountRules r;
  auto zone = Zone::Find(pick(0, 1) ? "Europe/Berlin" : "America/New_York");
  REQUIRE(zone.has_value());
  r.zone = *zone;
  r.max_delay = days{pick(1, 10)};
  r.min_spacing = minutes{pick(0, 1) * pick(1, 90)};
  for (int i = 0; i < caps; ++i) {
    Cap cap;
    cap.origin = "frequency.default.caps[" + std::to_string(i) + "]";
    switch (pick(0, 3)) {
      case 0:
        cap.unit = Cap::Unit::kRolling;
        cap.window = minutes{pick(1, 48) * 30};
        cap.max = pick(1, 4);
        break;
      case 1: cap.unit = Cap::Unit::kDay, cap.max = pick(1, 5); break;
      case 2: cap.unit = Cap::Unit::kWeek, cap.max = pick(2, 14); break;
      default: cap.unit = Cap::Unit::kMonth, cap.max = pick(4, 40); break;
    }
    if (pick(0, 2) == 0) cap.label = kLabels[pick(0, 2)];
    r.caps.push_back(cap);
  }
  for (int i = 0; i < mixes; ++i) {
    static constexpr double kShares[] = {0.2, 0.34, 0.5, 0.75};
    r.mix.push_back({kLabels[pick(0, 2)], kShares[pick(0, 3)], hours{pick(6, 24 * 14)}});
  }
  return r;
}

TEST_CASE("Governor with more caps and mix rules than it keeps positions for places as the oracle does",
          "[governor][oracle]") {
  std::mt19937_64 rng(20261206);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto count = GENERATE(std::pair{3, 1}, std::pair{20, 2}, std::pair{18, 6}, std::pair{24, 7});
  for (int c = 0; c < 6; ++c) {
    const AccountRules rules = ManyRules(rng, count.first, count.second);
    const Governor g(rules);
    Timeline tl;
    std::vector<oracle::OraclePost> before;
    Instant at = Utc(2026, 10, 20) + minutes{pick(0, 1439)};
    for (int i = 0; i < 30; ++i) {
      PostRequest post;
      post.id = std::to_string(i);
      post.requested_at = at;
      for (const char* label : kLabels)
        if (pick(0, 3) == 0) post.labels.push_back(label);
      INFO("case " << c << " with " << count.first << " caps and " << count.second << " mix rules, post " << i
                   << " asked for " << FormatRfc3339(at));
      const Decision d = g.Schedule(tl, post);
      const auto want = oracle::EarliestFeasible(rules, before, {post.id, at, post.labels, false, at});
      REQUIRE(d.planned_at == want);
      if (d.placed()) {
        tl.Insert(g.EntryFor(post, *d.planned_at));
        before.push_back({post.id, *d.planned_at, post.labels, false, at});
      }
      at += minutes{pick(0, 16 * 60)};
    }
  }
}

// The search starts each list's position from a guess by proportion (posts
// spread evenly) and gallops from it: the guess may only cost time, never
// change a decision. Timelines far from even (a sparse year, a dense cluster of
// a few days) with requests before, inside and after them must place every
// post where the oracle does.
TEST_CASE("Governor places on timelines far from evenly spread as the oracle does", "[governor][oracle]") {
  std::mt19937_64 rng(20261207);
  auto pick = [&](long lo, long hi) { return std::uniform_int_distribution<long>(lo, hi)(rng); };
  for (int c = 0; c < 4; ++c) {
    const AccountRules rules = ManyRules(rng, 4, 1);
    const Governor g(rules);
    Timeline tl;
    std::vector<oracle::OraclePost> before;
    const Instant year = Utc(2026, 1, 5);
    const Instant cluster = year + days{pick(30, 300)};
    auto place = [&](int i, Instant at) {
      PostRequest post;
      post.id = std::to_string(i);
      post.requested_at = at;
      for (const char* label : kLabels)
        if (pick(0, 3) == 0) post.labels.push_back(label);
      INFO("case " << c << ", post " << i << " asked for " << FormatRfc3339(at) << " on a timeline of " << tl.size());
      const Decision d = g.Schedule(tl, post);
      const auto want = oracle::EarliestFeasible(rules, before, {post.id, at, post.labels, false, at});
      REQUIRE(d.planned_at == want);
      if (d.placed()) {
        tl.Insert(g.EntryFor(post, *d.planned_at));
        before.push_back({post.id, *d.planned_at, post.labels, false, at});
      }
    };
    int i = 0;
    for (; i < 20; ++i) place(i, year + minutes{pick(0, 365 * 1440)});       // sparse over a year
    for (; i < 60; ++i) place(i, cluster + minutes{pick(0, 3 * 1440)});      // dense over three days
    for (; i < 90; ++i) {
      switch (pick(0, 3)) {
        case 0: place(i, year + minutes{pick(0, 365 * 1440)}); break;          // in the sparse part
        case 1: place(i, cluster + minutes{pick(0, 3 * 1440)}); break;         // inside the cluster
        case 2: place(i, year - days{10} + minutes{pick(0, 10 * 1440)}); break;  // before every post
        default: place(i, year + days{370} + minutes{pick(0, 1440)}); break;   // after every post
      }
    }
    CHECK(tl.size() > 16);  // long enough for the guess by proportion
  }
}

}  // namespace
}  // namespace herald::scheduler
