// The threads connector's inbox against ThreadsFake: the conversation under
// recent posts (nested replies included, newest first), nothing returned
// twice, the account's own replies left out, rate limits and refusals,
// hostile answers, and a reply published as a container with reply_to_id.
#include <catch2/catch.hpp>

#include <set>

#include "connectors/threads/threads_connector.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/threads_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using IKind = InboxReadResult::Kind;
using testing::ThreadsFake;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");
const std::string kUser = "25025320";
const std::string kToken = "THQWJvZA-threads-token";

std::unique_ptr<Connector> Make(const std::string& base_url) {
  policies::ConnectorConfig c;
  c.type = "threads";
  c.base_url = base_url;
  c.settings["user_id"] = kUser;
  c.secrets["token"] = {policies::SecretRef::Kind::kEnv, "THREADS_TOKEN"};
  auto made = MakeThreadsConnectorWithTiming(c, testing::TestContext({{"THREADS_TOKEN", kToken}}, milliseconds{3000}),
                                             {milliseconds{10}, 5});
  REQUIRE(made.has_value());
  return std::move(*made);
}

InboxReadRequest Read(std::vector<std::string> posts, std::string cursor = "") {
  InboxReadRequest r;
  r.organization = "acme";
  r.account = "threads";
  r.cursor = std::move(cursor);
  r.recent_posts = std::move(posts);
  r.now = kNow;
  return r;
}

TEST_CASE("Threads inbox reads the conversation under recent posts", "[threads][inbox]") {
  ThreadsFake fake(kUser, kToken);
  std::string post = fake.AddPost("Release 2.0 is out", kNow - hours{2});
  auto& replies = fake.comments();
  std::string top = replies.Add(post, "alice", "When is 2.1 due?", kNow - minutes{30});
  replies.Add(post, "herald", "Next month", kNow - minutes{25}, top);  // the account's own
  std::string nested = replies.Add(post, "bob", "@alice soon I hope", kNow - minutes{20}, top);
  auto connector = Make(fake.base_url());

  auto result = connector->ReadInbox(Read({post}));
  REQUIRE(result.kind == IKind::kRead);
  REQUIRE(result.items.size() == 2);
  CHECK(result.items[0].remote_id == top);
  CHECK(result.items[0].kind == InboxKind::kReply);
  CHECK(result.items[0].author == "alice");
  CHECK(result.items[0].text == "When is 2.1 due?");
  CHECK(result.items[0].in_reply_to == post);
  CHECK(result.items[0].reply_ref == top);
  CHECK(result.items[0].url.starts_with("https://www.threads.net/@alice/post/"));
  CHECK(result.items[1].remote_id == nested);
  CHECK(result.items[1].reply_ref == nested);  // Threads answers any reply directly
  auto requests = fake.server().Requests();
  CHECK(requests.back().path == "/v1.0/" + post + "/conversation");
  CHECK(requests.back().Param("reverse") == "true");
  CHECK(requests.back().Param("fields") == "id,text,username,timestamp,permalink,replied_to,is_reply_owned_by_me");
  CHECK(connector->ReadInbox(Read({post}, result.cursor)).items.empty());
}

TEST_CASE("Threads inbox walks pages and returns nothing twice", "[threads][inbox]") {
  ThreadsFake fake(kUser, kToken);
  std::string post = fake.AddPost("Release 2.0 is out", kNow - hours{2});
  std::string second = fake.AddPost("Another", kNow - hours{1});
  for (int i = 0; i < 55; ++i) fake.comments().Add(post, "fan" + std::to_string(i), "r" + std::to_string(i), kNow + seconds{i});
  fake.comments().Add(second, "zed", "on the other post", kNow + seconds{3});
  auto connector = Make(fake.base_url());
  std::set<std::string> seen;
  auto first = connector->ReadInbox(Read({second, post}));
  REQUIRE(first.kind == IKind::kRead);
  CHECK(first.more);
  REQUIRE(first.items.size() == 51);
  // Oldest first across the posts read.
  for (size_t i = 1; i < first.items.size(); ++i) CHECK(first.items[i - 1].created_at <= first.items[i].created_at);
  auto rest = connector->ReadInbox(Read({second, post}, first.cursor));
  REQUIRE(rest.kind == IKind::kRead);
  CHECK_FALSE(rest.more);
  REQUIRE(rest.items.size() == 5);
  for (const auto* page : {&first, &rest})
    for (const auto& m : page->items) CHECK(seen.insert(m.remote_id).second);
  CHECK(seen.size() == 56);
  CHECK(connector->ReadInbox(Read({second, post}, rest.cursor)).items.empty());
}

TEST_CASE("Threads inbox rate limits, refusals and hostile answers", "[threads][inbox]") {
  ThreadsFake fake(kUser, kToken);
  std::string post = fake.AddPost("Release 2.0 is out", kNow - hours{2});
  fake.comments().Add(post, "alice", "hi", kNow - minutes{3});
  auto connector = Make(fake.base_url());

  SECTION("429") {
    const Instant reset = kNow + minutes{20};
    fake.server().FailNext({.status = 429,
                            .headers = {{"X-RateLimit-Remaining", "0"},
                                        {"X-RateLimit-Reset", std::to_string(reset.time_since_epoch().count())}},
                            .body = R"({"error":{"message":"Application request limit reached","code":4}})"});
    auto result = connector->ReadInbox(Read({post}));
    CHECK(result.kind == IKind::kRetryLater);
    CHECK(result.retry_at == reset);
  }
  SECTION("an invalid token") {
    fake.server().FailNext({.status = 400, .body = R"({"error":{"message":"Invalid OAuth access token","code":190}})"});
    auto result = connector->ReadInbox(Read({post}));
    CHECK(result.kind == IKind::kFailed);
    CHECK(result.why.find("credentials") != std::string::npos);
  }
  SECTION("a reply whose fields have the wrong types") {
    fake.server().FailNext({.status = 200,
                            .body = R"({"data":[{"id":"71","text":"ok","timestamp":"2026-11-23T09:00:00+0000",)"
                                    R"("is_reply_owned_by_me":"no","username":["x"]}]})"});
    auto result = connector->ReadInbox(Read({post}));
    REQUIRE(result.kind == IKind::kRead);
    REQUIRE(result.items.size() == 1);
    CHECK(result.items[0].author.empty());
  }
  SECTION("HTML instead of JSON") {
    fake.server().FailNext({.status = 200, .body = "<!doctype html><p>hi", .content_type = "text/html"});
    CHECK(connector->ReadInbox(Read({post})).kind == IKind::kFailed);
  }
}

TEST_CASE("Threads answers a reply with a reply_to_id container", "[threads][inbox]") {
  ThreadsFake fake(kUser, kToken);
  std::string post = fake.AddPost("Release 2.0 is out", kNow - hours{2});
  std::string question = fake.comments().Add(post, "alice", "When?", kNow - minutes{3});
  auto connector = Make(fake.base_url());
  auto read = connector->ReadInbox(Read({post}));
  REQUIRE(read.items.size() == 1);

  PublishRequest answer = testing::InboxAnswer("threads", "Next month!", read.items[0].reply_ref, kNow);
  auto published = connector->Publish(answer);
  REQUIRE(published.kind == PublishResult::Kind::kPublished);
  auto posts = fake.Posts();  // those published through a container: the reply
  REQUIRE(posts.size() == 1);
  auto container = fake.FindContainer(posts.back().container);
  REQUIRE(container.has_value());
  CHECK(container->fields.at("reply_to_id") == question);
  CHECK(container->fields.at("media_type") == "TEXT");
  CHECK(container->fields.at("text") == "Next month!");

  answer.reply_to = "123&reply_to_id=9";
  CHECK(connector->Publish(answer).kind == PublishResult::Kind::kFailed);
  CHECK(fake.Posts().size() == 1);
}

}  // namespace
}  // namespace herald::connectors
