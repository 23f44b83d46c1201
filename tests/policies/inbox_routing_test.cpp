// The policy's `inbox:` section: what LoadPolicy reads from it, every error
// it reports with its position, and InboxRouter giving each item the first
// department whose rules all match, else the default.
#include "policies/inbox_router.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "policies/loader.h"

namespace herald::policies {
namespace {

using namespace std::chrono;
using Lines = std::vector<std::string>;

// Lines 1-10: two accounts; tests append from line 11.
const std::string kHead =
    "version: 1\n"
    "organization: acme\n"
    "accounts:\n"
    "  list:\n"
    "    - id: acme-mastodon\n"
    "      platform: mastodon\n"
    "      connector: { type: file }\n"
    "    - id: acme-bsky\n"
    "      platform: bluesky\n"
    "      connector: { type: file }\n";

const std::string kRouting = kHead +
                             "inbox:\n"
                             "  departments:\n"
                             "    - name: legal\n"
                             "      patterns: ['\\bGDPR\\b', 'lawyer']\n"
                             "      answer_within: 2d\n"
                             "      approval: required\n"
                             "      read: [manager, admin, 'token:counsel']\n"
                             "      answer: ['token:counsel']\n"
                             "    - name: support\n"
                             "      keywords: [refund, order, 'shipping label']\n"
                             "      answer_within: 4h\n"
                             "      approval: none\n"
                             "    - name: german-press\n"
                             "      keywords: [presse]\n"
                             "      languages: [de]\n"
                             "      accounts: [acme-bsky]\n"
                             "    - name: general\n"
                             "  default: general\n";

Lines ErrorsOf(const std::string& yaml) {
  auto policy = LoadPolicy(yaml, "t.yaml");
  if (policy) return {};
  Lines lines;
  for (const auto& status : policy.error()) lines.push_back(status.ToString());
  return lines;
}

InboxMessage Message(std::string text, std::string language = "en") {
  InboxMessage m;
  m.remote_id = "1";
  m.text = std::move(text);
  m.language = std::move(language);
  return m;
}

TEST_CASE("LoadPolicy reads the inbox's departments in file order", "[policies][inbox]") {
  auto policy = LoadPolicy(kRouting, "t.yaml");
  REQUIRE(policy);
  const InboxRouting& r = policy->inbox;
  REQUIRE(r.departments.size() == 4);
  CHECK(r.default_department == "general");
  const InboxDepartment& legal = r.departments[0];
  CHECK(legal.name == "legal");
  CHECK(legal.patterns == Lines{"\\bGDPR\\b", "lawyer"});
  CHECK(legal.answer_within == days{2});
  CHECK(legal.approval_required);
  CHECK(legal.read.roles == Lines{"manager", "admin"});
  CHECK(legal.read.tokens == Lines{"counsel"});
  CHECK(legal.answer.roles.empty());
  CHECK(legal.answer.Allows("admin", "counsel"));
  CHECK_FALSE(legal.answer.Allows("admin", "alice"));
  const InboxDepartment& support = r.departments[1];
  CHECK(support.keywords == Lines{"refund", "order", "shipping label"});
  CHECK_FALSE(support.approval_required);
  CHECK(support.answer_within == hours{4});
  // Defaults: anyone reads, editors and up answer, a day to answer, approval.
  const InboxDepartment& general = r.departments[3];
  CHECK(general.answer_within == hours{24});
  CHECK(general.approval_required);
  CHECK(general.read.Allows("viewer", ""));
  CHECK_FALSE(general.answer.Allows("viewer", ""));
  CHECK(general.answer.Allows("editor", ""));
}

TEST_CASE("A policy without an inbox section routes everything to one department", "[policies][inbox]") {
  auto policy = LoadPolicy(kHead, "t.yaml");
  REQUIRE(policy);
  InboxRouter router(policy->inbox);
  CHECK(router.Route("acme-mastodon", Message("where is my refund?")).name == "general");
}

TEST_CASE("InboxRouter gives the first department whose rules all match, else the default", "[policies][inbox]") {
  auto policy = LoadPolicy(kRouting, "t.yaml");
  REQUIRE(policy);
  InboxRouter router(policy->inbox);
  auto route = [&](std::string text, std::string language = "en", std::string account = "acme-mastodon") {
    return router.Route(account, Message(std::move(text), std::move(language))).name;
  };
  SECTION("keywords are whole words in any case") {
    CHECK(route("Where is my REFUND?") == "support");
    CHECK(route("Where is my refunded money?") == "general");
    CHECK(route("I need a shipping   label") == "support");
    CHECK(route("Ihre Bestellung: order #12") == "support");
  }
  SECTION("patterns are searched case-insensitively") {
    CHECK(route("my gdpr request") == "legal");
    CHECK(route("my GDPRs") == "general");
    CHECK(route("talk to my Lawyer") == "legal");
  }
  SECTION("the first matching department wins") {
    CHECK(route("my lawyer wants a refund") == "legal");
  }
  SECTION("languages and accounts must match too") {
    CHECK(route("Presse-Anfrage", "de", "acme-bsky") == "german-press");
    CHECK(route("Presse-Anfrage", "de-AT", "acme-bsky") == "german-press");
    CHECK(route("Presse-Anfrage", "DE", "acme-bsky") == "german-press");
    CHECK(route("Presse-Anfrage", "en", "acme-bsky") == "general");
    CHECK(route("Presse-Anfrage", "de", "acme-mastodon") == "general");
    CHECK(route("Presse-Anfrage", "", "acme-bsky") == "general");
  }
  SECTION("a department without rules only takes items as the default") {
    CHECK(route("hello there") == "general");
  }
  SECTION("hostile text is bounded and never throws") {
    std::string huge(200000, 'a');
    CHECK(route(huge + " refund") == "general");  // beyond what keywords see
    CHECK(route("refund " + huge) == "support");
    CHECK(route(std::string("\xff\xfe refund \xc3")) == "support");
  }
}

TEST_CASE("LoadPolicy reports every inbox error at its position", "[policies][inbox]") {
  SECTION("unknown keys") {
    CHECK(ErrorsOf(kHead + "inbox:\n  departments:\n    - { name: a, colour: red }\n  default: a\n") ==
          Lines{"t.yaml:13:18: inbox.departments[0].colour: unknown key \"colour\"; expected one of: name, keywords, "
                "patterns, languages, accounts, answer_within, approval, read, answer"});
    CHECK(ErrorsOf(kHead + "inbox:\n  departments: [ { name: a } ]\n  default: a\n  routes: []\n") ==
          Lines{"t.yaml:14:3: inbox.routes: unknown key \"routes\"; expected one of: departments, default"});
  }
  SECTION("missing departments, default or name") {
    CHECK(ErrorsOf(kHead + "inbox:\n  default: a\n") ==
          Lines{"t.yaml:12:3: inbox: missing required key \"departments\"",
                "t.yaml:12:12: inbox.default: unknown department \"a\"; departments: none"});
    CHECK(ErrorsOf(kHead + "inbox:\n  departments: []\n  default: a\n") ==
          Lines{"t.yaml:12:16: inbox.departments: the inbox needs at least one department",
                "t.yaml:13:12: inbox.default: unknown department \"a\"; departments: none"});
    CHECK(ErrorsOf(kHead + "inbox:\n  departments: [ { name: a } ]\n") ==
          Lines{"t.yaml:12:3: inbox: missing required key \"default\""});
    CHECK(ErrorsOf(kHead + "inbox:\n  departments: [ { keywords: [x] } ]\n  default: a\n") ==
          Lines{"t.yaml:12:18: inbox.departments[0]: missing required key \"name\"",
                "t.yaml:13:12: inbox.default: unknown department \"a\"; departments: none"});
  }
  SECTION("names") {
    CHECK(ErrorsOf(kHead + "inbox:\n  departments: [ { name: 'a b' } ]\n  default: a\n") ==
          Lines{"t.yaml:12:26: inbox.departments[0].name: invalid department name \"a b\"; use 1-64 letters, "
                "digits, '-', '_' and '.'",
                "t.yaml:13:12: inbox.default: unknown department \"a\"; departments: a b"});
    CHECK(ErrorsOf(kHead + "inbox:\n  departments:\n    - name: a\n    - name: a\n  default: a\n") ==
          Lines{"t.yaml:14:7: inbox.departments[1]: duplicate department \"a\""});
  }
  SECTION("an invalid pattern") {
    CHECK(ErrorsOf(kHead + "inbox:\n  departments:\n    - name: a\n      patterns: ['ok', '(unclosed']\n  default: a\n")
              .at(0)
              .starts_with("t.yaml:14:24: inbox.departments[0].patterns[1]: invalid pattern \"(unclosed\": "));
    CHECK(ErrorsOf(kHead + "inbox:\n  departments:\n    - name: a\n      patterns: ['" + std::string(501, 'x') +
                   "']\n  default: a\n") ==
          Lines{"t.yaml:14:18: inbox.departments[0].patterns[0]: a pattern must be 1-500 characters long"});
    CHECK(ErrorsOf(kHead + "inbox:\n  departments:\n    - name: a\n      patterns: ['']\n  default: a\n") ==
          Lines{"t.yaml:14:18: inbox.departments[0].patterns[0]: must not be empty"});
  }
  SECTION("keywords, languages and accounts") {
    CHECK(ErrorsOf(kHead + "inbox:\n  departments:\n    - name: a\n      keywords: [x, ' ', x]\n  default: a\n") ==
          Lines{"t.yaml:14:21: inbox.departments[0].keywords[1]: a keyword needs at least one word",
                "t.yaml:14:26: inbox.departments[0].keywords[2]: duplicate entry \"x\""});
    CHECK(ErrorsOf(kHead + "inbox:\n  departments:\n    - name: a\n      languages: [en, english]\n  default: a\n") ==
          Lines{"t.yaml:14:23: inbox.departments[0].languages[1]: expected a language code such as en or de, got "
                "\"english\""});
    CHECK(ErrorsOf(kHead + "inbox:\n  departments:\n    - name: a\n      accounts: [acme-x]\n  default: a\n") ==
          Lines{"t.yaml:14:18: inbox.departments[0].accounts[0]: unknown account \"acme-x\"; not in accounts.list"});
    CHECK(ErrorsOf(kHead + "inbox:\n  departments:\n    - name: a\n      keywords: refund\n  default: a\n") ==
          Lines{"t.yaml:14:17: inbox.departments[0].keywords: expected a sequence, got \"refund\""});
  }
  SECTION("answer_within, approval and access") {
    CHECK(ErrorsOf(kHead + "inbox:\n  departments:\n    - name: a\n      answer_within: 0s\n  default: a\n") ==
          Lines{"t.yaml:14:22: inbox.departments[0].answer_within: answer_within must be longer than 0s"});
    CHECK(ErrorsOf(kHead + "inbox:\n  departments:\n    - name: a\n      answer_within: 4hours\n  default: a\n")
              .size() == 1);
    CHECK(ErrorsOf(kHead + "inbox:\n  departments:\n    - name: a\n      approval: maybe\n  default: a\n") ==
          Lines{"t.yaml:14:17: inbox.departments[0].approval: unknown approval \"maybe\"; use required|none"});
    CHECK(ErrorsOf(kHead + "inbox:\n  departments:\n    - name: a\n      read: [boss, 'token:']\n  default: a\n") ==
          Lines{"t.yaml:14:14: inbox.departments[0].read[0]: unknown role \"boss\"; use "
                "viewer|editor|manager|admin or token:NAME",
                "t.yaml:14:20: inbox.departments[0].read[1]: \"token:\" needs a token name after it"});
  }
  SECTION("not a mapping") {
    CHECK(ErrorsOf(kHead + "inbox: [support]\n") == Lines{"t.yaml:11:8: inbox: expected a mapping, got a sequence"});
  }
}

}  // namespace
}  // namespace herald::policies
