// End-to-end: connecting Mastodon accounts by OAuth through the real `herald
// serve` against the fake instance. The first connect on an instance
// registers herald's app there (once, shared by every account and
// organisation on it, kept across restarts); the authorization carries PKCE
// S256 and the default scopes; posts publish with the connected token; a
// token the user revokes shows at the next publish (HTTP 401) as "needs
// reconnecting", the post waits, and a reconnect publishes it. No access
// token or client secret appears in any response or log line.
#include <catch2/catch.hpp>

#include <cstdio>
#include <sys/wait.h>

#include "tests/cli/oauth_daemon.h"
#include "tests/connectors/fakes/mastodon_fake.h"
#include "tests/connectors/fakes/x_oauth_fake.h"

namespace {

using namespace std::chrono_literals;
using herald::testing::MastodonFake;
using herald::testing::OAuthDaemon;
using herald::testing::OAuthPolicy;
using herald::testing::XOAuthFake;

std::string Connector(const MastodonFake& instance) {
  return "        base_url: " + instance.base_url() + "\n        auth: oauth\n";
}

struct MastodonEnv {
  MastodonEnv()
      : herald({{"acme.yaml", OAuthPolicy("acme", "acme-masto", "mastodon", Connector(instance))},
                {"globex.yaml", OAuthPolicy("globex", "globex-masto", "mastodon", Connector(instance))}},
               "oauth:\n  mastodon:\n    redirect_uri: " + herald::testing::kOAuthRedirect +
                   "\n    client_name: herald e2e\n    website: https://herald.example.org\n") {}

  // A full connect of `account` by `who`.
  void Connect(const std::string& account, const std::string& who) {
    auto redirect = XOAuthFake::Authorize(herald.AuthorizationUrl(account, who));
    REQUIRE(redirect.contains("code"));
    auto done = herald.Callback(redirect);
    INFO(done->body);
    REQUIRE(done->status == 200);
  }

  MastodonFake instance{"the-static-token-is-not-used"};
  OAuthDaemon herald;
};

TEST_CASE("oauth mastodon e2e: the first connect registers the herald app on the instance, once",
          "[e2e][oauth_e2e][mastodon]") {
  MastodonEnv env;
  CHECK(env.herald.Account("acme-masto")["connection"]["state"] == "not_connected");
  CHECK(env.herald.StartConnect("acme-masto", "")->status == 401);
  CHECK(env.herald.StartConnect("acme-masto", "gina")->status == 404);  // another organisation's account
  CHECK(env.herald.StartConnect("acme-masto", "alice")->status == 403);  // an editor
  CHECK(env.instance.AppRegistrations() == 0);

  std::string url = env.herald.AuthorizationUrl("acme-masto", "mona");
  CHECK(url.starts_with(env.instance.base_url() + "/oauth/authorize?"));
  CHECK(env.instance.AppRegistrations() == 1);
  auto redirect = XOAuthFake::Authorize(url);
  REQUIRE(redirect.contains("code"));
  auto query = env.instance.LastAuthorize();
  CHECK(query.find("code_challenge_method")->second == "S256");
  CHECK(query.find("scope")->second == "write:statuses write:media read:statuses read:notifications");
  CHECK(query.find("redirect_uri")->second == herald::testing::kOAuthRedirect);

  // Forged and replayed states find nothing; the code is exchanged once.
  auto forged = env.herald.Callback({{"code", redirect["code"]}, {"state", "forged-state"}});
  CHECK(forged->status == 400);
  CHECK_THAT(forged->body, Catch::Contains("unknown state"));
  auto done = env.herald.Callback(redirect);
  INFO(done->body);
  REQUIRE(done->status == 200);
  CHECK(env.herald.Callback(redirect)->status == 400);
  CHECK(env.instance.CodeExchanges() == 1);
  {
    auto account = env.herald.Account("acme-masto");
    CHECK(account["connection"]["state"] == "connected");
    CHECK(account["connection"].value("expires_at", nlohmann::json()).is_null());  // Mastodon tokens do not expire
  }
  // globex's manager sees only its own account, not connected, and connects it
  // with the app already registered on this instance.
  CHECK(env.herald.Account("globex-masto", "gina")["connection"]["state"] == "not_connected");
  env.Connect("globex-masto", "gina");
  CHECK(env.herald.Account("globex-masto", "gina")["connection"]["state"] == "connected");
  // A restarted daemon still has the app: it registers nothing more.
  env.herald.Restart("second.log");
  env.Connect("acme-masto", "mona");
  CHECK(env.instance.AppRegistrations() == 1);
  CHECK(env.instance.CodeExchanges() == 3);
  CHECK(env.herald.daemon->Terminate() == 0);
  env.herald.ExpectAbsent(env.instance.OAuthSecrets());
}

TEST_CASE("oauth mastodon e2e: connected, published, revoked, needs reconnecting, reconnected, published",
          "[e2e][oauth_e2e][mastodon]") {
  MastodonEnv env;
  env.Connect("acme-masto", "mona");
  int64_t first = env.herald.CreateAndApprove("acme-masto", "Connected by OAuth #1");
  REQUIRE(OAuthDaemon::WaitFor([&] { return env.herald.Post(first)["state"] == "published"; }, 15s));
  REQUIRE(env.instance.Statuses().size() == 1);  // only a connected token gets through

  // The user revokes herald on the instance: the next publish is refused.
  env.instance.RevokeOAuthTokens();
  int64_t second = env.herald.CreateAndApprove("acme-masto", "Waiting for a reconnect #2");
  REQUIRE(OAuthDaemon::WaitFor(
      [&] { return env.herald.Account("acme-masto")["connection"]["state"] == "needs_reconnect"; }, 15s));
  REQUIRE(OAuthDaemon::WaitFor(
      [&] { return env.herald.Post(second).dump().find("needs reconnecting") != std::string::npos; }, 15s));
  CHECK(env.herald.Post(second)["state"] == "scheduled");
  CHECK(env.herald.Account("acme-masto")["paused"]["rule"] == "needs_reconnect");
  CHECK_THAT(env.herald.Account("acme-masto")["connection"]["why"].get<std::string>(), Catch::Contains("401"));
  CHECK_THAT(env.herald.Metrics(), Catch::Contains("herald_accounts_needing_reconnect 1"));
  CHECK(env.instance.Statuses().size() == 1);

  env.Connect("acme-masto", "mona");
  CHECK(env.herald.Account("acme-masto")["connection"]["state"] == "connected");
  REQUIRE(OAuthDaemon::WaitFor([&] { return env.herald.Post(second)["state"] == "published"; }, 45s));
  CHECK(env.instance.Statuses().size() == 2);
  CHECK(env.instance.AppRegistrations() == 1);
  CHECK(env.herald.daemon->Terminate() == 0);
  env.herald.ExpectAbsent(env.instance.OAuthSecrets());
}

TEST_CASE("oauth mastodon e2e: herald account connect registers the app, prints the instance URL and waits",
          "[e2e][oauth_e2e][mastodon]") {
  MastodonEnv env;
  env.herald.ConnectWithCli("globex-masto", env.instance.base_url() + "/oauth/authorize?");
  CHECK(env.instance.AppRegistrations() == 1);
  CHECK(env.herald.Account("globex-masto", "gina")["connection"]["state"] == "connected");
  env.herald.ExpectAbsent(env.instance.OAuthSecrets());
}

}  // namespace
