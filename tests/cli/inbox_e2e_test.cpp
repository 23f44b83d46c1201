// End-to-end: the real daemon reads the Mastodon fake's mentions every
// second, routes each to its department by the policy's `inbox:` rules,
// stores it once, lists it through the API by department and state, shows
// it overdue after a short answer_within (and counts it in /metrics), and
// lets the right tokens assign, dismiss and reopen it (audited); a 429 on
// reads is waited out; other organisations, missing tokens and bad input
// get 404, 401 and 400. A long run with mentions arriving continuously
// stores each exactly once in bounded memory.
#include <catch2/catch.hpp>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/time.h"
#include "tests/connectors/fakes/mastodon_fake.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"

namespace {

using namespace std::chrono;
using herald::testing::Daemon;
using herald::testing::MastodonFake;
using herald::testing::TempDir;
using herald::testing::WriteFile;
using nlohmann::json;

std::string AddToken(const TempDir& dir, const std::string& org, const std::string& role, const std::string& name) {
  auto r = herald::testing::RunProcess({HERALD_BINARY, "token", "add", "--org", org, "--role", role, "--name", name,
                                        "--tokens", dir / "tokens.json"});
  REQUIRE(r.exit_code == 0);
  return r.out.substr(0, r.out.find('\n'));
}

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
approval: { required: false }
inbox:
  departments:
    - name: legal
      patterns: ['\bgdpr\b']
      read: [manager, admin]
      answer: [admin]
    - name: support
      keywords: [refund, order]
      answer_within: 2s
      approval: none
    - name: general
      answer_within: 1d
  default: general
)");
    admin = AddToken(dir, "acme", "admin", "ada");
    viewer = AddToken(dir, "acme", "viewer", "vic");
    editor = AddToken(dir, "acme", "editor", "eve");
    other_org = AddToken(dir, "globex", "admin", "gus");
    WriteFile(dir / "herald.yaml", "listen: 127.0.0.1:0\nstorage: sqlite:" + (dir / "h.db") + "\npolicies: " +
                                       (dir / "policies") + "\ntokens: " + (dir / "tokens.json") + "\noutbox: " +
                                       (dir / "outbox") + "\nlog: { level: info, format: text }\n" +
                                       "inbox: { read_every: 1s }\nengagement: { enabled: false }\n");
    daemon = std::make_unique<Daemon>(HERALD_BINARY, dir / "herald.yaml", dir.path(), dir / "herald.log");
    http = std::make_unique<httplib::Client>("127.0.0.1", daemon->port());
    http->set_read_timeout(5, 0);
  }

  httplib::Headers Auth(const std::string& bearer) const { return {{"Authorization", "Bearer " + bearer}}; }

  httplib::Result Get(const std::string& path, const std::string& bearer) { return http->Get(path, Auth(bearer)); }
  httplib::Result Post(const std::string& path, const std::string& bearer, const std::string& body = "{}") {
    return http->Post(path, Auth(bearer), body, "application/json");
  }

  json GetJson(const std::string& path, const std::string& bearer) {
    auto r = Get(path, bearer);
    REQUIRE(r);
    INFO(path << ": " << r->body);
    REQUIRE(r->status == 200);
    return json::parse(r->body);
  }

  // Polls until `done` holds for the JSON at `path` (up to `limit`).
  json WaitFor(const std::string& path, const std::function<bool(const json&)>& done, milliseconds limit = 20s) {
    json last;
    for (auto until = steady_clock::now() + limit; steady_clock::now() < until;) {
      last = GetJson(path, admin);
      if (done(last)) return last;
      std::this_thread::sleep_for(100ms);
    }
    INFO(last.dump());
    FAIL("timed out waiting on " << path);
    return last;
  }

  json ItemFrom(const std::string& remote_id) {
    json all = WaitFor("/v1/inbox?limit=200", [&](const json& page) {
      for (const auto& i : page["items"])
        if (i["remote_id"] == remote_id) return true;
      return false;
    });
    for (const auto& i : all["items"])
      if (i["remote_id"] == remote_id) return i;
    return {};
  }

  TempDir dir;
  std::string admin, viewer, editor, other_org;
  std::unique_ptr<Daemon> daemon;
  std::unique_ptr<httplib::Client> http;
};

TEST_CASE("inbox e2e: items read, routed, listed, overdue in /metrics, and handled by the right roles",
          "[e2e][inbox_e2e]") {
  MastodonFake mastodon;
  mastodon.FailNotificationReads(1, seconds{1});  // the first read is refused: waited out
  std::string refund = mastodon.AddMention({"carol@other.social", "Carol", "<p>Where is my <b>REFUND</b>?</p>", "", "en"});
  std::string gdpr = mastodon.AddMention({"dan", "Dan", "<p>A GDPR request</p>", "", "en"});
  std::string hello = mastodon.AddMention({"erin", "Erin", "<p>Hello there</p>", "", ""});
  Env env(mastodon.base_url());

  json support = env.ItemFrom(refund);
  CHECK(support["department"] == "support");
  CHECK(support["state"] == "open");
  CHECK(support["text"] == "Where is my REFUND?");
  CHECK(support["author"] == "@carol@other.social");
  CHECK(support["kind"] == "mention");
  CHECK(env.ItemFrom(gdpr)["department"] == "legal");
  json general = env.ItemFrom(hello);
  CHECK(general["department"] == "general");
  CHECK(mastodon.NotificationReads() >= 2);
  const std::string support_path = "/v1/inbox/" + std::to_string(support["id"].get<int64_t>());
  const std::string general_path = "/v1/inbox/" + std::to_string(general["id"].get<int64_t>());

  // Listed newest first, by department and state.
  json supports = env.GetJson("/v1/inbox?department=support", env.admin);
  REQUIRE(supports["items"].size() == 1);
  CHECK(supports["items"][0]["remote_id"] == refund);
  json all = env.GetJson("/v1/inbox", env.admin);
  REQUIRE(all["items"].size() == 3);
  CHECK(all["items"][0]["id"].get<int64_t>() > all["items"][2]["id"].get<int64_t>());
  json page = env.GetJson("/v1/inbox?limit=2", env.admin);
  REQUIRE(page["items"].size() == 2);
  REQUIRE(page["next_cursor"].is_string());
  json rest = env.GetJson("/v1/inbox?limit=2&cursor=" + page["next_cursor"].get<std::string>(), env.admin);
  CHECK(rest["items"].size() == 1);
  CHECK(rest["next_cursor"].is_null());

  // support's answer_within is 2s: overdue soon, listed and counted.
  json overdue = env.WaitFor("/v1/inbox?overdue=true", [](const json& p) { return p["items"].size() == 1; });
  CHECK(overdue["items"][0]["remote_id"] == refund);
  CHECK(overdue["items"][0]["overdue"] == true);
  auto metrics = env.Get("/metrics", env.admin);
  REQUIRE(metrics);
  CHECK_THAT(metrics->body, Catch::Contains("herald_inbox_overdue{organization=\"acme\",department=\"support\"} 1\n"));
  CHECK_THAT(metrics->body, Catch::Contains("herald_inbox_overdue{organization=\"acme\",department=\"general\"} 0\n"));
  CHECK_THAT(metrics->body,
             Catch::Contains("herald_inbox_items{organization=\"acme\",department=\"legal\",state=\"open\"} 1\n"));
  CHECK_THAT(metrics->body, Catch::Contains("herald_inbox_items_read_total{platform=\"mastodon\"} 3\n"));
  CHECK_THAT(metrics->body, Catch::Contains("herald_inbox_reads_total{platform=\"mastodon\",outcome=\"retry_later\"} 1\n"));
  // The item that became overdue is told once as an event, by the events
  // dispatcher's round (docs/events.md), however many rounds pass.
  json told = env.WaitFor("/v1/events?type=inbox.item_overdue", [](const json& p) { return !p["items"].empty(); });
  std::this_thread::sleep_for(2500ms);
  told = env.GetJson("/v1/events?type=inbox.item_overdue", env.admin);
  REQUIRE(told["items"].size() == 1);
  CHECK(told["items"][0]["data"]["item"]["remote_id"] == refund);
  CHECK(told["items"][0]["data"]["due_at"] == overdue["items"][0]["due_at"]);
  CHECK(metrics->body.find(refund) == std::string::npos);  // aggregates only

  // Roles: a viewer never sees legal's items; an editor may not answer legal.
  json seen = env.GetJson("/v1/inbox", env.viewer);
  CHECK(seen["items"].size() == 2);
  for (const auto& i : seen["items"]) CHECK(i["department"] != "legal");
  const std::string legal_path = "/v1/inbox/" + std::to_string(env.ItemFrom(gdpr)["id"].get<int64_t>());
  CHECK(env.Get("/v1/inbox?department=legal", env.viewer)->status == 403);
  CHECK(env.Get(legal_path, env.viewer)->status == 403);
  CHECK(env.Post(legal_path + "/dismiss", env.editor)->status == 403);
  CHECK(env.Post(support_path + "/assign", env.viewer, R"({"to":"eve"})")->status == 403);

  // States: assign, dismiss, reopen; each audited.
  auto assigned = env.Post(support_path + "/assign", env.editor, R"({"to":"eve"})");
  REQUIRE(assigned);
  INFO(assigned->body);
  REQUIRE(assigned->status == 200);
  CHECK(json::parse(assigned->body)["state"] == "assigned");
  CHECK(json::parse(assigned->body)["assignee"] == "eve");
  CHECK(env.GetJson("/v1/inbox?state=assigned", env.admin)["items"].size() == 1);
  auto dismissed = env.Post(general_path + "/dismiss", env.editor, R"({"note":"spam"})");
  REQUIRE(dismissed->status == 200);
  CHECK(json::parse(dismissed->body)["state"] == "dismissed");
  CHECK(env.Post(general_path + "/dismiss", env.editor)->status == 409);
  CHECK(env.Post(general_path + "/assign", env.editor, R"({"to":"eve"})")->status == 409);
  auto reopened = env.Post(general_path + "/reopen", env.editor);
  REQUIRE(reopened->status == 200);
  CHECK(json::parse(reopened->body)["state"] == "open");
  json audit = env.GetJson("/v1/audit", env.admin);
  std::multiset<std::string> actions;
  for (const auto& e : audit["items"]) actions.insert(e["action"].get<std::string>());
  CHECK(actions.count("inbox_assign") == 1);
  CHECK(actions.count("inbox_dismiss") == 1);
  CHECK(actions.count("inbox_reopen") == 1);

  // Nothing is read twice: the cursor moved past every item.
  std::this_thread::sleep_for(2500ms);
  CHECK(env.GetJson("/v1/inbox", env.admin)["items"].size() == 3);
}

TEST_CASE("inbox e2e: another organisation, no token and bad input on every inbox endpoint", "[e2e][inbox_e2e]") {
  MastodonFake mastodon;
  std::string id = mastodon.AddMention({});
  Env env(mastodon.base_url());
  const std::string item = "/v1/inbox/" + std::to_string(env.ItemFrom(id)["id"].get<int64_t>());

  CHECK(env.GetJson("/v1/inbox", env.other_org)["items"].empty());
  CHECK(env.Get(item, env.other_org)->status == 404);
  CHECK(env.Get("/v1/inbox?account=acme-toot", env.other_org)->status == 404);
  for (const char* action : {"/assign", "/dismiss", "/reopen"}) {
    INFO(action);
    auto theirs = env.Post(item + action, env.other_org, std::string(action) == "/assign" ? R"({"to":"gus"})" : "{}");
    REQUIRE(theirs);
    CHECK(theirs->status == 404);
    auto anonymous = env.http->Post(item + action, "{}", "application/json");
    REQUIRE(anonymous);
    CHECK(anonymous->status == 401);
  }
  CHECK(env.http->Get("/v1/inbox")->status == 401);
  CHECK(env.http->Get(item)->status == 401);

  auto bad_state = env.Get("/v1/inbox?state=closed", env.admin);
  CHECK(bad_state->status == 400);
  CHECK_THAT(bad_state->body, Catch::Contains("\"parameter\":\"state\""));
  CHECK(env.Get("/v1/inbox?overdue=yes", env.admin)->status == 400);
  CHECK(env.Get("/v1/inbox?limit=0", env.admin)->status == 400);
  CHECK(env.Get("/v1/inbox?colour=red", env.admin)->status == 400);
  auto no_to = env.Post(item + "/assign", env.admin, "{}");
  CHECK(no_to->status == 400);
  CHECK_THAT(no_to->body, Catch::Contains("\"pointer\":\"/to\""));
  auto wrong_type = env.Post(item + "/assign", env.admin, R"({"to":7})");
  CHECK(wrong_type->status == 400);
  CHECK_THAT(wrong_type->body, Catch::Contains("\"pointer\":\"/to\""));
  CHECK(env.Post(item + "/dismiss", env.admin, R"({"colour":"red"})")->status == 400);
  CHECK(env.Get("/v1/inbox/abc", env.admin)->status == 404);
  CHECK(env.Get("/v1/inbox/999999", env.admin)->status == 404);
}

int64_t RssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) return std::stoll(line.substr(6));
  }
  return -1;
}

TEST_CASE("inbox e2e long: mentions arriving for 40s are each stored once, in bounded memory",
          "[e2e][inbox_e2e][long]") {
  MastodonFake mastodon;
  Env env(mastodon.base_url());
  std::this_thread::sleep_for(2s);  // settled: the first read is done
  const int64_t rss_start = RssKb(env.daemon->pid());
  REQUIRE(rss_start > 0);
  std::set<std::string> sent;
  int64_t rss_peak = rss_start;
  for (auto until = steady_clock::now() + 40s; steady_clock::now() < until;) {
    for (int i = 0; i < 25; ++i) {
      sent.insert(mastodon.AddMention({"bob", "Bob", "<p>order " + std::to_string(sent.size()) + " is late</p>"}));
    }
    std::this_thread::sleep_for(200ms);
    rss_peak = std::max(rss_peak, RssKb(env.daemon->pid()));
  }
  // Everything arrives, once.
  std::set<std::string> stored;
  size_t total = 0;
  for (auto until = steady_clock::now() + 30s; steady_clock::now() < until && stored.size() < sent.size();) {
    stored.clear();
    total = 0;
    std::string cursor;
    for (;;) {
      json page = env.GetJson("/v1/inbox?limit=200" + (cursor.empty() ? "" : "&cursor=" + cursor), env.admin);
      for (const auto& i : page["items"]) {
        stored.insert(i["remote_id"].get<std::string>());
        ++total;
      }
      if (page["next_cursor"].is_null()) break;
      cursor = page["next_cursor"].get<std::string>();
    }
    if (stored.size() < sent.size()) std::this_thread::sleep_for(500ms);
  }
  INFO("sent " << sent.size() << ", stored " << stored.size() << ", listed " << total << ", rss " << rss_start
               << " kB -> peak " << rss_peak << " kB");
  CHECK(stored == sent);
  CHECK(total == sent.size());  // no duplicates
  // A generous bound: thousands of items pass through; memory must not grow with them.
  CHECK(rss_peak - rss_start < 64 * 1024);
}

}  // namespace
