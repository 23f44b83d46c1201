// The instagram connector's inbox against InstagramFake: the comments under
// recent media with their nested replies, every page read (the edge's order
// is not documented), nothing returned twice, the account's own replies left
// out, rate limits and refusals, hostile answers, and a reply posted with
// POST /<comment>/replies.
#include <catch2/catch.hpp>

#include <set>

#include "connectors/instagram/instagram_connector.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/instagram_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using IKind = InboxReadResult::Kind;
using testing::InstagramFake;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");
const std::string kUser = "17841405822304914";
const std::string kToken = "EAAG-instagram-token";

std::unique_ptr<Connector> Make(const std::string& base_url) {
  policies::ConnectorConfig c;
  c.type = "instagram";
  c.base_url = base_url;
  c.settings["user_id"] = kUser;
  c.secrets["token"] = {policies::SecretRef::Kind::kEnv, "IG_TOKEN"};
  auto made = MakeInstagramConnectorWithTiming(c, testing::TestContext({{"IG_TOKEN", kToken}}, milliseconds{3000}),
                                               {milliseconds{10}, 5});
  REQUIRE(made.has_value());
  return std::move(*made);
}

InboxReadRequest Read(std::vector<std::string> posts, std::string cursor = "") {
  InboxReadRequest r;
  r.organization = "acme";
  r.account = "ig";
  r.cursor = std::move(cursor);
  r.recent_posts = std::move(posts);
  r.now = kNow;
  return r;
}

TEST_CASE("Instagram inbox reads comments and their replies", "[instagram][inbox]") {
  InstagramFake fake(kUser, kToken);
  std::string media = fake.AddPost("Our new look", kNow - hours{3});
  auto& comments = fake.comments();
  std::string question = comments.Add(media, "alice", "Where can I buy it?", kNow - minutes{30});
  comments.Add(media, "herald", "In our shop", kNow - minutes{25}, question);  // the account's own reply
  std::string nested = comments.Add(media, "bob", "Same question", kNow - minutes{20}, question);
  std::string later = comments.Add(media, "carol", "Love it", kNow - minutes{10});
  auto connector = Make(fake.base_url());

  auto result = connector->ReadInbox(Read({media}));
  REQUIRE(result.kind == IKind::kRead);
  REQUIRE(result.items.size() == 3);
  CHECK(result.items[0].remote_id == question);
  CHECK(result.items[0].kind == InboxKind::kComment);
  CHECK(result.items[0].author == "alice");
  CHECK(result.items[0].text == "Where can I buy it?");
  CHECK(result.items[0].in_reply_to == media);
  CHECK(result.items[0].reply_ref == question);
  CHECK(result.items[0].created_at == kNow - minutes{30});
  CHECK(result.items[1].remote_id == nested);
  CHECK(result.items[1].reply_ref == question);  // Instagram nests one level
  CHECK(result.items[2].remote_id == later);
  auto requests = fake.server().Requests();
  CHECK(requests.back().path == "/v21.0/" + media + "/comments");
  CHECK(requests.back().Param("fields") ==
        "id,text,username,timestamp,from{id,username},replies{id,text,username,timestamp,from{id,username}}");

  // A new reply under an old comment is found: every comment's replies are read.
  std::string fresh = comments.Add(media, "dave", "Any news?", kNow - minutes{1}, question);
  auto next = connector->ReadInbox(Read({media}, result.cursor));
  REQUIRE(next.items.size() == 1);
  CHECK(next.items[0].remote_id == fresh);
  CHECK(connector->ReadInbox(Read({media}, next.cursor)).items.empty());
}

TEST_CASE("Instagram inbox reads every page and returns nothing twice", "[instagram][inbox]") {
  InstagramFake fake(kUser, kToken);
  std::string media = fake.AddPost("Our new look", kNow - hours{3});
  for (int i = 0; i < 70; ++i) fake.comments().Add(media, "fan" + std::to_string(i), "c" + std::to_string(i), kNow + seconds{i});
  auto connector = Make(fake.base_url());
  std::set<std::string> seen;
  auto first = connector->ReadInbox(Read({media}));
  REQUIRE(first.kind == IKind::kRead);
  CHECK(first.more);
  CHECK(first.items.size() == 50);
  auto second = connector->ReadInbox(Read({media}, first.cursor));
  REQUIRE(second.kind == IKind::kRead);
  CHECK_FALSE(second.more);
  CHECK(second.items.size() == 20);
  for (const auto* page : {&first, &second})
    for (const auto& m : page->items) CHECK(seen.insert(m.remote_id).second);
  CHECK(seen.size() == 70);
  CHECK(connector->ReadInbox(Read({media}, second.cursor)).items.empty());
}

TEST_CASE("Instagram inbox rate limits, refusals and hostile answers", "[instagram][inbox]") {
  InstagramFake fake(kUser, kToken);
  std::string media = fake.AddPost("Our new look", kNow - hours{3});
  fake.comments().Add(media, "alice", "hi", kNow - minutes{3});
  auto connector = Make(fake.base_url());

  SECTION("Graph's throttle") {
    fake.server().FailNext(testing::GraphThrottle(kUser, 5));
    auto result = connector->ReadInbox(Read({media}));
    CHECK(result.kind == IKind::kRetryLater);
    CHECK(result.retry_at == kNow + minutes{5});
  }
  SECTION("401") {
    fake.server().FailNext({.status = 401, .body = R"({"error":{"message":"Session has expired","code":190}})"});
    auto result = connector->ReadInbox(Read({media}));
    CHECK(result.kind == IKind::kFailed);
    CHECK(result.why.find("credentials") != std::string::npos);
  }
  SECTION("an answer that is not the documented JSON") {
    fake.server().FailNext({.status = 200, .body = R"({"data":{"id":"1"}})"});
    auto result = connector->ReadInbox(Read({media}));
    CHECK(result.kind == IKind::kFailed);
    CHECK(result.why.find("unexpected JSON") != std::string::npos);
  }
  SECTION("an oversized answer") {
    fake.server().FailNext({.status = 200, .body = R"({"data":[],"pad":")" + std::string(5 << 20, ' ') + R"("})"});
    auto result = connector->ReadInbox(Read({media}));
    CHECK(result.kind == IKind::kFailed);
    CHECK(result.why.find("larger") != std::string::npos);
  }
}

TEST_CASE("Instagram answers a comment with POST /<comment>/replies", "[instagram][inbox]") {
  InstagramFake fake(kUser, kToken);
  std::string media = fake.AddPost("Our new look", kNow - hours{3});
  std::string question = fake.comments().Add(media, "alice", "Where?", kNow - minutes{3});
  auto connector = Make(fake.base_url());
  auto read = connector->ReadInbox(Read({media}));
  REQUIRE(read.items.size() == 1);

  // No image needed for a reply.
  PublishRequest answer = testing::InboxAnswer("instagram", "In our shop!", read.items[0].reply_ref, kNow);
  auto published = connector->Publish(answer);
  REQUIRE(published.kind == PublishResult::Kind::kPublished);
  auto all = fake.comments().Comments();
  REQUIRE(all.size() == 2);
  CHECK(all[1].parent == question);
  CHECK(all[1].text == "In our shop!");
  CHECK(published.remote_id == all[1].id);
  auto requests = fake.server().Requests();
  CHECK(requests.back().path == "/v21.0/" + question + "/replies");
  CHECK(requests.back().Param("message") == "In our shop!");
  CHECK(fake.Posts().empty());  // nothing published through a container
  CHECK(connector->ReadInbox(Read({media}, read.cursor)).items.empty());
}

}  // namespace
}  // namespace herald::connectors
