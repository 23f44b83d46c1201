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
#include <cstdio>
#include <sys/wait.h>
#include <thread>

#include "core/time.h"
#include "tests/connectors/fakes/x_fake.h"
#include "tests/connectors/fakes/x_oauth_fake.h"
#include "tests/support/daemon.h"
#include "tests/support/pg_database.h"
#include "tests/support/process.h"

namespace {

using namespace std::chrono;
using herald::testing::Daemon;
using herald::testing::ReadFileOr;
using herald::testing::TempDir;
using herald::testing::WriteFile;
using herald::testing::XFake;
using herald::testing::XOAuthFake;
using nlohmann::json;

const std::string kClientId = "herald-e2e-client";
const std::string kClientSecret = "herald-e2e-secret-7d41c2";
const std::string kRedirect = "https://herald.example.org/v1/oauth/callback";

std::string Policy(const std::string& org, const std::string& account, const std::string& x_base) {
  return R"(version: 1
organization: )" + org + R"(
timezone: UTC
accounts:
  list:
    - id: )" + account + R"(
      platform: x
      connector:
        base_url: )" + x_base + R"(
        auth: oauth
frequency:
  default:
    min_spacing: 0s
  max_delay: 48h
  missed_after: 30m
approval: { required: true, approvers: [manager], four_eyes: true }
)";
}

struct Env {
  // `storage`: the daemons' store (default: SQLite in the folder).
  explicit Env(std::string storage = "") {
    if (storage.empty()) storage = "sqlite:" + (dir / "h.db");
    x.AcceptTokens([this](const std::string& token) { return auth.ValidAccess(token); });
    WriteFile(dir / "secrets/client-secret", kClientSecret + "\n");
    WriteFile(dir / "secrets/token-key", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
    WriteFile(dir / "policies/acme.yaml", Policy("acme", "acme-x", x.base_url()));
    WriteFile(dir / "policies/globex.yaml", Policy("globex", "globex-x", x.base_url()));
    for (auto [org, role, name] : {std::tuple{"acme", "editor", "alice"}, {"acme", "manager", "mona"},
                                   {"globex", "manager", "gina"}}) {
      auto r = herald::testing::RunProcess({HERALD_BINARY, "token", "add", "--org", org, "--role", role, "--name",
                                            name, "--tokens", dir / "tokens.json"});
      REQUIRE(r.exit_code == 0);
      tokens[name] = r.out.substr(0, r.out.find('\n'));
    }
    WriteFile(dir / "herald.yaml", "listen: 127.0.0.1:0\nstorage: " + storage + "\npolicies: " +
                                       (dir / "policies") + "\ntokens: " + (dir / "tokens.json") + "\noutbox: " +
                                       (dir / "outbox") + "\nlog: { level: info, format: json }\nshutdown_grace: 5s\n" +
                                       "token_keys:\n  current: k1\n  keys:\n    k1: file:" + (dir / "secrets/token-key") +
                                       "\noauth:\n  x:\n    client_id: " + kClientId + "\n    client_secret: file:" +
                                       (dir / "secrets/client-secret") + "\n    redirect_uri: " + kRedirect +
                                       "\n    authorize_url: " + auth.authorize_url() + "\n    token_url: " +
                                       auth.token_url() + "\n");
    daemon = std::make_unique<Daemon>(HERALD_BINARY, dir / "herald.yaml", dir.path(), dir / "herald.log");
    http = std::make_unique<httplib::Client>("127.0.0.1", daemon->port());
    http->set_read_timeout(10, 0);
  }

  httplib::Headers Auth(const std::string& who) const { return {{"Authorization", "Bearer " + tokens.at(who)}}; }

  // Every answer is kept, to be searched for tokens at the end.
  httplib::Result Keep(httplib::Result r) {
    REQUIRE(r);
    answers.push_back(r->body);
    for (const auto& [name, value] : r->headers) answers.push_back(name + ": " + value);
    return r;
  }

  httplib::Result StartConnect(const std::string& account, const std::string& who) {
    httplib::Headers headers = who.empty() ? httplib::Headers{} : Auth(who);
    return Keep(http->Post("/v1/accounts/" + account + "/connect", headers, "", "application/json"));
  }

  httplib::Result Callback(const std::map<std::string, std::string>& query, const std::string& accept = "") {
    httplib::Params params(query.begin(), query.end());
    params.erase("redirect_to");
    httplib::Headers headers;
    if (!accept.empty()) headers.emplace("Accept", accept);
    return Keep(http->Get("/v1/oauth/callback", params, headers));
  }

  // A full connect of acme-x by the manager, through the fake's authorize page.
  void Connect() {
    auto started = StartConnect("acme-x", "mona");
    INFO(started->body);
    REQUIRE(started->status == 200);
    auto redirect = XOAuthFake::Authorize(json::parse(started->body)["authorization_url"].get<std::string>());
    REQUIRE(redirect.contains("code"));
    auto done = Callback(redirect);
    INFO(done->body);
    REQUIRE(done->status == 200);
  }

  json Account(const std::string& id) {
    auto r = Keep(http->Get("/v1/accounts", Auth("mona")));
    const json page = json::parse(r->body);  // a local: iterating a member of a temporary would dangle
    for (const auto& a : page["items"])
      if (a["id"] == id) return a;
    FAIL("no account " << id << " in " << r->body);
    return {};
  }

  std::string Metrics() { return Keep(http->Get("/metrics", Auth("mona")))->body; }

  int64_t CreateAndApprove(const std::string& text) {
    json body = {{"account", "acme-x"}, {"text", text},
                 {"at", herald::FormatRfc3339(floor<seconds>(system_clock::now()) + seconds{2})}};
    auto created = Keep(http->Post("/v1/posts", Auth("alice"), body.dump(), "application/json"));
    INFO(created->body);
    REQUIRE(created->status == 201);
    int64_t id = json::parse(created->body)["id"].get<int64_t>();
    auto approved = Keep(http->Post("/v1/posts/" + std::to_string(id) + "/approve", Auth("mona"), "", "application/json"));
    INFO(approved->body);
    REQUIRE(approved->status == 200);
    return id;
  }

  json Post(int64_t id) { return json::parse(Keep(http->Get("/v1/posts/" + std::to_string(id), Auth("mona")))->body); }

  // Polls `done` every 100 ms for up to `limit`.
  template <class F>
  bool WaitFor(F done, milliseconds limit) {
    for (auto end = steady_clock::now() + limit; steady_clock::now() < end; std::this_thread::sleep_for(100ms))
      if (done()) return true;
    return done();
  }

  // Another daemon on the same config (and store), logging to `log`.
  std::unique_ptr<Daemon> StartAnother(const std::string& log) {
    return std::make_unique<Daemon>(HERALD_BINARY, dir / "herald.yaml", dir.path(), dir / log);
  }

  void ExpectNoTokenAnywhere() {
    std::string log = ReadFileOr(dir / "herald.log") + ReadFileOr(dir / "second.log");
    auto all = auth.AllTokens();
    REQUIRE(all.size() >= 2);
    for (const auto& secret : all) {
      INFO("token " << secret.substr(0, 8) << "...");
      CHECK(log.find(secret) == std::string::npos);
      for (const auto& a : answers) CHECK(a.find(secret) == std::string::npos);
    }
    CHECK(log.find(kClientSecret) == std::string::npos);
    for (const auto& a : answers) CHECK(a.find(kClientSecret) == std::string::npos);
  }

  XFake x{"the-static-token-is-not-used"};
  XOAuthFake auth{kClientId, kClientSecret};
  TempDir dir;
  std::map<std::string, std::string> tokens;
  std::unique_ptr<Daemon> daemon;
  std::unique_ptr<httplib::Client> http;
  std::vector<std::string> answers;
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
  std::string command = std::string(HERALD_BINARY) + " account connect acme-x --config '" + (env.dir / "herald.yaml") +
                        "' 2>'" + (env.dir / "connect.err") + "'";
  FILE* cli = popen(command.c_str(), "r");
  REQUIRE(cli != nullptr);
  std::string printed, url;
  char line[4096];
  while (url.empty() && fgets(line, sizeof line, cli) != nullptr) {
    printed += line;
    std::string text = line;
    if (text.starts_with(env.auth.authorize_url())) url = text.substr(0, text.find('\n'));
  }
  REQUIRE_FALSE(url.empty());
  CHECK_THAT(printed, Catch::Contains("Open this URL in a browser signed in to x as the account acme-x"));
  CHECK(env.Account("acme-x")["connection"]["state"] == "not_connected");
  auto redirect = XOAuthFake::Authorize(url);
  auto done = env.Callback(redirect);
  INFO(done->body);
  REQUIRE(done->status == 200);
  while (fgets(line, sizeof line, cli) != nullptr) printed += line;
  int status = pclose(cli);
  INFO(printed << ReadFileOr(env.dir / "connect.err"));
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_THAT(printed, Catch::Contains("account acme-x connected"));
  CHECK(env.Account("acme-x")["connection"]["state"] == "connected");
  auto audit = env.Keep(env.http->Get("/v1/audit", env.Auth("mona")));
  CHECK_THAT(audit->body, Catch::Contains("cli"));
  env.answers.push_back(printed);
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
  env.daemon = env.StartAnother("second.log");
  env.http = std::make_unique<httplib::Client>("127.0.0.1", env.daemon->port());
  env.http->set_read_timeout(10, 0);
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
  std::string logs = ReadFileOr(env.dir / "herald.log") + ReadFileOr(env.dir / "second.log");
  CHECK(Count(logs, "refreshed the access token of account acme-x") == static_cast<size_t>(env.auth.Refreshes()));
  CHECK(Count(logs, "needs reconnecting") == 0);
  env.ExpectNoTokenAnywhere();
}

}  // namespace
