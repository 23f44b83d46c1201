// The bluesky connector's inbox against BlueskyFake: listNotifications
// (reply, mention, quote; never likes), paged back with its cursor, nothing
// returned twice, rate limits and refusals, hostile answers, and a reply
// published with the record's {root, parent} strong refs.
#include <catch2/catch.hpp>

#include <set>

#include "connectors/platforms.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/bluesky_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using IKind = InboxReadResult::Kind;
using nlohmann::json;
using testing::BlueskyFake;
using testing::Fault;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");

std::unique_ptr<Connector> Make(const std::string& base_url) {
  policies::ConnectorConfig c;
  c.type = "bluesky";
  c.base_url = base_url;
  c.settings["identifier"] = BlueskyFake::kHandle;
  c.secrets["app_password"] = {policies::SecretRef::Kind::kEnv, "BSKY_APP_PASSWORD"};
  auto made = MakeBlueskyConnector(c, testing::TestContext({{"BSKY_APP_PASSWORD", "app-pass-1234"}}, milliseconds{2000}));
  REQUIRE(made.has_value());
  return std::move(*made);
}

InboxReadRequest Read(std::string cursor = "") {
  InboxReadRequest r;
  r.organization = "acme";
  r.account = "acme-sky";
  r.cursor = std::move(cursor);
  r.now = kNow;
  return r;
}

// One of our posts, published through the connector: {uri, cid}.
json OurPost(Connector& connector, int64_t id = 31) {
  PublishRequest r;
  r.post_id = id;
  r.organization = "acme";
  r.account = "acme-sky";
  r.platform = "bluesky";
  r.text = "Release 2.0 is out";
  r.now = kNow - hours{1};
  r.created_at = kNow - hours{2};
  auto published = connector.Publish(r);
  REQUIRE(published.kind == PublishResult::Kind::kPublished);
  return {{"uri", published.remote_id}, {"cid", "bafyreirecord" + std::to_string(id - 30)}};
}

TEST_CASE("Bluesky inbox reads replies, mentions and quotes oldest first", "[bluesky][inbox]") {
  BlueskyFake fake;
  auto connector = Make(fake.base_url());
  json ours = OurPost(*connector);
  std::string reply = fake.AddReply("alice.test", "When is 2.1 due?", kNow - minutes{30}, ours, ours);
  std::string mention = fake.AddMention("carol.test", "Ask @herald.bsky.social about it", kNow - minutes{20});
  std::string quote = fake.AddQuote("dave.test", "This release!", kNow - minutes{10}, ours["uri"]);
  fake.AddLike("erin.test", kNow - minutes{5}, ours["uri"]);

  auto result = connector->ReadInbox(Read());
  REQUIRE(result.kind == IKind::kRead);
  CHECK_FALSE(result.more);
  REQUIRE(result.items.size() == 3);  // the like is not part of the inbox
  CHECK(fake.notification_reasons().back() == "reply,mention,quote");

  const InboxMessage& r = result.items[0];
  CHECK(r.remote_id == reply);
  CHECK(r.kind == InboxKind::kReply);
  CHECK(r.author == "alice.test");
  CHECK(r.author_name == "Name of alice.test");
  CHECK(r.text == "When is 2.1 due?");
  CHECK(r.language == "en");
  CHECK(r.created_at == kNow - minutes{30});
  CHECK(r.in_reply_to == ours["uri"]);
  CHECK(r.url == "https://bsky.app/profile/alice.test/post/" + reply.substr(reply.rfind('/') + 1));
  json ref = json::parse(r.reply_ref);
  CHECK(ref["root"] == ours);
  CHECK(ref["parent"]["uri"] == reply);
  CHECK(ref["parent"]["cid"].get<std::string>().starts_with("bafyreinotif"));

  CHECK(result.items[1].remote_id == mention);
  CHECK(result.items[1].kind == InboxKind::kMention);
  CHECK(result.items[1].in_reply_to.empty());
  // A mention starts its own thread: root and parent are the mention itself.
  json mention_ref = json::parse(result.items[1].reply_ref);
  CHECK(mention_ref["root"] == mention_ref["parent"]);
  CHECK(result.items[2].remote_id == quote);
  CHECK(result.items[2].kind == InboxKind::kQuote);
  CHECK(result.items[2].in_reply_to == ours["uri"]);
}

TEST_CASE("Bluesky inbox pages back with the cursor and returns nothing twice", "[bluesky][inbox]") {
  BlueskyFake fake;
  auto connector = Make(fake.base_url());
  json ours = OurPost(*connector);
  auto first = connector->ReadInbox(Read());
  REQUIRE(first.kind == IKind::kRead);
  CHECK(first.items.empty());
  REQUIRE_FALSE(first.cursor.empty());

  for (int i = 0; i < 60; ++i) fake.AddReply("alice.test", "reply " + std::to_string(i), kNow + seconds{i}, ours, ours);
  std::vector<std::string> seen;
  auto page = connector->ReadInbox(Read(first.cursor));
  REQUIRE(page.kind == IKind::kRead);
  CHECK(page.more);
  REQUIRE(page.items.size() == 50);  // the newest page: replies 10..59, oldest first
  CHECK(page.items.front().text == "reply 10");
  CHECK(page.items.back().text == "reply 59");
  for (const auto& m : page.items) seen.push_back(m.remote_id);

  auto older = connector->ReadInbox(Read(page.cursor));
  REQUIRE(older.kind == IKind::kRead);
  CHECK_FALSE(older.more);
  REQUIRE(older.items.size() == 10);
  CHECK(older.items.front().text == "reply 0");
  CHECK(older.items.back().text == "reply 9");
  for (const auto& m : older.items) seen.push_back(m.remote_id);

  auto again = connector->ReadInbox(Read(older.cursor));
  REQUIRE(again.kind == IKind::kRead);
  CHECK(again.items.empty());

  // Another in the same second as the newest one read is still new.
  fake.AddReply("bob.test", "same second", kNow + seconds{59}, ours, ours);
  auto late = connector->ReadInbox(Read(again.cursor));
  REQUIRE(late.items.size() == 1);
  CHECK(late.items[0].text == "same second");
  seen.push_back(late.items[0].remote_id);
  CHECK(connector->ReadInbox(Read(late.cursor)).items.empty());
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 61);
}

TEST_CASE("Bluesky inbox rate limit and refusals", "[bluesky][inbox]") {
  BlueskyFake fake;
  auto connector = Make(fake.base_url());
  OurPost(*connector);
  const Instant reset = kNow + minutes{7};

  SECTION("429 -> retry at the reset, reads held until then") {
    fake.fake().FailNext({.status = 429,
                          .headers = {{"RateLimit-Limit", "3000"}, {"RateLimit-Remaining", "0"},
                                      {"RateLimit-Reset", std::to_string(reset.time_since_epoch().count())}},
                          .body = R"({"error":"RateLimitExceeded","message":"Rate Limit Exceeded"})",
                          .path_contains = "listNotifications"});
    auto result = connector->ReadInbox(Read());
    CHECK(result.kind == IKind::kRetryLater);
    CHECK(result.retry_at == reset);
    CHECK(result.hold_until == reset);
    CHECK(result.http_status == 429);
  }
  SECTION("401 -> failed, naming the credentials") {
    fake.fake().FailNext({.status = 401, .body = R"({"error":"AuthenticationRequired","message":"Invalid token"})",
                          .path_contains = "listNotifications"});
    auto result = connector->ReadInbox(Read());
    CHECK(result.kind == IKind::kFailed);
    CHECK(result.why.find("credentials") != std::string::npos);
    CHECK(result.http_status == 401);
  }
  SECTION("a nearly spent budget on a good answer holds further reads") {
    fake.set_rate_limit(10, reset);  // 10 of 5000 left
    auto result = connector->ReadInbox(Read());
    CHECK(result.kind == IKind::kRead);
    CHECK(result.hold_until == reset);
  }
}

TEST_CASE("Bluesky inbox refuses hostile answers without losing its place", "[bluesky][inbox]") {
  BlueskyFake fake;
  auto connector = Make(fake.base_url());
  json ours = OurPost(*connector);

  SECTION("an HTML page") {
    fake.fake().FailNext({.status = 200, .body = "<html><body>Bad gateway</body></html>", .content_type = "text/html",
                          .path_contains = "listNotifications"});
    auto result = connector->ReadInbox(Read());
    CHECK(result.kind == IKind::kFailed);
    CHECK(result.why.find("not JSON") != std::string::npos);
    CHECK(result.cursor.empty());
  }
  SECTION("an answer larger than a page can be") {
    fake.fake().FailNext({.status = 200, .body = R"({"notifications":[],"x":")" + std::string(5 << 20, 'a') + R"("})",
                          .path_contains = "listNotifications"});
    auto result = connector->ReadInbox(Read());
    CHECK(result.kind == IKind::kFailed);
    CHECK(result.why.find("larger") != std::string::npos);
  }
  SECTION("malformed notifications are skipped, good ones kept and bounded") {
    json good = {{"uri", "at://did:plc:alice0000000000/app.bsky.feed.post/3kgood"},
                 {"cid", "bafyreigood"},
                 {"author", {{"did", "did:plc:alice0000000000"}, {"handle", "alice.test"}}},
                 {"reason", "mention"},
                 {"record", {{"text", std::string("a\0b\x07" "c ", 6) + std::string(30000, 'z')}, {"createdAt", "2026-11-23T09:00:00Z"}}},
                 {"isRead", false},
                 {"indexedAt", "2026-11-23T09:00:01.123Z"}};
    json body = {{"notifications",
                  {42, "text", {{"uri", 7}}, {{"uri", "https://not.at"}, {"cid", "x"}, {"reason", "reply"}, {"indexedAt", "now"}},
                   good}}};
    fake.fake().FailNext({.status = 200, .body = body.dump(), .path_contains = "listNotifications"});
    auto result = connector->ReadInbox(Read());
    REQUIRE(result.kind == IKind::kRead);
    REQUIRE(result.items.size() == 1);
    CHECK(result.items[0].remote_id == "at://did:plc:alice0000000000/app.bsky.feed.post/3kgood");
    CHECK(result.items[0].text.starts_with("abc zzz"));
    CHECK(result.items[0].text.size() == 20000);
    CHECK(result.items[0].created_at == *ParseRfc3339("2026-11-23T09:00:00Z"));
  }
  SECTION("a cursor it did not write") {
    auto result = connector->ReadInbox(Read("{\"v\":1,\"walk\":{\"seen\":\"yesterday\"}}"));
    CHECK(result.kind == IKind::kFailed);
    CHECK(result.why.find("cursor") != std::string::npos);
  }
}

TEST_CASE("Bluesky answers an inbox item with a threaded reply", "[bluesky][inbox]") {
  BlueskyFake fake;
  auto connector = Make(fake.base_url());
  json ours = OurPost(*connector);
  std::string reply = fake.AddReply("alice.test", "When is 2.1 due?", kNow - minutes{30}, ours, ours);
  auto read = connector->ReadInbox(Read());
  REQUIRE(read.items.size() == 1);

  PublishRequest answer = testing::InboxAnswer("bluesky", "Next month!", read.items[0].reply_ref, kNow, 32);
  auto published = connector->Publish(answer);
  REQUIRE(published.kind == PublishResult::Kind::kPublished);
  auto records = fake.Records();
  REQUIRE(records.size() == 2);
  const json& record = records.back().value;
  CHECK(record["text"] == "Next month!");
  CHECK(record["reply"]["root"] == ours);
  CHECK(record["reply"]["parent"]["uri"] == reply);
  CHECK(record["reply"]["parent"]["cid"] == json::parse(read.items[0].reply_ref)["parent"]["cid"]);
  CHECK(record["reply"].size() == 2);
  CHECK(connector->ReadsInbox());

  SECTION("a reply reference it did not write is refused before sending") {
    answer.post_id = 33;
    answer.reply_to = R"({"root":{"uri":"https://example.org"},"parent":{}})";
    auto refused = connector->Publish(answer);
    CHECK(refused.kind == PublishResult::Kind::kFailed);
    CHECK(refused.why.find("reply reference") != std::string::npos);
    CHECK(fake.Records().size() == 2);
  }
}

}  // namespace
}  // namespace herald::connectors
