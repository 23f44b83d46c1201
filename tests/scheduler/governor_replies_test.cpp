// The governor and replies (PostKind::kReply): a reply answers to the
// content rules, the blackouts and the platform's preset limits only, and
// the policy's own rules do not count it for the posts around it.
#include <catch2/catch.hpp>

#include "scheduler/governor.h"
#include "scheduler/planner.h"

namespace herald::scheduler {
namespace {

using namespace std::chrono;
using policies::Cap;

Instant At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

policies::AccountRules Rules() {
  policies::AccountRules r;
  r.account = "acct";
  r.platform = "x";
  r.zone = Zone::Utc();
  r.max_delay = hours{48};
  return r;
}

Cap PolicyDaily(int max) {
  Cap c;
  c.max = max;
  c.unit = Cap::Unit::kDay;
  c.origin = "frequency.default.caps[0]";
  return c;
}

Cap Preset(int max, Duration window) {
  Cap c;
  c.max = max;
  c.unit = Cap::Unit::kRolling;
  c.window = window;
  c.preset = true;
  c.origin = "preset x";
  return c;
}

PostRequest Request(std::string id, Instant at, PostKind kind = PostKind::kPost) {
  PostRequest p;
  p.id = std::move(id);
  p.text = "text of " + p.id;
  p.requested_at = at;
  p.kind = kind;
  return p;
}

TEST_CASE("A reply is placed at once when the policy's daily cap is full", "[governor][reply]") {
  auto r = Rules();
  r.caps = {PolicyDaily(2)};
  Governor g(r);
  Timeline tl;
  Instant t0 = At("2026-12-01T09:00:00Z");
  tl.Insert(g.EntryFor(Request("1", t0 - hours{2}), t0 - hours{2}));
  tl.Insert(g.EntryFor(Request("2", t0 - hours{1}), t0 - hours{1}));
  // An ordinary post waits for tomorrow...
  auto post = g.Place(tl, Request("3", t0));
  REQUIRE(post.placed());
  CHECK(*post.planned_at == At("2026-12-02T00:00:00Z"));
  CHECK(post.reasons.at(0).rule == "caps");
  // ...a reply goes now, with no reason.
  auto reply = g.Place(tl, Request("r", t0, PostKind::kReply));
  REQUIRE(reply.placed());
  CHECK(*reply.planned_at == t0);
  CHECK(reply.reasons.empty());
}

TEST_CASE("A reply ignores spacing, quiet hours and days but not blackouts", "[governor][reply]") {
  auto r = Rules();
  r.min_spacing = hours{2};
  r.quiet_hours = {policies::ClockRange{0, 8 * 60}};
  Instant t0 = At("2026-12-01T03:00:00Z");  // inside the quiet hours
  SECTION("spacing and quiet hours") {
    Governor g(r);
    Timeline tl;
    tl.Insert(g.EntryFor(Request("1", t0 - minutes{10}), t0 - minutes{10}));
    auto reply = g.Place(tl, Request("r", t0, PostKind::kReply));
    CHECK(*reply.planned_at == t0);
    auto post = g.Place(tl, Request("2", t0));
    CHECK(*post.planned_at == At("2026-12-01T08:00:00Z"));
  }
  SECTION("a blackout holds replies too") {
    r.blackouts = {{t0 - hours{1}, t0 + hours{1}, "launch freeze"}};
    Governor g(r);
    Timeline tl;
    auto reply = g.Place(tl, Request("r", t0, PostKind::kReply));
    CHECK(*reply.planned_at == t0 + hours{1});
    CHECK(reply.reasons.at(0).rule == "blackout");
  }
}

TEST_CASE("A reply is held when the platform's preset limit is full", "[governor][reply]") {
  auto r = Rules();
  r.caps = {PolicyDaily(50), Preset(3, minutes{15})};
  Governor g(r);
  Timeline tl;
  Instant t0 = At("2026-12-01T09:00:00Z");
  // Two posts and one reply fill the preset's window: replies count there.
  tl.Insert(g.EntryFor(Request("1", t0 - minutes{10}), t0 - minutes{10}));
  tl.Insert(g.EntryFor(Request("2", t0 - minutes{5}), t0 - minutes{5}));
  tl.Insert(g.EntryFor(Request("r1", t0 - minutes{1}, PostKind::kReply), t0 - minutes{1}));
  auto reply = g.Place(tl, Request("r2", t0, PostKind::kReply));
  REQUIRE(reply.placed());
  CHECK(*reply.planned_at == t0 + minutes{5});  // 15 minutes after post 1
  REQUIRE_FALSE(reply.reasons.empty());
  CHECK(reply.reasons.at(0).rule == "preset");
  // An ordinary post meets the same preset, the reply included.
  auto post = g.Place(tl, Request("3", t0));
  CHECK(*post.planned_at == t0 + minutes{5});
}

TEST_CASE("Replies do not count against the policy's caps, spacing or mix of posts", "[governor][reply]") {
  Instant t0 = At("2026-12-01T09:00:00Z");
  auto with_replies = [&](const Governor& g) {
    Timeline tl;
    for (int i = 0; i < 5; ++i) {
      tl.Insert(g.EntryFor(Request("r" + std::to_string(i), t0 + minutes{i}, PostKind::kReply), t0 + minutes{i}));
    }
    return tl;
  };
  SECTION("caps and spacing") {
    auto r = Rules();
    r.caps = {PolicyDaily(1)};
    r.min_spacing = hours{1};
    Governor g(r);
    Timeline tl = with_replies(g);
    CHECK(tl.Count(t0, t0 + hours{1}) == 5);
    CHECK(tl.Count(t0, t0 + hours{1}, -1, false) == 0);
    // The day's only post goes at the time asked, a minute after a reply.
    auto post = g.Place(tl, Request("1", t0 + minutes{2}));
    REQUIRE(post.placed());
    CHECK(*post.planned_at == t0 + minutes{2});
    CHECK(post.reasons.empty());
  }
  SECTION("mix") {
    auto r = Rules();
    r.mix = {{"promo", 0.5, days{1}}};
    Governor g(r);
    Timeline tl = with_replies(g);
    // Counted with the replies, a promo would be 1 of 6; among posts it is 1 of 1.
    PostRequest promo = Request("p", t0 + hours{1});
    promo.labels = {"promo"};
    auto p = g.Place(tl, promo);
    CHECK_FALSE(p.placed());
    REQUIRE_FALSE(p.reasons.empty());
    CHECK(p.reasons.front().rule == "mix");
  }
}

TEST_CASE("Replies do not move scheduled posts when the plan is made again", "[governor][reply][planner]") {
  auto r = Rules();
  r.caps = {PolicyDaily(3), Preset(300, hours{3})};
  r.min_spacing = minutes{30};
  std::map<std::string, Governor> governors;
  governors.emplace("acct", Governor(r));
  Planner planner(std::move(governors));
  Instant t0 = At("2026-12-01T09:00:00Z");
  std::vector<PlanInput> inputs;
  for (int i = 0; i < 3; ++i) {
    PlanInput in{.account = "acct", .post = Request(std::to_string(i), t0 + hours{i})};
    in.previous_at = t0 + hours{i};
    in.not_before = t0;
    in.content_checked = true;
    inputs.push_back(in);
  }
  // Replies published and planned in between, closer than the spacing.
  for (int i = 0; i < 6; ++i) {
    PlanInput in{.account = "acct", .post = Request("r" + std::to_string(i), t0 + minutes{20 * i}, PostKind::kReply)};
    in.fixed_at = t0 + minutes{20 * i};
    inputs.push_back(in);
  }
  auto out = planner.Plan(inputs, {});
  for (int i = 0; i < 3; ++i) {
    INFO("post " << i);
    REQUIRE(out[static_cast<size_t>(i)].decision.placed());
    CHECK(*out[static_cast<size_t>(i)].decision.planned_at == t0 + hours{i});
  }
}

TEST_CASE("Replies are not duplicates of each other", "[governor][reply]") {
  auto r = Rules();
  r.content.duplicate_window = hours{24};
  Governor g(r);
  Timeline tl;
  Instant t0 = At("2026-12-01T09:00:00Z");
  PostRequest first = Request("r1", t0, PostKind::kReply);
  first.text = "Thanks, we are on it";
  tl.Insert(g.EntryFor(first, t0));
  PostRequest second = first;
  second.id = "r2";
  CHECK(g.CheckContent(tl, second).empty());
  // An ordinary post with that text is not compared with replies either.
  PostRequest post = first;
  post.id = "3";
  post.kind = PostKind::kPost;
  CHECK(g.CheckContent(tl, post).empty());
}

}  // namespace
}  // namespace herald::scheduler
