// The OAuth authorization-code flow with PKCE against the fake X
// authorization server, on a real SQLite store: PKCE's known answer, the
// state bound to its organisation and account, spent once, expiring; the
// token endpoint's refusals; nothing stored and no token in any error.
#include "oauth/authorization_flow.h"

#include <catch2/catch.hpp>

#include "oauth/pkce.h"
#include "tests/connectors/fakes/x_oauth_fake.h"
#include "tests/oauth/oauth_testing.h"

namespace herald::oauth {
namespace {

using testing::OAuthBench;
using herald::testing::XOAuthFake;

TEST_CASE("PKCE S256 gives the challenge of RFC 7636 appendix B", "[oauth][pkce]") {
  CHECK(S256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST_CASE("PKCE verifiers and states are 43 url-safe characters, fresh every time", "[oauth][pkce]") {
  auto a = MakeCodeVerifier();
  auto b = MakeCodeVerifier();
  auto s = MakeState();
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  REQUIRE(s.has_value());
  CHECK(a->size() == 43);
  CHECK(s->size() == 43);
  CHECK(*a != *b);
  CHECK(a->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
  CHECK(StateHash(*s).size() == 64);
  CHECK(StateHash(*s) != *s);
}

TEST_CASE("A connect stores the grant for the account its state was made for, and audits it without a token",
          "[oauth][flow]") {
  OAuthBench bench;
  auto started = bench.flow.Start("acme", "acme-x", "x", "alice", bench.t0);
  REQUIRE(started.has_value());
  CHECK(started->state_expires_at == bench.t0 + std::chrono::minutes{10});
  const std::string& url = started->authorization_url;
  CHECK(url.starts_with(bench.fake.authorize_url() + "?"));
  auto asked = bench.fake.LastAuthorize();  // empty until the browser goes there
  CHECK(asked.empty());
  auto redirect = XOAuthFake::Authorize(url);
  asked = bench.fake.LastAuthorize();
  CHECK(asked.find("code_challenge_method")->second == "S256");
  CHECK(asked.find("scope")->second == "tweet.read tweet.write users.read media.write offline.access");
  CHECK(asked.find("redirect_uri")->second == OAuthBench::kRedirect);
  REQUIRE(redirect.contains("code"));
  CHECK(redirect["redirect_to"] == OAuthBench::kRedirect);

  // A second authorization, for another organisation's account, started meanwhile.
  auto other = bench.flow.Start("globex", "globex-x", "x", "bob", bench.t0);
  REQUIRE(other.has_value());

  auto done = bench.flow.Complete(redirect["code"], redirect["state"], "", bench.t0 + std::chrono::minutes{1});
  REQUIRE(done.has_value());
  CHECK(done->organization == "acme");
  CHECK(done->account == "acme-x");
  CHECK(done->caller == "alice");
  auto grant = bench.vault.Load("acme", "acme-x");
  REQUIRE(grant.has_value());
  REQUIRE(grant->has_value());
  CHECK((*grant)->grant.access_token == bench.fake.LastAccessToken());
  CHECK_FALSE((*grant)->grant.refresh_token.empty());
  CHECK((*grant)->grant.platform == "x");
  CHECK((*grant)->grant.expires_at == bench.t0 + std::chrono::minutes{1} + std::chrono::seconds{7200});
  auto none = bench.vault.Load("globex", "globex-x");
  REQUIRE(none.has_value());
  CHECK_FALSE(none->has_value());

  auto audit = bench.store->ListAudit({.organization = "acme"});
  REQUIRE(audit.has_value());
  REQUIRE(audit->size() == 1);
  CHECK(audit->front().action == "account_connected");
  CHECK(audit->front().actor == "alice");
  for (const auto& token : bench.fake.AllTokens()) CHECK(audit->front().detail.find(token) == std::string::npos);
  auto elsewhere = bench.store->ListAudit({.organization = "globex"});
  REQUIRE(elsewhere.has_value());
  CHECK(elsewhere->empty());
}

TEST_CASE("A state works once: a replayed callback is refused and changes nothing", "[oauth][flow]") {
  OAuthBench bench;
  auto started = bench.flow.Start("acme", "acme-x", "x", "alice", bench.t0);
  REQUIRE(started.has_value());
  auto redirect = XOAuthFake::Authorize(started->authorization_url);
  REQUIRE(bench.flow.Complete(redirect["code"], redirect["state"], "", bench.t0).has_value());
  auto first = bench.store->FindGrant("acme", "acme-x");
  REQUIRE(first.has_value());
  REQUIRE(first->has_value());

  auto again = bench.flow.Complete(redirect["code"], redirect["state"], "", bench.t0);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code() == Code::kInvalidArgument);
  CHECK_THAT(again.error().message(), Catch::Contains("unknown state"));
  auto after = bench.store->FindGrant("acme", "acme-x");
  REQUIRE(after.has_value());
  CHECK(*after == *first);
  CHECK(bench.fake.CodeExchanges() == 1);
}

TEST_CASE("A forged or empty state is refused before the platform is asked", "[oauth][flow]") {
  OAuthBench bench;
  REQUIRE(bench.flow.Start("acme", "acme-x", "x", "alice", bench.t0).has_value());
  for (std::string state : {std::string("forged-state"), std::string(), std::string(600, 'a')}) {
    auto r = bench.flow.Complete("code-whatever", state, "", bench.t0);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == Code::kInvalidArgument);
  }
  CHECK(bench.fake.CodeExchanges() == 0);
}

TEST_CASE("A state expires ten minutes after the connect started", "[oauth][flow]") {
  OAuthBench bench;
  auto started = bench.flow.Start("acme", "acme-x", "x", "alice", bench.t0);
  REQUIRE(started.has_value());
  auto redirect = XOAuthFake::Authorize(started->authorization_url);
  SECTION("at the last second it still works") {
    auto r = bench.flow.Complete(redirect["code"], redirect["state"], "", bench.t0 + std::chrono::seconds{599});
    CHECK(r.has_value());
  }
  SECTION("at ten minutes it is refused, and nothing is stored") {
    auto r = bench.flow.Complete(redirect["code"], redirect["state"], "", bench.t0 + std::chrono::minutes{10});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == Code::kInvalidArgument);
    CHECK_THAT(r.error().message(), Catch::Contains("expired"));
    auto grant = bench.store->FindGrant("acme", "acme-x");
    REQUIRE(grant.has_value());
    CHECK_FALSE(grant->has_value());
    CHECK(bench.fake.CodeExchanges() == 0);
  }
}

TEST_CASE("A user who refuses at the platform spends the state and stores nothing", "[oauth][flow]") {
  OAuthBench bench;
  bench.fake.DenyNext();
  auto started = bench.flow.Start("acme", "acme-x", "x", "alice", bench.t0);
  REQUIRE(started.has_value());
  auto redirect = XOAuthFake::Authorize(started->authorization_url);
  CHECK(redirect["error"] == "access_denied");
  auto r = bench.flow.Complete("", redirect["state"], redirect["error"], bench.t0);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == Code::kInvalidArgument);
  CHECK_THAT(r.error().message(), Catch::Contains("access_denied"));
  auto again = bench.flow.Complete("code-x", redirect["state"], "", bench.t0);
  REQUIRE_FALSE(again.has_value());
  CHECK_THAT(again.error().message(), Catch::Contains("unknown state"));
}

TEST_CASE("The token endpoint's refusals are typed and quote no secret", "[oauth][token]") {
  OAuthBench bench;
  auto started = bench.flow.Start("acme", "acme-x", "x", "alice", bench.t0);
  REQUIRE(started.has_value());
  auto redirect = XOAuthFake::Authorize(started->authorization_url);
  auto found = bench.endpoints.For("acme", "acme-x", "x", bench.t0);
  REQUIRE(found.has_value());
  const TokenEndpoint& endpoint = *found;
  SECTION("a wrong verifier") {
    std::string wrong = "wrong-verifier-0123456789-0123456789-0123456";
    auto r = endpoint.ExchangeCode(redirect["code"], wrong, bench.t0);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == Code::kPermissionDenied);
    CHECK_THAT(r.error().message(), Catch::Contains("invalid_request"));
    CHECK(r.error().message().find(wrong) == std::string::npos);
    CHECK(r.error().message().find(redirect["code"]) == std::string::npos);
  }
  SECTION("a wrong client secret") {
    Provider provider = endpoint.provider();
    TokenEndpoint bad(provider, std::string("not-the-secret"), connectors::HttpClient());
    auto r = bad.ExchangeCode(redirect["code"], "v", bench.t0);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == Code::kFailedPrecondition);
    CHECK(r.error().message().find("not-the-secret") == std::string::npos);
  }
  SECTION("an old refresh token after rotation") {
    REQUIRE(bench.flow.Complete(redirect["code"], redirect["state"], "", bench.t0).has_value());
    auto grant = bench.vault.Load("acme", "acme-x");
    REQUIRE(grant.has_value());
    std::string old_refresh = (*grant)->grant.refresh_token;
    auto rotated = endpoint.Refresh(old_refresh, bench.t0);
    REQUIRE(rotated.has_value());
    CHECK(rotated->refresh_token != old_refresh);
    auto replay = endpoint.Refresh(old_refresh, bench.t0);
    REQUIRE_FALSE(replay.has_value());
    CHECK(replay.error().code() == Code::kPermissionDenied);
    CHECK(replay.error().message().find(old_refresh) == std::string::npos);
  }
  SECTION("a platform that cannot be reached") {
    Provider provider = endpoint.provider();
    provider.token_url = "http://127.0.0.1:1/2/oauth2/token";
    TokenEndpoint down(provider, std::string("s"), connectors::HttpClient());
    auto r = down.Refresh("some-refresh-token", bench.t0);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == Code::kUnavailable);
  }
}

TEST_CASE("A platform without an app in the config cannot be connected", "[oauth][flow]") {
  OAuthBench bench;
  auto r = bench.flow.Start("acme", "acme-li", "linkedin", "alice", bench.t0);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == Code::kFailedPrecondition);
  CHECK_THAT(r.error().message(), Catch::Contains("oauth.linkedin"));
}

}  // namespace
}  // namespace herald::oauth
