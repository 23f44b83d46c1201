// End-to-end: `herald policy check` on the example policies, on every broken
// policy file (one error class each) and on usage errors, through the real binary.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace {

using herald::testing::ProcessResult;
using herald::testing::RunProcess;

ProcessResult Check(std::vector<std::string> paths) {
  std::vector<std::string> argv{HERALD_BINARY, "policy", "check"};
  argv.insert(argv.end(), paths.begin(), paths.end());
  return RunProcess(argv, HERALD_SOURCE_DIR);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

struct Broken {
  std::string file;
  std::vector<std::string> errors;
};

TEST_CASE("policy check accepts the example policies", "[policies][e2e]") {
  auto result = Check({"examples/policies", "examples/connectors/policies"});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  auto lines = Lines(result.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].starts_with("examples/policies/acme.yaml: ok: organization acme, 3 accounts, version 1, sha256 "));
  CHECK(lines[1].starts_with(
      "examples/connectors/policies/globex.yaml: ok: organization globex, 5 accounts, version 1, sha256 "));
  CHECK(lines[0].size() == std::string("examples/policies/acme.yaml: ok: organization acme, 3 accounts, version 1, sha256 ").size() + 12);
}

TEST_CASE("policy check reports each broken file's errors with their positions", "[policies][e2e]") {
  auto broken = GENERATE(values<Broken>({
      {"tests/policies/broken/accounts_opened_too_close.yaml",
       {"tests/policies/broken/accounts_opened_too_close.yaml:14:15: accounts.list[1].opened: opened 17d after broken-mastodon (2026-01-15); accounts.limits.min_gap_between_new is 30d"}},
      {"tests/policies/broken/bad_duration_unit.yaml",
       {"tests/policies/broken/bad_duration_unit.yaml:15:24: frequency.default.caps[1].per: unknown unit \"hr\" in duration \"2hr\"; use s|m|h|d|w"}},
      {"tests/policies/broken/blackout_reversed.yaml",
       {"tests/policies/broken/blackout_reversed.yaml:14:39: frequency.default.blackouts[0].to: blackout ends at or before its start \"2026-12-27T00:00\""}},
      {"tests/policies/broken/cap_max_zero.yaml",
       {"tests/policies/broken/cap_max_zero.yaml:14:16: frequency.default.caps[0].max: max must be a positive number of posts, got 0"}},
      {"tests/policies/broken/connector_missing_settings.yaml",
       {"tests/policies/broken/connector_missing_settings.yaml:8:7: accounts.list[0]: the x connector needs token (an OAuth 2.0 user access token, as env:NAME or file:/path), or auth (oauth, to connect the account through herald), and the account has no connector: block; add one, or use connector: { type: file } to publish to the outbox",
        "tests/policies/broken/connector_missing_settings.yaml:13:18: accounts.list[1].connector: the telegram connector needs chat_id (\"@channelusername\" or a numeric chat id)"}},
      {"tests/policies/broken/connector_unknown_key.yaml",
       {"tests/policies/broken/connector_unknown_key.yaml:13:9: accounts.list[0].connector.password: unknown key \"password\" for the mastodon connector; expected one of: type, base_url, token, auth, max_characters"}},
      {"tests/policies/broken/duplicate_account_id.yaml",
       {"tests/policies/broken/duplicate_account_id.yaml:11:11: accounts.list[1].id: duplicate account id \"broken-mastodon\" (first at line 7)"}},
      {"tests/policies/broken/duplicate_key.yaml",
       {"tests/policies/broken/duplicate_key.yaml:13:3: frequency.max_delay: duplicate key \"max_delay\" (first at line 12)"}},
      {"tests/policies/broken/inline_secret.yaml",
       {"tests/policies/broken/inline_secret.yaml:12:16: accounts.list[0].connector.token: inline secret; write env:NAME or file:/path"}},
      {"tests/policies/broken/looser_than_preset.yaml",
       {"tests/policies/broken/looser_than_preset.yaml:17:22: frequency.platforms.x.caps[0].max: 300 per 15m is looser than the x preset (200 per 15m)"}},
      {"tests/policies/broken/missing_organization.yaml",
       {"tests/policies/broken/missing_organization.yaml:2:1: missing required key \"organization\""}},
      {"tests/policies/broken/mix_share_out_of_range.yaml",
       {"tests/policies/broken/mix_share_out_of_range.yaml:13:40: frequency.mix[0].max_share: max_share must be greater than 0 and at most 1, got 1.5"}},
      {"tests/policies/broken/quiet_hours_empty.yaml",
       {"tests/policies/broken/quiet_hours_empty.yaml:13:19: frequency.default.quiet_hours[0]: quiet hours \"08:00-08:00\" start and end at the same time"}},
      {"tests/policies/broken/quiet_hours_out_of_range.yaml",
       {"tests/policies/broken/quiet_hours_out_of_range.yaml:13:19: frequency.default.quiet_hours[0]: time of day \"25:00\" out of range 00:00-23:59"}},
      {"tests/policies/broken/three_errors.yaml",
       {"tests/policies/broken/three_errors.yaml:13:40: frequency.mix[0].max_share: max_share must be greater than 0 and at most 1, got 0",
        "tests/policies/broken/three_errors.yaml:15:12: frequency.default.days[0]: unknown weekday \"funday\"; use mon, tue, wed, thu, fri, sat, sun",
        "tests/policies/broken/three_errors.yaml:16:18: frequency.default.min_spacing: unknown unit \"min\" in duration \"45min\"; use s|m|h|d|w"}},
      {"tests/policies/broken/inbox_routing.yaml",
       {"tests/policies/broken/inbox_routing.yaml:14:18: inbox.departments[0].patterns[0]: invalid pattern \"(unclosed\": Mismatched '(' and ')' in regular expression",
        "tests/policies/broken/inbox_routing.yaml:15:12: inbox.default: unknown department \"sales\"; departments: legal"}},
      {"tests/policies/broken/too_many_per_platform.yaml",
       {"tests/policies/broken/too_many_per_platform.yaml:13:17: accounts.list[1].platform: 2 mastodon accounts exceed accounts.limits.max_per_platform (1)"}},
      {"tests/policies/broken/unknown_account_override.yaml",
       {"tests/policies/broken/unknown_account_override.yaml:13:5: frequency.accounts.broken-tiktok: unknown account \"broken-tiktok\"; not in accounts.list"}},
      {"tests/policies/broken/unknown_detector.yaml",
       {"tests/policies/broken/unknown_detector.yaml:12:27: content.block_patterns[1]: unknown detector \"passport\"; use email|phone|credit_card|secret"}},
      {"tests/policies/broken/unknown_key.yaml",
       {"tests/policies/broken/unknown_key.yaml:11:1: colour: unknown key \"colour\"; expected one of: version, organization, timezone, accounts, frequency, content, approval, inbox, events"}},
      {"tests/policies/broken/unknown_platform.yaml",
       {"tests/policies/broken/unknown_platform.yaml:12:17: accounts.list[1].platform: unknown platform \"myspace\"; known: mastodon, bluesky, x, linkedin, facebook_page, threads, instagram, telegram, discord, slack, webhook, file"}},
      {"tests/policies/broken/unknown_weekday.yaml",
       {"tests/policies/broken/unknown_weekday.yaml:13:17: frequency.default.days[1]: unknown weekday \"tues\"; use mon, tue, wed, thu, fri, sat, sun"}},
      {"tests/policies/broken/unknown_zone.yaml",
       {"tests/policies/broken/unknown_zone.yaml:10:17: accounts.list[0].timezone: unknown time zone \"Europe/Atlantis\" (not in the tz database; e.g. Europe/Berlin)"}},
      {"tests/policies/broken/webhook_without_url.yaml",
       {"tests/policies/broken/webhook_without_url.yaml:13:18: accounts.list[1].connector: the webhook connector needs url (the endpoint's http:// or https:// URL)"}},
      {"tests/policies/broken/wrong_type.yaml",
       {"tests/policies/broken/wrong_type.yaml:14:16: frequency.default.caps[0].max: expected an integer, got the string \"three\""}},
      {"tests/policies/broken/wrong_version.yaml",
       {"tests/policies/broken/wrong_version.yaml:2:10: version: unsupported version 2; herald reads version 1"}},
      {"tests/policies/broken/yaml_syntax.yaml",
       {"tests/policies/broken/yaml_syntax.yaml:14:1: invalid YAML: end of sequence flow not found"}},
  }));
  auto result = Check({broken.file});
  CHECK(result.exit_code == 1);
  CHECK(result.out.empty());
  CHECK(Lines(result.err) == broken.errors);
}

TEST_CASE("policy check of a directory of broken files reports every file and exits 1", "[policies][e2e]") {
  auto result = Check({"tests/policies/broken"});
  CHECK(result.exit_code == 1);
  CHECK(result.out.empty());
  CHECK(Lines(result.err).size() == 31);
}

TEST_CASE("policy check reports an organisation defined twice across files", "[policies][e2e]") {
  auto result = Check({"examples/policies/acme.yaml", "examples/policies/acme.yaml"});
  CHECK(result.exit_code == 1);
  CHECK(Lines(result.out).size() == 2);
  CHECK(Lines(result.err) ==
        std::vector<std::string>{
            "examples/policies/acme.yaml: organization: organization \"acme\" is also defined in examples/policies/acme.yaml",
            "examples/policies/acme.yaml: accounts.list[0].id: account id \"acme-mastodon\" is also used in examples/policies/acme.yaml",
            "examples/policies/acme.yaml: accounts.list[1].id: account id \"acme-bluesky\" is also used in examples/policies/acme.yaml",
            "examples/policies/acme.yaml: accounts.list[2].id: account id \"acme-x\" is also used in examples/policies/acme.yaml",
        });
}

TEST_CASE("policy check exits 2 on usage errors", "[policies][e2e]") {
  SECTION("a missing file") {
    auto result = Check({"examples/policies/nonesuch.yaml"});
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK(result.err == "herald policy check: examples/policies/nonesuch.yaml: no such file or directory\n");
  }
  SECTION("a directory without policy files") {
    auto result = Check({"tests/support"});
    CHECK(result.exit_code == 2);
    CHECK(result.err == "herald policy check: tests/support: no *.yaml or *.yml files in this directory\n");
  }
  SECTION("no path at all") {
    auto result = RunProcess({HERALD_BINARY, "policy", "check"}, HERALD_SOURCE_DIR);
    CHECK(result.exit_code == 2);
    CHECK_FALSE(result.err.empty());
  }
}

}  // namespace
