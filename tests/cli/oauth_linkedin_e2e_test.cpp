// End-to-end: connecting LinkedIn accounts by OAuth through the real `herald
// serve` against the fake LinkedIn authorization server and API. A web app
// uses no PKCE at LinkedIn (state and the client secret bind the flow); an
// app approved for refresh tokens is refreshed ahead of expiry and keeps its
// refresh token; a revoked grant makes the account "needs reconnecting" until
// a new connect; an app without refresh tokens shows "expires_soon" inside the
// token's refresh window, then "expired", and its posts wait until a manager
// connects it again. No token or client secret appears in any response or log.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "tests/cli/oauth_daemon.h"
#include "tests/connectors/fakes/linkedin_fake.h"
#include "tests/connectors/fakes/linkedin_oauth_fake.h"
#include "tests/connectors/fakes/x_oauth_fake.h"

namespace {

using namespace std::chrono_literals;
using herald::testing::LinkedinFake;
using herald::testing::LinkedinOAuthFake;
using herald::testing::OAuthDaemon;
using herald::testing::OAuthPolicy;
using herald::testing::XOAuthFake;

const std::string kClientId = "86li-e2e-client";
const std::string kClientSecret = "li-e2e-secret-5c19a7";
const std::string kAuthor = "urn:li:person:7";

std::string Connector(const LinkedinFake& api) {
  return "        base_url: " + api.base_url() + "\n        auth: oauth\n        author: \"" + kAuthor + "\"\n";
}

struct LinkedinEnv {
  // The client secret reaches the daemon through its environment.
  static std::string OAuthSection(const LinkedinOAuthFake& auth) {
    setenv("HERALD_E2E_LINKEDIN_SECRET", kClientSecret.c_str(), 1);
    return "oauth:\n  linkedin:\n    client_id: " + kClientId +
           "\n    client_secret: env:HERALD_E2E_LINKEDIN_SECRET\n    redirect_uri: " +
           herald::testing::kOAuthRedirect + "\n    authorize_url: " + auth.authorize_url() +
           "\n    token_url: " + auth.token_url() + "\n";
  }

  explicit LinkedinEnv(bool refresh_tokens, int expires_in) {
    auth.SetRefreshTokens(refresh_tokens);
    auth.SetExpiresIn(expires_in);
    api.AcceptTokens([this](const std::string& token) { return auth.ValidAccess(token); });
    herald = std::make_unique<OAuthDaemon>(
        std::map<std::string, std::string>{{"acme.yaml", OAuthPolicy("acme", "acme-li", "linkedin", Connector(api))},
                                           {"globex.yaml", OAuthPolicy("globex", "globex-li", "linkedin", Connector(api))}},
        OAuthSection(auth));
  }

  void Connect() {
    auto redirect = XOAuthFake::Authorize(herald->AuthorizationUrl("acme-li", "mona"));
    REQUIRE(redirect.contains("code"));
    auto done = herald->Callback(redirect);
    INFO(done->body);
    REQUIRE(done->status == 200);
  }

  std::string State() { return herald->Account("acme-li")["connection"]["state"].get<std::string>(); }

  void ExpectNoSecretAnywhere() {
    auto secrets = auth.AllTokens();
    REQUIRE_FALSE(secrets.empty());
    secrets.push_back(kClientSecret);
    herald->ExpectAbsent(secrets);
  }

  LinkedinOAuthFake auth{kClientId, kClientSecret};
  LinkedinFake api{"the-static-token-is-not-used", kAuthor};
  std::unique_ptr<OAuthDaemon> herald;
};

TEST_CASE("oauth linkedin e2e: connected without PKCE, refreshed ahead of expiry, revoked, reconnected, published",
          "[e2e][oauth_e2e][linkedin]") {
  LinkedinEnv env(/*refresh_tokens=*/true, /*expires_in=*/10);
  CHECK(env.herald->StartConnect("acme-li", "gina")->status == 404);  // another organisation's account
  auto redirect = XOAuthFake::Authorize(env.herald->AuthorizationUrl("acme-li", "mona"));
  auto query = env.auth.LastAuthorize();
  CHECK(query.find("scope")->second == "w_member_social");
  CHECK(query.count("code_challenge") == 0);  // LinkedIn takes PKCE from native apps only
  CHECK(env.herald->Callback({{"code", redirect["code"]}, {"state", "forged"}})->status == 400);
  auto done = env.herald->Callback(redirect);
  INFO(done->body);
  REQUIRE(done->status == 200);
  CHECK(env.herald->Callback(redirect)->status == 400);  // replayed
  CHECK(env.auth.CodeExchanges() == 1);
  CHECK(env.State() == "connected");

  // Refreshed before its 10 seconds are up, with the same refresh token.
  REQUIRE(OAuthDaemon::WaitFor([&] { return env.auth.Refreshes() >= 2; }, 30s));
  CHECK(env.auth.RefusedRefreshes() == 0);
  int64_t first = env.herald->CreateAndApprove("acme-li", "Connected to LinkedIn #1");
  REQUIRE(OAuthDaemon::WaitFor([&] { return env.herald->Post(first)["state"] == "published"; }, 20s));
  CHECK(env.api.Posts().size() == 1);

  env.auth.RevokeAll();
  REQUIRE(OAuthDaemon::WaitFor([&] { return env.State() == "needs_reconnect"; }, 20s));
  int64_t second = env.herald->CreateAndApprove("acme-li", "Waiting for a reconnect #2");
  REQUIRE(OAuthDaemon::WaitFor(
      [&] { return env.herald->Post(second).dump().find("needs reconnecting") != std::string::npos; }, 20s));
  CHECK(env.herald->Post(second)["state"] == "scheduled");
  CHECK(env.api.Posts().size() == 1);

  env.auth.SetExpiresIn(7200);
  env.Connect();
  CHECK(env.State() == "connected");
  REQUIRE(OAuthDaemon::WaitFor([&] { return env.herald->Post(second)["state"] == "published"; }, 45s));
  CHECK(env.api.Posts().size() == 2);
  CHECK(env.herald->daemon->Terminate() == 0);
  env.ExpectNoSecretAnywhere();
}

TEST_CASE("oauth linkedin e2e: without a refresh token the account shows expires_soon, then expired, and its "
          "post waits for a reconnect",
          "[e2e][oauth_e2e][linkedin]") {
  LinkedinEnv env(/*refresh_tokens=*/false, /*expires_in=*/40);
  env.Connect();
  auto account = env.herald->Account("acme-li");
  CHECK(account["connection"]["state"] == "connected");
  CHECK(account["connection"]["expires_at"].is_string());
  // The last tenth of a 40-second token: 4 seconds of warning.
  REQUIRE(OAuthDaemon::WaitFor([&] { return env.State() != "connected"; }, 45s));
  CHECK(env.State() == "expires_soon");
  REQUIRE(OAuthDaemon::WaitFor([&] { return env.State() == "expired"; }, 10s));
  CHECK_THAT(env.herald->Metrics(), Catch::Contains("herald_accounts_needing_reconnect 1"));
  CHECK(env.auth.Refreshes() == 0);

  int64_t waiting = env.herald->CreateAndApprove("acme-li", "After the token expired");
  REQUIRE(OAuthDaemon::WaitFor(
      [&] { return env.herald->Post(waiting).dump().find("needs reconnecting") != std::string::npos; }, 20s));
  CHECK(env.herald->Account("acme-li")["paused"]["rule"] == "needs_reconnect");
  CHECK(env.api.Posts().empty());

  env.auth.SetExpiresIn(5184000);
  env.Connect();
  CHECK(env.State() == "connected");
  REQUIRE(OAuthDaemon::WaitFor([&] { return env.herald->Post(waiting)["state"] == "published"; }, 45s));
  CHECK(env.api.Posts().size() == 1);
  CHECK(env.herald->daemon->Terminate() == 0);
  env.ExpectNoSecretAnywhere();
}

TEST_CASE("oauth linkedin e2e: herald account connect prints LinkedIn's URL, waits for the callback, and the "
          "account publishes",
          "[e2e][oauth_e2e][linkedin]") {
  LinkedinEnv env(/*refresh_tokens=*/true, /*expires_in=*/3600);
  env.herald->ConnectWithCli("acme-li", env.auth.authorize_url() + "?");
  CHECK(env.State() == "connected");
  int64_t post = env.herald->CreateAndApprove("acme-li", "Connected from the command line");
  REQUIRE(OAuthDaemon::WaitFor([&] { return env.herald->Post(post)["state"] == "published"; }, 20s));
  CHECK(env.herald->daemon->Terminate() == 0);
  env.ExpectNoSecretAnywhere();
}

}  // namespace
