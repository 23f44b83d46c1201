// ResolveAll: default < platform < account field by field, presets on top,
// blackouts and ramp-up windows as instants in the account's zone.
#include "policies/resolve.h"

#include <catch2/catch.hpp>

#include "policies/loader.h"

namespace herald::policies {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

Policy Load(const std::string& yaml) {
  auto policy = LoadPolicy(yaml, "t.yaml");
  if (!policy) {
    for (const auto& e : policy.error()) FAIL_CHECK(e.ToString());
  }
  REQUIRE(policy.has_value());
  return *policy;
}

Instant At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

const std::string kOverrides = R"(version: 1
organization: acme
timezone: America/New_York
accounts:
  list:
    - { id: m1, platform: mastodon, timezone: Europe/Berlin, connector: { type: file } }
    - { id: m2, platform: mastodon, connector: { type: file } }
    - { id: x1, platform: x, connector: { type: file } }
    - { id: l1, platform: linkedin, connector: { type: file } }
frequency:
  default:
    caps: [ { max: 3, per: day } ]
    min_spacing: 45m
    quiet_hours: ["21:00-08:00"]
    days: [mon, tue, wed, thu, fri]
    blackouts: [ { from: 2026-12-24T00:00, to: 2026-12-27T00:00, reason: holidays } ]
  platforms:
    mastodon: { min_spacing: 1h, days: [mon] }
    x: { caps: [ { max: 5, per: day } ] }
  accounts:
    m1: { quiet_hours: [], caps: [ { max: 1, per: week } ] }
)";

TEST_CASE("ResolveAll overrides field by field: default < platform < account", "[policies]") {
  auto all = ResolveAll(Load(kOverrides));
  REQUIRE(all.size() == 4);

  const AccountRules& m1 = all.at("m1");  // account caps and quiet hours, platform spacing and days
  CHECK(m1.zone.name() == "Europe/Berlin");
  REQUIRE(m1.caps.size() == 2);
  CHECK(m1.caps[0].unit == Cap::Unit::kWeek);
  CHECK(m1.caps[0].origin == "frequency.accounts.m1.caps[0]");
  CHECK(m1.caps[1].origin == "preset mastodon");
  CHECK(m1.min_spacing == hours{1});
  CHECK(m1.quiet_hours.empty());
  CHECK(m1.days.to_string() == "0000001");
  REQUIRE(m1.blackouts.size() == 1);  // default blackouts, in Berlin time
  CHECK(m1.blackouts[0].from == At("2026-12-23T23:00:00Z"));
  CHECK(m1.blackouts[0].to == At("2026-12-26T23:00:00Z"));
  CHECK(m1.blackouts[0].reason == "holidays");

  const AccountRules& m2 = all.at("m2");  // platform spacing and days, default caps and quiet hours
  CHECK(m2.zone.name() == "America/New_York");
  REQUIRE(m2.caps.size() == 2);
  CHECK(m2.caps[0].origin == "frequency.default.caps[0]");
  CHECK(m2.min_spacing == hours{1});
  REQUIRE(m2.quiet_hours.size() == 1);
  CHECK(m2.quiet_hours[0].from_minute == 21 * 60);
  CHECK(m2.blackouts[0].from == At("2026-12-24T05:00:00Z"));

  const AccountRules& x1 = all.at("x1");  // platform caps, default everything else
  REQUIRE(x1.caps.size() == 3);
  CHECK(x1.caps[0].max == 5);
  CHECK(x1.caps[0].origin == "frequency.platforms.x.caps[0]");
  CHECK(x1.caps[1].origin == "preset x");
  CHECK(x1.caps[1].preset);
  CHECK(x1.caps[2].window == hours{3});
  CHECK(x1.min_spacing == minutes{45});
  CHECK(x1.days.to_string() == "0011111");

  const AccountRules& l1 = all.at("l1");  // linkedin: no preset caps
  REQUIRE(l1.caps.size() == 1);
  CHECK_FALSE(l1.caps[0].preset);
}

TEST_CASE("ResolveAll defaults when the policy says nothing", "[policies]") {
  auto all = ResolveAll(Load("version: 1\norganization: acme\naccounts:\n  list:\n"
                             "    - { id: l1, platform: linkedin, connector: { type: file } }\n"));
  const AccountRules& l1 = all.at("l1");
  CHECK(l1.account == "l1");
  CHECK(l1.platform == "linkedin");
  CHECK(l1.zone.name() == "UTC");
  CHECK(l1.caps.empty());
  CHECK(l1.min_spacing == Duration{0});
  CHECK(l1.quiet_hours.empty());
  CHECK(l1.days.all());
  CHECK(l1.blackouts.empty());
  CHECK_FALSE(l1.ramp_up.has_value());
  CHECK(l1.mix.empty());
  CHECK(l1.max_delay == hours{48});
  CHECK(l1.missed_after == minutes{30});
  REQUIRE(l1.length.size() == 1);
  CHECK(l1.length[0].max == 3000);
}

TEST_CASE("ResolveAll sorts blackouts by start", "[policies]") {
  auto all = ResolveAll(Load(R"(version: 1
organization: acme
accounts:
  list: [ { id: l1, platform: linkedin, connector: { type: file } } ]
frequency:
  default:
    blackouts:
      - { from: 2026-12-24T00:00, to: 2026-12-27T00:00 }
      - { from: 2026-10-01T09:00, to: 2026-10-01T10:00, reason: results }
)"));
  const auto& blackouts = all.at("l1").blackouts;
  REQUIRE(blackouts.size() == 2);
  CHECK(blackouts[0].from == At("2026-10-01T09:00:00Z"));
  CHECK(blackouts[0].reason == "results");
  CHECK(blackouts[1].from == At("2026-12-24T00:00:00Z"));
}

TEST_CASE("ResolveAll copies mix, delays and content, and applies connector length and tier", "[policies]") {
  auto all = ResolveAll(Load(R"(version: 1
organization: acme
accounts:
  list:
    - { id: m1, platform: mastodon, connector: { base_url: https://mastodon.example, token: env:M1_TOKEN, max_characters: 1000 } }
    - { id: i1, platform: instagram, connector: { type: file } }
    - { id: x1, platform: x, connector: { token: env:X1_TOKEN, tier: free } }
    - { id: x2, platform: x, connector: { type: file } }
frequency:
  mix: [ { label: promo, max_share: 0.25, over: 7d } ]
  max_delay: 3d
  missed_after: 1h
content:
  banned_terms: [RivalCorp]
  block_patterns: [email]
)"));
  const AccountRules& m1 = all.at("m1");
  REQUIRE(m1.length.size() == 1);
  CHECK(m1.length[0].unit == LengthUnit::kGraphemes);
  CHECK(m1.length[0].max == 1000);
  CHECK(m1.length[0].url_weight == 23);
  REQUIRE(m1.mix.size() == 1);
  CHECK(m1.mix[0].label == "promo");
  CHECK(m1.mix[0].max_share == Approx(0.25));
  CHECK(m1.max_delay == std::chrono::days{3});
  CHECK(m1.missed_after == hours{1});
  CHECK(m1.content.banned_terms == std::vector<std::string>{"RivalCorp"});
  CHECK(m1.content.block_patterns == std::vector<Detector>{Detector::kEmail});

  CHECK(all.at("i1").needs_media);
  CHECK_FALSE(m1.needs_media);

  const auto& x1 = all.at("x1").caps;
  REQUIRE(x1.size() == 3);
  CHECK(x1[2].max == 17);
  CHECK(x1[2].window == hours{24});
  CHECK(x1[2].preset);
  CHECK(x1[2].origin == "preset x tier free");
  CHECK(all.at("x2").caps.size() == 2);  // the file connector still gets the x presets
}

TEST_CASE("ResolveAll places the ramp-up window at local midnight of the opening date", "[policies]") {
  struct Case {
    const char* zone;
    const char* opened;
    const char* begin;
    const char* end;
  };
  auto c = GENERATE(values<Case>({
      // Opened on the spring-forward day: midnight exists, the window is 14 x 24h.
      {"America/New_York", "2026-03-08", "2026-03-08T05:00:00Z", "2026-03-22T05:00:00Z"},
      // Window spanning the autumn change in Berlin.
      {"Europe/Berlin", "2026-10-20", "2026-10-19T22:00:00Z", "2026-11-02T22:00:00Z"},
      // Chile skips 00:00-01:00 on 2026-09-06: midnight is read with the offset before the gap (-04).
      {"America/Santiago", "2026-09-06", "2026-09-06T04:00:00Z", "2026-09-20T04:00:00Z"},
  }));
  auto all = ResolveAll(Load(std::string("version: 1\norganization: acme\ntimezone: ") + c.zone +
                             "\naccounts:\n  list:\n    - { id: a, platform: mastodon, connector: { type: file }, opened: " + c.opened +
                             " }\n    - { id: b, platform: x, connector: { type: file } }\n"
                             "frequency:\n  ramp_up: { period: 14d, caps: [ { max: 1, per: day } ], forbid_labels: [promo] }\n"));
  const AccountRules& a = all.at("a");
  REQUIRE(a.ramp_up.has_value());
  CHECK(FormatRfc3339(a.ramp_up->begin) == c.begin);
  CHECK(FormatRfc3339(a.ramp_up->end) == c.end);
  REQUIRE(a.ramp_up->caps.size() == 1);
  CHECK(a.ramp_up->caps[0].origin == "ramp_up.caps[0]");
  CHECK(a.ramp_up->forbid_labels == std::vector<std::string>{"promo"});
  CHECK_FALSE(all.at("b").ramp_up.has_value());  // never opened: no ramp-up
}

}  // namespace
}  // namespace herald::policies
