// End-to-end: the real `herald serve` on a free loopback port with a temporary
// SQLite file and outbox: the full workflow over HTTP, signals, reload, and
// kill -9 at random moments under load.
#include <catch2/catch.hpp>
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "api/tokens.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/sqlite_exec.h"

namespace {

using namespace std::chrono;
using herald::testing::Daemon;
using herald::testing::ReadFileOr;
using herald::testing::TempDir;
using herald::testing::WriteFile;
using nlohmann::json;

const char* kPolicy = R"(version: 1
organization: acme
timezone: UTC
accounts:
  list:
    - id: acme-blog
      platform: file           # no platform preset: the kill test publishes hundreds of posts
      connector: { type: file }
frequency:
  default:
    min_spacing: 0s
  max_delay: 48h
  missed_after: 30m
approval: { required: APPROVAL, approvers: [manager, admin], four_eyes: true }
)";

std::string Policy(bool approval, const std::string& extra = "") {
  std::string p = kPolicy;
  p.replace(p.find("APPROVAL"), 8, approval ? "true" : "false");
  return p + extra;
}

struct Env {
  explicit Env(bool approval = true) {
    WriteFile(dir / "policies/acme.yaml", Policy(approval));
    WriteFile(dir / "policies/globex.yaml",
              "version: 1\norganization: globex\ntimezone: UTC\naccounts:\n  list:\n    - { id: globex-blog, "
              "platform: mastodon, connector: { type: file } }\n");
    for (auto [org, role, name] : {std::tuple{"acme", "editor", "alice"}, {"acme", "manager", "mona"},
                                   {"globex", "admin", "gus"}}) {
      auto r = herald::testing::RunProcess({HERALD_BINARY, "token", "add", "--org", org, "--role", role, "--name",
                                            name, "--tokens", dir / "tokens.json"});
      REQUIRE(r.exit_code == 0);
      tokens[name] = r.out.substr(0, r.out.find('\n'));
    }
    WriteFile(dir / "herald.yaml", "listen: 127.0.0.1:0\nstorage: sqlite:" + (dir / "h.db") + "\npolicies: " +
                                       (dir / "policies") + "\ntokens: " + (dir / "tokens.json") +
                                       "\noutbox: " + (dir / "outbox") + "\nlog: { level: info, format: json }\n"
                                       "shutdown_grace: 5s\npolicy_poll: 1s\n");
  }
  std::unique_ptr<Daemon> Start() {
    return std::make_unique<Daemon>(HERALD_BINARY, dir / "herald.yaml", dir.path(), dir / "herald.log");
  }
  httplib::Headers Auth(const std::string& who) const { return {{"Authorization", "Bearer " + tokens.at(who)}}; }
  std::vector<json> Outbox() const {
    std::vector<json> lines;
    std::istringstream in(ReadFileOr(dir / "outbox/acme-blog.jsonl"));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(json::parse(line));
    }
    return lines;
  }

  // Alice's post on acme-blog, due at once (no approval needed): its path.
  std::string CreateNow(httplib::Client& http, const std::string& text) const {
    json body = {{"account", "acme-blog"}, {"text", text}};
    auto created = http.Post("/v1/posts", Auth("alice"), body.dump(), "application/json");
    REQUIRE(created);
    REQUIRE(created->status == 201);
    return "/v1/posts/" + std::to_string(json::parse(created->body)["id"].get<int64_t>());
  }
  // The post at `path` once it is `state`, or as it is after 10 s.
  json WaitFor(httplib::Client& http, const std::string& path, const std::string& state) const {
    json post;
    for (int i = 0; i < 100; ++i) {
      std::this_thread::sleep_for(100ms);
      post = json::parse(http.Get(path, Auth("alice"))->body);
      if (post["state"] == state) break;
    }
    return post;
  }
  // How often the daemon's log says `what`.
  int LogCount(const std::string& what) const {
    std::string log = ReadFileOr(dir / "herald.log");
    int n = 0;
    for (size_t at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) ++n;
    return n;
  }

  TempDir dir;
  std::map<std::string, std::string> tokens;
};

std::string Rfc3339(system_clock::time_point t) {
  return herald::FormatRfc3339(floor<seconds>(t));
}

TEST_CASE("serve: create, approve and see a post published into the outbox", "[serve][e2e]") {
  Env env;
  auto daemon = env.Start();
  httplib::Client http("127.0.0.1", daemon->port());
  http.set_read_timeout(5, 0);

  auto health = http.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);

  json body = {{"account", "acme-blog"}, {"text", "Hello from the e2e test"}, {"at", Rfc3339(system_clock::now() + 2s)}};
  auto created = http.Post("/v1/posts", env.Auth("alice"), body.dump(), "application/json");
  REQUIRE(created);
  INFO(created->body);
  REQUIRE(created->status == 201);
  json post = json::parse(created->body);
  CHECK(post["state"] == "pending_approval");
  const int64_t id = post["id"];

  auto self = http.Post("/v1/posts/" + std::to_string(id) + "/approve", env.Auth("alice"), "", "application/json");
  REQUIRE(self);
  CHECK(self->status == 403);
  auto other_org = http.Get("/v1/posts/" + std::to_string(id), env.Auth("gus"));
  REQUIRE(other_org);
  CHECK(other_org->status == 404);

  auto approved = http.Post("/v1/posts/" + std::to_string(id) + "/approve", env.Auth("mona"), "", "application/json");
  REQUIRE(approved);
  INFO(approved->body);
  REQUIRE(approved->status == 200);
  CHECK(json::parse(approved->body)["state"] == "scheduled");

  json got;
  for (int i = 0; i < 100; ++i) {
    auto r = http.Get("/v1/posts/" + std::to_string(id), env.Auth("mona"));
    REQUIRE(r);
    got = json::parse(r->body);
    if (got["state"] == "published") break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(ReadFileOr(env.dir / "herald.log"));
  REQUIRE(got["state"] == "published");
  auto outbox = env.Outbox();
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0]["id"] == id);
  CHECK(outbox[0]["text"] == "Hello from the e2e test");
  CHECK(outbox[0]["platform"] == "file");

  auto metrics = http.Get("/metrics", env.Auth("mona"));
  REQUIRE(metrics);
  CHECK(metrics->body.find("herald_posts{state=\"published\"} 1\n") != std::string::npos);
  CHECK(metrics->body.find("herald_publishes_total{outcome=\"published\"} 1\n") != std::string::npos);
  CHECK(metrics->body.find("herald_publish_lateness_seconds_count 1\n") != std::string::npos);

  CHECK(daemon->Terminate() == 0);
}

TEST_CASE("serve: a broken policy change keeps the previous policy and reports it, and a good one applies", "[serve][e2e]") {
  Env env;
  auto daemon = env.Start();
  httplib::Client http("127.0.0.1", daemon->port());
  WriteFile(env.dir / "policies/acme.yaml", Policy(true) + "bogus_key: 1\n");
  json policy;
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(100ms);
    policy = json::parse(http.Get("/v1/policy", env.Auth("mona"))->body);
    if (!policy["last_reload_errors"].empty()) break;
  }
  INFO(policy.dump());
  REQUIRE(policy["last_reload_errors"].size() == 1);
  CHECK(policy["last_reload_errors"][0].get<std::string>().find("acme.yaml:15:1: bogus_key: unknown key") !=
        std::string::npos);
  // Still serving with the old policy.
  json body = {{"account", "acme-blog"}, {"text", "still works"}};
  CHECK(http.Post("/v1/posts", env.Auth("alice"), body.dump(), "application/json")->status == 201);

  WriteFile(env.dir / "policies/acme.yaml", Policy(false));
  daemon->Signal(SIGHUP);
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(100ms);
    policy = json::parse(http.Get("/v1/policy", env.Auth("mona"))->body);
    if (policy["last_reload_errors"].empty()) break;
  }
  CHECK(policy["last_reload_errors"].empty());
  auto created = http.Post("/v1/posts", env.Auth("alice"), body.dump(), "application/json");
  CHECK(json::parse(created->body)["state"] == "scheduled");  // no approval needed any more
  CHECK(daemon->Terminate() == 0);
}

TEST_CASE("serve: a token added while running works without a restart, and a broken tokens file keeps the old ones", "[serve][e2e]") {
  Env env;
  auto daemon = env.Start();
  httplib::Client http("127.0.0.1", daemon->port());
  auto added = herald::testing::RunProcess({HERALD_BINARY, "token", "add", "--org", "acme", "--role", "viewer",
                                            "--name", "vera", "--tokens", env.dir / "tokens.json"});
  REQUIRE(added.exit_code == 0);
  const std::string vera = added.out.substr(0, added.out.find('\n'));
  const httplib::Headers as_vera{{"Authorization", "Bearer " + vera}};
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {  // policy_poll is 1 s
    std::this_thread::sleep_for(100ms);
    status = http.Get("/v1/posts", as_vera)->status;
  }
  CHECK(status == 200);

  // A file that does not parse: everyone who could call keeps calling.
  const std::string good = ReadFileOr(env.dir / "tokens.json");
  WriteFile(env.dir / "tokens.json", good.substr(0, good.size() / 2));
  daemon->Signal(SIGHUP);
  bool reported = false;
  for (int i = 0; i < 50 && !reported; ++i) {
    std::this_thread::sleep_for(100ms);
    reported = ReadFileOr(env.dir / "herald.log").find("previous tokens stay active") != std::string::npos;
  }
  CHECK(reported);
  CHECK(http.Get("/v1/posts", as_vera)->status == 200);
  CHECK(http.Get("/v1/posts", env.Auth("alice"))->status == 200);

  // A good file without vera takes her token away, and only hers.
  json without = json::parse(good);
  auto& list = without["tokens"];
  list.erase(std::remove_if(list.begin(), list.end(), [](const json& t) { return t["name"] == "vera"; }), list.end());
  REQUIRE(list.size() == 3);
  WriteFile(env.dir / "tokens.json", without.dump());
  for (int i = 0; i < 50 && status != 401; ++i) {
    std::this_thread::sleep_for(100ms);
    status = http.Get("/v1/posts", as_vera)->status;
  }
  CHECK(status == 401);
  CHECK(http.Get("/v1/posts", env.Auth("alice"))->status == 200);
  CHECK(daemon->Terminate() == 0);
}

TEST_CASE("serve: an outcome the store cannot take yet is kept and settled when it can, and sent once", "[serve][e2e]") {
  Env env(/*approval=*/false);
  auto daemon = env.Start();
  httplib::Client http("127.0.0.1", daemon->port());
  // Claims go through; only recording the publication fails, as with a disk
  // that fills up between the claim and the answer.
  herald::testing::ExecSqlite(env.dir / "h.db", herald::testing::FailPostUpdates("NEW.state = 'published'"));
  const std::string path = env.CreateNow(http, "kept until it is written");

  int retries = 0;
  for (int i = 0; i < 100 && retries < 2; ++i) {
    std::this_thread::sleep_for(100ms);
    retries = env.LogCount("injected write failure");
  }
  INFO(ReadFileOr(env.dir / "herald.log"));
  REQUIRE(retries >= 2);
  CHECK(json::parse(http.Get(path, env.Auth("alice"))->body)["state"] == "publishing");
  CHECK(env.Outbox().size() == 1);

  herald::testing::ExecSqlite(env.dir / "h.db", herald::testing::kStopFailingPostUpdates);
  json post = env.WaitFor(http, path, "published");
  INFO(post.dump());
  CHECK(post["state"] == "published");
  CHECK(post["remote_id"].is_string());
  CHECK(env.Outbox().size() == 1);
  CHECK(daemon->Terminate() == 0);
}

TEST_CASE("serve: claims the store refuses are tried again with a backoff, not in a spin", "[serve][e2e]") {
  Env env(/*approval=*/false);
  auto daemon = env.Start();
  httplib::Client http("127.0.0.1", daemon->port());
  herald::testing::ExecSqlite(env.dir / "h.db", herald::testing::FailPostUpdates("NEW.state = 'publishing'"));
  const std::string path = env.CreateNow(http, "due at once, claimed later");

  std::this_thread::sleep_for(2s);
  int failures = env.LogCount("claiming due posts failed");
  INFO(ReadFileOr(env.dir / "herald.log").substr(0, 4000));
  // 100 ms doubling: about five tries in two seconds (a spin made thousands).
  CHECK(failures >= 2);
  CHECK(failures <= 12);
  CHECK(json::parse(http.Get(path, env.Auth("alice"))->body)["state"] == "scheduled");
  CHECK(http.Get("/healthz")->status == 200);

  herald::testing::ExecSqlite(env.dir / "h.db", herald::testing::kStopFailingPostUpdates);
  json post = env.WaitFor(http, path, "published");
  INFO(post.dump());
  CHECK(post["state"] == "published");
  CHECK(env.Outbox().size() == 1);
  CHECK(daemon->Terminate() == 0);
}

TEST_CASE("serve: kill -9 at random moments loses no acknowledged post and writes none twice", "[serve][e2e][kill]") {
  Env env(/*approval=*/false);
  std::mt19937 rng(12345);
  std::set<int64_t> acknowledged;
  const int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    auto daemon = env.Start();
    std::atomic<bool> stop{false};
    std::vector<int64_t> acked;
    std::thread client([&] {
      httplib::Client http("127.0.0.1", daemon->port());
      http.set_connection_timeout(1, 0);
      http.set_read_timeout(2, 0);
      // Bounded so the backlog a final start must publish stays small.
      for (int i = 0; !stop && i < 120; ++i) {
        json body = {{"account", "acme-blog"}, {"text", "round " + std::to_string(round) + " post " + std::to_string(i)}};
        auto r = http.Post("/v1/posts", env.Auth("alice"), body.dump(), "application/json");
        if (!r) break;  // the daemon died
        if (r->status == 201) acked.push_back(json::parse(r->body)["id"].get<int64_t>());
      }
    });
    std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(30, 400)(rng)));
    daemon->Kill();
    stop = true;
    client.join();
    acknowledged.insert(acked.begin(), acked.end());
  }
  REQUIRE(acknowledged.size() > 100);

  // A last start recovers everything and publishes what is due.
  auto daemon = env.Start();
  httplib::Client http("127.0.0.1", daemon->port());
  std::map<int64_t, std::string> states;
  for (int attempt = 0; attempt < 600; ++attempt) {
    states.clear();
    std::string cursor;
    while (true) {
      auto r = http.Get("/v1/posts?limit=200" + (cursor.empty() ? "" : "&cursor=" + cursor), env.Auth("mona"));
      REQUIRE(r);
      REQUIRE(r->status == 200);
      json page = json::parse(r->body);
      for (const auto& p : page["items"]) states[p["id"].get<int64_t>()] = p["state"];
      if (page["next_cursor"].is_null()) break;
      cursor = page["next_cursor"];
    }
    bool settled = true;
    for (auto& [id, st] : states) settled &= st != "scheduled" && st != "publishing";
    if (settled) break;
    std::this_thread::sleep_for(100ms);
  }
  for (auto& [id, st] : states) {
    if (st == "scheduled") {
      auto r = http.Get("/v1/posts/" + std::to_string(id), env.Auth("mona"));
      FAIL_CHECK("still scheduled: " << r->body << "\nlog (end):\n" << ReadFileOr(env.dir / "herald.log").substr(0, 3000));
      break;
    }
  }
  for (int64_t id : acknowledged) {
    INFO("post " << id);
    REQUIRE(states.count(id) == 1);  // no acknowledged post lost
    CHECK(states[id] == "published");
  }
  std::map<int64_t, int> written;
  for (const auto& line : env.Outbox()) ++written[line["id"].get<int64_t>()];
  for (auto& [id, n] : written) {
    INFO("post " << id);
    CHECK(n == 1);  // never written twice
    CHECK(states.count(id) == 1);
  }
  for (auto& [id, st] : states) {
    if (st == "published") CHECK(written.count(id) == 1);
  }
  CHECK(daemon->Terminate() == 0);
}

}  // namespace
