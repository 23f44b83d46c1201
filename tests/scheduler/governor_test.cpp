// Governor and timeline: each rule's effect in isolation, with exact instants.
#include "scheduler/governor.h"

#include <catch2/catch.hpp>

namespace herald::scheduler {
namespace {

using namespace std::chrono;
using policies::Cap;

Instant At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

policies::AccountRules Rules(const char* zone = "UTC") {
  policies::AccountRules r;
  r.account = "acct";
  r.platform = "mastodon";
  r.zone = *Zone::Find(zone);
  r.max_delay = hours{48};
  return r;
}

Cap Rolling(int max, Duration w, std::string label = {}, bool preset = false) {
  Cap c;
  c.max = max;
  c.unit = Cap::Unit::kRolling;
  c.window = w;
  c.label = std::move(label);
  c.preset = preset;
  c.origin = preset ? "preset mastodon" : "frequency.default.caps[0]";
  return c;
}

Cap Calendar(int max, Cap::Unit unit, std::string label = {}) {
  Cap c;
  c.max = max;
  c.unit = unit;
  c.label = std::move(label);
  c.origin = "frequency.default.caps[0]";
  return c;
}

PostRequest Post(std::string id, Instant at, std::vector<std::string> labels = {},
                 Priority p = Priority::kNormal) {
  PostRequest post;
  post.id = std::move(id);
  post.text = "hello " + post.id;
  post.requested_at = at;
  post.labels = std::move(labels);
  post.priority = p;
  return post;
}

// Places every post in order, inserting the placed ones.
std::vector<Decision> PlaceAll(const Governor& g, Timeline& tl, const std::vector<PostRequest>& posts) {
  std::vector<Decision> out;
  for (const auto& p : posts) {
    out.push_back(g.Place(tl, p));
    if (out.back().placed()) tl.Insert(g.EntryFor(p, *out.back().planned_at));
  }
  return out;
}

TEST_CASE("Timeline keeps posts sorted and counts windows per label", "[governor][timeline]") {
  Timeline tl;
  Instant t0 = At("2026-12-01T09:00:00Z");
  tl.Insert({"b", t0 + hours{2}, 0b1, false, Holder::kPost, 0});
  tl.Insert({"a", t0, 0, false, Holder::kPost, 0});
  tl.Insert({"c", t0 + hours{1}, 0b1, false, Holder::kPost, 0});
  REQUIRE(tl.size() == 3);
  CHECK(tl.entry(0).id == "a");
  CHECK(tl.entry(1).id == "c");
  CHECK(tl.entry(2).id == "b");
  CHECK(tl.Count(t0, t0 + hours{2}) == 2);
  CHECK(tl.Count(t0, t0 + hours{2}, 0) == 1);
  REQUIRE(tl.EntryAt(t0 + hours{1}, 0) != nullptr);
  CHECK(tl.EntryAt(t0 + hours{1}, 0)->id == "c");
  CHECK(tl.EntryAt(t0, 0) == nullptr);
  CHECK(tl.Remove("c"));
  CHECK_FALSE(tl.Remove("c"));
  CHECK(tl.Count(t0, t0 + hours{3}, 0) == 1);
  CHECK(tl.times(0).size() == 1);
}

TEST_CASE("Rolling cap: the new post waits until the oldest post of the full window leaves", "[governor]") {
  auto r = Rules();
  r.caps = {Rolling(2, hours{2})};
  Governor g(r);
  Timeline tl;
  Instant t0 = At("2026-12-01T09:00:00Z");
  auto d = PlaceAll(g, tl, {Post("1", t0), Post("2", t0 + minutes{30}), Post("3", t0 + minutes{40})});
  CHECK(*d[0].planned_at == t0);
  CHECK(*d[1].planned_at == t0 + minutes{30});
  // [s, s+2h) may hold at most 2: the third waits until 11:00 when post 1 leaves.
  CHECK(*d[2].planned_at == t0 + hours{2});
  REQUIRE(d[2].reasons.size() == 1);
  CHECK(d[2].reasons[0].rule == "caps");
  CHECK(d[2].reasons[0].posts == std::vector<std::string>{"1"});
}

TEST_CASE("Rolling cap protects posts already planned later", "[governor]") {
  auto r = Rules();
  r.caps = {Rolling(1, hours{1})};
  Governor g(r);
  Timeline tl;
  Instant t0 = At("2026-12-01T09:00:00Z");
  tl.Insert(g.EntryFor(Post("later", t0 + minutes{30}), t0 + minutes{30}));
  // Placing at 09:00 would put two posts in [09:00, 10:00): it must wait until 10:30.
  auto d = g.Place(tl, Post("new", t0));
  CHECK(*d.planned_at == t0 + minutes{90});
}

TEST_CASE("Min spacing holds in both directions", "[governor]") {
  auto r = Rules();
  r.min_spacing = minutes{45};
  Governor g(r);
  Timeline tl;
  Instant t0 = At("2026-12-01T09:00:00Z");
  tl.Insert(g.EntryFor(Post("812", t0), t0));
  auto d = g.Place(tl, Post("n", t0 - minutes{10}));
  CHECK(*d.planned_at == t0 + minutes{45});
  CHECK(d.Summary() == "deferred 55m: min_spacing 45m before post 812");
  // Exactly S before an existing post is allowed.
  auto e = g.Place(tl, Post("m", t0 - minutes{45}));
  CHECK(*e.planned_at == t0 - minutes{45});
  CHECK(e.Summary() == "on time");
}

TEST_CASE("Reasons name stored posts by id, and places held for a create or a probe by what they are", "[governor]") {
  auto r = Rules();
  r.min_spacing = minutes{45};
  Governor g(r);
  Timeline tl;
  Instant t0 = At("2026-12-01T09:00:00Z");
  PostRequest held = Post("7", t0);  // the same token as a stored post's id
  held.holder = Holder::kHeld;
  tl.Insert(g.EntryFor(held, t0));
  auto d = g.Place(tl, Post("n", t0 + minutes{10}));
  CHECK(d.Summary() == "deferred 35m: min_spacing 45m after a post being created");
  REQUIRE(d.reasons.size() == 1);
  CHECK(d.reasons[0].posts.empty());

  PostRequest probe = Post("", t0 + hours{2});
  probe.holder = Holder::kProbe;
  tl.Insert(g.EntryFor(probe, t0 + hours{2}));
  auto e = g.Place(tl, Post("m", t0 + hours{2} - minutes{5}));
  CHECK(e.Summary() == "deferred 50m: min_spacing 45m before another suggested slot");

  // Releasing the held place leaves a stored post with the same id alone.
  tl.Insert(g.EntryFor(Post("7", t0 + hours{5}), t0 + hours{5}));
  CHECK(tl.Remove("7", Holder::kHeld));
  CHECK_FALSE(tl.Remove("7", Holder::kHeld));
  REQUIRE(tl.size() == 2);
  CHECK(tl.EntryAt(t0 + hours{5}) != nullptr);
  CHECK(tl.EntryAt(t0) == nullptr);
}

TEST_CASE("Calendar caps count local days, ISO weeks and months", "[governor]") {
  Instant mon = At("2026-11-30T10:00:00+01:00");  // a Monday in Berlin
  SECTION("day") {
    auto r = Rules("Europe/Berlin");
    r.caps = {Calendar(2, Cap::Unit::kDay)};
    Governor g(r);
    Timeline tl;
    auto d = PlaceAll(g, tl, {Post("1", mon), Post("2", mon), Post("3", mon)});
    CHECK(*d[2].planned_at == At("2026-12-01T00:00:00+01:00"));
    CHECK(d[2].reasons[0].detail == "2 per day full on 2026-11-30");
  }
  SECTION("week") {
    auto r = Rules("Europe/Berlin");
    r.caps = {Calendar(1, Cap::Unit::kWeek)};
    r.max_delay = days{8};
    Governor g(r);
    Timeline tl;
    auto d = PlaceAll(g, tl, {Post("1", mon + days{3}), Post("2", mon)});
    CHECK(*d[1].planned_at == At("2026-12-07T00:00:00+01:00"));
  }
  SECTION("month") {
    auto r = Rules("Europe/Berlin");
    r.caps = {Calendar(1, Cap::Unit::kMonth)};
    r.max_delay = days{40};
    Governor g(r);
    Timeline tl;
    auto d = PlaceAll(g, tl, {Post("1", mon), Post("2", mon)});
    CHECK(*d[1].planned_at == At("2026-12-01T00:00:00+01:00"));
  }
}

TEST_CASE("A labelled cap only counts and constrains labelled posts", "[governor]") {
  auto r = Rules();
  r.caps = {Calendar(1, Cap::Unit::kDay, "promotional")};
  Governor g(r);
  Timeline tl;
  Instant t0 = At("2026-12-01T09:00:00Z");
  auto d = PlaceAll(g, tl, {Post("1", t0, {"promotional"}), Post("2", t0), Post("3", t0, {"promotional"})});
  CHECK(*d[1].planned_at == t0);
  CHECK(*d[2].planned_at == At("2026-12-02T00:00:00Z"));
}

TEST_CASE("Quiet hours crossing midnight end at their local end", "[governor]") {
  auto r = Rules("America/New_York");
  r.quiet_hours = {{21 * 60, 8 * 60}};
  Governor g(r);
  Timeline tl;
  auto d = g.Place(tl, Post("1", At("2026-12-01T22:30:00-05:00")));
  CHECK(*d.planned_at == At("2026-12-02T08:00:00-05:00"));
  CHECK(d.Summary() == "deferred 9h30m: quiet_hours 21:00-08:00");
  auto e = g.Place(tl, Post("2", At("2026-12-02T08:00:00-05:00")));
  CHECK(*e.planned_at == At("2026-12-02T08:00:00-05:00"));
}

TEST_CASE("Quiet hours ending inside a DST gap end at the gap", "[governor][dst]") {
  // New York springs forward at 02:00 -> 03:00 on 2026-03-08. Quiet until 02:30
  // means the first allowed instant is 03:00 EDT, the first wall time >= 02:30.
  auto r = Rules("America/New_York");
  r.quiet_hours = {{60, 150}};
  Governor g(r);
  Timeline tl;
  auto d = g.Place(tl, Post("1", At("2026-03-08T01:15:00-05:00")));
  CHECK(*d.planned_at == At("2026-03-08T03:00:00-04:00"));
}

TEST_CASE("Days skip to the next allowed local day", "[governor]") {
  auto r = Rules("Europe/Berlin");
  r.days = policies::WeekdaySet{"0111111"};  // bit 6 = sunday off... bitset strings are MSB first
  Governor g(r);
  Timeline tl;
  // 2026-12-06 is a Sunday.
  auto d = g.Place(tl, Post("1", At("2026-12-06T12:00:00+01:00")));
  CHECK(*d.planned_at == At("2026-12-07T00:00:00+01:00"));
  CHECK(d.reasons[0].rule == "days");
}

TEST_CASE("Blackouts bind urgent posts too", "[governor]") {
  auto r = Rules();
  Instant from = At("2026-12-24T00:00:00Z"), to = At("2026-12-27T00:00:00Z");
  r.blackouts = {{from, to, "holidays"}};
  r.quiet_hours = {{0, 6 * 60}};
  r.max_delay = days{5};
  Governor g(r);
  Timeline tl;
  auto d = g.Place(tl, Post("1", from + hours{3}, {}, Priority::kUrgent));
  CHECK(*d.planned_at == to);  // the quiet hours after `to` do not bind urgent posts
  auto n = g.Place(tl, Post("2", from + hours{3}));
  CHECK(*n.planned_at == to + hours{6});
}

TEST_CASE("Urgent posts bypass the policy's caps but never preset caps", "[governor]") {
  auto r = Rules();
  r.caps = {Rolling(1, hours{1}), Rolling(2, hours{1}, {}, true)};
  Governor g(r);
  Timeline tl;
  Instant t0 = At("2026-12-01T09:00:00Z");
  auto d = PlaceAll(g, tl,
                    {Post("1", t0, {}, Priority::kUrgent), Post("2", t0, {}, Priority::kUrgent),
                     Post("3", t0, {}, Priority::kUrgent)});
  CHECK(*d[0].planned_at == t0);
  CHECK(*d[1].planned_at == t0);
  CHECK(*d[2].planned_at == t0 + hours{1});
  CHECK(d[2].reasons[0].rule == "preset");
}

TEST_CASE("Mix: a promotional post needs four others in its window at 20%", "[governor]") {
  auto r = Rules();
  r.mix = {{"promotional", 0.2, days{7}}};
  Governor g(r);
  Timeline tl;
  Instant t0 = At("2026-12-01T09:00:00Z");
  for (int i = 0; i < 3; ++i) tl.Insert(g.EntryFor(Post("o" + std::to_string(i), t0 + hours{i}), t0 + hours{i}));
  // Three others only: the promo waits for a fourth, which is planned at 12:00.
  tl.Insert(g.EntryFor(Post("o3", t0 + hours{5}), t0 + hours{5}));
  auto d = g.Place(tl, Post("p", t0 + hours{3}, {"promotional"}));
  CHECK(*d.planned_at == t0 + hours{5});
  CHECK(d.reasons[0].rule == "mix");
  // A second promo in the same window would make 2 of 6: refused within max_delay.
  tl.Insert(g.EntryFor(Post("p", t0 + hours{5}, {"promotional"}), t0 + hours{5}));
  auto e = g.Place(tl, Post("q", t0 + hours{6}, {"promotional"}));
  CHECK_FALSE(e.placed());
  CHECK(e.reasons.back().rule == "max_delay");
}

TEST_CASE("Ramp-up: its caps count only posts inside it, forbidden labels wait for its end", "[governor]") {
  auto r = Rules();
  Instant begin = At("2026-12-01T00:00:00Z");
  r.ramp_up = policies::AccountRules::RampUpWindow{begin, begin + days{14}, {Calendar(1, Cap::Unit::kDay)}, {"promotional"}};
  r.max_delay = days{20};
  Governor g(r);
  Timeline tl;
  auto d = PlaceAll(g, tl, {Post("1", begin + hours{9}), Post("2", begin + hours{10}),
                            Post("3", begin + hours{11}, {"promotional"})});
  CHECK(*d[1].planned_at == begin + days{1});
  CHECK(*d[2].planned_at == begin + days{14});
  CHECK(d[2].reasons[0].rule == "ramp_up");
}

TEST_CASE("max_delay: a slot exactly at requested + max_delay is still allowed", "[governor]") {
  auto r = Rules();
  r.max_delay = hours{2};
  r.min_spacing = hours{2};
  Governor g(r);
  Timeline tl;
  Instant t0 = At("2026-12-01T09:00:00Z");
  tl.Insert(g.EntryFor(Post("1", t0), t0));
  CHECK(*g.Place(tl, Post("2", t0)).planned_at == t0 + hours{2});
  r.max_delay = hours{2} - seconds{1};
  Governor strict(r);
  auto d = strict.Place(tl, Post("2", t0));
  CHECK_FALSE(d.placed());
  CHECK(d.Summary() == "refused: min_spacing 2h after post 1; max_delay no slot within 1h59m59s of the requested time");
}

TEST_CASE("A blocked span postpones a post past its end with its own reason, first", "[governor]") {
  auto r = Rules();
  r.min_spacing = minutes{45};
  r.max_delay = hours{1};
  Governor g(r);
  Timeline tl;
  Instant t0 = At("2026-12-01T09:00:00Z");
  tl.Insert(g.EntryFor(Post("812", t0 + hours{2}), t0 + hours{2}));
  const std::vector<BlockedSpan> blocked{
      {Instant::min(), t0 + hours{2} - minutes{10}, "rate_limit", "mastodon rate limit; nothing is sent before 10:50"}};
  auto d = g.Place(tl, Post("n", t0), blocked);
  REQUIRE(d.placed());
  // Not at the span's end: min_spacing asks from there, as if requested then.
  CHECK(*d.planned_at == t0 + hours{2} + minutes{45});
  CHECK(d.requested_at == t0);
  REQUIRE(d.reasons.size() == 2);
  CHECK(d.reasons[0] == Reason{"rate_limit", "mastodon rate limit; nothing is sent before 10:50", {}});
  CHECK(d.reasons[1].rule == "min_spacing");
  // max_delay (1h) counts from the span's end: a pause postpones, it does not
  // use up the delay the rules may add.
  SECTION("a post requested after the span is not touched by it") {
    auto e = g.Place(tl, Post("m", t0 + hours{5}), blocked);
    CHECK(*e.planned_at == t0 + hours{5});
    CHECK(e.reasons.empty());
  }
  SECTION("a span ending later than max_delay allows refuses nothing by itself") {
    Timeline empty;
    const std::vector<BlockedSpan> long_pause{{Instant::min(), t0 + hours{6}, "circuit_open", "breaker open"}};
    auto f = g.Place(empty, Post("k", t0), long_pause);
    REQUIRE(f.placed());
    CHECK(*f.planned_at == t0 + hours{6});
    CHECK(f.Summary() == "deferred 6h: circuit_open breaker open");
  }
}

TEST_CASE("Duplicate text and missing media are refused at once", "[governor]") {
  auto r = Rules();
  r.content.duplicate_window = days{30};
  Governor g(r);
  Timeline tl;
  Instant t0 = At("2026-12-01T09:00:00Z");
  auto first = Post("1", t0);
  tl.Insert(g.EntryFor(first, t0));
  auto again = Post("2", t0 + days{3});
  again.text = "  HELLO 1 ";
  auto d = g.Place(tl, again);
  CHECK_FALSE(d.placed());
  CHECK(d.content_refusal);
  CHECK(d.reasons[0].rule == "content.duplicate");
  again.requested_at = t0 + days{31};
  CHECK(g.Place(tl, again).placed());

  auto ig = Rules();
  ig.platform = "instagram";
  ig.needs_media = true;
  Governor gi(ig);
  auto m = gi.Place(tl, Post("3", t0));
  CHECK(m.Summary() == "refused: content.media: instagram posts need an image; add media");
}

TEST_CASE("Violations re-checks one instant against what was published", "[governor]") {
  auto r = Rules();
  r.min_spacing = minutes{30};
  Governor g(r);
  Timeline published;
  Instant t0 = At("2026-12-01T09:00:00Z");
  published.Insert(g.EntryFor(Post("1", t0), t0));
  auto v = g.Violations(published, Post("2", t0), t0 + minutes{10});
  REQUIRE(v.size() == 1);
  CHECK(v[0].rule == "min_spacing");
  CHECK(g.Violations(published, Post("2", t0), t0 + minutes{30}).empty());
}

}  // namespace
}  // namespace herald::scheduler
