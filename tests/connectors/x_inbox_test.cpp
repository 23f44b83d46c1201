// The x connector's inbox against XFake: GET /2/users/:id/mentions with the
// documented fields and expansions, since_id and pagination_token, nothing
// returned twice, the user id asked once, rate limits and refusals, hostile
// answers, and a reply posted with reply.in_reply_to_tweet_id.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <set>

#include "connectors/platforms.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/x_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using json = nlohmann::json;
using IKind = InboxReadResult::Kind;
using testing::XFake;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");
const std::string kToken = "dGhpcy1pcy1hbi1vYXV0aDI";

std::unique_ptr<Connector> Make(const std::string& base_url) {
  policies::ConnectorConfig c;
  c.type = "x";
  c.base_url = base_url;
  c.settings["username"] = "herald";
  c.secrets["token"] = {policies::SecretRef::Kind::kEnv, "X_TOKEN"};
  auto made = MakeXConnector(c, testing::TestContext({{"X_TOKEN", kToken}}, milliseconds{3000}));
  REQUIRE(made.has_value());
  return std::move(*made);
}

InboxReadRequest Read(std::string cursor = "") {
  InboxReadRequest r;
  r.organization = "acme";
  r.account = "x";
  r.cursor = std::move(cursor);
  r.now = kNow;
  return r;
}

std::vector<testing::RecordedRequest> Mentions(XFake& fake) {
  std::vector<testing::RecordedRequest> out;
  for (const auto& r : fake.server().Requests())
    if (r.path.ends_with("/mentions")) out.push_back(r);
  return out;
}

TEST_CASE("X inbox reads mentions, replies and quotes oldest first", "[x][inbox]") {
  XFake fake(kToken);
  fake.SetNow(kNow);
  fake.AddPost("Release 2.0 is out", kNow - hours{2});
  const std::string ours = fake.Posts().back().id;
  auto connector = Make(fake.base_url());
  std::string reply = fake.AddMention("alice", "Alice A.", "@herald when is 2.1 due? a<b & c", kNow - minutes{30}, ours);
  std::string mention = fake.AddMention("carol", "Carol", "ask @herald", kNow - minutes{20});
  std::string quote = fake.AddMention("dave", "Dave", "@herald this!", kNow - minutes{10}, "", ours);

  auto result = connector->ReadInbox(Read());
  REQUIRE(result.kind == IKind::kRead);
  CHECK_FALSE(result.more);
  REQUIRE(result.items.size() == 3);
  const InboxMessage& r = result.items[0];
  CHECK(r.remote_id == reply);
  CHECK(r.kind == InboxKind::kReply);
  CHECK(r.in_reply_to == ours);
  CHECK(r.author == "alice");
  CHECK(r.author_name == "Alice A.");
  CHECK(r.text == "@herald when is 2.1 due? a<b & c");  // X's &amp; &lt; decoded
  CHECK(r.language == "en");
  CHECK(r.created_at == kNow - minutes{30});
  CHECK(r.url == "https://x.com/alice/status/" + reply);
  CHECK(r.reply_ref == reply);
  CHECK(result.items[1].remote_id == mention);
  CHECK(result.items[1].kind == InboxKind::kMention);
  CHECK(result.items[1].in_reply_to.empty());
  CHECK(result.items[2].remote_id == quote);
  CHECK(result.items[2].kind == InboxKind::kQuote);
  CHECK(result.items[2].in_reply_to == ours);

  auto requests = Mentions(fake);
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].Header("Authorization") == "Bearer " + kToken);
  CHECK(requests[0].Param("tweet.fields") == "created_at,lang,referenced_tweets,conversation_id,author_id");
  CHECK(requests[0].Param("expansions") == "author_id");
  CHECK(requests[0].Param("max_results") == "100");
  CHECK(requests[0].Param("since_id").empty());
}

TEST_CASE("X inbox pages back, then asks only for newer mentions", "[x][inbox]") {
  XFake fake(kToken);
  fake.SetNow(kNow);
  auto connector = Make(fake.base_url());
  auto first = connector->ReadInbox(Read());
  REQUIRE(first.kind == IKind::kRead);
  CHECK(first.items.empty());

  std::vector<std::string> ids;
  for (int i = 0; i < 130; ++i) ids.push_back(fake.AddMention("m" + std::to_string(i), "", "@herald " + std::to_string(i), kNow + seconds{i}));
  auto page = connector->ReadInbox(Read(first.cursor));
  REQUIRE(page.kind == IKind::kRead);
  CHECK(page.more);
  REQUIRE(page.items.size() == 100);
  CHECK(page.items.front().remote_id == ids[30]);
  CHECK(page.items.back().remote_id == ids[129]);
  auto older = connector->ReadInbox(Read(page.cursor));
  REQUIRE(older.kind == IKind::kRead);
  CHECK_FALSE(older.more);
  REQUIRE(older.items.size() == 30);
  CHECK(older.items.front().remote_id == ids[0]);
  auto requests = Mentions(fake);
  CHECK(requests.back().Param("pagination_token") == "pt" + ids[30]);

  std::string late = fake.AddMention("zed", "", "@herald late", kNow + minutes{5});
  auto next = connector->ReadInbox(Read(older.cursor));
  REQUIRE(next.items.size() == 1);
  CHECK(next.items[0].remote_id == late);
  CHECK(Mentions(fake).back().Param("since_id") == ids[129]);
  CHECK(Mentions(fake).back().Param("pagination_token").empty());
  CHECK(connector->ReadInbox(Read(next.cursor)).items.empty());

  std::set<std::string> seen;
  for (const auto* batch : {&page, &older, &next})
    for (const auto& m : batch->items) CHECK(seen.insert(m.remote_id).second);
  CHECK(seen.size() == 131);
  // The account's user id is asked for once.
  int me = 0;
  for (const auto& r : fake.server().Requests()) me += r.path == "/2/users/me";
  CHECK(me == 1);
}

TEST_CASE("X inbox rate limit, refusals and hostile answers", "[x][inbox]") {
  XFake fake(kToken);
  fake.SetNow(kNow);
  auto connector = Make(fake.base_url());
  const Instant reset = kNow + minutes{15};

  SECTION("429 -> retry at x-rate-limit-reset") {
    fake.server().FailNext({.status = 429,
                            .headers = {{"x-rate-limit-limit", "180"}, {"x-rate-limit-remaining", "0"},
                                        {"x-rate-limit-reset", std::to_string(reset.time_since_epoch().count())}},
                            .body = R"({"title":"Too Many Requests","detail":"Too Many Requests","status":429})",
                            .path_contains = "/mentions"});
    auto result = connector->ReadInbox(Read());
    CHECK(result.kind == IKind::kRetryLater);
    CHECK(result.retry_at == reset);
    CHECK(result.hold_until == reset);
  }
  SECTION("401 -> failed") {
    fake.server().FailNext({.status = 401, .body = R"({"title":"Unauthorized","detail":"Unauthorized","status":401})",
                            .path_contains = "/2/users/me"});
    auto result = connector->ReadInbox(Read());
    CHECK(result.kind == IKind::kFailed);
    CHECK(result.http_status == 401);
    CHECK(result.why.find("credentials") != std::string::npos);
  }
  SECTION("HTML instead of JSON") {
    fake.server().FailNext({.status = 200, .body = "<html>oops</html>", .content_type = "text/html", .path_contains = "/mentions"});
    auto result = connector->ReadInbox(Read());
    CHECK(result.kind == IKind::kFailed);
    CHECK(result.why.find("not a JSON object") != std::string::npos);
  }
  SECTION("malformed mentions are skipped") {
    json body = {{"data", {1, {{"id", "12ab"}, {"created_at", "2026-11-23T09:00:00.000Z"}}, {{"id", "55"}},
                           {{"id", "77"}, {"created_at", "2026-11-23T09:00:00.000Z"}, {"text", std::string(50000, 'q')},
                            {"referenced_tweets", {{{"type", "replied_to"}, {"id", "not-an-id"}}}}}}},
                 {"meta", {{"result_count", 4}}}};
    fake.server().FailNext({.status = 200, .body = body.dump(), .path_contains = "/mentions"});
    auto result = connector->ReadInbox(Read());
    REQUIRE(result.kind == IKind::kRead);
    REQUIRE(result.items.size() == 1);
    CHECK(result.items[0].remote_id == "77");
    CHECK(result.items[0].kind == InboxKind::kMention);
    CHECK(result.items[0].text.size() == 20000);
    CHECK(result.items[0].url == "https://x.com/i/web/status/77");
  }
}

TEST_CASE("X answers a mention with reply.in_reply_to_tweet_id", "[x][inbox]") {
  XFake fake(kToken);
  fake.SetNow(kNow);
  auto connector = Make(fake.base_url());
  std::string mention = fake.AddMention("alice", "Alice", "@herald hi", kNow - minutes{3});
  auto read = connector->ReadInbox(Read());
  REQUIRE(read.items.size() == 1);

  PublishRequest answer = testing::InboxAnswer("x", "@alice hello!", read.items[0].reply_ref, kNow);
  auto published = connector->Publish(answer);
  REQUIRE(published.kind == PublishResult::Kind::kPublished);
  auto posts = fake.Posts();
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].in_reply_to_tweet_id == mention);
  auto sent = fake.server().Requests();
  json body;
  for (const auto& r : sent)
    if (r.path == "/2/tweets" && r.method == "POST") body = json::parse(r.body);
  CHECK(body == json{{"text", "@alice hello!"}, {"reply", {{"in_reply_to_tweet_id", mention}}}});

  answer.reply_to = "../2/users/me";
  auto refused = connector->Publish(answer);
  CHECK(refused.kind == PublishResult::Kind::kFailed);
  CHECK(fake.Posts().size() == 1);
}

}  // namespace
}  // namespace herald::connectors
