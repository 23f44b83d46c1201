// The facebook_page connector against FacebookPageFake: feed posts, one
// photo with its caption, several photos attached to one post, Graph
// errors and usage headers, a post without an answer found among the Page's
// recent posts, and Lookup.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "connectors/platforms.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/facebook_page_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using json = nlohmann::json;
using Kind = PublishResult::Kind;
using testing::FacebookPageFake;
using testing::Fault;

const Instant kNow = floor<seconds>(system_clock::now());
const std::string kPage = "104871234567890";
const std::string kToken = "EAAB-page-token";

ConnectorContext Context(milliseconds read_timeout = milliseconds{3000}) {
  return testing::TestContext({{"FB_TOKEN", kToken}, {"FB_WRONG", "expired-token"}}, read_timeout);
}

policies::ConnectorConfig Config(const std::string& base_url, const std::string& token_env = "FB_TOKEN") {
  policies::ConnectorConfig c;
  c.type = "facebook_page";
  c.base_url = base_url;
  c.settings["page_id"] = kPage;
  c.secrets["token"] = {policies::SecretRef::Kind::kEnv, token_env};
  return c;
}

std::unique_ptr<Connector> Make(const policies::ConnectorConfig& config, const ConnectorContext& context = Context()) {
  auto c = MakeFacebookPageConnector(config, context);
  REQUIRE(c.has_value());
  return std::move(*c);
}

PublishRequest Request(std::string text = "Release 2.0 is out") {
  PublishRequest r;
  r.post_id = 7;
  r.organization = "acme";
  r.account = "fb";
  r.platform = "facebook_page";
  r.text = std::move(text);
  r.now = kNow;
  r.created_at = kNow - minutes{5};
  r.idempotency_key = "acme-7";
  return r;
}

TEST_CASE("Facebook Page publishes to the feed", "[facebook_page]") {
  FacebookPageFake fake(kPage, kToken);
  auto result = Make(Config(fake.base_url()))->Publish(Request());
  REQUIRE(result.kind == Kind::kPublished);
  auto posts = fake.Posts();
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].message == "Release 2.0 is out");
  CHECK(result.remote_id == posts[0].id);
  CHECK(result.remote_id.starts_with(kPage + "_"));
  CHECK(result.remote_url == "https://www.facebook.com/" + posts[0].id);
  CHECK_FALSE(result.hold.has_value());
  auto requests = fake.server().Requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].path == "/v21.0/" + kPage + "/feed");
  CHECK(requests[0].Header("Content-Type") == "application/x-www-form-urlencoded");
}

TEST_CASE("Facebook Page posts photos", "[facebook_page]") {
  FacebookPageFake fake(kPage, kToken);
  auto connector = Make(Config(fake.base_url()));
  SECTION("one photo is a published photo with the text as caption") {
    PublishRequest r = Request("A photo");
    r.media = {{"https://cdn.example.org/a.jpg", "ignored: no alt text on Page photos"}};
    auto result = connector->Publish(r);
    REQUIRE(result.kind == Kind::kPublished);
    auto posts = fake.Posts();
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].message == "A photo");
    CHECK(posts[0].photo_urls == std::vector<std::string>{"https://cdn.example.org/a.jpg"});
    CHECK(result.remote_id == posts[0].id);  // the post, not the photo
    CHECK(fake.server().Count("/photos") == 1);
  }
  SECTION("several photos are uploaded unpublished and attached to one post") {
    PublishRequest r = Request("Two photos");
    r.media = {{"https://cdn.example.org/a.jpg", ""}, {"https://cdn.example.org/b.jpg", ""}};
    auto result = connector->Publish(r);
    REQUIRE(result.kind == Kind::kPublished);
    auto posts = fake.Posts();
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].message == "Two photos");
    CHECK(posts[0].photo_urls == std::vector<std::string>{"https://cdn.example.org/a.jpg", "https://cdn.example.org/b.jpg"});
    CHECK(fake.UnpublishedPhotos().empty());  // all attached
    CHECK(fake.server().Count("/photos") == 2);
    CHECK(fake.server().Count("/feed") == 1);
  }
}

TEST_CASE("Facebook Page refusals are permanent", "[facebook_page]") {
  FacebookPageFake fake(kPage, kToken);
  SECTION("a wrong Page token names the credentials") {
    auto result = Make(Config(fake.base_url(), "FB_WRONG"))->Publish(Request());
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why ==
          "facebook_page answered HTTP 400: Invalid OAuth access token - Cannot parse access token (code 190) "
          "(check the account's credentials and permissions)");
  }
  SECTION("a post without message or media") {
    auto result = Make(Config(fake.base_url()))->Publish(Request(""));
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why == "facebook_page answered HTTP 400: (#100) The parameter message or attached_media is required. (code 100)");
  }
  CHECK(fake.Posts().empty());
}

TEST_CASE("Facebook Page rate limits from Graph codes and usage headers", "[facebook_page]") {
  FacebookPageFake fake(kPage, kToken);
  auto connector = Make(Config(fake.base_url()));
  SECTION("code 80001 with the business use case header") {
    fake.server().FailNext(testing::GraphThrottle(kPage, 15));
    auto result = connector->Publish(Request());
    CHECK(result.kind == Kind::kRetryLater);
    CHECK(result.retry_at == kNow + minutes{15});
    REQUIRE(result.hold);
    CHECK(result.hold->until == kNow + minutes{15});
    CHECK(fake.Posts().empty());
  }
  SECTION("code 32 without a time: a minute") {
    fake.server().FailNext({.status = 400, .body = R"({"error":{"message":"(#32) Page request limit reached","type":"OAuthException","code":32}})"});
    auto result = connector->Publish(Request());
    CHECK(result.kind == Kind::kRetryLater);
    CHECK(result.retry_at == kNow + minutes{1});
    CHECK(result.hold.has_value());
  }
  SECTION("a success whose usage header is exhausted holds the account") {
    fake.SetAnswerHeader("X-Business-Use-Case-Usage",
                         json{{kPage, {{{"type", "pages"}, {"call_count", 100}, {"total_cputime", 3}, {"total_time", 4},
                                        {"estimated_time_to_regain_access", 20}}}}}.dump());
    auto result = connector->Publish(Request());
    REQUIRE(result.kind == Kind::kPublished);
    REQUIRE(result.hold);
    CHECK(result.hold->until == kNow + minutes{20});
    CHECK(fake.Posts().size() == 1);
  }
}

TEST_CASE("Facebook Page transient failures and unknown outcomes", "[facebook_page]") {
  SECTION("5xx and a transient Graph error retry later") {
    FacebookPageFake fake(kPage, kToken);
    fake.server().FailNext({.status = 500});
    CHECK(Make(Config(fake.base_url()))->Publish(Request()).kind == Kind::kRetryLater);
    fake.server().FailNext({.status = 400, .body = R"({"error":{"message":"Please retry your request later.","type":"OAuthException","code":2,"is_transient":true}})"});
    CHECK(Make(Config(fake.base_url()))->Publish(Request()).kind == Kind::kRetryLater);
  }
  SECTION("connection refused") {
    CHECK(Make(Config("http://127.0.0.1:" + std::to_string(testing::UnusedPort())))->Publish(Request()).kind ==
          Kind::kRetryLater);
  }
  SECTION("no answer from a server that hangs up: unknown") {
    testing::SilentDropServer drop;
    auto result = Make(Config(drop.base_url()), Context(milliseconds{300}))->Publish(Request());
    // The drop server may hang up after the headers, before the body is
    // written: then the request was not sent whole (retry later). Sent whole,
    // no answer: unknown. Never published, never failed.
    CHECK((result.kind == Kind::kUnknown || result.kind == Kind::kRetryLater));
    CHECK(drop.accepted() >= 1);  // X and Facebook then search the recent posts there too
  }
  SECTION("posted but the answer was lost: found among the Page's posts") {
    FacebookPageFake fake(kPage, kToken);
    fake.server().FailNext({.delay = milliseconds{600}, .act_then_stall = true, .path_contains = "/feed"});
    auto result = Make(Config(fake.base_url()), Context(milliseconds{300}))->Publish(Request());
    REQUIRE(result.kind == Kind::kPublished);
    auto posts = fake.Posts();
    REQUIRE(posts.size() == 1);
    CHECK(result.remote_id == posts[0].id);
    CHECK(result.remote_url == "https://www.facebook.com/" + posts[0].id);
  }
  SECTION("not posted and no answer: unknown, never re-sent") {
    FacebookPageFake fake(kPage, kToken);
    fake.server().FailNext({.delay = milliseconds{600}, .path_contains = "/feed"});
    auto result = Make(Config(fake.base_url()), Context(milliseconds{300}))->Publish(Request());
    CHECK(result.kind == Kind::kUnknown);
    CHECK(fake.Posts().empty());
    int posts_sent = 0;
    for (const auto& r : fake.server().Requests()) posts_sent += r.method == "POST" && r.path.find("/feed") != std::string::npos;
    CHECK(posts_sent == 1);  // the faulted request, and no second one
  }
  SECTION("an unpublished photo without an answer is retried from the start") {
    FacebookPageFake fake(kPage, kToken);
    fake.server().FailNext({.delay = milliseconds{600}, .path_contains = "/photos"});
    PublishRequest r = Request();
    r.media = {{"https://cdn.example.org/a.jpg", ""}, {"https://cdn.example.org/b.jpg", ""}};
    CHECK(Make(Config(fake.base_url()), Context(milliseconds{300}))->Publish(r).kind == Kind::kRetryLater);
  }
}

TEST_CASE("Facebook Page Lookup matches the Page's recent posts", "[facebook_page]") {
  FacebookPageFake fake(kPage, kToken);
  auto connector = Make(Config(fake.base_url()));
  auto published = connector->Publish(Request());
  REQUIRE(published.kind == Kind::kPublished);
  auto found = connector->Lookup(Request());
  REQUIRE(found);
  CHECK(found->kind == Kind::kPublished);
  CHECK(found->remote_id == published.remote_id);
  CHECK(found->remote_url == published.remote_url);
  auto absent = connector->Lookup(Request("not posted"));
  REQUIRE(absent);
  CHECK(absent->kind == Kind::kFailed);
  CHECK(fake.server().Requests().back().Param("fields") == "id,message,created_time");
}

TEST_CASE("Facebook Page factory names what is missing", "[facebook_page]") {
  auto config = Config("http://127.0.0.1:1");
  config.settings.erase("page_id");
  auto c = MakeFacebookPageConnector(config, Context());
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().message() == "connector facebook_page: missing setting page_id");
  config = Config("http://127.0.0.1:1", "FB_UNSET");
  auto t = MakeFacebookPageConnector(config, Context());
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error().message().find("secret token (env:FB_UNSET)") != std::string::npos);
}

}  // namespace
}  // namespace herald::connectors
