// LoadPolicy: every error class of docs/policy.md with its exact file, line, column,
// path and message; all errors of a file reported; the model of a valid file.
#include "policies/loader.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace herald::policies {
namespace {

// Lines 1-7: one account, no line 8 yet.
const std::string kTop =
    "version: 1\n"
    "organization: acme\n"
    "timezone: America/New_York\n"
    "accounts:\n"
    "  list:\n"
    "    - id: acme-mastodon\n"
    "      platform: mastodon\n";

// Lines 1-8; tests append from line 9.
const std::string kHead = kTop + "      connector: { type: file }\n";

// The same account without a connector block, for tests that write one.
const std::string kBareHead = kTop + "      opened: 2026-01-15\n";

std::vector<std::string> ErrorsOf(const std::string& yaml) {
  auto policy = LoadPolicy(yaml, "t.yaml");
  if (policy) return {};
  std::vector<std::string> lines;
  for (const auto& status : policy.error()) {
    CHECK(status.code() == Code::kInvalidArgument);
    lines.push_back(status.ToString());
  }
  return lines;
}

using Lines = std::vector<std::string>;

std::string ReadSource(const std::string& relative) {
  std::ifstream in(std::string(HERALD_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_CASE("LoadPolicy reads a minimal valid policy with defaults", "[policies]") {
  auto policy = LoadPolicy(kBareHead + "      connector: { type: file }\n", "t.yaml");
  REQUIRE(policy.has_value());
  CHECK(policy->organization == "acme");
  CHECK(policy->timezone == "America/New_York");
  REQUIRE(policy->accounts.size() == 1);
  CHECK(policy->accounts[0].timezone == "America/New_York");
  CHECK(policy->accounts[0].connector.type == "file");
  CHECK(policy->accounts[0].opened == std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::January, std::chrono::day{15}});
  CHECK(policy->frequency.max_delay == std::chrono::hours{48});
  CHECK(policy->frequency.missed_after == std::chrono::minutes{30});
  CHECK_FALSE(policy->frequency.defaults.caps.has_value());
  CHECK(policy->source == "t.yaml");
  CHECK(policy->sha256.size() == 64);
}

TEST_CASE("LoadPolicy computes the SHA-256 of the file's bytes", "[policies]") {
  auto policy = LoadPolicy(kHead, "t.yaml");
  REQUIRE(policy.has_value());
  // sha256sum of kHead.
  CHECK(policy->sha256 == "83706aa4b3ecd3ca2bf45ef3464780af80d22b3ebf6d74034bea5afcebd71732");
}

TEST_CASE("LoadPolicy reads every feature of the example policies", "[policies]") {
  auto acme = LoadPolicy(ReadSource("examples/policies/acme.yaml"), "acme.yaml");
  REQUIRE(acme.has_value());
  CHECK(acme->accounts.size() == 3);
  const Account* mastodon = acme->FindAccount("acme-mastodon");
  REQUIRE(mastodon != nullptr);
  CHECK(mastodon->timezone == "Europe/Berlin");
  CHECK(mastodon->connector.type == "file");
  CHECK(acme->limits.max_total == 6);
  CHECK(acme->limits.max_per_platform == 1);
  CHECK(acme->limits.min_gap_between_new == std::chrono::days{30});

  const auto& caps = *acme->frequency.defaults.caps;
  REQUIRE(caps.size() == 3);
  CHECK(caps[0].unit == Cap::Unit::kDay);
  CHECK(caps[0].max == 3);
  CHECK(caps[0].origin == "frequency.default.caps[0]");
  CHECK(caps[1].unit == Cap::Unit::kRolling);
  CHECK(caps[1].window == std::chrono::hours{2});
  CHECK(caps[2].label == "promotional");
  CHECK_FALSE(caps[0].preset);
  CHECK(acme->frequency.platforms.at("x").caps->at(1).unit == Cap::Unit::kWeek);
  CHECK(acme->frequency.platforms.at("x").caps->at(0).origin == "frequency.platforms.x.caps[0]");
  CHECK(acme->frequency.accounts.at("acme-mastodon").caps->at(2).unit == Cap::Unit::kMonth);
  CHECK(acme->frequency.accounts.at("acme-mastodon").caps->at(2).origin == "frequency.accounts.acme-mastodon.caps[2]");
  CHECK(*acme->frequency.defaults.min_spacing == std::chrono::minutes{45});
  REQUIRE(acme->frequency.defaults.quiet_hours->size() == 1);
  CHECK(acme->frequency.defaults.quiet_hours->at(0).from_minute == 21 * 60);
  CHECK(acme->frequency.defaults.quiet_hours->at(0).to_minute == 8 * 60);
  CHECK(acme->frequency.defaults.days->to_string() == "0111111");  // bit 6 (sun) clear
  REQUIRE(acme->frequency.defaults.blackouts->size() == 1);
  CHECK(acme->frequency.defaults.blackouts->at(0).reason == "holidays");
  REQUIRE(acme->frequency.ramp_up.has_value());
  CHECK(acme->frequency.ramp_up->period == std::chrono::days{14});
  CHECK(acme->frequency.ramp_up->caps.at(0).origin == "ramp_up.caps[0]");
  CHECK(acme->frequency.ramp_up->forbid_labels == std::vector<std::string>{"promotional"});
  REQUIRE(acme->frequency.mix.size() == 1);
  CHECK(acme->frequency.mix[0].max_share == Approx(0.2));
  CHECK(acme->frequency.mix[0].over == std::chrono::days{7});
  CHECK(acme->content.banned_terms == std::vector<std::string>{"CompetitorCo", "RivalCorp"});
  CHECK(acme->content.block_patterns.size() == 4);
  CHECK(acme->content.duplicate_window == std::chrono::days{30});
  CHECK(acme->approval.required);
  CHECK(acme->approval.four_eyes);

  auto globex = LoadPolicy(ReadSource("examples/connectors/policies/globex.yaml"), "globex.yaml");
  REQUIRE(globex.has_value());
  const Account* fosstodon = globex->FindAccount("globex-fosstodon");
  REQUIRE(fosstodon != nullptr);
  CHECK(fosstodon->connector.base_url == "https://fosstodon.example");
  CHECK(fosstodon->connector.secrets.at("token").kind == SecretRef::Kind::kEnv);
  CHECK(fosstodon->connector.secrets.at("token").target == "GLOBEX_MASTODON_TOKEN");
  CHECK(fosstodon->connector.settings.at("max_characters") == "1000");
  const Account* hooks = globex->FindAccount("globex-hooks");
  REQUIRE(hooks != nullptr);
  CHECK(hooks->connector.type == "webhook");
  CHECK(hooks->connector.settings.at("url") == "https://hooks.globex.example/herald");
  CHECK(hooks->connector.secrets.at("secret").kind == SecretRef::Kind::kFile);
  CHECK(hooks->connector.secrets.at("secret").target == "/etc/herald/secrets/globex-webhook");
  CHECK(globex->FindAccount("globex-x")->timezone == "America/Chicago");
  CHECK(globex->frequency.accounts.at("globex-hooks").quiet_hours->empty());
  CHECK_FALSE(globex->approval.four_eyes);
  CHECK(globex->approval.approvers == std::vector<std::string>{"editor", "manager", "admin"});
}

TEST_CASE("LoadPolicy refuses a second YAML document and malformed streams without running away", "[policies]") {
  auto two = ErrorsOf(kHead + "---\nversion: 1\n");
  REQUIRE(two.size() == 1);
  CHECK_THAT(two[0], Catch::StartsWith("t.yaml:9:"));
  CHECK_THAT(two[0], Catch::Contains("one YAML document"));
  // yaml-cpp 0.7's LoadAll allocated without end on these (found by the
  // policy_loader fuzz target); each must come back with a reason.
  for (std::string text : {std::string(","), std::string("---\n,"), kHead + ",\n"}) {
    INFO(text);
    CHECK_FALSE(ErrorsOf(text).empty());
  }
}

TEST_CASE("LoadPolicy reports unknown keys at the key", "[policies]") {
  SECTION("top level") {
    CHECK(ErrorsOf(kHead + "colour: blue\n") ==
          Lines{"t.yaml:9:1: colour: unknown key \"colour\"; expected one of: version, organization, timezone, "
                "accounts, frequency, content, approval, inbox, events"});
  }
  SECTION("inside a cap") {
    CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    caps:\n      - { max: 3, per: day, lable: promo }\n") ==
          Lines{"t.yaml:12:29: frequency.default.caps[0].lable: unknown key \"lable\"; expected one of: max, per, label"});
  }
  SECTION("inside an account") {
    CHECK(ErrorsOf(kHead + "      colour: red\n") ==
          Lines{"t.yaml:9:7: accounts.list[0].colour: unknown key \"colour\"; expected one of: id, platform, handle, "
                "opened, timezone, connector"});
  }
}

TEST_CASE("LoadPolicy reports wrong types", "[policies]") {
  SECTION("a string where an integer belongs") {
    CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    caps:\n      - { max: \"3\", per: day }\n") ==
          Lines{"t.yaml:12:16: frequency.default.caps[0].max: expected an integer, got the string \"3\""});
  }
  SECTION("a mapping where a sequence belongs") {
    CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    days: { mon: true }\n") ==
          Lines{"t.yaml:11:11: frequency.default.days: expected a sequence, got a mapping"});
  }
  SECTION("a word where a boolean belongs") {
    CHECK(ErrorsOf(kHead + "approval:\n  four_eyes: yes\n") ==
          Lines{"t.yaml:10:14: approval.four_eyes: expected true or false, got \"yes\""});
  }
  SECTION("an empty value") {
    CHECK(ErrorsOf(kHead + "frequency:\n  max_delay:\n") ==
          Lines{"t.yaml:10:3: frequency.max_delay: expected a duration such as 45m, got null"});
  }
}

TEST_CASE("LoadPolicy rejects a cap max of 0 or less", "[policies]") {
  CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    caps:\n      - { max: 0, per: day }\n      - { max: -2, per: 1h }\n") ==
        Lines{"t.yaml:12:16: frequency.default.caps[0].max: max must be a positive number of posts, got 0",
              "t.yaml:13:16: frequency.default.caps[1].max: max must be a positive number of posts, got -2"});
}

TEST_CASE("LoadPolicy rejects bad durations with the unit named", "[policies]") {
  CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    caps:\n      - { max: 3, per: day }\n      - { max: 1, per: 2hr }\n") ==
        Lines{"t.yaml:13:24: frequency.default.caps[1].per: unknown unit \"hr\" in duration \"2hr\"; use s|m|h|d|w"});
  CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    min_spacing: 45\n") ==
        Lines{"t.yaml:11:18: frequency.default.min_spacing: duration \"45\" has no unit; add one of s|m|h|d|w"});
  CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    caps: [ { max: 1, per: 0s } ]\n") ==
        Lines{"t.yaml:11:28: frequency.default.caps[0].per: a cap's window must be longer than 0s"});
}

TEST_CASE("LoadPolicy rejects impossible quiet hours", "[policies]") {
  CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    quiet_hours: [\"25:00-08:00\"]\n") ==
        Lines{"t.yaml:11:19: frequency.default.quiet_hours[0]: time of day \"25:00\" out of range 00:00-23:59"});
  CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    quiet_hours: [\"08:00-08:00\"]\n") ==
        Lines{"t.yaml:11:19: frequency.default.quiet_hours[0]: quiet hours \"08:00-08:00\" start and end at the same time"});
  CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    quiet_hours: [\"21:00 to 08:00\"]\n") ==
        Lines{"t.yaml:11:19: frequency.default.quiet_hours[0]: invalid quiet hours \"21:00 to 08:00\"; expected "
              "HH:MM-HH:MM, e.g. 21:00-08:00"});
}

TEST_CASE("LoadPolicy accepts quiet hours up to 24:00 and across midnight", "[policies]") {
  auto policy = LoadPolicy(kHead + "frequency:\n  default:\n    quiet_hours: [\"21:00-24:00\", \"00:00-08:00\"]\n", "t.yaml");
  REQUIRE(policy.has_value());
  const auto& ranges = *policy->frequency.defaults.quiet_hours;
  CHECK(ranges[0].Contains(23 * 60 + 59));
  CHECK_FALSE(ranges[0].Contains(0));
  CHECK(ranges[1].Contains(7 * 60 + 59));
}

TEST_CASE("LoadPolicy rejects a mix share outside 0 < share <= 1", "[policies]") {
  CHECK(ErrorsOf(kHead + "frequency:\n  mix:\n    - { label: promo, max_share: 1.5, over: 7d }\n    - { label: promo, max_share: 0, over: 7d }\n") ==
        Lines{"t.yaml:11:34: frequency.mix[0].max_share: max_share must be greater than 0 and at most 1, got 1.5",
              "t.yaml:12:34: frequency.mix[1].max_share: max_share must be greater than 0 and at most 1, got 0"});
}

TEST_CASE("LoadPolicy rejects unknown time zones", "[policies]") {
  CHECK(ErrorsOf("version: 1\norganization: acme\ntimezone: Mars/Olympus\naccounts:\n  list: []\n") ==
        Lines{"t.yaml:3:11: timezone: unknown time zone \"Mars/Olympus\" (not in the tz database; e.g. Europe/Berlin)"});
  CHECK(ErrorsOf(kHead + "      timezone: Europe/Atlantis\n") ==
        Lines{"t.yaml:9:17: accounts.list[0].timezone: unknown time zone \"Europe/Atlantis\" (not in the tz database; "
              "e.g. Europe/Berlin)"});
}

TEST_CASE("LoadPolicy rejects organisation names no token could belong to", "[policies]") {
  CHECK(ErrorsOf("version: 1\norganization: \"acme|corp\"\naccounts:\n  list: []\n") ==
        Lines{"t.yaml:2:15: organization: invalid organization \"acme|corp\"; use 1-64 letters, digits, '-', '_' and '.'"});
  CHECK(ErrorsOf("version: 1\norganization: " + std::string(65, 'a') + "\naccounts:\n  list: []\n").size() == 1);
  CHECK(ErrorsOf("version: 1\norganization: acme-corp.eu_1\naccounts:\n  list: []\n").empty());
}

TEST_CASE("LoadPolicy rejects duplicate account ids", "[policies]") {
  CHECK(ErrorsOf(kHead + "    - id: acme-mastodon\n      platform: bluesky\n      connector: { type: file }\n") ==
        Lines{"t.yaml:9:11: accounts.list[1].id: duplicate account id \"acme-mastodon\" (first at line 6)"});
}

TEST_CASE("LoadPolicy rejects unknown platforms", "[policies]") {
  CHECK(ErrorsOf(kHead + "    - id: acme-myspace\n      platform: myspace\n") ==
        Lines{"t.yaml:10:17: accounts.list[1].platform: unknown platform \"myspace\"; known: mastodon, bluesky, x, "
              "linkedin, facebook_page, threads, instagram, telegram, discord, slack, webhook, file"});
  CHECK(ErrorsOf(kHead + "frequency:\n  platforms:\n    myspace: { min_spacing: 1h }\n") ==
        Lines{"t.yaml:11:5: frequency.platforms.myspace: unknown platform \"myspace\"; known: mastodon, bluesky, x, "
              "linkedin, facebook_page, threads, instagram, telegram, discord, slack, webhook, file"});
}

TEST_CASE("LoadPolicy rejects overrides for accounts that are not listed", "[policies]") {
  CHECK(ErrorsOf(kHead + "frequency:\n  accounts:\n    acme-tiktok: { min_spacing: 1h }\n") ==
        Lines{"t.yaml:11:5: frequency.accounts.acme-tiktok: unknown account \"acme-tiktok\"; not in accounts.list"});
}

TEST_CASE("LoadPolicy rejects inline secrets", "[policies]") {
  const std::string block = kBareHead + "      connector:\n        base_url: https://mastodon.social\n";
  CHECK(ErrorsOf(block + "        token: hunter2\n") ==
        Lines{"t.yaml:11:16: accounts.list[0].connector.token: inline secret; write env:NAME or file:/path"});
  CHECK(ErrorsOf(block + "        token: \"env:\"\n") ==
        Lines{"t.yaml:11:16: accounts.list[0].connector.token: inline secret; write env:NAME or file:/path"});
}

TEST_CASE("LoadPolicy checks connector blocks against the connector's keys", "[policies]") {
  SECTION("unknown key for the connector type") {
    CHECK(ErrorsOf(kBareHead + "      connector:\n        type: file\n        token: env:T\n") ==
          Lines{"t.yaml:11:9: accounts.list[0].connector.token: unknown key \"token\" for the file connector; "
                "expected one of: type"});
  }
  SECTION("base_url must be an http(s) URL") {
    CHECK(ErrorsOf(kBareHead + "      connector: { base_url: \"ftp://mastodon.social\", token: env:T }\n") ==
          Lines{"t.yaml:9:30: accounts.list[0].connector.base_url: expected an http:// or https:// URL, got "
                "\"ftp://mastodon.social\""});
  }
  SECTION("max_characters must be positive") {
    CHECK(ErrorsOf(kBareHead + "      connector: { max_characters: 0, base_url: https://mastodon.social, token: env:T }\n") ==
          Lines{"t.yaml:9:36: accounts.list[0].connector.max_characters: must be greater than 0, got 0"});
  }
  SECTION("x tier is one of the known tiers") {
    CHECK(ErrorsOf(kHead + "    - id: acme-x\n      platform: x\n      connector: { tier: gold, token: env:T }\n") ==
          Lines{"t.yaml:11:26: accounts.list[1].connector.tier: unknown value \"gold\"; use free|basic|pro|enterprise"});
  }
  SECTION("unknown connector type") {
    CHECK(ErrorsOf(kBareHead + "      connector: { type: carrier-pigeon }\n") ==
          Lines{"t.yaml:9:26: accounts.list[0].connector.type: unknown connector type \"carrier-pigeon\"; known: "
                "file, webhook, mastodon, bluesky, x, linkedin, facebook_page, threads, instagram, telegram, discord, "
                "slack"});
  }
  SECTION("another platform's connector") {
    CHECK(ErrorsOf(kBareHead + "      connector: { type: slack }\n") ==
          Lines{"t.yaml:9:26: accounts.list[0].connector.type: a mastodon account cannot publish through the slack "
                "connector; use mastodon, file or webhook"});
  }
  SECTION("type file accepts any platform") {
    auto policy = LoadPolicy(kHead + "    - id: acme-hook\n      platform: webhook\n      connector: { type: file }\n", "t.yaml");
    REQUIRE(policy.has_value());
    CHECK(policy->accounts[1].connector.type == "file");
  }
}

TEST_CASE("LoadPolicy rejects blackouts that end at or before their start", "[policies]") {
  CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    blackouts:\n      - { from: 2026-12-27T00:00, to: 2026-12-24T00:00 }\n") ==
        Lines{"t.yaml:12:39: frequency.default.blackouts[0].to: blackout ends at or before its start \"2026-12-27T00:00\""});
  CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    blackouts:\n      - { from: 2026-12-24, to: 2026-12-27T00:00 }\n") ==
        Lines{"t.yaml:12:17: frequency.default.blackouts[0].from: invalid local date-time \"2026-12-24\"; expected "
              "YYYY-MM-DDTHH:MM (local time, no offset)"});
}

TEST_CASE("LoadPolicy rejects unknown weekdays", "[policies]") {
  CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    days: [mon, tues]\n") ==
        Lines{"t.yaml:11:17: frequency.default.days[1]: unknown weekday \"tues\"; use mon, tue, wed, thu, fri, sat, sun"});
  CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    days: []\n") ==
        Lines{"t.yaml:11:11: frequency.default.days: days must name at least one weekday"});
}

TEST_CASE("LoadPolicy rejects unknown detectors and roles", "[policies]") {
  CHECK(ErrorsOf(kHead + "content:\n  block_patterns: [email, ssn]\n") ==
        Lines{"t.yaml:10:27: content.block_patterns[1]: unknown detector \"ssn\"; use email|phone|credit_card|secret"});
  CHECK(ErrorsOf(kHead + "approval:\n  approvers: [boss]\n") ==
        Lines{"t.yaml:10:15: approval.approvers[0]: unknown role \"boss\"; use viewer|editor|manager|admin"});
}

TEST_CASE("LoadPolicy rejects duplicate YAML keys", "[policies]") {
  CHECK(ErrorsOf(kHead + "frequency:\n  max_delay: 48h\n  max_delay: 24h\n") ==
        Lines{"t.yaml:11:3: frequency.max_delay: duplicate key \"max_delay\" (first at line 10)"});
}

TEST_CASE("LoadPolicy reads version 1 only", "[policies]") {
  CHECK(ErrorsOf("version: 2\norganization: acme\naccounts:\n  list: []\n") ==
        Lines{"t.yaml:1:10: version: unsupported version 2; herald reads version 1"});
}

TEST_CASE("LoadPolicy reports missing required keys at the mapping", "[policies]") {
  CHECK(ErrorsOf("version: 1\naccounts:\n  list: []\n") == Lines{"t.yaml:1:1: missing required key \"organization\""});
  CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    caps: [ { per: day } ]\n") ==
        Lines{"t.yaml:11:13: frequency.default.caps[0]: missing required key \"max\""});
  CHECK(ErrorsOf(kHead + "    - platform: x\n      connector: { type: file }\n") == Lines{"t.yaml:9:7: accounts.list[1]: missing required key \"id\""});
}

TEST_CASE("LoadPolicy reports a YAML syntax error with its position", "[policies]") {
  CHECK(ErrorsOf(kHead + "frequency:\n  default:\n    days: [mon, tue\n") ==
        Lines{"t.yaml:12:1: invalid YAML: end of sequence flow not found"});
}

TEST_CASE("LoadPolicy rejects an empty file", "[policies]") {
  CHECK(ErrorsOf("") == Lines{"t.yaml:1:1: empty policy file; expected a mapping with version, organization and accounts"});
}

TEST_CASE("LoadPolicy reports every error of a file, sorted by position", "[policies]") {
  auto errors = ErrorsOf(
      "version: 1\n"
      "organization: acme\n"
      "accounts:\n"
      "  list:\n"
      "    - id: acme-x\n"
      "      platform: x\n"
      "      connector: { type: file }\n"
      "frequency:\n"
      "  mix:\n"
      "    - { label: promo, max_share: 1.5, over: 7d }\n"
      "  default:\n"
      "    days: [funday]\n"
      "colour: blue\n");
  CHECK(errors == Lines{
                      "t.yaml:10:34: frequency.mix[0].max_share: max_share must be greater than 0 and at most 1, got 1.5",
                      "t.yaml:12:12: frequency.default.days[0]: unknown weekday \"funday\"; use mon, tue, wed, thu, fri, sat, sun",
                      "t.yaml:13:1: colour: unknown key \"colour\"; expected one of: version, organization, timezone, "
                      "accounts, frequency, content, approval, inbox, events",
                  });
}

TEST_CASE("LoadPolicy rejects caps looser than the platform preset", "[policies]") {
  const std::string x_account = kHead + "    - id: acme-x\n      platform: x\n      connector: { type: file }\n";
  SECTION("a platform override") {
    CHECK(ErrorsOf(x_account + "frequency:\n  platforms:\n    x:\n      caps: [ { max: 300, per: 15m } ]\n") ==
          Lines{"t.yaml:15:22: frequency.platforms.x.caps[0].max: 300 per 15m is looser than the x preset (200 per 15m)"});
  }
  SECTION("a default cap is checked against every account it applies to") {
    CHECK(ErrorsOf(x_account + "frequency:\n  default:\n    caps: [ { max: 400, per: 10m } ]\n") ==
          Lines{"t.yaml:14:20: frequency.default.caps[0].max: 400 per 10m is looser than the mastodon preset (300 per 3h)",
                "t.yaml:14:20: frequency.default.caps[0].max: 400 per 10m is looser than the x preset (200 per 15m)",
                "t.yaml:14:20: frequency.default.caps[0].max: 400 per 10m is looser than the x preset (300 per 3h)"});
  }
  SECTION("an account override") {
    CHECK(ErrorsOf(x_account + "frequency:\n  accounts:\n    acme-mastodon: { caps: [ { max: 301, per: 3h } ] }\n") ==
          Lines{"t.yaml:14:37: frequency.accounts.acme-mastodon.caps[0].max: 301 per 3h is looser than the mastodon "
                "preset (300 per 3h)"});
  }
  SECTION("an overridden default does not apply") {
    CHECK(ErrorsOf(x_account +
                   "frequency:\n  default:\n    caps: [ { max: 250, per: 15m } ]\n  platforms:\n    x: { caps: [ { max: 10, per: 15m } ] }\n")
              .empty());
  }
  SECTION("stricter caps, longer windows, labelled and calendar caps are fine") {
    CHECK(ErrorsOf(x_account +
                   "frequency:\n  default:\n    caps:\n      - { max: 200, per: 15m }\n      - { max: 1000, per: 1d }\n"
                   "      - { max: 500, per: 1h, label: promo }\n      - { max: 500, per: day }\n")
              .empty());
  }
}

TEST_CASE("LoadPolicy enforces account limits", "[policies]") {
  SECTION("max_total") {
    CHECK(ErrorsOf("version: 1\norganization: acme\naccounts:\n  limits: { max_total: 1 }\n  list:\n"
                   "    - { id: a, platform: x, connector: { type: file } }\n"
                   "    - { id: b, platform: mastodon, connector: { type: file } }\n") ==
          Lines{"t.yaml:7:7: accounts.list[1]: 2 accounts exceed accounts.limits.max_total (1)"});
  }
  SECTION("max_per_platform") {
    CHECK(ErrorsOf("version: 1\norganization: acme\naccounts:\n  limits: { max_per_platform: 1 }\n  list:\n"
                   "    - { id: a, platform: x, connector: { type: file } }\n"
                   "    - { id: b, platform: mastodon, connector: { type: file } }\n"
                   "    - { id: c, platform: x, connector: { type: file } }\n") ==
          Lines{"t.yaml:8:26: accounts.list[2].platform: 2 x accounts exceed accounts.limits.max_per_platform (1)"});
  }
  SECTION("min_gap_between_new, by opening date whatever the list order") {
    CHECK(ErrorsOf("version: 1\norganization: acme\naccounts:\n  limits: { min_gap_between_new: 30d }\n  list:\n"
                   "    - { id: a, platform: x, opened: 2026-03-01, connector: { type: file } }\n"
                   "    - { id: b, platform: mastodon, opened: 2026-01-01, connector: { type: file } }\n"
                   "    - { id: c, platform: bluesky, opened: 2026-02-15, connector: { type: file } }\n") ==
          Lines{"t.yaml:6:37: accounts.list[0].opened: opened 14d after c (2026-02-15); accounts.limits.min_gap_between_new is 30d"});
  }
  SECTION("a gap exactly as long as the minimum is fine") {
    CHECK(ErrorsOf("version: 1\norganization: acme\naccounts:\n  limits: { min_gap_between_new: 31d }\n  list:\n"
                   "    - { id: a, platform: x, opened: 2026-01-01, connector: { type: file } }\n"
                   "    - { id: b, platform: mastodon, opened: 2026-02-01, connector: { type: file } }\n")
              .empty());
  }
  SECTION("limits must be positive") {
    CHECK(ErrorsOf("version: 1\norganization: acme\naccounts:\n  limits: { max_total: 0 }\n  list: []\n") ==
          Lines{"t.yaml:4:24: accounts.limits.max_total: must be a positive number of accounts, got 0"});
  }
}

TEST_CASE("CheckPolicySet finds organisations and account ids defined twice", "[policies]") {
  auto a = LoadPolicy(kHead, "a.yaml");
  auto b = LoadPolicy(kHead, "b.yaml");
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  std::vector<Policy> set{*a, *b};
  auto errors = CheckPolicySet(set);
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].ToString() == "b.yaml: organization: organization \"acme\" is also defined in a.yaml");
  CHECK(errors[1].ToString() == "b.yaml: accounts.list[0].id: account id \"acme-mastodon\" is also used in a.yaml");
  CHECK(CheckPolicySet(std::vector<Policy>{*a}).empty());
}

}  // namespace
}  // namespace herald::policies
