// The instagram connector against InstagramFake: image and carousel
// containers with captions and alt text, the refusal of text-only posts,
// the content_publishing_limit pre-check, every publish outcome, a publish
// without an answer resolved from the container's status_code, and Lookup.
#include <catch2/catch.hpp>

#include "connectors/instagram/instagram_connector.h"
#include "connectors/platforms.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/instagram_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using Kind = PublishResult::Kind;
using testing::Fault;
using testing::InstagramFake;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");
const std::string kUser = "17841405822304914";
const std::string kToken = "EAAG-instagram-token";

ConnectorContext Context(milliseconds read_timeout = milliseconds{3000}) {
  return testing::TestContext({{"IG_TOKEN", kToken}, {"IG_WRONG", "expired-token"}}, read_timeout);
}

policies::ConnectorConfig Config(const std::string& base_url, const std::string& token_env = "IG_TOKEN") {
  policies::ConnectorConfig c;
  c.type = "instagram";
  c.base_url = base_url;
  c.settings["user_id"] = kUser;
  c.secrets["token"] = {policies::SecretRef::Kind::kEnv, token_env};
  return c;
}

std::unique_ptr<Connector> Make(const policies::ConnectorConfig& config, const ConnectorContext& context = Context()) {
  auto c = MakeInstagramConnectorWithTiming(config, context, {milliseconds{10}, 5});
  REQUIRE(c.has_value());
  return std::move(*c);
}

PublishRequest Request(std::string text = "Release 2.0 is out", int images = 1) {
  PublishRequest r;
  r.post_id = 7;
  r.organization = "acme";
  r.account = "ig";
  r.platform = "instagram";
  r.text = std::move(text);
  r.now = kNow;
  r.created_at = kNow - minutes{5};
  r.idempotency_key = "acme-7";
  for (int i = 0; i < images; ++i)
    r.media.push_back({"https://cdn.example.org/" + std::to_string(i) + ".jpg", "Photo " + std::to_string(i)});
  return r;
}

TEST_CASE("Instagram publishes an image with caption and alt text", "[instagram]") {
  InstagramFake fake(kUser, kToken);
  auto result = Make(Config(fake.base_url()))->Publish(Request());
  REQUIRE(result.kind == Kind::kPublished);
  auto posts = fake.Posts();
  REQUIRE(posts.size() == 1);
  CHECK(result.remote_id == posts[0].id);
  CHECK(result.remote_url == posts[0].permalink);
  CHECK(result.remote_url.starts_with("https://www.instagram.com/p/"));
  CHECK(posts[0].text == "Release 2.0 is out");
  CHECK(posts[0].image_urls == std::vector<std::string>{"https://cdn.example.org/0.jpg"});
  CHECK(posts[0].alt_texts == std::vector<std::string>{"Photo 0"});
  auto requests = fake.server().Requests();
  REQUIRE(requests.size() == 5);
  CHECK(requests[0].path == "/v21.0/" + kUser + "/content_publishing_limit");
  CHECK(requests[1].path == "/v21.0/" + kUser + "/media");
  CHECK(requests[1].Param("image_url") == "https://cdn.example.org/0.jpg");
  CHECK(requests[1].Param("caption") == "Release 2.0 is out");
  CHECK(requests[1].Param("alt_text") == "Photo 0");
  CHECK(requests[1].Param("access_token") == kToken);
  CHECK(requests[2].path == "/v21.0/" + posts[0].container);
  CHECK(requests[2].Param("fields") == "status_code,status");
  CHECK(requests[3].path == "/v21.0/" + kUser + "/media_publish");
  CHECK(requests[3].Param("creation_id") == posts[0].container);
  CHECK(requests[4].Param("fields") == "permalink");
}

TEST_CASE("Instagram publishes a carousel and honours graph_version", "[instagram]") {
  InstagramFake fake(kUser, kToken, "v23.0");
  auto config = Config(fake.base_url());
  config.settings["graph_version"] = "v23.0";
  auto result = Make(config)->Publish(Request("Three photos", 3));
  REQUIRE(result.kind == Kind::kPublished);
  auto posts = fake.Posts();
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].media_type == "CAROUSEL");
  CHECK(posts[0].image_urls.size() == 3);
  CHECK(posts[0].alt_texts == std::vector<std::string>{"Photo 0", "Photo 1", "Photo 2"});
  auto requests = fake.server().Requests();
  CHECK(requests[1].Param("is_carousel_item") == "true");
  CHECK(requests[4].Param("media_type") == "CAROUSEL");
  CHECK(requests[4].Param("caption") == "Three photos");
}

TEST_CASE("Instagram refuses what it cannot post", "[instagram]") {
  InstagramFake fake(kUser, kToken);
  auto connector = Make(Config(fake.base_url()));
  SECTION("text only") {
    auto result = connector->Publish(Request("Just text", 0));
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why == "instagram: a post needs at least one image (Instagram has no text-only posts)");
    CHECK(fake.server().Requests().empty());
  }
  SECTION("more than 10 images") {
    CHECK(connector->Publish(Request("Many", 11)).kind == Kind::kFailed);
  }
  SECTION("a caption over 2200 characters") {
    auto result = connector->Publish(Request(std::string(2201, 'a')));
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why == "instagram answered HTTP 400: Param caption must be at most 2200 characters long. (code 100)");
  }
  SECTION("a wrong token names the credentials") {
    auto result = Make(Config(fake.base_url(), "IG_WRONG"))->Publish(Request());
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why.find("check the account's credentials") != std::string::npos);
  }
  CHECK(fake.Posts().empty());
}

TEST_CASE("Instagram rate limits hold the account", "[instagram]") {
  InstagramFake fake(kUser, kToken);
  auto connector = Make(Config(fake.base_url()));
  SECTION("a throttled publish call") {
    Fault throttle = testing::GraphThrottle(kUser, 30);
    throttle.path_contains = "/media_publish";
    fake.server().FailNext(throttle);
    auto result = connector->Publish(Request());
    CHECK(result.kind == Kind::kRetryLater);
    CHECK(result.retry_at == kNow + minutes{30});
    REQUIRE(result.hold);
    CHECK(result.hold->until == kNow + minutes{30});
    CHECK(fake.Posts().empty());
  }
  SECTION("50 posts in the window: nothing is created") {
    fake.SetQuotaUsage(50);
    auto result = connector->Publish(Request());
    CHECK(result.kind == Kind::kRetryLater);
    CHECK(result.retry_at == kNow + seconds{1728});  // 86400 s / 50
    REQUIRE(result.hold);
    CHECK(fake.server().Count("/media") == 0);
  }
  SECTION("the 50th post holds after success") {
    fake.SetQuotaUsage(49);
    auto result = connector->Publish(Request());
    CHECK(result.kind == Kind::kPublished);
    REQUIRE(result.hold);
    CHECK(result.hold->until == kNow + seconds{1728});
  }
}

TEST_CASE("Instagram transient failures retry later", "[instagram]") {
  SECTION("5xx on the container") {
    InstagramFake fake(kUser, kToken);
    fake.server().FailNext({.status = 503, .path_contains = "/" + kUser + "/media"});
    CHECK(Make(Config(fake.base_url()))->Publish(Request()).kind == Kind::kRetryLater);
    CHECK(fake.Posts().empty());
  }
  SECTION("an expired container") {
    InstagramFake fake(kUser, kToken);
    fake.SetProcessing(1, "EXPIRED");
    CHECK(Make(Config(fake.base_url()))->Publish(Request()).kind == Kind::kRetryLater);
  }
  SECTION("connection refused") {
    CHECK(Make(Config("http://127.0.0.1:" + std::to_string(testing::UnusedPort())))->Publish(Request()).kind ==
          Kind::kRetryLater);
  }
  SECTION("no answer before the publish step") {
    testing::SilentDropServer drop;
    CHECK(Make(Config(drop.base_url()), Context(milliseconds{300}))->Publish(Request()).kind == Kind::kRetryLater);
  }
}

TEST_CASE("Instagram resolves a publish without an answer from status_code", "[instagram]") {
  InstagramFake fake(kUser, kToken);
  fake.SetNow(kNow);
  auto connector = Make(Config(fake.base_url()), Context(milliseconds{300}));
  SECTION("published while the answer was lost: found among the recent media") {
    fake.server().FailNext({.delay = milliseconds{600}, .act_then_stall = true, .path_contains = "/media_publish"});
    auto result = connector->Publish(Request());
    REQUIRE(result.kind == Kind::kPublished);
    auto posts = fake.Posts();
    REQUIRE(posts.size() == 1);
    CHECK(result.remote_id == posts[0].id);
    CHECK(result.remote_url == posts[0].permalink);
  }
  SECTION("not published: the same container once more") {
    fake.server().FailNext({.delay = milliseconds{600}, .path_contains = "/media_publish"});
    REQUIRE(connector->Publish(Request()).kind == Kind::kPublished);
    CHECK(fake.Posts().size() == 1);
    CHECK(fake.server().Count("/media_publish") == 2);  // the faulted one, then the same container once more
  }
}

TEST_CASE("Instagram Lookup matches the recent media", "[instagram]") {
  InstagramFake fake(kUser, kToken);
  fake.SetNow(kNow);
  auto connector = Make(Config(fake.base_url()));
  auto published = connector->Publish(Request());
  REQUIRE(published.kind == Kind::kPublished);
  auto found = connector->Lookup(Request());
  REQUIRE(found);
  CHECK(found->kind == Kind::kPublished);
  CHECK(found->remote_id == published.remote_id);
  auto absent = connector->Lookup(Request("not posted"));
  REQUIRE(absent);
  CHECK(absent->kind == Kind::kFailed);
}

TEST_CASE("Instagram factory names what is missing", "[instagram]") {
  auto config = Config("http://127.0.0.1:1");
  config.settings.erase("user_id");
  auto c = MakeInstagramConnector(config, Context());
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().message() == "connector instagram: missing setting user_id");
  config = Config("http://127.0.0.1:1");
  config.secrets.clear();
  auto t = MakeInstagramConnector(config, Context());
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error().message() == "connector instagram: missing setting token");
}

}  // namespace
}  // namespace herald::connectors
