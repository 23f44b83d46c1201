// The threads connector against ThreadsFake: the two-step container flow
// with the publishing-limit pre-check, images with alt text and carousels,
// every publish outcome, a publish without an answer resolved from the
// container's status, and Lookup from the recent threads.
#include <catch2/catch.hpp>

#include "connectors/threads/threads_connector.h"
#include "connectors/platforms.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/threads_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using Kind = PublishResult::Kind;
using testing::Fault;
using testing::ThreadsFake;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");
const std::string kUser = "25025320";
const std::string kToken = "THQWJvZA-threads-token";

ConnectorContext Context(milliseconds read_timeout = milliseconds{3000}) {
  return testing::TestContext({{"THREADS_TOKEN", kToken}, {"THREADS_WRONG", "expired-token"}}, read_timeout);
}

policies::ConnectorConfig Config(const std::string& base_url, const std::string& token_env = "THREADS_TOKEN") {
  policies::ConnectorConfig c;
  c.type = "threads";
  c.base_url = base_url;
  c.settings["user_id"] = kUser;
  c.secrets["token"] = {policies::SecretRef::Kind::kEnv, token_env};
  return c;
}

std::unique_ptr<Connector> Make(const policies::ConnectorConfig& config, const ConnectorContext& context = Context()) {
  auto c = MakeThreadsConnectorWithTiming(config, context, {milliseconds{10}, 5});
  REQUIRE(c.has_value());
  return std::move(*c);
}

PublishRequest Request(std::string text = "Release 2.0 is out") {
  PublishRequest r;
  r.post_id = 7;
  r.organization = "acme";
  r.account = "threads";
  r.platform = "threads";
  r.text = std::move(text);
  r.now = kNow;
  r.created_at = kNow - minutes{5};
  r.idempotency_key = "acme-7";
  return r;
}

// threads_publish calls that reached the fake (stalled ones included).
int Publishes(const ThreadsFake& fake) {
  int n = 0;
  for (const auto& r : fake.Received()) n += r.path.ends_with("/threads_publish");
  return n;
}

std::vector<std::string> Paths(const testing::FakeServer& server) {
  std::vector<std::string> out;
  for (const auto& r : server.Requests()) out.push_back(r.method + " " + r.path);
  return out;
}

TEST_CASE("Threads publishes a text post in two steps after the limit check", "[threads]") {
  ThreadsFake fake(kUser, kToken);
  auto result = Make(Config(fake.base_url()))->Publish(Request());
  REQUIRE(result.kind == Kind::kPublished);
  auto posts = fake.Posts();
  REQUIRE(posts.size() == 1);
  CHECK(result.remote_id == posts[0].id);
  CHECK(result.remote_url == posts[0].permalink);
  CHECK(result.remote_url.starts_with("https://www.threads.net/@herald/post/"));
  CHECK_FALSE(result.hold.has_value());
  CHECK(posts[0].media_type == "TEXT");
  CHECK(posts[0].text == "Release 2.0 is out");
  const std::string container = posts[0].container;
  CHECK(Paths(fake.server()) == std::vector<std::string>{
                                    "GET /v1.0/" + kUser + "/threads_publishing_limit",
                                    "POST /v1.0/" + kUser + "/threads",
                                    "GET /v1.0/" + container,
                                    "POST /v1.0/" + kUser + "/threads_publish",
                                    "GET /v1.0/" + posts[0].id,
                                });
  auto requests = fake.server().Requests();
  CHECK(requests[0].Param("fields") == "quota_usage,config");
  CHECK(requests[1].Param("media_type") == "TEXT");
  CHECK(requests[1].Param("text") == "Release 2.0 is out");
  CHECK(requests[1].Param("access_token") == kToken);
  CHECK(requests[3].Param("creation_id") == container);
  CHECK(requests[4].Param("fields") == "permalink");
}

TEST_CASE("Threads posts an image with alt text and a carousel of images", "[threads]") {
  ThreadsFake fake(kUser, kToken);
  auto connector = Make(Config(fake.base_url()));
  SECTION("one image") {
    PublishRequest r = Request("A photo");
    r.media = {{"https://cdn.example.org/a.jpg", "A red bicycle"}};
    REQUIRE(connector->Publish(r).kind == Kind::kPublished);
    auto posts = fake.Posts();
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].media_type == "IMAGE");
    CHECK(posts[0].image_urls == std::vector<std::string>{"https://cdn.example.org/a.jpg"});
    CHECK(posts[0].alt_texts == std::vector<std::string>{"A red bicycle"});
    CHECK(posts[0].text == "A photo");
  }
  SECTION("a carousel: items first, then the parent naming them") {
    PublishRequest r = Request("Two photos");
    r.media = {{"https://cdn.example.org/a.jpg", "First"}, {"https://cdn.example.org/b.jpg", "Second"}};
    REQUIRE(connector->Publish(r).kind == Kind::kPublished);
    auto posts = fake.Posts();
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].media_type == "CAROUSEL");
    CHECK(posts[0].image_urls == std::vector<std::string>{"https://cdn.example.org/a.jpg", "https://cdn.example.org/b.jpg"});
    CHECK(posts[0].alt_texts == std::vector<std::string>{"First", "Second"});
    auto requests = fake.server().Requests();
    CHECK(requests[1].Param("is_carousel_item") == "true");
    CHECK(requests[1].Param("media_type") == "IMAGE");
    CHECK(requests[3].Param("media_type") == "CAROUSEL");
    CHECK(requests[3].Param("text") == "Two photos");
  }
}

TEST_CASE("Threads refusals are permanent with the platform's message", "[threads]") {
  ThreadsFake fake(kUser, kToken);
  SECTION("a wrong token names the credentials") {
    auto result = Make(Config(fake.base_url(), "THREADS_WRONG"))->Publish(Request());
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why.find("Invalid OAuth access token") != std::string::npos);
    CHECK(result.why.find("check the account's credentials") != std::string::npos);
  }
  SECTION("text over 500 characters") {
    auto result = Make(Config(fake.base_url()))->Publish(Request(std::string(501, 'a')));
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why == "threads answered HTTP 400: Param text must be at most 500 characters long. (code 100)");
  }
  SECTION("a container the platform could not process") {
    fake.SetProcessing(1, "ERROR");
    PublishRequest r = Request();
    r.media = {{"https://cdn.example.org/missing.jpg", ""}};
    auto result = Make(Config(fake.base_url()))->Publish(r);
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why == "threads: the container could not be processed: FAILED_DOWNLOADING_IMAGE");
  }
  CHECK(fake.Posts().empty());
}

TEST_CASE("Threads waits for a container in progress", "[threads]") {
  ThreadsFake fake(kUser, kToken);
  fake.SetProcessing(2);
  REQUIRE(Make(Config(fake.base_url()))->Publish(Request()).kind == Kind::kPublished);
  CHECK(fake.server().Count("/v1.0/17900000000000001") == 3);
  CHECK(fake.Posts().size() == 1);
}

TEST_CASE("Threads rate limits hold the account", "[threads]") {
  ThreadsFake fake(kUser, kToken);
  auto connector = Make(Config(fake.base_url()));
  SECTION("a throttled answer waits for the usage header's time") {
    fake.server().FailNext(testing::GraphThrottle(kUser, 12));
    auto result = connector->Publish(Request());
    CHECK(result.kind == Kind::kRetryLater);
    CHECK(result.retry_at == kNow + minutes{12});
    REQUIRE(result.hold);
    CHECK(result.hold->until == kNow + minutes{12});
    CHECK(fake.Posts().empty());
  }
  SECTION("a full publishing window: nothing is created") {
    fake.SetQuotaUsage(250);
    auto result = connector->Publish(Request());
    CHECK(result.kind == Kind::kRetryLater);
    CHECK(result.retry_at == kNow + seconds{346});  // 86400 s / 250, rounded up
    REQUIRE(result.hold);
    CHECK(result.hold->why == "threads publishing limit: 250 of 250 posts in the last 1d");
    CHECK(fake.server().Count("/threads") == 1);  // the limit check only
  }
  SECTION("publishing the last post of the window holds after success") {
    fake.SetQuotaUsage(249);
    auto result = connector->Publish(Request());
    CHECK(result.kind == Kind::kPublished);
    REQUIRE(result.hold);
    CHECK(result.hold->until == kNow + seconds{346});
  }
}

TEST_CASE("Threads transient failures retry later", "[threads]") {
  SECTION("5xx") {
    ThreadsFake fake(kUser, kToken);
    fake.server().FailNext({.status = 500, .body = R"({"error":{"message":"An unknown error has occurred.","type":"OAuthException","code":1}})"});
    CHECK(Make(Config(fake.base_url()))->Publish(Request()).kind == Kind::kRetryLater);
    CHECK(fake.Posts().empty());
  }
  SECTION("connection refused") {
    auto result = Make(Config("http://127.0.0.1:" + std::to_string(testing::UnusedPort())))->Publish(Request());
    CHECK(result.kind == Kind::kRetryLater);
  }
  SECTION("no answer before the publish step: nothing can be visible") {
    testing::SilentDropServer drop;
    auto result = Make(Config(drop.base_url()), Context(milliseconds{300}))->Publish(Request());
    CHECK(result.kind == Kind::kRetryLater);
  }
}

TEST_CASE("Threads resolves a publish without an answer from the container", "[threads]") {
  ThreadsFake fake(kUser, kToken);
  fake.SetNow(kNow);
  auto connector = Make(Config(fake.base_url()), Context(milliseconds{300}));
  SECTION("the platform published: the post is found, not made twice") {
    fake.StallNextPublish(milliseconds{600}, /*act=*/true);
    auto result = connector->Publish(Request());
    INFO(result.why);
    REQUIRE(result.kind == Kind::kPublished);
    auto posts = fake.Posts();
    REQUIRE(posts.size() == 1);
    CHECK(result.remote_id == posts[0].id);
    CHECK(result.remote_url == posts[0].permalink);
    CHECK(Publishes(fake) == 1);
  }
  SECTION("the platform did not act: the same container is published once more") {
    fake.StallNextPublish(milliseconds{600}, /*act=*/false);
    auto result = connector->Publish(Request());
    REQUIRE(result.kind == Kind::kPublished);
    CHECK(fake.Posts().size() == 1);
    CHECK(Publishes(fake) == 2);
  }
  SECTION("no answer twice: unknown") {
    fake.StallNextPublish(milliseconds{600}, /*act=*/false, 2);
    auto result = connector->Publish(Request());
    CHECK(result.kind == Kind::kUnknown);
    CHECK(fake.Posts().empty());
    CHECK(Publishes(fake) == 2);
  }
}

TEST_CASE("Threads keeps a published post when the permalink cannot be read", "[threads]") {
  ThreadsFake fake(kUser, kToken);
  fake.server().FailNext({.status = 500, .path_contains = "/v1.0/17900000000000002"});
  auto result = Make(Config(fake.base_url()))->Publish(Request());
  REQUIRE(result.kind == Kind::kPublished);
  CHECK(result.remote_id == "17900000000000002");
  CHECK(result.remote_url.empty());
}

TEST_CASE("Threads Lookup matches the recent threads", "[threads]") {
  ThreadsFake fake(kUser, kToken);
  fake.SetNow(kNow);
  auto connector = Make(Config(fake.base_url()));
  auto published = connector->Publish(Request());
  REQUIRE(published.kind == Kind::kPublished);
  auto found = connector->Lookup(Request());
  REQUIRE(found);
  CHECK(found->kind == Kind::kPublished);
  CHECK(found->remote_id == published.remote_id);
  CHECK(found->remote_url == published.remote_url);
  auto absent = connector->Lookup(Request("never posted"));
  REQUIRE(absent);
  CHECK(absent->kind == Kind::kFailed);
  for (int i = 0; i < 5; ++i) fake.AddPost("later " + std::to_string(i), kNow);
  CHECK_FALSE(connector->Lookup(Request("never posted")).has_value());  // the list does not reach back far enough
}

TEST_CASE("Threads factory names what is missing", "[threads]") {
  auto config = Config("http://127.0.0.1:1");
  SECTION("user_id") {
    config.settings.erase("user_id");
    auto c = MakeThreadsConnector(config, Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message() == "connector threads: missing setting user_id");
  }
  SECTION("the token's variable") {
    config.secrets["token"] = {policies::SecretRef::Kind::kEnv, "THREADS_UNSET"};
    auto c = MakeThreadsConnector(config, Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message().find("secret token (env:THREADS_UNSET)") != std::string::npos);
  }
}

}  // namespace
}  // namespace herald::connectors
