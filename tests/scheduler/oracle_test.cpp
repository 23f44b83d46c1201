// Random plans checked against the brute-force oracle (tests/support/oracle.h):
// the planner's result must break no rule, every placed post must stand at the
// oracle's earliest feasible instant given the posts placed before it, every
// refused post must have none within max_delay, and deferrals and refusals must
// say why. Cases concentrate on the 2026 DST transitions of the zones below.
#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "scheduler/planner.h"
#include "tests/support/oracle.h"
#include "tests/support/random_plans.h"

namespace herald::scheduler {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using policies::AccountRules;
using policies::Cap;
using oracle::OraclePost;

constexpr uint64_t kSeed = 20260308;
constexpr int kCases = 6000;
constexpr int kHistoryCases = 1500;
using namespace random_plans;

std::string Local(const Zone& zone, Instant t) { return FormatRfc3339(t, zone); }

std::string Min(Duration d) { return FormatDuration(d); }

std::string Describe(const Case& c) {
  const AccountRules& r = c.rules;
  std::ostringstream out;
  out << "zone " << r.zone.name() << "\n";
  for (const auto& cap : r.caps) {
    out << "cap max " << cap.max << " per ";
    switch (cap.unit) {
      case Cap::Unit::kRolling: out << Min(cap.window); break;
      case Cap::Unit::kDay: out << "day"; break;
      case Cap::Unit::kWeek: out << "week"; break;
      case Cap::Unit::kMonth: out << "month"; break;
    }
    out << (cap.label.empty() ? "" : " label " + cap.label) << (cap.preset ? " PRESET" : "") << "\n";
  }
  if (r.min_spacing > seconds{0}) out << "min_spacing " << Min(r.min_spacing) << "\n";
  for (const auto& q : r.quiet_hours) out << "quiet " << q.from_minute / 60 << ":" << q.from_minute % 60 << "-" << q.to_minute / 60 << ":" << q.to_minute % 60 << "\n";
  if (!r.days.all()) out << "days (bit0=Mon) " << r.days.to_string() << "\n";
  for (const auto& b : r.blackouts) out << "blackout [" << Local(r.zone, b.from) << ", " << Local(r.zone, b.to) << ")\n";
  if (r.ramp_up) {
    out << "ramp_up [" << Local(r.zone, r.ramp_up->begin) << ", " << Local(r.zone, r.ramp_up->end) << ")";
    for (const auto& cap : r.ramp_up->caps)
      out << " cap " << cap.max << "/" << (cap.unit == Cap::Unit::kDay ? "day" : Min(cap.window)) << (cap.label.empty() ? "" : " " + cap.label);
    for (const auto& l : r.ramp_up->forbid_labels) out << " forbid " << l;
    out << "\n";
  }
  for (const auto& m : r.mix) out << "mix " << m.label << " " << m.max_share << " over " << Min(m.over) << "\n";
  out << "max_delay " << Min(r.max_delay) << "\n";
  for (const auto& in : c.inputs) {
    out << "post " << in.post.id << " requested " << Local(r.zone, in.post.requested_at);
    for (const auto& l : in.post.labels) out << " " << l;
    if (in.post.priority == Priority::kUrgent) out << " URGENT";
    if (in.fixed_at) out << " FIXED at " << Local(r.zone, *in.fixed_at);
    out << "\n";
  }
  return out.str();
}

OraclePost ToOracle(const PlanInput& in, Instant at) {
  return {in.post.id, at, in.post.labels, in.post.priority == Priority::kUrgent,
          in.fixed_at ? *in.fixed_at : in.post.requested_at};
}

std::string FormatMaybe(const Zone& zone, const std::optional<Instant>& t) {
  return t ? Local(zone, *t) : std::string("refused");
}

std::string Violations(const std::vector<oracle::Violation>& vs) {
  std::string out;
  for (const auto& v : vs) out += "  " + v.rule + " at post " + v.post + ": " + v.detail + "\n";
  return out;
}

struct Tally {
  int placed = 0;
  int deferred = 0;
  int refused = 0;
};

// Runs the planner on a case and returns a description of the first way it
// disagrees with the oracle, or "" when it agrees.
std::string FirstMismatch(const Case& c, Tally* tally = nullptr) {
  const AccountRules& rules = c.rules;
  std::map<std::string, Governor> governors;
  governors.emplace(kAccount, Governor(rules));
  Planner planner(std::move(governors));
  const std::vector<PlanOutput> outputs = planner.Plan(c.inputs);
  if (outputs.size() != c.inputs.size()) return "planner returned " + std::to_string(outputs.size()) + " outputs";

  std::vector<OraclePost> fixed;
  std::vector<size_t> order;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const PlanInput& in = c.inputs[i];
    const Decision& d = outputs[i].decision;
    if (outputs[i].id != in.post.id) return "output " + std::to_string(i) + " has id " + outputs[i].id;
    if (in.fixed_at) {
      if (!d.placed() || d.planned_at != in.fixed_at)
        return "fixed post " + in.post.id + " moved to " + FormatMaybe(rules.zone, d.planned_at);
      fixed.push_back(ToOracle(in, *in.fixed_at));
    } else {
      order.push_back(i);
    }
  }
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return Planner::PlacesBefore(c.inputs[a].post, c.inputs[b].post); });

  // (b) and (c): replay in placement order.
  std::vector<OraclePost> placed = fixed;
  for (size_t i : order) {
    const PlanInput& in = c.inputs[i];
    const Decision& d = outputs[i].decision;
    std::optional<Instant> got = d.placed() ? d.planned_at : std::nullopt;
    if (d.placed() && !d.planned_at) return "post " + in.post.id + " placed without a time";
    std::optional<Instant> want = oracle::EarliestFeasible(rules, placed, ToOracle(in, in.post.requested_at));
    if (got != want) {
      std::string why;
      if (got) why = Violations(oracle::NewViolationsAt(rules, placed, ToOracle(in, *got), *got));
      return "post " + in.post.id + ": governor " + FormatMaybe(rules.zone, got) + ", oracle " +
             FormatMaybe(rules.zone, want) + " (requested " + Local(rules.zone, in.post.requested_at) + ")\n" +
             (why.empty() ? "" : "oracle's violations at the governor's time:\n" + why) + "governor says: " +
             d.Summary();
    }
    if (got && *got > in.post.requested_at && d.reasons.empty())
      return "post " + in.post.id + " deferred without a reason";
    if (!got && d.reasons.empty()) return "post " + in.post.id + " refused without a reason";
    if (got) placed.push_back(ToOracle(in, *got));
    if (tally) {
      if (!got) ++tally->refused;
      else if (*got > in.post.requested_at) ++tally->deferred;
      else ++tally->placed;
    }
  }

  // (a): the final plan breaks nothing that the fixed history did not already break.
  std::set<std::pair<std::string, std::string>> history;
  for (const auto& v : oracle::CheckPlan(rules, fixed)) history.emplace(v.rule, v.post);
  std::vector<oracle::Violation> fresh;
  for (const auto& v : oracle::CheckPlan(rules, placed))
    if (!history.contains({v.rule, v.post})) fresh.push_back(v);
  if (!fresh.empty()) return "final plan breaks rules:\n" + Violations(fresh);
  return "";
}

// Greedily drops posts and rules while the case still fails, so the report is
// short; gives up after a bounded number of replays.
Case Shrink(Case c) {
  bool progress = true;
  int budget = 300;
  auto try_change = [&](Case candidate) {
    if (--budget < 0 || FirstMismatch(candidate).empty()) return false;
    c = std::move(candidate);
    return true;
  };
  while (progress) {
    progress = false;
    for (size_t i = 0; i < c.inputs.size(); ++i) {
      Case d = c;
      d.inputs.erase(d.inputs.begin() + static_cast<long>(i));
      if (try_change(d)) { progress = true; --i; }
    }
    for (size_t i = 0; i < c.rules.caps.size(); ++i) {
      Case d = c;
      d.rules.caps.erase(d.rules.caps.begin() + static_cast<long>(i));
      if (try_change(d)) { progress = true; --i; }
    }
    auto simplify = [&](auto edit) {
      Case d = c;
      if (!edit(d.rules)) return;
      if (try_change(d)) progress = true;
    };
    simplify([](AccountRules& r) { return std::exchange(r.min_spacing, Duration{0}) != Duration{0}; });
    simplify([](AccountRules& r) { return !std::exchange(r.quiet_hours, {}).empty(); });
    simplify([](AccountRules& r) { bool had = !r.days.all(); r.days.set(); return had; });
    simplify([](AccountRules& r) { return !std::exchange(r.blackouts, {}).empty(); });
    simplify([](AccountRules& r) { return std::exchange(r.ramp_up, std::nullopt).has_value(); });
    simplify([](AccountRules& r) { return !std::exchange(r.mix, {}).empty(); });
    for (auto& in : c.inputs) {
      if (in.post.labels.empty() && in.post.priority == Priority::kNormal) continue;
      Case d = c;
      for (auto& din : d.inputs)
        if (din.post.id == in.post.id) din.post.labels.clear();
      if (try_change(d)) progress = true;
    }
  }
  return c;
}

void RunRandomCases(uint64_t seed, int cases, bool history) {
  Generator gen(seed, history);
  int failures = 0;
  Tally tally;
  for (int k = 0; k < cases; ++k) {
    Case c = gen.Next();
    std::string mismatch = FirstMismatch(c, &tally);
    if (mismatch.empty()) continue;
    ++failures;
    if (failures <= 3) {
      INFO("seed " << seed << " case " << k);
      INFO("case:\n" << Describe(c));
      INFO(mismatch);
      Case small = Shrink(c);
      INFO("shrunk case:\n" << Describe(small) << FirstMismatch(small));
      FAIL_CHECK("planner disagrees with the oracle");
    }
  }
  INFO("seed " << seed << ": " << cases << " cases, posts on time " << tally.placed << ", deferred " << tally.deferred
                << ", refused " << tally.refused);
  CHECK(failures == 0);
}

TEST_CASE("Planner agrees with the brute-force oracle on random plans", "[oracle]") {
  RunRandomCases(kSeed, kCases, false);
}

TEST_CASE("Planner agrees with the brute-force oracle around published history", "[oracle]") {
  RunRandomCases(kSeed + 7, kHistoryCases, true);
}

// The oracle's fast scan (violations around the new post only) against its slow
// definition (two full CheckPlan runs): the earliest instant has no new violation
// and sampled instants before it each have one.
TEST_CASE("Oracle's earliest instant matches its own full check", "[oracle]") {
  Generator gen(kSeed + 1);
  std::mt19937_64 rng(kSeed + 2);
  for (int k = 0; k < 150; ++k) {
    INFO("seed " << kSeed + 1 << " case " << k);
    Case c = gen.Next();
    INFO(Describe(c));
    std::vector<OraclePost> before;
    for (const auto& in : c.inputs) {
      const OraclePost post = ToOracle(in, in.post.requested_at);
      auto at = oracle::EarliestFeasible(c.rules, before, post);
      const Instant last = at ? *at : post.requested_at + c.rules.max_delay + seconds{1};
      if (at) REQUIRE(oracle::NewViolationsAt(c.rules, before, post, *at).empty());
      for (int s = 0; s < 12 && last > post.requested_at; ++s) {
        auto span = std::chrono::duration_cast<seconds>(last - post.requested_at).count();
        Instant t = post.requested_at + seconds{std::uniform_int_distribution<long>(0, span - 1)(rng)};
        INFO("post " << post.id << " at " << FormatRfc3339(t));
        CHECK_FALSE(oracle::NewViolationsAt(c.rules, before, post, t).empty());
      }
      if (at) before.push_back(ToOracle(in, *at));
    }
  }
}

TEST_CASE("Oracle reads the rules as the spec words them", "[oracle]") {
  AccountRules r;
  r.zone = FindZone("America/New_York");
  r.max_delay = hours{48};
  const Instant nine = Utc(2026, 6, 1) + hours{13};  // 09:00 EDT
  auto post = [&](std::string id, Instant at, std::vector<std::string> labels = {}, bool urgent = false) {
    return OraclePost{std::move(id), at, std::move(labels), urgent, at};
  };

  SECTION("rolling cap windows are half-open") {
    r.caps.push_back({1, Cap::Unit::kRolling, hours{2}, "", "t", false});
    CHECK(oracle::CheckPlan(r, {post("1", nine), post("2", nine + hours{2})}).empty());
    CHECK(oracle::CheckPlan(r, {post("1", nine), post("2", nine + hours{2} - seconds{1})}).size() == 2);
  }
  SECTION("an urgent post counts for others but is not itself held") {
    r.caps.push_back({1, Cap::Unit::kRolling, hours{2}, "", "t", false});
    auto vs = oracle::CheckPlan(r, {post("1", nine, {}, true), post("2", nine + hours{1})});
    REQUIRE(vs.size() == 1);
    CHECK(vs[0].post == "2");
    CHECK(oracle::CheckPlan(r, {post("1", nine, {}, true), post("2", nine, {}, true)}).empty());
  }
  SECTION("a preset cap holds urgent posts too") {
    r.caps.push_back({1, Cap::Unit::kRolling, hours{2}, "", "preset x", true});
    CHECK(oracle::CheckPlan(r, {post("1", nine, {}, true), post("2", nine, {}, true)}).size() == 2);
  }
  SECTION("mix 0.2 needs four others in the window") {
    r.mix.push_back({"promo", 0.2, days{7}});
    std::vector<OraclePost> posts;
    for (int i = 0; i < 3; ++i) posts.push_back(post(std::to_string(i), nine + minutes{i}));
    auto promo = post("p", nine + hours{1}, {"promo"});
    CHECK(!oracle::EarliestFeasible(r, posts, promo));
    posts.push_back(post("3", nine + minutes{3}));
    CHECK(oracle::EarliestFeasible(r, posts, promo) == promo.requested_at);
  }
  SECTION("quiet hours end exactly at 08:00 local on the spring-forward day") {
    r.quiet_hours.push_back({21 * 60, 8 * 60});
    auto late = post("1", Utc(2026, 3, 8) + hours{3});  // 22:00 EST on 7 March
    CHECK(oracle::EarliestFeasible(r, {}, late) == Utc(2026, 3, 8) + hours{12});  // 08:00 EDT
  }
  SECTION("a daily cap is per local day across fall-back") {
    r.caps.push_back({1, Cap::Unit::kDay, {}, "", "t", false});
    auto first = post("1", Utc(2026, 11, 1) + hours{5});  // 01:00 EDT on 1 November
    auto second = post("2", Utc(2026, 11, 1) + hours{7});  // 02:00 EST
    CHECK(oracle::EarliestFeasible(r, {first}, second) == Utc(2026, 11, 2) + hours{5});  // 00:00 EST
  }
}

}  // namespace
}  // namespace herald::scheduler
