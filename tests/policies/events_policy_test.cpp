// A policy's `events:` section: subscriptions read with their types and
// secret reference; every mistake reported at its file:line:col and path.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "policies/loader.h"

namespace herald::policies {
namespace {

// Lines 1-8; tests append the events section from line 9.
const std::string kHead =
    "version: 1\n"
    "organization: acme\n"
    "timezone: UTC\n"
    "accounts:\n"
    "  list:\n"
    "    - id: acme-mastodon\n"
    "      platform: mastodon\n"
    "      connector: { type: file }\n";

using Lines = std::vector<std::string>;

Lines ErrorsOf(const std::string& yaml) {
  auto policy = LoadPolicy(yaml, "t.yaml");
  if (policy) return {};
  Lines lines;
  for (const auto& status : policy.error()) lines.push_back(status.ToString());
  return lines;
}

TEST_CASE("A policy's events section reads each subscription", "[policies][events]") {
  auto policy = LoadPolicy(kHead +
                               "events:\n"
                               "  - url: https://hooks.example.com/herald\n"
                               "    secret: env:HERALD_EVENTS_SECRET\n"
                               "    types: [post.published, post.failed, account.credentials_broken]\n"
                               "  - url: http://receiver.internal:8080/all\n"
                               "    secret: file:/etc/herald/events.secret\n"
                               "    types: [\"*\"]\n",
                           "t.yaml");
  REQUIRE(policy);
  REQUIRE(policy->events.size() == 2);
  const EventSubscription& first = policy->events[0];
  CHECK(first.url == "https://hooks.example.com/herald");
  CHECK(first.secret.kind == SecretRef::Kind::kEnv);
  CHECK(first.secret.target == "HERALD_EVENTS_SECRET");
  CHECK(first.Wants(EventType::kPostPublished));
  CHECK(first.Wants(EventType::kAccountCredentialsBroken));
  CHECK_FALSE(first.Wants(EventType::kPostMoved));
  CHECK(policy->events[1].all);
  CHECK(policy->events[1].Wants(EventType::kInboxItemOverdue));
  CHECK(policy->events[1].secret.kind == SecretRef::Kind::kFile);
}

TEST_CASE("A policy without events subscribes to nothing", "[policies][events]") {
  auto policy = LoadPolicy(kHead, "t.yaml");
  REQUIRE(policy);
  CHECK(policy->events.empty());
}

TEST_CASE("A policy's events mistakes are reported at their position", "[policies][events]") {
  SECTION("an unknown type") {
    CHECK(ErrorsOf(kHead + "events:\n  - url: https://h.example/x\n    secret: env:S\n    types: [post.published, post.deleted]\n") ==
          Lines{"t.yaml:12:29: events[0].types[1]: unknown event type \"post.deleted\"; known: \"*\", post.scheduled, "
                "post.moved, post.published, post.failed, post.unconfirmed, post.refused, account.paused, "
                "account.resumed, account.breaker_open, account.credentials_broken, inbox.item_overdue"});
  }
  SECTION("a scheme other than http(s)") {
    CHECK(ErrorsOf(kHead + "events:\n  - url: ftp://h.example/x\n    secret: env:S\n    types: [\"*\"]\n") ==
          Lines{"t.yaml:10:10: events[0].url: an event URL must start with https:// or http://"});
  }
  SECTION("a literal internal address") {
    auto lines = ErrorsOf(kHead + "events:\n  - url: http://127.0.0.1:9000/x\n    secret: env:S\n    types: [\"*\"]\n");
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].starts_with("t.yaml:10:10: events[0].url: refused: 127.0.0.1 is a "));
    auto metadata = ErrorsOf(kHead + "events:\n  - url: http://169.254.169.254/latest\n    secret: env:S\n    types: [\"*\"]\n");
    REQUIRE(metadata.size() == 1);
    CHECK(metadata[0].starts_with("t.yaml:10:10: events[0].url: refused: 169.254.169.254"));
  }
  SECTION("an inline secret") {
    CHECK(ErrorsOf(kHead + "events:\n  - url: https://h.example/x\n    secret: whsec_c2VjcmV0\n    types: [\"*\"]\n") ==
          Lines{"t.yaml:11:13: events[0].secret: inline secret; write env:NAME or file:/path (a whsec_ secret)"});
  }
  SECTION("the same url twice, an unknown key, no types") {
    CHECK(ErrorsOf(kHead +
                   "events:\n"
                   "  - { url: https://h.example/x, secret: env:S, types: [\"*\"] }\n"
                   "  - { url: https://h.example/x, secret: env:S, types: [], colour: red }\n") ==
          Lines{"t.yaml:11:12: events[1].url: the same url as the subscription at line 10; give one subscription all "
                "its types",
                "t.yaml:11:55: events[1].types: no event types; name some, or \"*\" for every type",
                "t.yaml:11:59: events[1].colour: unknown key \"colour\"; expected one of: url, secret, types"});
  }
}

}  // namespace
}  // namespace herald::policies
