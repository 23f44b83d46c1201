// The facebook_page connector's inbox against FacebookPageFake: the comments
// under the Page's recent posts (filter=stream, newest first), each post
// walked with Graph's cursors, nothing returned twice, the Page's own
// comments left out, throttles and refusals, hostile answers, and a reply
// posted as a comment on the comment.
#include <catch2/catch.hpp>

#include <set>

#include "connectors/platforms.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/facebook_page_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using IKind = InboxReadResult::Kind;
using testing::FacebookPageFake;
using testing::Fault;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");
const std::string kPage = "104871234567890";
const std::string kToken = "EAAB-page-token";

std::unique_ptr<Connector> Make(const std::string& base_url, const std::string& token_env = "FB_TOKEN") {
  policies::ConnectorConfig c;
  c.type = "facebook_page";
  c.base_url = base_url;
  c.settings["page_id"] = kPage;
  c.secrets["token"] = {policies::SecretRef::Kind::kEnv, token_env};
  auto made = MakeFacebookPageConnector(c, testing::TestContext({{"FB_TOKEN", kToken}, {"FB_WRONG", "expired"}}, milliseconds{3000}));
  REQUIRE(made.has_value());
  return std::move(*made);
}

InboxReadRequest Read(std::vector<std::string> posts, std::string cursor = "") {
  InboxReadRequest r;
  r.organization = "acme";
  r.account = "fb";
  r.cursor = std::move(cursor);
  r.recent_posts = std::move(posts);
  r.now = kNow;
  return r;
}

std::vector<testing::RecordedRequest> CommentReads(FacebookPageFake& fake) {
  std::vector<testing::RecordedRequest> out;
  for (const auto& r : fake.server().Requests())
    if (r.method == "GET" && r.path.ends_with("/comments")) out.push_back(r);
  return out;
}

TEST_CASE("Facebook Page inbox reads the comments under recent posts", "[facebook_page][inbox]") {
  FacebookPageFake fake(kPage, kToken);
  std::string post = fake.AddPost("Release 2.0 is out");
  std::string other = fake.AddPost("Older news");
  auto& comments = fake.comments();
  std::string question = comments.Add(post, "Alice Doe", "When is 2.1 due?", kNow - minutes{30});
  comments.Add(post, "Herald Page", "Next month", kNow - minutes{25}, question);  // the Page's own answer
  std::string follow = comments.Add(post, "Bob Roe", "Me too", kNow - minutes{20}, question);
  std::string elsewhere = comments.Add(other, "Carol", "Nice", kNow - minutes{10});
  auto connector = Make(fake.base_url());

  auto result = connector->ReadInbox(Read({post, other}));
  REQUIRE(result.kind == IKind::kRead);
  CHECK_FALSE(result.more);
  REQUIRE(result.items.size() == 3);
  const InboxMessage& q = result.items[0];
  CHECK(q.remote_id == question);
  CHECK(q.kind == InboxKind::kComment);
  CHECK(q.author_name == "Alice Doe");
  CHECK_FALSE(q.author.empty());
  CHECK(q.text == "When is 2.1 due?");
  CHECK(q.created_at == kNow - minutes{30});
  CHECK(q.in_reply_to == post);
  CHECK(q.url == "https://www.facebook.com/" + post + "?comment_id=" + question);
  CHECK(q.reply_ref == question);
  CHECK(result.items[1].remote_id == follow);
  CHECK(result.items[1].reply_ref == question);  // a reply's answer joins its parent's thread
  CHECK(result.items[2].remote_id == elsewhere);
  CHECK(result.items[2].in_reply_to == other);

  auto reads = CommentReads(fake);
  REQUIRE(reads.size() == 2);
  CHECK(reads[0].path == "/v21.0/" + post + "/comments");
  CHECK(reads[0].Param("filter") == "stream");
  CHECK(reads[0].Param("order") == "reverse_chronological");
  CHECK(reads[0].Param("fields") == "id,message,from{id,name},created_time,parent{id},permalink_url");
  CHECK(reads[0].Param("access_token") == kToken);
  CHECK(connector->ReadInbox(Read({post, other}, result.cursor)).items.empty());
}

TEST_CASE("Facebook Page inbox of a connected account without page_id asks who its Page is, and skips its answers",
          "[facebook_page][inbox]") {
  FacebookPageFake fake(kPage, kToken);
  std::string post = fake.AddPost("Release 2.0 is out");
  auto& comments = fake.comments();
  std::string question = comments.Add(post, "Alice Doe", "When is 2.1 due?", kNow - minutes{30});
  comments.Add(post, "Herald Page", "Next month", kNow - minutes{25}, question);  // the Page's own answer
  policies::ConnectorConfig c;
  c.type = "facebook_page";
  c.base_url = fake.base_url();
  c.settings["auth"] = "oauth";
  auto made = MakeFacebookPageConnector(c, testing::TestContext({}, milliseconds{3000}));
  REQUIRE(made.has_value());
  InboxReadRequest read = Read({post});
  read.access_token = kToken;
  auto result = (*made)->ReadInbox(read);
  INFO(result.why);
  REQUIRE(result.kind == IKind::kRead);
  REQUIRE(result.items.size() == 1);
  CHECK(result.items[0].remote_id == question);
  size_t asked = 0;
  for (const auto& r : fake.server().Requests()) asked += r.method == "GET" && r.path.ends_with("/me") ? 1 : 0;
  CHECK(asked == 1);
  SECTION("a token the platform refuses when asked who it is: nothing read") {
    read.access_token = "EAAB-not-the-page";
    auto refused = (*made)->ReadInbox(read);
    CHECK(refused.kind != IKind::kRead);
    CHECK(refused.items.empty());
  }
}

TEST_CASE("Facebook Page inbox walks a post's pages and returns nothing twice", "[facebook_page][inbox]") {
  FacebookPageFake fake(kPage, kToken);
  std::string post = fake.AddPost("Release 2.0 is out");
  std::vector<std::string> ids;
  for (int i = 0; i < 60; ++i) ids.push_back(fake.comments().Add(post, "fan" + std::to_string(i), "c" + std::to_string(i), kNow + seconds{i}));
  auto connector = Make(fake.base_url());
  std::set<std::string> seen;

  auto page = connector->ReadInbox(Read({post}));
  REQUIRE(page.kind == IKind::kRead);
  CHECK(page.more);
  REQUIRE(page.items.size() == 50);
  CHECK(page.items.front().remote_id == ids[10]);
  CHECK(page.items.back().remote_id == ids[59]);
  for (const auto& m : page.items) CHECK(seen.insert(m.remote_id).second);
  auto older = connector->ReadInbox(Read({post}, page.cursor));
  REQUIRE(older.kind == IKind::kRead);
  CHECK_FALSE(older.more);
  REQUIRE(older.items.size() == 10);
  CHECK(older.items.front().remote_id == ids[0]);
  for (const auto& m : older.items) CHECK(seen.insert(m.remote_id).second);
  CHECK(CommentReads(fake).back().Param("after") == "c" + ids[10]);

  std::string late = fake.comments().Add(post, "late", "late one", kNow + minutes{5});
  auto next = connector->ReadInbox(Read({post}, older.cursor));
  REQUIRE(next.items.size() == 1);
  CHECK(next.items[0].remote_id == late);
  CHECK(connector->ReadInbox(Read({post}, next.cursor)).items.empty());
  CHECK(seen.size() == 60);

  // The cursor keeps only the posts still listed as recent.
  std::string newer = fake.AddPost("Newer");
  auto moved = connector->ReadInbox(Read({newer}, next.cursor));
  REQUIRE(moved.kind == IKind::kRead);
  CHECK(moved.cursor.find(post) == std::string::npos);
  CHECK(moved.cursor.find(newer) != std::string::npos);
}

TEST_CASE("Facebook Page inbox throttles, refusals and hostile answers", "[facebook_page][inbox]") {
  FacebookPageFake fake(kPage, kToken);
  std::string post = fake.AddPost("Release 2.0 is out");
  std::string second = fake.AddPost("Second");
  std::string first_comment = fake.comments().Add(post, "Alice", "hi", kNow - minutes{3});
  fake.comments().Add(second, "Bob", "hey", kNow - minutes{2});

  SECTION("Graph's throttle -> retry when access returns") {
    fake.server().FailNext(testing::GraphThrottle(kPage, 10));
    auto result = Make(fake.base_url())->ReadInbox(Read({post, second}));
    CHECK(result.kind == IKind::kRetryLater);
    CHECK(result.retry_at == kNow + minutes{10});
  }
  SECTION("a throttle after one post keeps what was read") {
    Fault throttle = testing::GraphThrottle(kPage, 10);
    throttle.path_contains = second;
    fake.server().FailNext(throttle);
    auto connector = Make(fake.base_url());
    auto result = connector->ReadInbox(Read({post, second}));
    REQUIRE(result.kind == IKind::kRead);
    REQUIRE(result.items.size() == 1);
    CHECK(result.items[0].remote_id == first_comment);
    CHECK(result.hold_until == kNow + minutes{10});
    auto rest = connector->ReadInbox(Read({post, second}, result.cursor));
    REQUIRE(rest.items.size() == 1);
    CHECK(rest.items[0].text == "hey");
  }
  SECTION("HTTP 429 with Retry-After") {
    fake.server().FailNext({.status = 429, .headers = {{"Retry-After", "120"}}, .body = R"({"error":{"message":"slow down","code":4}})"});
    auto result = Make(fake.base_url())->ReadInbox(Read({post}));
    CHECK(result.kind == IKind::kRetryLater);
    CHECK(result.retry_at == kNow + seconds{120});
  }
  SECTION("an expired token (code 190) -> failed, naming the credentials") {
    auto result = Make(fake.base_url(), "FB_WRONG")->ReadInbox(Read({post}));
    CHECK(result.kind == IKind::kFailed);
    CHECK(result.why.find("credentials") != std::string::npos);
  }
  SECTION("HTTP 401") {
    fake.server().FailNext({.status = 401, .body = R"({"error":{"message":"no","code":102}})"});
    CHECK(Make(fake.base_url())->ReadInbox(Read({post})).kind == IKind::kFailed);
  }
  SECTION("HTML instead of JSON") {
    fake.server().FailNext({.status = 200, .body = "<html>maintenance</html>", .content_type = "text/html"});
    auto result = Make(fake.base_url())->ReadInbox(Read({post}));
    CHECK(result.kind == IKind::kFailed);
    CHECK(result.why.find("not JSON") != std::string::npos);
  }
  SECTION("a deleted post and ids that are not Graph ids are skipped") {
    auto result = Make(fake.base_url())->ReadInbox(Read({"104871234567890_999", "../me", post}));
    REQUIRE(result.kind == IKind::kRead);
    REQUIRE(result.items.size() == 1);
    CHECK(result.items[0].remote_id == first_comment);
    CHECK(result.cursor.find("_999") == std::string::npos);
  }
  SECTION("malformed comments are skipped") {
    fake.server().FailNext({.status = 200,
                            .body = R"({"data":[1,{"id":"5_1"},{"id":"5_2","created_time":"soon"},)"
                                    R"({"id":"5_3","created_time":"2026-11-23T09:00:00+0000","message":{"x":1}}]})"});
    auto result = Make(fake.base_url())->ReadInbox(Read({post}));
    REQUIRE(result.kind == IKind::kRead);
    REQUIRE(result.items.size() == 1);
    CHECK(result.items[0].remote_id == "5_3");
    CHECK(result.items[0].text.empty());
  }
  SECTION("an error whose fields have the wrong types does not throw") {
    fake.server().FailNext({.status = 400, .body = R"({"error":{"message":"odd","code":"190","is_transient":"yes"}})"});
    auto result = Make(fake.base_url())->ReadInbox(Read({post}));
    CHECK(result.kind == IKind::kRead);  // a refusal about this one post: skipped
    CHECK(result.items.empty());
  }
  SECTION("a cursor it did not write") {
    CHECK(Make(fake.base_url())->ReadInbox(Read({post}, "[1,2]")).kind == IKind::kFailed);
  }
}

TEST_CASE("Facebook Page answers a comment with a comment on it", "[facebook_page][inbox]") {
  FacebookPageFake fake(kPage, kToken);
  std::string post = fake.AddPost("Release 2.0 is out");
  std::string question = fake.comments().Add(post, "Alice", "When?", kNow - minutes{3});
  auto connector = Make(fake.base_url());
  auto read = connector->ReadInbox(Read({post}));
  REQUIRE(read.items.size() == 1);

  PublishRequest answer = testing::InboxAnswer("facebook_page", "Next month!", read.items[0].reply_ref, kNow);
  auto published = connector->Publish(answer);
  REQUIRE(published.kind == PublishResult::Kind::kPublished);
  auto all = fake.comments().Comments();
  REQUIRE(all.size() == 2);
  CHECK(all[1].parent == question);
  CHECK(all[1].text == "Next month!");
  CHECK(all[1].own);
  CHECK(published.remote_id == all[1].id);
  auto requests = fake.server().Requests();
  CHECK(requests.back().method == "POST");
  CHECK(requests.back().path == "/v21.0/" + question + "/comments");
  CHECK(requests.back().Param("message") == "Next month!");
  CHECK(fake.Posts().size() == 1);  // nothing on the feed
  // The Page's answer is not read back as an inbox item.
  CHECK(connector->ReadInbox(Read({post}, read.cursor)).items.empty());

  answer.reply_to = "me/feed";
  CHECK(connector->Publish(answer).kind == PublishResult::Kind::kFailed);
}

}  // namespace
}  // namespace herald::connectors
