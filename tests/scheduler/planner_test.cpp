// Hand-written planner cases with exact expected times, mostly in
// America/New_York, including the 2026 spring-forward and fall-back nights.
#include "scheduler/planner.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace Catch {
template <>
struct StringMaker<std::optional<herald::Instant>> {
  static std::string convert(const std::optional<herald::Instant>& t) {
    return t ? herald::FormatRfc3339(*t) : std::string("refused");
  }
};
template <>
struct StringMaker<herald::Instant> {
  static std::string convert(herald::Instant t) { return herald::FormatRfc3339(t); }
};
}  // namespace Catch

namespace herald::scheduler {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using policies::AccountRules;
using policies::Cap;

const char* const kAccount = "acct";

Zone NewYork() {
  auto zone = Zone::Find("America/New_York");
  REQUIRE(zone.has_value());
  return *zone;
}

// A New York wall time ("2026-06-01T09:00") as an instant.
Instant Ny(std::string_view local) {
  auto parsed = ParseLocalDateTime(local);
  REQUIRE(parsed.has_value());
  return NewYork().ToInstant(*parsed);
}

Instant Z(std::string_view rfc3339) {
  auto parsed = ParseRfc3339(rfc3339);
  REQUIRE(parsed.has_value());
  return *parsed;
}

AccountRules Rules() {
  AccountRules r;
  r.account = kAccount;
  r.platform = "test";
  r.zone = NewYork();
  r.max_delay = hours{48};
  return r;
}

Cap RollingCap(int max, Duration window, bool preset = false) {
  Cap cap;
  cap.max = max;
  cap.unit = Cap::Unit::kRolling;
  cap.window = window;
  cap.origin = preset ? "preset test" : "frequency.default.caps[0]";
  cap.preset = preset;
  return cap;
}

Cap DailyCap(int max) {
  Cap cap;
  cap.max = max;
  cap.unit = Cap::Unit::kDay;
  cap.origin = "frequency.default.caps[0]";
  return cap;
}

PlanInput Post(std::string id, Instant requested, std::vector<std::string> labels = {}, bool urgent = false) {
  PlanInput in;
  in.account = kAccount;
  in.post.id = std::move(id);
  in.post.text = "post " + in.post.id;
  in.post.requested_at = requested;
  in.post.labels = std::move(labels);
  in.post.priority = urgent ? Priority::kUrgent : Priority::kNormal;
  return in;
}

PlanInput Urgent(std::string id, Instant requested) { return Post(std::move(id), requested, {}, true); }

PlanInput Published(std::string id, Instant at) {
  PlanInput in = Post(std::move(id), at);
  in.fixed_at = at;
  return in;
}

std::vector<PlanOutput> PlanAll(const AccountRules& rules, const std::vector<PlanInput>& inputs) {
  std::map<std::string, Governor> governors;
  governors.emplace(rules.account, Governor(rules));
  Planner planner(std::move(governors));
  auto out = planner.Plan(inputs);
  REQUIRE(out.size() == inputs.size());
  return out;
}

std::optional<Instant> PlannedAt(const PlanOutput& out) {
  return out.decision.placed() ? out.decision.planned_at : std::nullopt;
}

bool HasRule(const Decision& d, std::string_view rule) {
  for (const auto& r : d.reasons)
    if (r.rule == rule) return true;
  return false;
}

TEST_CASE("The daemon's re-plan: from now, in requested order, frequency rules only, outside blocked spans",
          "[planner]") {
  auto rules = Rules();
  rules.min_spacing = hours{1};
  rules.content.duplicate_window = hours{24};
  const Instant nine = Ny("2026-06-01T09:00");
  const Instant now = nine + hours{2};
  std::map<std::string, Governor> governors;
  governors.emplace(rules.account, Governor(rules));
  Planner planner(std::move(governors));

  // Two posts asked for in the past, with the same text (created apart, so the
  // duplicate rule passed then): placed from now, in the order of their requests.
  PlanInput late = Post("10", nine + minutes{30});
  PlanInput early = Post("11", nine);
  for (PlanInput* in : {&late, &early}) {
    in->post.text = "same text";
    in->not_before = now;
    in->content_checked = true;
  }
  auto out = planner.Plan({late, early});
  CHECK(PlannedAt(out[1]) == now);
  CHECK(PlannedAt(out[0]) == now + hours{1});
  CHECK(out[1].decision.reasons.empty());

  SECTION("without content_checked the duplicate rule refuses the second") {
    late.content_checked = early.content_checked = false;
    auto again = planner.Plan({late, early});
    CHECK(PlannedAt(again[1]) == now);
    CHECK_FALSE(again[0].decision.placed());
    CHECK(HasRule(again[0].decision, "content.duplicate"));
  }
  SECTION("a blocked span of the account moves both past it, its reason first") {
    BlockedSpans blocked;
    blocked[kAccount].push_back({Instant::min(), now + hours{3}, "rate_limit", "limit hit; nothing is sent before then"});
    blocked["other"].push_back({Instant::min(), now + hours{9}, "circuit_open", "not this account"});
    auto paused = planner.Plan({late, early}, blocked);
    CHECK(PlannedAt(paused[1]) == now + hours{3});
    CHECK(PlannedAt(paused[0]) == now + hours{4});
    REQUIRE_FALSE(paused[1].decision.reasons.empty());
    CHECK(paused[1].decision.reasons[0].rule == "rate_limit");
  }
}

TEST_CASE("Planner orders urgent first, then requested time, then id", "[planner]") {
  const Instant nine = Ny("2026-06-01T09:00");
  auto req = [&](std::string id, Instant at, bool urgent = false) {
    return Post(std::move(id), at, {}, urgent).post;
  };
  CHECK(Planner::PlacesBefore(req("5", nine + hours{3}, true), req("1", nine)));
  CHECK_FALSE(Planner::PlacesBefore(req("1", nine), req("5", nine + hours{3}, true)));
  CHECK(Planner::PlacesBefore(req("7", nine), req("1", nine + minutes{1})));
  CHECK(Planner::PlacesBefore(req("9", nine), req("10", nine)));
  CHECK_FALSE(Planner::PlacesBefore(req("10", nine), req("9", nine)));
  CHECK(Planner::PlacesBefore(req("a", nine), req("b", nine)));
  CHECK_FALSE(Planner::PlacesBefore(req("9", nine), req("9", nine)));

  SECTION("the order decides who gets the contested slot") {
    AccountRules rules = Rules();
    rules.min_spacing = hours{1};
    auto out = PlanAll(rules, {Post("10", nine), Post("9", nine), Urgent("20", nine + minutes{30})});
    CHECK(PlannedAt(out[2]) == nine + minutes{30});       // urgent first, on time
    CHECK(PlannedAt(out[1]) == nine + minutes{90});       // "9" next: an hour after the urgent post
    CHECK(PlannedAt(out[0]) == nine + minutes{150});      // "10" last
    CHECK(out[0].id == "10");                             // outputs keep the inputs' order
  }
}

TEST_CASE("Planner never moves published posts and counts them", "[planner]") {
  AccountRules rules = Rules();
  rules.min_spacing = minutes{45};
  rules.quiet_hours.push_back({21 * 60, 8 * 60});
  const Instant published = Ny("2026-06-01T07:30");  // inside quiet hours: history is history
  auto out = PlanAll(rules, {Post("2", Ny("2026-06-01T07:40")), Published("1", published)});
  CHECK(PlannedAt(out[1]) == published);
  CHECK_FALSE(out[1].moved);
  CHECK(PlannedAt(out[0]) == Ny("2026-06-01T08:15"));
}

TEST_CASE("Planner reports moves against the previous time", "[planner]") {
  AccountRules rules = Rules();
  rules.min_spacing = minutes{45};
  rules.max_delay = hours{1};
  const Instant nine = Ny("2026-06-01T09:00");
  PlanInput same = Post("1", nine);
  same.previous_at = nine;
  PlanInput shifted = Post("2", nine + minutes{10});
  shifted.previous_at = nine + minutes{10};
  PlanInput lost = Post("3", nine + minutes{20});
  lost.previous_at = nine + minutes{20};
  PlanInput fresh = Post("4", nine + hours{5});
  auto out = PlanAll(rules, {same, shifted, lost, fresh});

  CHECK(PlannedAt(out[0]) == nine);
  CHECK_FALSE(out[0].moved);
  CHECK(out[0].previous_at == nine);

  CHECK(PlannedAt(out[1]) == nine + minutes{45});
  CHECK(out[1].moved);
  CHECK(out[1].previous_at == nine + minutes{10});

  CHECK_FALSE(out[2].decision.placed());  // 10:30 is past 09:20 + 1h
  CHECK(out[2].moved);
  CHECK(out[2].previous_at == nine + minutes{20});

  CHECK(PlannedAt(out[3]) == nine + hours{5});
  CHECK_FALSE(out[3].moved);
}

TEST_CASE("Planner refuses a post for an unknown account", "[planner]") {
  PlanInput in = Post("1", Ny("2026-06-01T09:00"));
  in.account = "nobody";
  auto out = PlanAll(Rules(), {in});
  CHECK_FALSE(out[0].decision.placed());
  CHECK(HasRule(out[0].decision, "account"));
  CHECK(out[0].account == "nobody");
}

TEST_CASE("Governor keeps min_spacing after a post", "[planner]") {
  AccountRules rules = Rules();
  rules.min_spacing = minutes{45};
  auto out = PlanAll(rules, {Published("1", Ny("2026-06-01T09:00")), Post("2", Ny("2026-06-01T09:00"))});
  CHECK(PlannedAt(out[1]) == Ny("2026-06-01T09:45"));
  CHECK(HasRule(out[1].decision, "min_spacing"));
  // Spacing holds in both directions: a post requested before a published one.
  out = PlanAll(rules, {Published("1", Ny("2026-06-01T09:00")), Post("2", Ny("2026-06-01T08:30"))});
  CHECK(PlannedAt(out[1]) == Ny("2026-06-01T09:45"));
}

TEST_CASE("Governor defers past quiet hours to 08:00 local, DST nights included", "[planner]") {
  AccountRules rules = Rules();
  rules.quiet_hours.push_back({21 * 60, 8 * 60});
  auto [requested, expected] = GENERATE(table<const char*, const char*>({
      {"2026-06-01T22:00:00-04:00", "2026-06-02T12:00:00Z"},  // ordinary night, 08:00 EDT
      {"2026-03-07T22:00:00-05:00", "2026-03-08T12:00:00Z"},  // spring forward: 08:00 EDT
      {"2026-10-31T22:00:00-04:00", "2026-11-01T13:00:00Z"},  // fall back: 08:00 EST
      {"2026-11-01T01:30:00-05:00", "2026-11-01T13:00:00Z"},  // second 01:30 of the night
      {"2026-03-08T03:30:00-04:00", "2026-03-08T12:00:00Z"},  // just after the gap
  }));
  INFO("requested " << requested);
  auto out = PlanAll(rules, {Post("1", Z(requested))});
  CHECK(PlannedAt(out[0]) == Z(expected));
  CHECK(HasRule(out[0].decision, "quiet_hours"));
  // The end of the quiet hours is allowed; one second before it is not.
  out = PlanAll(rules, {Post("1", Z(expected) - std::chrono::seconds{1})});
  CHECK(PlannedAt(out[0]) == Z(expected));
}

TEST_CASE("Governor sends the post after a full day to the next local day", "[planner]") {
  AccountRules rules = Rules();
  rules.caps.push_back(DailyCap(3));
  auto [day, next_midnight, next_eight] = GENERATE(table<const char*, const char*, const char*>({
      {"2026-06-01", "2026-06-02T04:00:00Z", "2026-06-02T12:00:00Z"},
      {"2026-03-07", "2026-03-08T05:00:00Z", "2026-03-08T12:00:00Z"},  // the next day is 23 hours long
      {"2026-03-08", "2026-03-09T04:00:00Z", "2026-03-09T12:00:00Z"},  // the 23-hour day itself
      {"2026-10-31", "2026-11-01T04:00:00Z", "2026-11-01T13:00:00Z"},  // the next day is 25 hours long
      {"2026-11-01", "2026-11-02T05:00:00Z", "2026-11-02T13:00:00Z"},  // the 25-hour day itself
  }));
  INFO("day " << day);
  const Instant ten = Ny(std::string(day) + "T10:00");
  std::vector<PlanInput> in = {Post("1", ten), Post("2", ten), Post("3", ten), Post("4", ten)};
  auto out = PlanAll(rules, in);
  for (int i = 0; i < 3; ++i) CHECK(PlannedAt(out[i]) == ten);
  CHECK(PlannedAt(out[3]) == Z(next_midnight));
  CHECK(HasRule(out[3].decision, "caps"));

  SECTION("or to the first allowed moment of that day") {
    rules.quiet_hours.push_back({21 * 60, 8 * 60});
    out = PlanAll(rules, in);
    CHECK(PlannedAt(out[3]) == Z(next_eight));
  }
}

TEST_CASE("Governor holds the promotional share", "[planner]") {
  AccountRules rules = Rules();
  rules.mix.push_back({"promo", 0.2, days{7}});
  const Instant nine = Ny("2026-06-01T09:00");
  std::vector<PlanInput> in = {Post("1", nine), Post("2", nine + minutes{1}), Post("3", nine + minutes{2}),
                               Post("9", nine + hours{1}, {"promo"})};
  auto out = PlanAll(rules, in);
  CHECK_FALSE(out[3].decision.placed());  // 1 of 4 is more than 0.2
  CHECK(HasRule(out[3].decision, "mix"));

  in.insert(in.begin(), Post("4", nine + minutes{3}));
  out = PlanAll(rules, in);
  CHECK(PlannedAt(out[4]) == nine + hours{1});  // 1 of 5 is exactly 0.2
}

TEST_CASE("Governor allows a planned time equal to requested + max_delay", "[planner]") {
  AccountRules rules = Rules();
  rules.min_spacing = hours{2};
  rules.max_delay = hours{1};
  const Instant nine = Ny("2026-06-01T09:00");
  auto out = PlanAll(rules, {Published("1", nine), Post("2", nine + hours{1})});
  CHECK(PlannedAt(out[1]) == nine + hours{2});

  rules.max_delay = minutes{59};
  out = PlanAll(rules, {Published("1", nine), Post("2", nine + hours{1})});
  CHECK_FALSE(out[1].decision.placed());
  CHECK(HasRule(out[1].decision, "min_spacing"));
}

TEST_CASE("Urgent posts bypass quiet hours but not blackouts or presets", "[planner]") {
  AccountRules rules = Rules();
  rules.quiet_hours.push_back({21 * 60, 8 * 60});
  rules.caps.push_back(DailyCap(1));
  const Instant ten_pm = Ny("2026-06-01T22:00");

  SECTION("quiet hours and the organisation's caps") {
    auto out = PlanAll(rules, {Urgent("1", ten_pm), Urgent("2", ten_pm)});
    CHECK(PlannedAt(out[0]) == ten_pm);
    CHECK(PlannedAt(out[1]) == ten_pm);
  }
  SECTION("a blackout") {
    rules.blackouts.push_back({ten_pm, ten_pm + hours{1}, "launch"});
    auto out = PlanAll(rules, {Urgent("1", ten_pm)});
    CHECK(PlannedAt(out[0]) == ten_pm + hours{1});
    CHECK(HasRule(out[0].decision, "blackout"));
  }
  SECTION("a preset cap") {
    rules.caps.push_back(RollingCap(1, hours{1}, true));
    auto out = PlanAll(rules, {Urgent("1", ten_pm - minutes{30}), Urgent("2", ten_pm)});
    CHECK(PlannedAt(out[0]) == ten_pm - minutes{30});
    CHECK(PlannedAt(out[1]) == ten_pm + minutes{30});
    CHECK(HasRule(out[1].decision, "preset"));
  }
  SECTION("urgent posts count when later posts are checked") {
    rules.quiet_hours.clear();
    auto out = PlanAll(rules, {Post("1", ten_pm - hours{2}), Urgent("2", ten_pm)});
    CHECK(PlannedAt(out[1]) == ten_pm);
    CHECK(PlannedAt(out[0]) == Ny("2026-06-02T00:00"));
  }
}

// Every rule must hold for every post already planned; an urgent post
// bypasses the rules only for itself, so it may not break a published post's
// spacing. (Found by the oracle test; see oracle.h for the reading.)
// Urgent posts may ignore the organisation's own rules: an urgent post
// may stand closer than min_spacing to a published post, and the normal posts
// placed after it keep their spacing from both.
TEST_CASE("An urgent post bypasses min_spacing from a published post, and later posts respect it", "[planner]") {
  AccountRules rules = Rules();
  rules.min_spacing = minutes{45};
  const Instant nine = Ny("2026-06-01T09:00");
  auto out = PlanAll(rules, {Published("1", nine), Urgent("2", nine + minutes{15}), Post("3", nine + minutes{20})});
  CHECK(PlannedAt(out[1]) == nine + minutes{15});
  CHECK(PlannedAt(out[2]) == nine + minutes{60});  // 45m after the urgent post
}

// ramp_up: its caps apply to posts placed inside [opened, opened + period);
// a post after the end neither is held by them nor counts in them.
TEST_CASE("Ramp-up caps end with the ramp-up period", "[planner]") {
  AccountRules rules = Rules();
  AccountRules::RampUpWindow ramp;
  ramp.begin = Ny("2026-06-01T00:00");
  ramp.end = ramp.begin + days{1};
  ramp.caps.push_back(RollingCap(1, hours{6}));
  ramp.forbid_labels.push_back("promo");
  rules.ramp_up = ramp;
  auto out = PlanAll(rules, {Post("1", Ny("2026-06-01T22:00")), Post("2", Ny("2026-06-01T23:00")),
                             Post("3", Ny("2026-06-01T12:00"), {"promo"})});
  CHECK(PlannedAt(out[0]) == Ny("2026-06-01T22:00"));
  CHECK(PlannedAt(out[1]) == ramp.end);
  CHECK(PlannedAt(out[2]) == ramp.end);
  CHECK(HasRule(out[2].decision, "ramp_up"));
}

TEST_CASE("Decision summary names the delay and the rules", "[planner]") {
  AccountRules rules = Rules();
  rules.min_spacing = minutes{45};
  rules.quiet_hours.push_back({21 * 60, 8 * 60});
  auto out = PlanAll(rules, {Published("812", Ny("2026-06-01T07:30")), Post("2", Ny("2026-06-01T07:00"))});
  REQUIRE(PlannedAt(out[1]) == Ny("2026-06-01T08:15"));
  const std::string summary = out[1].decision.Summary();
  INFO(summary);
  CHECK(summary.rfind("deferred 1h15m: ", 0) == 0);
  CHECK(summary.find("min_spacing") != std::string::npos);
  CHECK(summary.find("quiet_hours") != std::string::npos);
  CHECK(summary.find("812") != std::string::npos);

  out = PlanAll(rules, {Post("3", Ny("2026-06-01T12:00"))});
  CHECK(out[0].decision.Summary() == "on time");
}

}  // namespace
}  // namespace herald::scheduler
