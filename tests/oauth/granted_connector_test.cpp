// GrantedConnector: a connected account whose token the platform refuses on a
// publish (HTTP 401) is marked "needs reconnect" and sends nothing more until
// it is connected again; other failures pass through as they are.
#include <catch2/catch.hpp>

#include "oauth/grant_keeper.h"
#include "oauth/granted_connector.h"
#include "tests/oauth/oauth_testing.h"

namespace herald::oauth {
namespace {

using testing::OAuthBench;
using Kind = connectors::PublishResult::Kind;

// Answers every publish with `answer`, remembering the tokens it was given.
class AnsweringConnector final : public connectors::Connector {
 public:
  explicit AnsweringConnector(connectors::PublishResult answer) : answer_(std::move(answer)) {}
  connectors::PublishResult Publish(const connectors::PublishRequest& request) override {
    tokens.push_back(request.access_token.value_or(""));
    return answer_;
  }
  std::optional<connectors::PublishResult> Lookup(const connectors::PublishRequest&) override { return std::nullopt; }

  connectors::PublishResult answer_;
  std::vector<std::string> tokens;
};

connectors::PublishRequest Request(Instant now) {
  connectors::PublishRequest r;
  r.organization = "acme";
  r.account = "acme-x";
  r.platform = "x";
  r.text = "hello";
  r.now = now;
  r.planned_at = now;
  r.idempotency_key = "acme-1";
  return r;
}

TEST_CASE("A connected token the platform refuses on a publish marks the account needs reconnecting",
          "[oauth][granted]") {
  OAuthBench bench;
  bench.Connect("acme", "acme-x");
  GrantKeeper keeper(bench.vault, bench.endpoints, nullptr);
  connectors::PublishResult refused{Kind::kFailed, {}, {}, std::nullopt, "x: HTTP 401 Unauthorized", {}, 401};
  auto inner = std::make_shared<AnsweringConnector>(refused);
  GrantedConnector connector(inner, keeper);

  auto first = connector.Publish(Request(bench.t0));
  CHECK(first.kind == Kind::kRetryLater);
  REQUIRE(first.hold.has_value());
  CHECK(first.hold->rule == "needs_reconnect");
  // Only a connect ends it, so the account is not tried again for minutes.
  CHECK(first.hold->until == bench.t0 + GrantedConnector::kReconnectRetryAfter);
  CHECK_THAT(first.why, Catch::Contains("needs reconnecting"));
  REQUIRE(inner->tokens.size() == 1);
  CHECK(inner->tokens[0].starts_with("xacc-"));
  CHECK(first.why.find(inner->tokens[0]) == std::string::npos);
  auto stored = bench.vault.Load("acme", "acme-x");
  REQUIRE(stored.has_value());
  REQUIRE(stored->has_value());
  CHECK_THAT((*stored)->needs_reconnect, Catch::Contains("401"));

  // Nothing more is sent until a reconnect.
  auto second = connector.Publish(Request(bench.t0 + std::chrono::minutes{1}));
  CHECK(second.kind == Kind::kRetryLater);
  CHECK(second.attempted == false);
  REQUIRE(second.hold.has_value());
  CHECK(second.hold->rule == "needs_reconnect");
  CHECK(second.hold->until == bench.t0 + std::chrono::minutes{1} + GrantedConnector::kReconnectRetryAfter);
  CHECK(inner->tokens.size() == 1);
  bench.Connect("acme", "acme-x");
  inner->answer_ = {Kind::kPublished, "1", "https://x.com/i/1", std::nullopt, {}, {}, 201};
  CHECK(connector.Publish(Request(bench.t0 + std::chrono::minutes{2})).kind == Kind::kPublished);
  CHECK(inner->tokens.size() == 2);
}

TEST_CASE("Other refusals, and a static token 401, pass through unchanged", "[oauth][granted]") {
  OAuthBench bench;
  GrantKeeper keeper(bench.vault, bench.endpoints, nullptr);
  connectors::PublishResult refused{Kind::kFailed, {}, {}, std::nullopt, "x: HTTP 401 Unauthorized", {}, 401};
  auto inner = std::make_shared<AnsweringConnector>(refused);
  GrantedConnector connector(inner, keeper);
  SECTION("an account without a grant publishes with its static token") {
    auto r = connector.Publish(Request(bench.t0));
    CHECK(r.kind == Kind::kFailed);
    CHECK(r.http_status == 401);
  }
  SECTION("a connected account's 403 is the platform's answer, not a revocation") {
    bench.Connect("acme", "acme-x");
    inner->answer_ = {Kind::kFailed, {}, {}, std::nullopt, "x: HTTP 403 Forbidden", {}, 403};
    CHECK(connector.Publish(Request(bench.t0)).kind == Kind::kFailed);
    auto stored = bench.vault.Load("acme", "acme-x");
    REQUIRE(stored.has_value());
    CHECK((*stored)->needs_reconnect.empty());
  }
}

}  // namespace
}  // namespace herald::oauth
