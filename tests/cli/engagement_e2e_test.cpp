// End-to-end: the real daemon reads a published post's engagement back from
// the Mastodon fake on a short schedule (reads: [1s, 5s]), stores the series,
// shows it through the API (and to nobody else), counts reads in /metrics,
// keeps the schedule across a restart without reading a point twice, stops
// reading a post deleted upstream, and never delays a due publish.
#include <catch2/catch.hpp>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
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

std::string AddToken(const TempDir& dir, const std::string& org, const std::string& name) {
  auto r = herald::testing::RunProcess({HERALD_BINARY, "token", "add", "--org", org, "--role", "viewer", "--name", name,
                                        "--tokens", dir / "tokens.json"});
  REQUIRE(r.exit_code == 0);
  return r.out.substr(0, r.out.find('\n'));
}

struct Env {
  explicit Env(const std::string& mastodon_url, const std::string& reads = "[1s, 5s]") {
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
    other_org_token = AddToken(dir, "globex", "gus");
    WriteFile(dir / "herald.yaml", "listen: 127.0.0.1:0\nstorage: sqlite:" + (dir / "h.db") + "\npolicies: " +
                                       (dir / "policies") + "\ntokens: " + (dir / "tokens.json") + "\noutbox: " +
                                       (dir / "outbox") + "\nlog: { level: info, format: text }\n" +
                                       "engagement: { reads: " + reads + " }\n");
    Start();
  }

  void Start() {
    daemon = std::make_unique<Daemon>(HERALD_BINARY, dir / "herald.yaml", dir.path(), dir / "herald.log");
    http = std::make_unique<httplib::Client>("127.0.0.1", daemon->port());
    http->set_read_timeout(5, 0);
  }

  httplib::Headers Auth(const std::string& bearer) const { return {{"Authorization", "Bearer " + bearer}}; }

  int64_t Create(const std::string& text, herald::Instant at, std::vector<std::string> labels = {}) {
    json body = {{"account", "acme-toot"}, {"text", text}, {"at", herald::FormatRfc3339(at)}, {"labels", labels}};
    auto r = http->Post("/v1/posts", Auth(token), body.dump(), "application/json");
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 201);
    return json::parse(r->body)["id"].get<int64_t>();
  }

  httplib::Result Raw(const std::string& path, const std::string& bearer) { return http->Get(path, Auth(bearer)); }

  json Get(const std::string& path) {
    auto r = Raw(path, token);
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 200);
    return json::parse(r->body);
  }

  // Polls until `done` holds for the JSON at `path` (up to `limit`).
  json WaitFor(const std::string& path, const std::function<bool(const json&)>& done, milliseconds limit = 15s) {
    json last;
    for (auto until = steady_clock::now() + limit; steady_clock::now() < until;) {
      last = Get(path);
      if (done(last)) return last;
      std::this_thread::sleep_for(100ms);
    }
    INFO(last.dump());
    FAIL("timed out waiting on " << path);
    return last;
  }

  TempDir dir;
  std::string token;
  std::string other_org_token;
  std::unique_ptr<Daemon> daemon;
  std::unique_ptr<httplib::Client> http;
};

TEST_CASE("engagement e2e: reads on schedule, series through the API, one read per point across a restart",
          "[e2e][engagement_e2e]") {
  herald::testing::MastodonFake mastodon;
  Env env(mastodon.base_url());
  auto now = floor<seconds>(system_clock::now());
  int64_t id = env.Create("counting on you", now + seconds{1}, {"promo"});
  const std::string post = "/v1/posts/" + std::to_string(id);
  json published = env.WaitFor(post, [](const json& p) { return p["state"] == "published"; });
  const std::string remote_id = published["remote_id"];
  mastodon.SetCounts(remote_id, 1, 2, 3);

  json series = env.WaitFor(post + "/engagement", [](const json& e) { return e["series"].size() >= 1; });
  REQUIRE(series["series"][0]["outcome"] == "read");
  CHECK(series["series"][0]["point"] == 0);
  CHECK(series["series"][0]["counts"] == json{{"replies", 1}, {"reposts", 2}, {"likes", 3}, {"quotes", nullptr},
                                              {"bookmarks", nullptr}, {"views", nullptr}});
  CHECK(series["series"][0]["interactions"] == 6);
  CHECK(series["not_available"] == json{"quotes", "bookmarks", "views"});
  CHECK(series["platform"] == "mastodon");

  // The daemon stops before the second read and starts again: the next read
  // comes from the stored series, not from memory.
  REQUIRE(env.daemon->Terminate() == 0);
  mastodon.SetCounts(remote_id, 4, 5, 6);
  env.Start();
  // A post due about when the second read is: published on time all the same.
  auto due_at = floor<seconds>(system_clock::now()) + seconds{2};
  int64_t due = env.Create("due while reading", due_at);
  series = env.WaitFor(post + "/engagement", [](const json& e) { return e["series"].size() >= 2; });
  INFO(series.dump());
  REQUIRE(series["series"].size() == 2);
  CHECK(series["series"][1]["point"] == 1);
  CHECK(series["series"][1]["counts"]["likes"] == 6);
  CHECK(series["series"][1]["interactions"] == 15);
  CHECK(series["next_read"].is_null());  // the last point was the last
  // Exactly one request per point, and none after the last.
  std::this_thread::sleep_for(1500ms);
  CHECK(mastodon.fake().Count("/api/v1/statuses/" + remote_id) == 2);
  CHECK(env.Get(post + "/engagement")["series"].size() == 2);

  json due_post = env.WaitFor("/v1/posts/" + std::to_string(due), [](const json& p) { return p["state"] == "published"; });
  auto published_at = herald::ParseRfc3339(due_post["published_at"].get<std::string>());
  REQUIRE(published_at);
  CHECK(*published_at <= due_at + seconds{1});

  json rollup = env.Get("/v1/engagement?account=acme-toot&label=promo");
  INFO(rollup.dump());
  CHECK(rollup["totals"]["posts"] == 1);
  CHECK(rollup["totals"]["interactions"] == 15);
  CHECK(rollup["by_account"]["acme-toot"]["interactions_per_post"] == 15.0);
  CHECK(rollup["by_label"]["promo"]["posts"] == 1);
  CHECK(rollup["promotional"]["posts"] == 1);
  CHECK(rollup["other"]["posts"] == 0);
  // Without the label, the due post counts among "other" once it has been read.
  json all = env.Get("/v1/engagement");
  CHECK(all["promotional"]["interactions"] == 15);

  auto metrics = env.Raw("/metrics", env.token);
  REQUIRE(metrics);
  // This run made A's second read (and maybe the due post's first).
  CHECK(metrics->body.find("herald_engagement_reads_total{platform=\"mastodon\",outcome=\"read\"} ") !=
        std::string::npos);
  // Aggregates only: every engagement sample is by platform and outcome, none by post.
  std::istringstream lines(metrics->body);
  int samples = 0;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("herald_engagement")) continue;
    INFO(line);
    CHECK(std::regex_match(line, std::regex(R"(herald_engagement_reads_total\{platform="[a-z_]+",outcome="[a-z_]+"\} \d+)")));
    ++samples;
  }
  CHECK(samples >= 1);
}

TEST_CASE("engagement e2e: another organisation, no token and bad parameters", "[e2e][engagement_e2e]") {
  herald::testing::MastodonFake mastodon;
  Env env(mastodon.base_url());
  int64_t id = env.Create("mine", floor<seconds>(system_clock::now()) + seconds{1});
  const std::string path = "/v1/posts/" + std::to_string(id) + "/engagement";

  auto theirs = env.Raw(path, env.other_org_token);
  REQUIRE(theirs);
  CHECK(theirs->status == 404);
  auto theirs_rollup = env.Raw("/v1/engagement?account=acme-toot", env.other_org_token);
  REQUIRE(theirs_rollup);
  CHECK(theirs_rollup->status == 404);
  auto their_totals = env.Raw("/v1/engagement", env.other_org_token);
  REQUIRE(their_totals);
  CHECK(their_totals->status == 200);
  CHECK(json::parse(their_totals->body)["totals"]["posts"] == 0);

  auto anonymous = env.http->Get(path);
  REQUIRE(anonymous);
  CHECK(anonymous->status == 401);

  for (auto [query, parameter] : {std::pair{"from=yesterday", "from"}, {"to=2026-01-01", "to"}, {"colour=blue", "colour"},
                                  {"from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "to"}}) {
    auto bad = env.Raw("/v1/engagement?" + std::string(query), env.token);
    REQUIRE(bad);
    INFO(query << ": " << bad->body);
    CHECK(bad->status == 400);
    CHECK(json::parse(bad->body)["errors"][0]["parameter"] == parameter);
  }
  auto not_a_post = env.Raw("/v1/posts/abc/engagement", env.token);
  REQUIRE(not_a_post);
  CHECK(not_a_post->status == 404);
}

TEST_CASE("engagement e2e: a post deleted upstream is read once as gone, then left alone", "[e2e][engagement_e2e]") {
  herald::testing::MastodonFake mastodon;
  Env env(mastodon.base_url(), "[1s, 2s]");
  int64_t id = env.Create("soon gone", floor<seconds>(system_clock::now()) + seconds{1});
  const std::string post = "/v1/posts/" + std::to_string(id);
  json published = env.WaitFor(post, [](const json& p) { return p["state"] == "published"; });
  const std::string remote_id = published["remote_id"];
  mastodon.Delete(remote_id);
  json series = env.WaitFor(post + "/engagement", [](const json& e) { return e["series"].size() >= 1; });
  INFO(series.dump());
  CHECK(series["series"][0]["outcome"] == "gone");
  CHECK(series["gone"] == true);
  CHECK(series["next_read"].is_null());
  std::this_thread::sleep_for(2500ms);  // past the second point
  CHECK(mastodon.fake().Count("/api/v1/statuses/" + remote_id) == 1);
  CHECK(env.Get(post + "/engagement")["series"].size() == 1);
  auto metrics = env.Raw("/metrics", env.token);
  REQUIRE(metrics);
  CHECK(metrics->body.find("herald_engagement_reads_total{platform=\"mastodon\",outcome=\"gone\"} 1") !=
        std::string::npos);
}

}  // namespace
