// End-to-end: the real daemon reads the Mastodon fake's mentions every
// second, routes each to its department by the policy's `inbox:` rules,
// stores it once, lists it through the API by department and state, shows
// it overdue after a short answer_within (and counts it in /metrics), and
// lets the right tokens assign, dismiss and reopen it (audited) and answer
// it (a threaded reply the fake receives once, through the content rules,
// the department's approval and past a full daily cap); a 429 on reads is
// waited out; other organisations, missing tokens and bad input get 404,
// 401 and 400. A long run with mentions arriving continuously stores each
// exactly once in bounded memory.
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
    caps: [ { max: 1, per: day } ]
content:
  banned_terms: [RivalCorp]
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
    manager = AddToken(dir, "acme", "manager", "mona");
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
  httplib::Result Post(const std::string& path, const std::string& bearer, const std::string& body = "{}",
                       const std::string& idempotency_key = "") {
    httplib::Headers headers = Auth(bearer);
    if (!idempotency_key.empty()) headers.emplace("Idempotency-Key", idempotency_key);
    return http->Post(path, headers, body, "application/json");
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
  std::string admin, viewer, editor, manager, other_org;
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

// The statuses the fake received as replies to `status_id`.
std::vector<MastodonFake::Status> RepliesTo(const MastodonFake& mastodon, const std::string& status_id) {
  std::vector<MastodonFake::Status> out;
  for (const auto& st : mastodon.Statuses())
    if (st.in_reply_to_id == status_id) out.push_back(st);
  return out;
}

TEST_CASE("inbox e2e: answering: read, routed, answered once in the thread, through rules, roles and approval",
          "[e2e][inbox_e2e]") {
  MastodonFake mastodon;
  std::string refund = mastodon.AddMention({"carol@other.social", "Carol", "<p>Where is my refund?</p>", "", "en"});
  std::string gdpr = mastodon.AddMention({"dan", "Dan", "<p>A GDPR request</p>", "", "en"});
  std::string hello = mastodon.AddMention({"erin", "Erin", "<p>Hello there</p>", "", ""});
  Env env(mastodon.base_url());
  json support = env.ItemFrom(refund);
  REQUIRE(support["department"] == "support");
  const std::string support_path = "/v1/inbox/" + std::to_string(support["id"].get<int64_t>());
  const std::string legal_path = "/v1/inbox/" + std::to_string(env.ItemFrom(gdpr)["id"].get<int64_t>());
  const std::string general_path = "/v1/inbox/" + std::to_string(env.ItemFrom(hello)["id"].get<int64_t>());

  // Today's one post (the policy's cap) goes out first.
  auto post = env.Post("/v1/posts", env.editor, R"({"account":"acme-toot","text":"Our launch"})");
  REQUIRE(post);
  REQUIRE(post->status == 201);
  const std::string post_path = "/v1/posts/" + std::to_string(json::parse(post->body)["id"].get<int64_t>());
  env.WaitFor(post_path, [](const json& p) { return p["state"] == "published"; });
  auto capped = env.Post("/v1/posts", env.editor, R"({"account":"acme-toot","text":"Another one"})");
  REQUIRE(capped->status == 201);
  CHECK(json::parse(capped->body)["decision"]["reasons"][0]["rule"] == "caps");
  const size_t statuses_before = mastodon.Statuses().size();

  // A banned term: 422 naming the rule and where, nothing kept or sent.
  auto banned = env.Post(support_path + "/reply", env.editor, R"({"text":"Ask RivalCorp instead"})");
  REQUIRE(banned);
  INFO(banned->body);
  CHECK(banned->status == 422);
  CHECK_THAT(banned->body, Catch::Contains("content.banned_term"));
  CHECK_THAT(banned->body, Catch::Contains("\"pointer\":\"/text\""));
  CHECK(env.GetJson("/v1/posts", env.admin)["items"].size() == 2);

  // Who may answer: another organisation does not see the item; a viewer may not answer support.
  CHECK(env.Post(support_path + "/reply", env.other_org, R"({"text":"hi"})")->status == 404);
  auto viewer = env.Post(support_path + "/reply", env.viewer, R"({"text":"hi"})");
  CHECK(viewer->status == 403);
  CHECK_THAT(viewer->body, Catch::Contains("support"));
  CHECK(env.http->Post(support_path + "/reply", R"({"text":"hi"})", "application/json")->status == 401);
  CHECK(env.Post(support_path + "/reply", env.editor, R"({"text":"hi","at":"2026-01-01T00:00:00Z"})")->status == 400);

  // Answered past the full daily cap, once, in the thread, however often the request is sent.
  auto reply = env.Post(support_path + "/reply", env.editor, R"({"text":"Your refund left today, Carol"})", "reply-1");
  REQUIRE(reply);
  INFO(reply->body);
  REQUIRE(reply->status == 201);
  json r = json::parse(reply->body);
  CHECK(r["kind"] == "reply");
  CHECK(r["answers_item"] == support["id"]);
  CHECK(r["state"] == "scheduled");
  auto replay = env.Post(support_path + "/reply", env.editor, R"({"text":"Your refund left today, Carol"})", "reply-1");
  REQUIRE(replay->status == 200);
  CHECK(replay->get_header_value("Idempotent-Replayed") == "true");
  CHECK(json::parse(replay->body)["id"] == r["id"]);
  CHECK(env.Post(support_path + "/reply", env.editor, R"({"text":"Something else"})", "reply-1")->status == 409);
  json answered = env.WaitFor(support_path, [](const json& i) { return i["state"] == "answered"; });
  CHECK(answered["reply_post_id"] == r["id"]);
  CHECK(answered["reply"]["state"] == "published");
  auto sent = RepliesTo(mastodon, refund);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].text == "Your refund left today, Carol");
  CHECK(mastodon.Statuses().size() == statuses_before + 1);
  json published = env.GetJson("/v1/posts/" + std::to_string(r["id"].get<int64_t>()), env.admin);
  CHECK(published["state"] == "published");
  CHECK(published["remote_id"] == sent[0].id);
  // The capped post did not move for it.
  CHECK(env.GetJson("/v1/posts/" + std::to_string(json::parse(capped->body)["id"].get<int64_t>()), env.admin)
            ["planned_at"] == json::parse(capped->body)["planned_at"]);

  // legal needs approval, and only admins answer it.
  CHECK(env.Post(legal_path + "/reply", env.editor, R"({"text":"Noted"})")->status == 403);
  auto held = env.Post(legal_path + "/reply", env.admin, R"({"text":"Our counsel will answer by mail"})");
  REQUIRE(held->status == 201);
  json h = json::parse(held->body);
  CHECK(h["state"] == "pending_approval");
  std::this_thread::sleep_for(1500ms);
  CHECK(RepliesTo(mastodon, gdpr).empty());
  CHECK(env.GetJson(legal_path, env.admin)["state"] == "open");
  auto approved = env.Post("/v1/posts/" + std::to_string(h["id"].get<int64_t>()) + "/approve", env.manager);
  REQUIRE(approved->status == 200);
  env.WaitFor(legal_path, [](const json& i) { return i["state"] == "answered"; });
  CHECK(RepliesTo(mastodon, gdpr).size() == 1);

  // A dismissed item is not answered.
  REQUIRE(env.Post(general_path + "/dismiss", env.editor)->status == 200);
  CHECK(env.Post(general_path + "/reply", env.editor, R"({"text":"hi"})")->status == 409);

  auto metrics = env.Get("/metrics", env.admin);
  REQUIRE(metrics);
  CHECK_THAT(metrics->body,
             Catch::Contains("herald_inbox_items{organization=\"acme\",department=\"support\",state=\"answered\"} 1\n"));
  json audit = env.GetJson("/v1/audit", env.admin);
  std::multiset<std::string> actions;
  for (const auto& e : audit["items"]) actions.insert(e["action"].get<std::string>());
  CHECK(actions.count("inbox_reply") == 2);
  CHECK(actions.count("inbox_answered") == 2);
  json events = env.GetJson("/v1/events?type=post.published", env.admin);
  int replies = 0;
  for (const auto& e : events["items"]) replies += e["data"]["post"].contains("answers_item") ? 1 : 0;
  CHECK(replies == 2);
}

TEST_CASE("inbox e2e: another organisation, no token and bad input on every inbox endpoint", "[e2e][inbox_e2e]") {
  MastodonFake mastodon;
  std::string id = mastodon.AddMention({});
  Env env(mastodon.base_url());
  const std::string item = "/v1/inbox/" + std::to_string(env.ItemFrom(id)["id"].get<int64_t>());

  CHECK(env.GetJson("/v1/inbox", env.other_org)["items"].empty());
  CHECK(env.Get(item, env.other_org)->status == 404);
  CHECK(env.Get("/v1/inbox?account=acme-toot", env.other_org)->status == 404);
  for (const char* action : {"/assign", "/dismiss", "/reopen", "/reply"}) {
    INFO(action);
    std::string body = std::string(action) == "/assign" ? R"({"to":"gus"})"
                       : std::string(action) == "/reply"  ? R"({"text":"hi"})"
                                                          : "{}";
    auto theirs = env.Post(item + action, env.other_org, body);
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
  auto no_text = env.Post(item + "/reply", env.admin, "{}");
  CHECK(no_text->status == 400);
  CHECK_THAT(no_text->body, Catch::Contains("\"pointer\":\"/text\""));
  auto private_media = env.Post(item + "/reply", env.admin, R"({"text":"x","media":[{"url":"http://127.0.0.1/a.png"}]})");
  CHECK(private_media->status == 400);
  CHECK_THAT(private_media->body, Catch::Contains("\"pointer\":\"/media/0/url\""));
  CHECK(env.Post("/v1/inbox/999999/reply", env.admin, R"({"text":"x"})")->status == 404);
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
