// End-to-end: connecting an X account by OAuth through the real `herald
// serve`, against the fake X authorization server and the fake X API. A
// manager starts the connect over the API, the "browser" follows the
// authorization URL, the callback (no bearer token) stores the grant; posts
// publish with the connected token; the token is refreshed ahead of its
// expiry by the daemon's own sweep (tokens issued for 10 seconds); a revoked
// grant makes the account "needs reconnecting" (its post waits with that
// reason, /v1/accounts and /metrics show it) until a new connect, after which
// the post is published. No access or refresh token ever appears in a
// response or in the daemon's log.
#include <catch2/catch.hpp>
#include <httplib.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "tests/cli/oauth_daemon.h"
#include "tests/connectors/fakes/x_fake.h"
#include "tests/connectors/fakes/x_oauth_fake.h"
#include "tests/support/pg_database.h"

namespace {

using namespace std::chrono;
using herald::testing::kOAuthRedirect;
using herald::testing::OAuthDaemon;
using herald::testing::OAuthPolicy;
using herald::testing::ReadFileOr;
using herald::testing::XFake;
using herald::testing::XOAuthFake;
using nlohmann::json;

const std::string kClientId = "herald-e2e-client";
const std::string kClientSecret = "herald-e2e-secret-7d41c2";

// The fake X API and authorization server, started before the daemon that
// names them.
struct XServers {
  XServers() {
    x.AcceptTokens([this](const std::string& token) { return auth.ValidAccess(token); });
  }
  XFake x{"the-static-token-is-not-used"};
  XOAuthFake auth{kClientId, kClientSecret};
};

std::map<std::string, std::string> Policies(const XFake& x) {
  const std::string connector = "        base_url: " + x.base_url() + "\n        auth: oauth\n";
  return {{"acme.yaml", OAuthPolicy("acme", "acme-x", "x", connector)},
          {"globex.yaml", OAuthPolicy("globex", "globex-x", "x", connector)}};
}

// The client secret is read from a file (the other platforms' tests use env:).
std::string OAuthSection(const XOAuthFake& auth) {
  return "oauth:\n  x:\n    client_id: " + kClientId + "\n    client_secret: file:$DIR/secrets/client-secret" +
         "\n    redirect_uri: " + kOAuthRedirect + "\n    authorize_url: " + auth.authorize_url() +
         "\n    token_url: " + auth.token_url() + "\n";
}

struct Env : XServers, OAuthDaemon {
  // `storage`: the daemons' store (default: SQLite in the folder).
  explicit Env(std::string storage = "")
      : OAuthDaemon(Policies(x), OAuthSection(auth), std::move(storage),
                    {{"secrets/client-secret", kClientSecret + "\n"}}) {}

  // A full connect of acme-x by the manager, through the fake's authorize page.
  void Connect() {
    auto done = Callback(XOAuthFake::Authorize(AuthorizationUrl("acme-x", "mona")));
    INFO(done->body);
    REQUIRE(done->status == 200);
  }

  int64_t CreateAndApprove(const std::string& text) { return OAuthDaemon::CreateAndApprove("acme-x", text); }

  void ExpectNoTokenAnywhere() {
    auto secrets = auth.AllTokens();
    REQUIRE(secrets.size() >= 2);
    secrets.push_back(kClientSecret);
    ExpectAbsent(secrets);
  }
};

TEST_CASE("oauth e2e: the connect endpoints answer only a manager of the account's organisation",
          "[e2e][oauth_e2e]") {
  Env env;
  CHECK(env.StartConnect("acme-x", "")->status == 401);
  CHECK(env.StartConnect("acme-x", "gina")->status == 404);  // another organisation's account
  CHECK(env.StartConnect("no-such-account", "mona")->status == 404);
  CHECK(env.StartConnect("acme-x", "alice")->status == 403);  // an editor
  auto ok = env.StartConnect("acme-x", "mona");
  INFO(ok->body);
  REQUIRE(ok->status == 200);
  json body = json::parse(ok->body);
  CHECK(body["authorization_url"].get<std::string>().starts_with(env.auth.authorize_url() + "?"));
  auto expires = herald::ParseRfc3339(body["state_expires_at"].get<std::string>());
  REQUIRE(expires.has_value());
  CHECK(*expires > system_clock::now() + minutes{9});
  CHECK(*expires <= system_clock::now() + minutes{10} + seconds{1});

  // The callback needs no token, but a state this herald issued.
  auto forged = env.Callback({{"code", "code-x"}, {"state", "forged"}});
  CHECK(forged->status == 400);
  CHECK_THAT(forged->body, Catch::Contains("unknown state"));
  auto no_state = env.Callback({{"code", "code-x"}});
  CHECK(no_state->status == 400);
  // The other organisation's manager connects its own account.
  auto theirs = env.StartConnect("globex-x", "gina");
  REQUIRE(theirs->status == 200);
  auto redirect = XOAuthFake::Authorize(json::parse(theirs->body)["authorization_url"].get<std::string>());
  auto page = env.Callback(redirect, "text/html");
  REQUIRE(page->status == 200);
  CHECK(page->get_header_value("Content-Type").starts_with("text/html"));
  CHECK_THAT(page->body, Catch::Contains("globex-x"));
  // ... which acme's manager does not see as connected.
  CHECK(env.Account("acme-x")["connection"]["state"] == "not_connected");
  auto replayed = env.Callback(redirect);
  CHECK(replayed->status == 400);
  CHECK(env.auth.CodeExchanges() == 1);
  env.ExpectNoTokenAnywhere();
}

TEST_CASE("oauth e2e: connected, refreshed ahead of expiry, revoked, reconnected, published",
          "[e2e][oauth_e2e]") {
  Env env;
  env.auth.SetExpiresIn(10);
  env.Connect();
  json account = env.Account("acme-x");
  CHECK(account["connection"]["state"] == "connected");
  CHECK(account["connection"]["expires_at"].is_string());

  // The daemon's sweep refreshes the token before its 10 seconds are up.
  REQUIRE(env.WaitFor([&] { return env.auth.Refreshes() >= 1; }, 15s));
  CHECK(env.auth.RefusedRefreshes() == 0);
  CHECK_THAT(ReadFileOr(env.dir / "herald.log"), Catch::Contains("refreshed the access token of account acme-x"));

  int64_t first = env.CreateAndApprove("Connected by OAuth #1");
  REQUIRE(env.WaitFor([&] { return env.Post(first)["state"] == "published"; }, 15s));
  auto posts = env.x.Posts();
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].bearer.starts_with("xacc-"));
  CHECK(posts[0].bearer != "the-static-token-is-not-used");

  // The user revokes herald at X: the next refresh is refused.
  env.auth.RevokeAll();
  REQUIRE(env.WaitFor([&] { return env.Account("acme-x")["connection"]["state"] == "needs_reconnect"; }, 15s));
  CHECK_THAT(env.Metrics(), Catch::Contains("herald_accounts_needing_reconnect 1"));
  int64_t second = env.CreateAndApprove("Waiting for a reconnect #2");
  REQUIRE(env.WaitFor([&] { return env.Post(second).dump().find("needs reconnecting") != std::string::npos; }, 15s));
  json waiting = env.Post(second);
  CHECK(waiting["state"] == "scheduled");
  CHECK(env.Account("acme-x")["paused"]["rule"] == "needs_reconnect");
  CHECK(env.x.Posts().size() == 1);

  // A manager connects it again; the waiting post goes out.
  env.auth.SetExpiresIn(7200);
  env.Connect();
  CHECK(env.Account("acme-x")["connection"]["state"] == "connected");
  CHECK_THAT(env.Metrics(), Catch::Contains("herald_accounts_needing_reconnect 0"));
  REQUIRE(env.WaitFor([&] { return env.Post(second)["state"] == "published"; }, 45s));
  posts = env.x.Posts();
  REQUIRE(posts.size() == 2);
  CHECK(posts[1].bearer == env.auth.LastAccessToken());

  auto audit = env.Keep(env.http->Get("/v1/audit", env.Auth("mona")));
  CHECK_THAT(audit->body, Catch::Contains("account_connected"));
  CHECK(env.daemon->Terminate() == 0);
  env.ExpectNoTokenAnywhere();
}

TEST_CASE("oauth e2e: herald account connect prints the URL and waits for the daemon to receive the callback",
          "[e2e][oauth_e2e]") {
  Env env;
  CHECK(env.Account("acme-x")["connection"]["state"] == "not_connected");
  std::string printed = env.ConnectWithCli("acme-x", env.auth.authorize_url());
  CHECK_THAT(printed, Catch::Contains("Open this URL in a browser signed in to x as the account acme-x"));
  CHECK(env.Account("acme-x")["connection"]["state"] == "connected");
  auto audit = env.Keep(env.http->Get("/v1/audit", env.Auth("mona")));
  CHECK_THAT(audit->body, Catch::Contains("cli"));
  env.ExpectNoTokenAnywhere();
}

TEST_CASE("oauth e2e: a daemon killed after X rotated the refresh token but before herald stored it says "
          "the account needs reconnecting",
          "[e2e][oauth_e2e]") {
  Env env;
  env.auth.SetExpiresIn(10);
  env.Connect();
  // X rotates the refresh token, then its answer is held: the daemon waits
  // for the new tokens it will never store.
  env.auth.server().FailNext({.delay = 6s, .act_then_stall = true, .path_contains = "/2/oauth2/token"});
  REQUIRE(env.WaitFor([&] { return env.auth.Refreshes() >= 1; }, 15s));
  env.daemon->Kill();
  // Restarted, it holds only the refresh token X no longer honours.
  env.Restart("second.log");
  REQUIRE(env.WaitFor([&] { return env.Account("acme-x")["connection"]["state"] == "needs_reconnect"; }, 15s));
  CHECK(env.auth.RefusedRefreshes() == 1);
  CHECK_THAT(env.Account("acme-x")["connection"]["why"].get<std::string>(), Catch::Contains("invalid_request"));
  CHECK_THAT(env.Metrics(), Catch::Contains("herald_accounts_needing_reconnect 1"));
  // Connected again, it works.
  env.auth.SetExpiresIn(7200);
  env.Connect();
  CHECK(env.Account("acme-x")["connection"]["state"] == "connected");
  CHECK(env.daemon->Terminate() == 0);
  env.ExpectNoTokenAnywhere();
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_CASE("oauth e2e: two daemons on one PostgreSQL database refresh a grant once per expiry",
          "[e2e][oauth_e2e][postgres]") {
  Env env(herald::testing::FreshPostgresDatabase("herald_oauth"));
  auto second = env.StartAnother("second.log");
  env.auth.SetExpiresIn(10);
  env.Connect();
  // Both daemons sweep every second; X rotates the refresh token, so two
  // refreshes with the same one would see the second refused.
  REQUIRE(env.WaitFor([&] { return env.auth.Refreshes() >= 2; }, 30s));
  CHECK(env.auth.RefusedRefreshes() == 0);
  CHECK(env.Account("acme-x")["connection"]["state"] == "connected");
  CHECK(second->Terminate() == 0);
  CHECK(env.daemon->Terminate() == 0);
  std::string logs;
  for (const auto& name : env.logs) logs += ReadFileOr(env.dir / name);
  CHECK(Count(logs, "refreshed the access token of account acme-x") == static_cast<size_t>(env.auth.Refreshes()));
  CHECK(Count(logs, "needs reconnecting") == 0);
  env.ExpectNoTokenAnywhere();
}

}  // namespace
