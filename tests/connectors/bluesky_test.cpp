// The bluesky connector against BlueskyFake: session reuse and renewal, the
// record key chosen before sending, images with alt text, link facets, every
// answer class, and the getRecord check that settles an ambiguous create.
#include <catch2/catch.hpp>

#include <regex>
#include <thread>

#include "connectors/bluesky/bluesky_connector.h"
#include "connectors/platforms.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/bluesky_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using Kind = PublishResult::Kind;
using testing::BlueskyFake;
using nlohmann::json;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");
const Instant kCreated = *ParseRfc3339("2026-11-20T08:30:00Z");

ConnectorContext Context(milliseconds read_timeout = milliseconds{2000}, std::string password = "app-pass-1234") {
  return testing::TestContext({{"BSKY_APP_PASSWORD", password}}, read_timeout);
}

policies::ConnectorConfig Config(const std::string& base_url) {
  policies::ConnectorConfig c;
  c.type = "bluesky";
  c.base_url = base_url;
  c.settings["identifier"] = BlueskyFake::kHandle;
  c.secrets["app_password"] = {policies::SecretRef::Kind::kEnv, "BSKY_APP_PASSWORD"};
  return c;
}

std::unique_ptr<Connector> Make(const std::string& base_url, const ConnectorContext& context = Context()) {
  auto c = MakeBlueskyConnector(Config(base_url), context);
  INFO((c ? "" : c.error().ToString()));
  REQUIRE(c.has_value());
  return std::move(*c);
}

PublishRequest Request(std::vector<Media> media = {}, int64_t id = 31) {
  PublishRequest r;
  r.post_id = id;
  r.organization = "acme";
  r.account = "acme-sky";
  r.platform = "bluesky";
  r.text = "Hello sky";
  r.media = std::move(media);
  r.planned_at = kNow;
  r.now = kNow;
  r.created_at = kCreated;
  r.idempotency_key = "acme-" + std::to_string(id);
  return r;
}

std::string Url(const std::string& rkey) { return std::string("https://bsky.app/profile/") + BlueskyFake::kHandle + "/post/" + rkey; }

TEST_CASE("Bluesky record keys are stable valid TIDs", "[bluesky]") {
  static const std::regex kTid("^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$");
  std::string key = BlueskyRecordKey(kCreated, 31);
  CHECK(std::regex_match(key, kTid));
  CHECK(key == BlueskyRecordKey(kCreated, 31));
  CHECK(key != BlueskyRecordKey(kCreated, 32));
  CHECK(BlueskyRecordKey(kCreated, 31) != BlueskyRecordKey(kCreated, 1000031));  // same low digits, other clock id
  CHECK(BlueskyRecordKey(kCreated, 31) < BlueskyRecordKey(kCreated + seconds{1}, 31));  // sorts by time
  CHECK(BlueskyRecordKey(Instant{}, 0) == "2222222222222");
  CHECK(BlueskyRecordKey(Instant{}, 1) == "2222222222322");  // 1 us = 1 << 10
}

TEST_CASE("Bluesky finds links by UTF-8 byte offsets", "[bluesky]") {
  std::string text = "Übersicht: https://example.org/a?b=1. See (http://x.test/y)";
  auto links = FindLinks(text);
  REQUIRE(links.size() == 2);
  CHECK(links[0].uri == "https://example.org/a?b=1");
  CHECK(links[0].byte_start == 12);  // "Ü" is two bytes
  CHECK(links[0].byte_end == 12 + links[0].uri.size());
  CHECK(links[1].uri == "http://x.test/y");
  CHECK(text.substr(links[1].byte_start, links[1].byte_end - links[1].byte_start) == "http://x.test/y");
  CHECK(FindLinks("no links, not even xhttps://a.b").empty());
}

TEST_CASE("Bluesky posts a record with an image, alt text and link facets", "[bluesky]") {
  BlueskyFake fake;
  auto connector = Make(fake.base_url());
  PublishRequest request = Request({{fake.image_url("photo.png"), "A red kite"}});
  request.text = "Read https://example.org/post";
  auto r = connector->Publish(request);
  INFO(r.why);
  REQUIRE(r.kind == Kind::kPublished);
  const std::string rkey = BlueskyRecordKey(kCreated, 31);
  CHECK(r.remote_id == std::string("at://") + BlueskyFake::kDid + "/app.bsky.feed.post/" + rkey);
  CHECK(r.remote_url == Url(rkey));
  CHECK_FALSE(r.hold.has_value());

  auto records = fake.Records();
  REQUIRE(records.size() == 1);
  CHECK(records[0].rkey == rkey);
  auto requests = fake.fake().Requests();
  REQUIRE(requests.size() == 4);
  CHECK(requests[0].path == "/xrpc/com.atproto.server.createSession");
  json login = json::parse(requests[0].body);
  CHECK(login["identifier"] == BlueskyFake::kHandle);
  CHECK(login["password"] == "app-pass-1234");
  CHECK(requests[1].path == "/images/photo.png");
  CHECK(requests[2].path == "/xrpc/com.atproto.repo.uploadBlob");
  CHECK(requests[2].Header("Authorization") == "Bearer access-1");
  CHECK(requests[2].Header("Content-Type") == "image/png");
  CHECK(requests[3].path == "/xrpc/com.atproto.repo.createRecord");
  CHECK(requests[3].Header("Authorization") == "Bearer access-1");
  json body = json::parse(requests[3].body);
  CHECK(body["repo"] == BlueskyFake::kDid);
  CHECK(body["collection"] == "app.bsky.feed.post");
  CHECK(body["rkey"] == rkey);
  const json& record = body["record"];
  CHECK(record["$type"] == "app.bsky.feed.post");
  CHECK(record["text"] == "Read https://example.org/post");
  CHECK(record["createdAt"] == "2026-11-23T10:00:00Z");
  CHECK(record["embed"]["$type"] == "app.bsky.embed.images");
  CHECK(record["embed"]["images"][0]["alt"] == "A red kite");
  CHECK(record["embed"]["images"][0]["image"]["ref"]["$link"] == "bafkreiblob1");
  CHECK(record["embed"]["images"][0]["image"]["mimeType"] == "image/png");
  CHECK(record["facets"][0]["index"]["byteStart"] == 5);
  CHECK(record["facets"][0]["index"]["byteEnd"] == 29);
  CHECK(record["facets"][0]["features"][0]["$type"] == "app.bsky.richtext.facet#link");
  CHECK(record["facets"][0]["features"][0]["uri"] == "https://example.org/post");

  // The session is reused for the next post.
  REQUIRE(connector->Publish(Request({}, 32)).kind == Kind::kPublished);
  CHECK(fake.sessions_created() == 1);
}

TEST_CASE("Bluesky renews an expired session", "[bluesky]") {
  BlueskyFake fake;
  auto connector = Make(fake.base_url());
  REQUIRE(connector->Publish(Request({}, 1)).kind == Kind::kPublished);
  SECTION("with refreshSession") {
    fake.ExpireTokens();
    auto r = connector->Publish(Request({}, 2));
    INFO(r.why);
    REQUIRE(r.kind == Kind::kPublished);
    CHECK(fake.refreshes() == 1);
    CHECK(fake.sessions_created() == 1);
    CHECK(fake.fake().Requests().back().Header("Authorization") == "Bearer access-2");
  }
  SECTION("with a new session when the refresh token is spent too") {
    fake.ExpireTokens(/*refresh_too=*/true);
    auto r = connector->Publish(Request({}, 2));
    INFO(r.why);
    REQUIRE(r.kind == Kind::kPublished);
    CHECK(fake.refreshes() == 0);
    CHECK(fake.sessions_created() == 2);
  }
  CHECK(fake.Records().size() == 2);
}

TEST_CASE("Bluesky threads publishing at once share one session and one renewal", "[bluesky]") {
  BlueskyFake fake;
  auto connector = Make(fake.base_url());
  auto publish_all = [&](int64_t first) {
    std::vector<std::thread> threads;
    std::vector<Kind> kinds(6);
    for (int i = 0; i < 6; ++i)
      threads.emplace_back([&, i] { kinds[i] = connector->Publish(Request({}, first + i)).kind; });
    for (auto& t : threads) t.join();
    for (Kind k : kinds) CHECK(k == Kind::kPublished);
  };
  publish_all(100);
  CHECK(fake.sessions_created() == 1);
  fake.ExpireTokens();
  publish_all(200);
  CHECK(fake.sessions_created() == 1);
  CHECK(fake.refreshes() == 1);
  CHECK(fake.Records().size() == 12);
}

TEST_CASE("Bluesky answers map to outcomes", "[bluesky]") {
  BlueskyFake fake;
  SECTION("a wrong app password fails naming the credentials") {
    auto r = Make(fake.base_url(), Context(milliseconds{2000}, "wrong"))->Publish(Request());
    CHECK(r.kind == Kind::kFailed);
    CHECK(r.http_status == 401);
    CHECK(r.why.find("createSession for herald.bsky.social refused") != std::string::npos);
    CHECK(r.why.find("Invalid identifier or password") != std::string::npos);
    CHECK(r.why.find("credentials") != std::string::npos);
  }
  SECTION("a text over 300 graphemes fails with the PDS's message") {
    PublishRequest request = Request();
    request.text = std::string(301, 'x');
    auto r = Make(fake.base_url())->Publish(request);
    CHECK(r.kind == Kind::kFailed);
    CHECK(r.http_status == 400);
    CHECK(r.why.find("Record/text must not be longer than 300 graphemes") != std::string::npos);
  }
  SECTION("429 waits for the epoch RateLimit-Reset, with a hold") {
    int64_t reset = (kNow + minutes{20}).time_since_epoch().count();
    fake.fake().FailNext({.status = 429,
                          .headers = {{"RateLimit-Limit", "5000"}, {"RateLimit-Remaining", "0"},
                                      {"RateLimit-Reset", std::to_string(reset)}, {"RateLimit-Policy", "5000;w=3600"}},
                          .body = R"({"error":"RateLimitExceeded","message":"Rate Limit Exceeded"})",
                          .path_contains = "createRecord"});
    auto r = Make(fake.base_url())->Publish(Request());
    CHECK(r.kind == Kind::kRetryLater);
    CHECK(r.retry_at == kNow + minutes{20});
    REQUIRE(r.hold.has_value());
    CHECK(r.hold->until == kNow + minutes{20});
    CHECK(fake.Records().empty());
  }
  SECTION("a success with nothing remaining holds the account") {
    auto connector = Make(fake.base_url());
    REQUIRE(connector->Publish(Request({}, 1)).kind == Kind::kPublished);  // logs in first
    fake.set_rate_limit(0, kNow + minutes{40});
    auto r = connector->Publish(Request({}, 2));
    REQUIRE(r.kind == Kind::kPublished);
    REQUIRE(r.hold.has_value());
    CHECK(r.hold->until == kNow + minutes{40});
  }
  SECTION("a 5xx without the record is retried later") {
    fake.fake().FailNext({.status = 502, .body = "Bad Gateway", .content_type = "text/plain", .path_contains = "createRecord"});
    auto r = Make(fake.base_url())->Publish(Request());
    CHECK(r.kind == Kind::kRetryLater);
    CHECK(r.why.find("does not exist, safe to retry") != std::string::npos);
    CHECK(fake.fake().Count("getRecord") == 1);
    CHECK(fake.Records().empty());
  }
}

TEST_CASE("Bluesky settles a lost answer by asking for the record key", "[bluesky]") {
  BlueskyFake fake;
  const std::string rkey = BlueskyRecordKey(kCreated, 31);
  SECTION("connection closed after the create") {
    auto connector = Make(fake.base_url());
    fake.DropNextCreateAnswer();
    auto r = connector->Publish(Request());
    INFO(r.why);
    REQUIRE(r.kind == Kind::kPublished);
    CHECK(r.remote_url == Url(rkey));
    CHECK(fake.fake().Count("getRecord") == 1);
  }
  SECTION("an answer beyond the read timeout") {
    auto connector = Make(fake.base_url(), Context(milliseconds{300}));
    fake.fake().FailNext({.delay = milliseconds{600}, .act_then_stall = true, .path_contains = "createRecord"});
    auto r = connector->Publish(Request());
    INFO(r.why);
    REQUIRE(r.kind == Kind::kPublished);
    CHECK(r.remote_id == std::string("at://") + BlueskyFake::kDid + "/app.bsky.feed.post/" + rkey);
  }
  SECTION("a retry of a post that exists meets the PDS's 500 for the same key") {
    auto connector = Make(fake.base_url());
    REQUIRE(connector->Publish(Request()).kind == Kind::kPublished);
    auto r = connector->Publish(Request());
    REQUIRE(r.kind == Kind::kPublished);
    CHECK(r.remote_url == Url(rkey));
    CHECK(fake.fake().Count("createRecord") == 2);
  }
  SECTION("and when getRecord cannot answer either, unknown") {
    auto connector = Make(fake.base_url());
    fake.DropNextCreateAnswer();
    fake.fake().FailNext({.status = 503, .body = "{}", .path_contains = "getRecord"});
    auto r = connector->Publish(Request());
    CHECK(r.kind == Kind::kUnknown);
  }
  CHECK(fake.Records().size() == 1);
}

TEST_CASE("Bluesky transport failures before posting are retried later", "[bluesky]") {
  SECTION("no answer to createSession") {
    testing::SilentDropServer drop;
    auto r = Make(drop.base_url(), Context(milliseconds{300}))->Publish(Request());
    CHECK(r.kind == Kind::kRetryLater);
    CHECK(drop.accepted() == 1);
  }
  SECTION("connection refused") {
    auto r = Make("http://127.0.0.1:" + std::to_string(testing::UnusedPort()))->Publish(Request());
    CHECK(r.kind == Kind::kRetryLater);
  }
}

TEST_CASE("Bluesky lookup asks getRecord for the post's key", "[bluesky]") {
  BlueskyFake fake;
  auto connector = Make(fake.base_url());
  auto absent = connector->Lookup(Request());
  REQUIRE(absent.has_value());
  CHECK(absent->kind == Kind::kFailed);
  REQUIRE(connector->Publish(Request()).kind == Kind::kPublished);
  auto found = connector->Lookup(Request());
  REQUIRE(found.has_value());
  CHECK(found->kind == Kind::kPublished);
  CHECK(found->remote_url == Url(BlueskyRecordKey(kCreated, 31)));
  fake.fake().FailNext({.status = 503, .body = "{}", .path_contains = "getRecord"});
  CHECK_FALSE(connector->Lookup(Request()).has_value());
}

TEST_CASE("Bluesky factory names a missing identifier or app password", "[bluesky]") {
  SECTION("identifier") {
    auto config = Config("http://127.0.0.1:1");
    config.settings.clear();
    auto c = MakeBlueskyConnector(config, Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message() == "connector bluesky: missing setting identifier");
  }
  SECTION("app_password") {
    auto config = Config("http://127.0.0.1:1");
    config.secrets.clear();
    auto c = MakeBlueskyConnector(config, Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message() == "connector bluesky: missing setting app_password");
  }
}

TEST_CASE("Bluesky refreshSession carries the refresh token and no body", "[bluesky]") {
  BlueskyFake fake;
  auto connector = Make(fake.base_url());
  REQUIRE(connector->Publish(Request({}, 1)).kind == Kind::kPublished);
  fake.ExpireTokens();
  auto r = connector->Publish(Request({}, 2));
  INFO(r.why);
  REQUIRE(r.kind == Kind::kPublished);
  bool seen = false;
  for (const auto& q : fake.fake().Requests()) {
    if (q.path != "/xrpc/com.atproto.server.refreshSession") continue;
    seen = true;
    CHECK(q.body.empty());
    CHECK(q.Header("Content-Type").empty());
    CHECK(q.Header("Authorization") == "Bearer refresh-1");
  }
  CHECK(seen);
  // Renewed by refreshSession, not by a second (tightly limited) createSession.
  CHECK(fake.refreshes() == 1);
  CHECK(fake.sessions_created() == 1);
}

TEST_CASE("Bluesky posts mentions, tags, bare domains and langs as facets", "[bluesky][facets]") {
  BlueskyFake fake;
  auto context = Context();
  auto config = Config(fake.base_url());
  config.settings["langs"] = "en, pt-BR";
  auto made = MakeBlueskyConnector(config, context);
  REQUIRE(made.has_value());
  PublishRequest request = Request();
  request.text = "Hi @bob.test and @nobody.test: #fête at example.com, see https://en.wikipedia.org/wiki/Bracket_(disambiguation) @bob.test";
  auto r = (*made)->Publish(request);
  INFO(r.why);
  REQUIRE(r.kind == Kind::kPublished);
  json record = fake.Records().at(0).value;
  CHECK(record["langs"] == json::array({"en", "pt-BR"}));
  const json& facets = record["facets"];
  REQUIRE(facets.size() == 5);
  auto covered = [&](const json& f) {
    size_t start = f["index"]["byteStart"], end = f["index"]["byteEnd"];
    return request.text.substr(start, end - start);
  };
  CHECK(covered(facets[0]) == "@bob.test");
  CHECK(facets[0]["features"][0] == json{{"$type", "app.bsky.richtext.facet#mention"}, {"did", BlueskyFake::kFriendDid}});
  CHECK(covered(facets[1]) == "#fête");  // @nobody.test does not resolve: plain text
  CHECK(facets[1]["features"][0]["tag"] == "fête");
  CHECK(covered(facets[2]) == "example.com");
  CHECK(facets[2]["features"][0]["uri"] == "https://example.com");
  CHECK(covered(facets[3]) == "https://en.wikipedia.org/wiki/Bracket_(disambiguation)");
  CHECK(covered(facets[4]) == "@bob.test");
  CHECK(fake.resolutions() == 2);  // once per handle, not per mention
}

TEST_CASE("Bluesky posts without langs when none is set, and refuses a bad setting", "[bluesky]") {
  BlueskyFake fake;
  REQUIRE(Make(fake.base_url())->Publish(Request()).kind == Kind::kPublished);
  CHECK_FALSE(fake.Records().at(0).value.contains("langs"));
  CHECK_FALSE(fake.Records().at(0).value.contains("facets"));
  for (std::string bad : {"english!", "en, fr, de, it", "", "en,,fr"}) {
    INFO(bad);
    auto config = Config(fake.base_url());
    config.settings["langs"] = bad;
    auto c = MakeBlueskyConnector(config, Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message().starts_with("connector bluesky: setting langs: "));
  }
}

TEST_CASE("Bluesky says why a connection failed, and where", "[bluesky]") {
  const int port = testing::UnusedPort();
  auto r = Make("http://127.0.0.1:" + std::to_string(port))->Publish(Request());
  CHECK(r.kind == Kind::kRetryLater);
  INFO(r.why);
  CHECK(r.why.find("127.0.0.1:" + std::to_string(port) + "/xrpc/com.atproto.server.createSession") != std::string::npos);
  CHECK(r.why.find("could not connect (") != std::string::npos);
  CHECK(r.why.find("refused") != std::string::npos);
}

TEST_CASE("Bluesky reads a post's engagement through getPosts with its at:// URI", "[bluesky][engagement]") {
  BlueskyFake fake;
  auto connector = Make(fake.base_url());
  CHECK(connector->ReadsEngagement());
  auto published = connector->Publish(Request());
  REQUIRE(published.kind == PublishResult::Kind::kPublished);
  const std::string rkey = fake.Records().at(0).rkey;
  EngagementRequest request{31, "acme", "acme-sky", published.remote_id, published.remote_url, kNow};

  fake.SetCounts(rkey, 4, 6, 20, 1);
  auto r = connector->ReadEngagement(request);
  INFO(r.why);
  REQUIRE(r.kind == EngagementResult::Kind::kRead);
  CHECK(r.counts.replies == 4);
  CHECK(r.counts.reposts == 6);
  CHECK(r.counts.likes == 20);
  CHECK(r.counts.quotes == 1);
  CHECK_FALSE(r.counts.bookmarks);  // this AppView does not report them
  CHECK_FALSE(r.counts.views);
  auto sent = fake.fake().Requests().back();
  CHECK(sent.path == "/xrpc/app.bsky.feed.getPosts");
  CHECK(sent.Param("uris") == published.remote_id);

  SECTION("an AppView that reports bookmarks") {
    fake.SetCounts(rkey, 4, 6, 20, 1, 9);
    CHECK(connector->ReadEngagement(request).counts.bookmarks == 9);
  }
  SECTION("an expired session is renewed and the read made") {
    fake.ExpireTokens();
    auto again = connector->ReadEngagement(request);
    CHECK(again.kind == EngagementResult::Kind::kRead);
    CHECK(fake.refreshes() == 1);
  }
  SECTION("a deleted post is left out of posts: gone") {
    fake.Delete(rkey);
    CHECK(connector->ReadEngagement(request).kind == EngagementResult::Kind::kGone);
  }
  SECTION("429 with RateLimit-Reset: retry at the reset") {
    fake.fake().FailNext({.status = 429,
                          .headers = {{"RateLimit-Limit", "3000"}, {"RateLimit-Remaining", "0"},
                                      {"RateLimit-Reset", std::to_string((kNow + minutes{3}).time_since_epoch().count())}},
                          .body = R"({"error":"RateLimitExceeded","message":"Rate Limit Exceeded"})",
                          .path_contains = "getPosts"});
    auto limited = connector->ReadEngagement(request);
    CHECK(limited.kind == EngagementResult::Kind::kRetryLater);
    REQUIRE(limited.retry_at);
    CHECK(*limited.retry_at == kNow + minutes{3});
  }
}

}  // namespace
}  // namespace herald::connectors
