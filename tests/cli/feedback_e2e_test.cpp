// End-to-end: the real daemon and the Mastodon fake, for what a platform's
// signals do to the plan. A 429 with a reset 10 minutes ahead pauses the
// account: its next posts move past the reset with reasons, and no request
// reaches the platform meanwhile. A platform answering 503 again and again
// opens the circuit breaker, visible in /v1/accounts and /metrics, and is left
// alone while it is open.
#include <catch2/catch.hpp>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/time.h"
#include "tests/connectors/fakes/mastodon_fake.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"

namespace {

using namespace std::chrono;
using herald::testing::Daemon;
using herald::testing::TempDir;
using herald::testing::WriteFile;
using nlohmann::json;

struct Env {
  explicit Env(const std::string& mastodon_url) {
    WriteFile(dir / "secrets/token", "mastodon-token\n");
    WriteFile(dir / "policies/acme.yaml", R"(version: 1
organization: acme
timezone: UTC
accounts:
  list:
    - id: acme-toot
      platform: mastodon
      connector:
        base_url: )" + mastodon_url + R"(
        token: file:)" + (dir / "secrets/token") + R"(
frequency:
  default:
    min_spacing: 0s
  max_delay: 48h
  missed_after: 30m
approval: { required: false }
)");
    auto r = herald::testing::RunProcess({HERALD_BINARY, "token", "add", "--org", "acme", "--role", "admin", "--name",
                                          "ada", "--tokens", dir / "tokens.json"});
    REQUIRE(r.exit_code == 0);
    token = r.out.substr(0, r.out.find('\n'));
    WriteFile(dir / "herald.yaml", "listen: 127.0.0.1:0\nstorage: sqlite:" + (dir / "h.db") + "\npolicies: " +
                                       (dir / "policies") + "\ntokens: " + (dir / "tokens.json") + "\noutbox: " +
                                       (dir / "outbox") + "\nlog: { level: info, format: text }\n");
    daemon = std::make_unique<Daemon>(HERALD_BINARY, dir / "herald.yaml", dir.path(), dir / "herald.log");
    http = std::make_unique<httplib::Client>("127.0.0.1", daemon->port());
    http->set_read_timeout(5, 0);
  }

  httplib::Headers Auth() const { return {{"Authorization", "Bearer " + token}}; }

  int64_t Create(const std::string& text, herald::Instant at) {
    json body = {{"account", "acme-toot"}, {"text", text}, {"at", herald::FormatRfc3339(at)}};
    auto r = http->Post("/v1/posts", Auth(), body.dump(), "application/json");
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 201);
    return json::parse(r->body)["id"].get<int64_t>();
  }

  json Get(const std::string& path) {
    auto r = http->Get(path, Auth());
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return json::parse(r->body);
  }

  std::string Metrics() {
    auto r = http->Get("/metrics", Auth());
    REQUIRE(r);
    return r->body;
  }

  TempDir dir;
  std::string token;
  std::unique_ptr<Daemon> daemon;
  std::unique_ptr<httplib::Client> http;
};

bool HasReason(const json& post, const std::string& rule) {
  for (const auto& r : post["decision"]["reasons"])
    if (r["rule"] == rule) return true;
  return false;
}

TEST_CASE("feedback e2e: a 429 with a reset 10 minutes ahead moves the account's posts past it", "[e2e][feedback_e2e]") {
  herald::testing::MastodonFake mastodon;
  auto now = floor<seconds>(system_clock::now());
  herald::Instant reset = now + minutes{10};
  herald::testing::Fault limited;
  limited.status = 429;
  limited.headers = {{"X-RateLimit-Limit", "300"},
                     {"X-RateLimit-Remaining", "0"},
                     {"X-RateLimit-Reset", herald::FormatRfc3339(reset).substr(0, 19) + ".000000Z"}};
  limited.body = R"({"error":"Too many requests"})";
  limited.path_contains = "/api/v1/statuses";
  mastodon.fake().FailNext(limited);
  Env env(mastodon.base_url());

  int64_t first = env.Create("first", now + seconds{2});
  int64_t second = env.Create("second", now + seconds{3});
  int64_t third = env.Create("third", now + seconds{4});

  json p1;
  for (int i = 0; i < 100; ++i) {
    p1 = env.Get("/v1/posts/" + std::to_string(first));
    if (HasReason(p1, "retry_after")) break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(p1.dump());
  REQUIRE(HasReason(p1, "retry_after"));
  CHECK(p1["state"] == "scheduled");
  CHECK(*herald::ParseRfc3339(p1["planned_at"].get<std::string>()) >= reset);
  for (int64_t id : {second, third}) {
    json p = env.Get("/v1/posts/" + std::to_string(id));
    INFO(p.dump());
    CHECK(p["state"] == "scheduled");
    CHECK(*herald::ParseRfc3339(p["planned_at"].get<std::string>()) >= reset);
    CHECK(HasReason(p, "rate_limit"));
  }
  json accounts = env.Get("/v1/accounts");
  INFO(accounts.dump());
  REQUIRE(accounts["items"][0]["paused"].is_object());
  CHECK(accounts["items"][0]["paused"]["rule"] == "rate_limit");
  CHECK(accounts["items"][0]["paused"]["until"] == herald::FormatRfc3339(reset));
  // Past the posts' original times: still only the one request that was answered 429.
  std::this_thread::sleep_for(milliseconds{duration_cast<milliseconds>(now + seconds{6} - system_clock::now()).count()});
  CHECK(mastodon.fake().Count("/api/v1/statuses") == 1);
  CHECK(mastodon.Statuses().empty());
  CHECK(env.Metrics().find("herald_connector_rate_limited_total{connector=\"mastodon\"} 1") != std::string::npos);
}

TEST_CASE("feedback e2e: a platform failing again and again opens the breaker and is left alone", "[e2e][feedback_e2e]") {
  herald::testing::MastodonFake mastodon;
  herald::testing::Fault down;
  down.status = 503;
  down.body = R"({"error":"Service Unavailable"})";
  down.path_contains = "/api/v1/statuses";
  mastodon.fake().FailNext(down, 1000);
  Env env(mastodon.base_url());
  auto now = floor<seconds>(system_clock::now());
  for (int i = 0; i < 6; ++i) env.Create("post " + std::to_string(i), now + seconds{2});

  json accounts;
  for (int i = 0; i < 100; ++i) {
    accounts = env.Get("/v1/accounts");
    if (accounts["items"][0]["connector"]["breaker"] == "open") break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(accounts.dump());
  REQUIRE(accounts["items"][0]["connector"]["breaker"] == "open");
  CHECK(accounts["items"][0]["connector"]["type"] == "mastodon");
  CHECK(accounts["items"][0]["paused"].is_null() == false);
  std::string metrics = env.Metrics();
  CHECK(metrics.find("herald_connector_breaker_open{connector=\"mastodon\"} 1") != std::string::npos);
  CHECK(metrics.find("herald_connector_accounts_breaker_open{connector=\"mastodon\"} 1") != std::string::npos);
  // Open for 60 s: the posts' backoff retries (5-10 s) are deferred, not sent.
  int requests = mastodon.fake().Count("/api/v1/statuses");
  std::this_thread::sleep_for(seconds{12});
  CHECK(mastodon.fake().Count("/api/v1/statuses") == requests);
  bool deferred = false;
  auto list = env.Get("/v1/posts?account=acme-toot");
  for (const auto& p : list["items"]) deferred = deferred || HasReason(p, "circuit_open");
  INFO(list.dump());
  CHECK(deferred);
}

}  // namespace
