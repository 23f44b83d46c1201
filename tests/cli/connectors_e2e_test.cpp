// End-to-end: the real `herald serve` publishing through the mastodon, bluesky
// and webhook connectors to their fake platforms, secrets given as `file:`
// references in the temporary folder. A post created and approved over HTTP
// reaches the fake at its time and shows the fake's remote id and URL; a
// platform that acts but never answers leaves the post published-after-lookup
// or unconfirmed, never posted twice.
#include <catch2/catch.hpp>
#include <httplib.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/time.h"
#include "tests/connectors/fakes/bluesky_fake.h"
#include "tests/connectors/fakes/mastodon_fake.h"
#include "tests/connectors/fakes/webhook_fake.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"

namespace {

using namespace std::chrono;
using herald::testing::Daemon;
using herald::testing::ReadFileOr;
using herald::testing::TempDir;
using herald::testing::WriteFile;
using nlohmann::json;

const std::string kWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

struct Urls {
  std::string mastodon, bluesky, webhook;
};

struct Env {
  // `media_allow`: the server config's list; the fakes serve images from 127.0.0.1.
  explicit Env(const Urls& urls, const std::string& media_allow = "[127.0.0.1]") {
    WriteFile(dir / "secrets/mastodon-token", "mastodon-token\n");
    WriteFile(dir / "secrets/bsky-password", "app-pass-1234\n");
    WriteFile(dir / "secrets/webhook-secret", kWebhookSecret + "\n");
    WriteFile(dir / "policies/acme.yaml", R"(version: 1
organization: acme
timezone: UTC
accounts:
  list:
    - id: acme-toot
      platform: mastodon
      connector:
        base_url: )" + urls.mastodon + R"(
        token: file:)" + (dir / "secrets/mastodon-token") + R"(
    - id: acme-sky
      platform: bluesky
      handle: herald.bsky.social
      connector:
        base_url: )" + urls.bluesky + R"(
        identifier: herald.bsky.social
        app_password: file:)" + (dir / "secrets/bsky-password") + R"(
    - id: acme-hook
      platform: webhook
      connector:
        url: )" + urls.webhook + R"(
        secret: file:)" + (dir / "secrets/webhook-secret") + R"(
frequency:
  default:
    min_spacing: 0s
  max_delay: 48h
  missed_after: 30m
approval: { required: true, approvers: [manager], four_eyes: true }
)");
    for (auto [role, name] : {std::pair{"editor", "alice"}, {"manager", "mona"}}) {
      auto r = herald::testing::RunProcess({HERALD_BINARY, "token", "add", "--org", "acme", "--role", role, "--name", name,
                                            "--tokens", dir / "tokens.json"});
      REQUIRE(r.exit_code == 0);
      tokens[name] = r.out.substr(0, r.out.find('\n'));
    }
    WriteFile(dir / "herald.yaml", "listen: 127.0.0.1:0\nstorage: sqlite:" + (dir / "h.db") + "\npolicies: " +
                                       (dir / "policies") + "\ntokens: " + (dir / "tokens.json") + "\noutbox: " +
                                       (dir / "outbox") + "\nlog: { level: info, format: json }\nshutdown_grace: 5s\nmedia_allow: " +
                                       media_allow + "\n");
    daemon = std::make_unique<Daemon>(HERALD_BINARY, dir / "herald.yaml", dir.path(), dir / "herald.log");
    http = std::make_unique<httplib::Client>("127.0.0.1", daemon->port());
    http->set_read_timeout(5, 0);
  }

  httplib::Headers Auth(const std::string& who) const { return {{"Authorization", "Bearer " + tokens.at(who)}}; }

  // Creates the post due in two seconds, approves it, and waits (up to 15 s)
  // for a final state. Returns the post as GET /v1/posts/{id} shows it.
  httplib::Result Create(const std::string& account, const std::string& text, const json& media) {
    json body = {{"account", account}, {"text", text}, {"media", media},
                 {"at", herald::FormatRfc3339(floor<seconds>(system_clock::now()) + seconds{2})}};
    return http->Post("/v1/posts", Auth("alice"), body.dump(), "application/json");
  }

  json PublishThrough(const std::string& account, const std::string& text, json media = json::array()) {
    auto created = Create(account, text, media);
    REQUIRE(created);
    INFO(created->body);
    REQUIRE(created->status == 201);
    const std::string id = std::to_string(json::parse(created->body)["id"].get<int64_t>());
    auto approved = http->Post("/v1/posts/" + id + "/approve", Auth("mona"), "", "application/json");
    REQUIRE(approved);
    INFO(approved->body);
    REQUIRE(approved->status == 200);
    json post;
    for (int i = 0; i < 150; ++i) {
      auto r = http->Get("/v1/posts/" + id, Auth("mona"));
      REQUIRE(r);
      post = json::parse(r->body);
      std::string state = post["state"];
      if (state != "scheduled" && state != "publishing") break;
      std::this_thread::sleep_for(100ms);
    }
    return post;
  }

  std::string Log() const { return ReadFileOr(dir / "herald.log"); }

  TempDir dir;
  std::map<std::string, std::string> tokens;
  std::unique_ptr<Daemon> daemon;
  std::unique_ptr<httplib::Client> http;
};

// Published, and not before the time the post was planned for.
void CheckPublishedOnTime(const json& post) {
  REQUIRE(post["state"] == "published");
  REQUIRE(post["published_at"].is_string());
  CHECK(*herald::ParseRfc3339(post["published_at"].get<std::string>()) >=
        *herald::ParseRfc3339(post["planned_at"].get<std::string>()));
}

TEST_CASE("connectors e2e: approved posts reach mastodon bluesky and a webhook with their remote ids", "[e2e][connectors_e2e]") {
  herald::testing::MastodonFake mastodon;
  herald::testing::BlueskyFake bluesky;
  herald::testing::WebhookFake webhook(kWebhookSecret);
  Env env({mastodon.base_url(), bluesky.base_url(), webhook.url()});

  SECTION("mastodon") {
    json post = env.PublishThrough("acme-toot", "Hello from herald to the fediverse",
                                   json::array({{{"url", mastodon.image_url("chart.png")}, {"alt", "A chart"}}}));
    INFO(post.dump() + "\n" + env.Log());
    CheckPublishedOnTime(post);
    auto statuses = mastodon.Statuses();
    REQUIRE(statuses.size() == 1);
    CHECK(statuses[0].text == "Hello from herald to the fediverse");
    CHECK(statuses[0].idempotency_key == "acme-" + std::to_string(post["id"].get<int64_t>()));
    REQUIRE(mastodon.Uploads().size() == 1);
    CHECK(mastodon.Uploads()[0].description == "A chart");
    CHECK(post["remote_id"] == statuses[0].id);
    CHECK(post["remote_url"] == statuses[0].url);
  }
  SECTION("bluesky") {
    json post = env.PublishThrough("acme-sky", "Hello from herald to the sky");
    INFO(post.dump() + "\n" + env.Log());
    CheckPublishedOnTime(post);
    auto records = bluesky.Records();
    REQUIRE(records.size() == 1);
    CHECK(records[0].value["text"] == "Hello from herald to the sky");
    CHECK(post["remote_id"] == std::string("at://") + herald::testing::BlueskyFake::kDid + "/app.bsky.feed.post/" + records[0].rkey);
    CHECK(post["remote_url"] == "https://bsky.app/profile/herald.bsky.social/post/" + records[0].rkey);
  }
  SECTION("webhook") {
    json post = env.PublishThrough("acme-hook", "Hello from herald to a receiver");
    INFO(post.dump() + "\n" + env.Log());
    CheckPublishedOnTime(post);
    auto messages = webhook.Messages();
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].body["type"] == "post.published");
    CHECK(messages[0].body["data"]["text"] == "Hello from herald to a receiver");
    CHECK(messages[0].body["data"]["id"] == post["id"]);
    CHECK(post["remote_id"] == messages[0].id);
    CHECK(post["remote_url"] == webhook.fake().base_url() + "/received/1");
  }
  CHECK(env.daemon->Terminate() == 0);
}

TEST_CASE("connectors e2e: a platform that never answers leaves the post settled once", "[e2e][connectors_e2e]") {
  SECTION("bluesky acts, then hangs up: getRecord finds the record, published once") {
    herald::testing::BlueskyFake bluesky;
    herald::testing::MastodonFake unused_mastodon;
    herald::testing::WebhookFake unused_webhook(kWebhookSecret);
    Env env({unused_mastodon.base_url(), bluesky.base_url(), unused_webhook.url()});
    bluesky.DropNextCreateAnswer();
    json post = env.PublishThrough("acme-sky", "Said once, whatever the network does");
    INFO(post.dump() + "\n" + env.Log());
    REQUIRE(post["state"] == "published");
    REQUIRE(bluesky.Records().size() == 1);
    CHECK(post["remote_url"] == "https://bsky.app/profile/herald.bsky.social/post/" + bluesky.Records()[0].rkey);
    CHECK(bluesky.fake().Count("getRecord") == 1);
    CHECK(env.daemon->Terminate() == 0);
  }
  SECTION("mastodon never answers, nor to the re-send with the same key: unconfirmed") {
    herald::testing::SilentDropServer drop;
    herald::testing::BlueskyFake unused_bluesky;
    herald::testing::WebhookFake unused_webhook(kWebhookSecret);
    Env env({drop.base_url(), unused_bluesky.base_url(), unused_webhook.url()});
    json post = env.PublishThrough("acme-toot", "Maybe said, never said twice");
    INFO(post.dump() + "\n" + env.Log());
    CHECK(post["state"] == "unconfirmed");
    CHECK(post["failure"].get<std::string>().find("Idempotency-Key") != std::string::npos);
    CHECK(drop.accepted() == 2);  // the post and its one re-send with the same key
    // It stays unconfirmed: nothing re-sends it.
    std::this_thread::sleep_for(1500ms);
    CHECK(drop.accepted() == 2);
    CHECK(env.daemon->Terminate() == 0);
  }
}

TEST_CASE("connectors e2e: media from internal addresses is refused at create, or at publish after DNS",
          "[e2e][connectors_e2e]") {
  herald::testing::MastodonFake mastodon;
  herald::testing::BlueskyFake unused_bluesky;
  herald::testing::WebhookFake unused_webhook(kWebhookSecret);
  Env env({mastodon.base_url(), unused_bluesky.base_url(), unused_webhook.url()}, "[]");

  SECTION("a literal metadata address: 400 naming /media/0/url, nothing stored") {
    auto created = env.Create("acme-toot", "x", json::array({{{"url", "http://169.254.169.254/latest/meta-data"},
                                                                {"alt", "x"}}}));
    REQUIRE(created);
    INFO(created->body);
    REQUIRE(created->status == 400);
    json problem = json::parse(created->body);
    REQUIRE(problem["errors"].size() == 1);
    CHECK(problem["errors"][0]["pointer"] == "/media/0/url");
    CHECK(problem["errors"][0]["detail"].get<std::string>().find("link-local") != std::string::npos);
    auto list = env.http->Get("/v1/posts", env.Auth("alice"));
    REQUIRE(list);
    CHECK(list->body.find("meta-data") == std::string::npos);
  }
  SECTION("a name resolving to loopback: the post fails with the reason, the image server is never asked") {
    std::string url = mastodon.image_url("chart.png");
    url.replace(url.find("127.0.0.1"), 9, "localhost");
    json post = env.PublishThrough("acme-toot", "An image from inside", json::array({{{"url", url}, {"alt", "x"}}}));
    INFO(post.dump() + "\n" + env.Log());
    CHECK(post["state"] == "failed");
    std::string failure = post["failure"];
    CHECK(failure.find("localhost resolves to") != std::string::npos);
    CHECK(failure.find("loopback") != std::string::npos);
    CHECK(failure.find("media_allow") != std::string::npos);
    CHECK(mastodon.fake().Count("/images/") == 0);
    CHECK(mastodon.Statuses().empty());
  }
  CHECK(env.daemon->Terminate() == 0);
}

}  // namespace
