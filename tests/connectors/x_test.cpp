// The x connector against XFake: POST /2/tweets, images uploaded with
// POST /2/media/upload and described with POST /2/media/metadata, URLs with
// and without a username, X's 15 min and 24 h rate-limit headers (on posts and
// uploads), duplicate content, a post without an answer found among the
// user's recent posts (texts come back HTML-escaped and with t.co links), and
// Lookup.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "connectors/platforms.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/x_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using json = nlohmann::json;
using Kind = PublishResult::Kind;
using testing::Fault;
using testing::XFake;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");
const std::string kToken = "dGhpcy1pcy1hbi1vYXV0aDI";

ConnectorContext Context(milliseconds read_timeout = milliseconds{3000}) {
  return testing::TestContext({{"X_TOKEN", kToken}, {"X_WRONG", "revoked"}}, read_timeout);
}

policies::ConnectorConfig Config(const std::string& base_url, const std::string& token_env = "X_TOKEN") {
  policies::ConnectorConfig c;
  c.type = "x";
  c.base_url = base_url;
  c.settings["username"] = "herald";
  c.secrets["token"] = {policies::SecretRef::Kind::kEnv, token_env};
  return c;
}

std::unique_ptr<Connector> Make(const policies::ConnectorConfig& config, const ConnectorContext& context = Context()) {
  auto c = MakeXConnector(config, context);
  REQUIRE(c.has_value());
  return std::move(*c);
}

PublishRequest Request(std::string text = "Release 2.0 is out") {
  PublishRequest r;
  r.post_id = 7;
  r.organization = "acme";
  r.account = "x";
  r.platform = "x";
  r.text = std::move(text);
  r.now = kNow;
  r.created_at = kNow - minutes{5};
  r.idempotency_key = "acme-7";
  return r;
}

TEST_CASE("X publishes a post", "[x]") {
  XFake fake(kToken);
  fake.SetNow(kNow);
  auto result = Make(Config(fake.base_url()))->Publish(Request());
  REQUIRE(result.kind == Kind::kPublished);
  auto posts = fake.Posts();
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].text == "Release 2.0 is out");
  CHECK(result.remote_id == posts[0].id);
  CHECK(result.remote_url == "https://x.com/herald/status/" + posts[0].id);
  CHECK(result.http_status == 201);
  CHECK_FALSE(result.hold.has_value());
  auto requests = fake.server().Requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].path == "/2/tweets");
  CHECK(requests[0].Header("Authorization") == "Bearer " + kToken);
  CHECK(requests[0].Header("Content-Type") == "application/json");
}

TEST_CASE("X URL without a username", "[x]") {
  XFake fake(kToken);
  auto config = Config(fake.base_url());
  config.settings.erase("username");
  auto result = Make(config)->Publish(Request());
  REQUIRE(result.kind == Kind::kPublished);
  CHECK(result.remote_url == "https://x.com/i/web/status/" + result.remote_id);
}

TEST_CASE("X refusals are permanent with X's message", "[x]") {
  XFake fake(kToken);
  SECTION("a wrong token names the credentials") {
    auto result = Make(Config(fake.base_url(), "X_WRONG"))->Publish(Request());
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.http_status == 401);
    CHECK(result.why == "x answered HTTP 401: Unauthorized (check the account's credentials and permissions)");
  }
  SECTION("text too long") {
    auto result = Make(Config(fake.base_url()))->Publish(Request(std::string(281, 'a')));
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why.starts_with("x answered HTTP 400: Your Tweet text is too long."));
  }
  SECTION("duplicate content is not a credentials problem") {
    auto connector = Make(Config(fake.base_url()));
    REQUIRE(connector->Publish(Request()).kind == Kind::kPublished);
    auto result = connector->Publish(Request());
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why == "x answered HTTP 403: You are not allowed to create a Tweet with duplicate content.");
    CHECK(fake.Posts().size() == 1);
  }
}

TEST_CASE("X rate limits: the 24 hour window binds when exhausted", "[x]") {
  XFake fake(kToken);
  fake.SetNow(kNow);
  fake.SetUserDayLimit(1);
  auto connector = Make(Config(fake.base_url()));
  auto first = connector->Publish(Request("first"));
  REQUIRE(first.kind == Kind::kPublished);
  REQUIRE(first.hold);  // 0 of 1 left
  CHECK(first.hold->until == kNow + hours{24});
  CHECK(first.hold->why.find("x-user-limit-24hour-reset") != std::string::npos);
  auto second = connector->Publish(Request("second"));
  CHECK(second.kind == Kind::kRetryLater);
  CHECK(second.http_status == 429);
  CHECK(second.retry_at == kNow + hours{24});
  REQUIRE(second.hold);
  CHECK(second.hold->until == kNow + hours{24});
  CHECK(fake.Posts().size() == 1);
}

TEST_CASE("X 429 on the 15 minute window", "[x]") {
  XFake fake(kToken);
  int64_t reset = (kNow + minutes{15}).time_since_epoch().count();
  fake.server().FailNext({.status = 429,
                          .headers = {{"x-rate-limit-limit", "100"}, {"x-rate-limit-remaining", "0"},
                                      {"x-rate-limit-reset", std::to_string(reset)}},
                          .body = R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})"});
  auto result = Make(Config(fake.base_url()))->Publish(Request());
  CHECK(result.kind == Kind::kRetryLater);
  CHECK(result.retry_at == kNow + minutes{15});
  REQUIRE(result.hold);
  CHECK(result.hold->until == kNow + minutes{15});
}

TEST_CASE("X transient failures retry later", "[x]") {
  SECTION("503 overloaded") {
    XFake fake(kToken);
    fake.server().FailNext({.status = 503, .body = R"({"title":"Service Unavailable","detail":"Service Unavailable","type":"about:blank","status":503})"});
    CHECK(Make(Config(fake.base_url()))->Publish(Request()).kind == Kind::kRetryLater);
    CHECK(fake.Posts().empty());
  }
  SECTION("connection refused") {
    CHECK(Make(Config("http://127.0.0.1:" + std::to_string(testing::UnusedPort())))->Publish(Request()).kind ==
          Kind::kRetryLater);
  }
}

TEST_CASE("X publishes two images in order with their alt text", "[x]") {
  XFake fake(kToken);
  auto request = Request();
  request.media = {{fake.image_url("chart.png"), "A rising line"}, {fake.image_url("team.png"), "Five people waving"}};
  auto result = Make(Config(fake.base_url()))->Publish(request);
  INFO(result.why);
  REQUIRE(result.kind == Kind::kPublished);
  auto uploads = fake.Uploads();
  REQUIRE(uploads.size() == 2);
  CHECK(uploads[0].bytes == XFake::ImageBytes("chart.png"));
  CHECK(uploads[1].bytes == XFake::ImageBytes("team.png"));
  for (const auto& u : uploads) {
    CHECK(u.category == "tweet_image");
    CHECK(u.media_type == "image/png");
    CHECK(u.content_type == "image/png");
  }
  CHECK(uploads[0].alt_text == "A rising line");
  CHECK(uploads[1].alt_text == "Five people waving");
  auto posts = fake.Posts();
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].media_ids == std::vector<std::string>{uploads[0].id, uploads[1].id});
  CHECK(result.remote_id == posts[0].id);

  auto requests = fake.server().Requests();
  std::vector<std::string> paths;
  for (const auto& r : requests) paths.push_back(r.method + " " + r.path);
  CHECK(paths == std::vector<std::string>{"GET /images/chart.png", "POST /2/media/upload", "POST /2/media/metadata",
                                          "GET /images/team.png", "POST /2/media/upload", "POST /2/media/metadata",
                                          "POST /2/tweets"});
  CHECK(requests[1].Header("Authorization") == "Bearer " + kToken);
  CHECK(requests[1].Header("Content-Type").starts_with("multipart/form-data; boundary="));
  CHECK(requests[2].Header("Authorization") == "Bearer " + kToken);
  CHECK(json::parse(requests[2].body) ==
        json{{"id", uploads[0].id}, {"metadata", {{"alt_text", {{"text", "A rising line"}}}}}});
  CHECK(json::parse(requests.back().body) ==
        json{{"text", "Release 2.0 is out"}, {"media", {{"media_ids", {uploads[0].id, uploads[1].id}}}}});
}

TEST_CASE("X image without alt text gets no metadata call", "[x]") {
  XFake fake(kToken);
  auto request = Request();
  request.media = {{fake.image_url("plain.png"), ""}};
  auto result = Make(Config(fake.base_url()))->Publish(request);
  REQUIRE(result.kind == Kind::kPublished);
  CHECK(fake.server().Count("/2/media/metadata") == 0);
  REQUIRE(fake.Uploads().size() == 1);
  CHECK(fake.Posts().at(0).media_ids == std::vector<std::string>{fake.Uploads()[0].id});
}

TEST_CASE("X image failures post nothing", "[x]") {
  XFake fake(kToken);
  fake.SetNow(kNow);
  auto connector = Make(Config(fake.base_url()), Context(milliseconds{300}));
  auto request = Request();
  SECTION("an image that 404s is a permanent failure naming it") {
    request.media = {{fake.image_url("chart.png"), "first"}, {fake.image_url("missing.png"), "gone"}};
    auto result = connector->Publish(request);
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.http_status == 404);
    CHECK(result.why == "x image " + fake.image_url("missing.png") + ": HTTP 404");
  }
  SECTION("429 on the upload retries at X's reset, with a hold") {
    int64_t reset = (kNow + minutes{15}).time_since_epoch().count();
    fake.server().FailNext({.status = 429,
                            .headers = {{"x-rate-limit-limit", "500"}, {"x-rate-limit-remaining", "0"},
                                        {"x-rate-limit-reset", std::to_string(reset)}},
                            .body = R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})",
                            .path_contains = "/2/media/upload"});
    request.media = {{fake.image_url("chart.png"), "A rising line"}};
    auto result = connector->Publish(request);
    CHECK(result.kind == Kind::kRetryLater);
    CHECK(result.http_status == 429);
    CHECK(result.retry_at == kNow + minutes{15});
    REQUIRE(result.hold);
    CHECK(result.hold->until == kNow + minutes{15});
    CHECK(result.hold->why.find("x-rate-limit-reset") != std::string::npos);
  }
  SECTION("an upload without an answer is retried later") {
    fake.server().FailNext({.delay = milliseconds{600}, .path_contains = "/2/media/upload"});
    request.media = {{fake.image_url("chart.png"), "A rising line"}};
    auto result = connector->Publish(request);
    CHECK(result.kind == Kind::kRetryLater);
    CHECK(result.why.find("nothing was posted yet") != std::string::npos);
  }
  SECTION("alt text X refuses is a permanent failure") {
    request.media = {{fake.image_url("chart.png"), std::string(1001, 'a')}};
    auto result = connector->Publish(request);
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.http_status == 400);
    CHECK(result.why.find("at most 1000 characters") != std::string::npos);
  }
  CHECK(fake.Posts().empty());
  CHECK(fake.server().Count("/2/tweets") == 0);
}

TEST_CASE("X upload limit used up: the post holds the account, the next upload waits", "[x]") {
  XFake fake(kToken);
  fake.SetNow(kNow);
  fake.SetUploadLimit(1);
  auto connector = Make(Config(fake.base_url()));
  auto request = Request();
  request.media = {{fake.image_url("chart.png"), ""}};
  auto first = connector->Publish(request);
  REQUIRE(first.kind == Kind::kPublished);
  REQUIRE(first.hold);  // the upload said 0 of 1 left; the post itself had plenty
  CHECK(first.hold->until == kNow + minutes{15});
  auto second_request = Request("second");
  second_request.media = {{fake.image_url("team.png"), ""}};
  auto second = connector->Publish(second_request);
  CHECK(second.kind == Kind::kRetryLater);
  CHECK(second.http_status == 429);
  CHECK(second.retry_at == kNow + minutes{15});
  CHECK(fake.Posts().size() == 1);
}

TEST_CASE("X resolves a post without an answer from the user's recent posts", "[x]") {
  XFake fake(kToken);
  fake.SetNow(kNow);
  auto connector = Make(Config(fake.base_url()), Context(milliseconds{300}));
  SECTION("posted: found, even with an escaped character and a t.co link") {
    const std::string text = "Q&A <today> https://example.org/release-notes";
    fake.server().FailNext({.delay = milliseconds{600}, .act_then_stall = true, .path_contains = "/2/tweets"});
    auto result = connector->Publish(Request(text));
    REQUIRE(result.kind == Kind::kPublished);
    auto posts = fake.Posts();
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].text == "Q&amp;A &lt;today&gt; https://t.co/AbC123xYz");
    CHECK(result.remote_id == posts[0].id);
    CHECK(fake.server().Count("/2/users/me") == 1);
    auto requests = fake.server().Requests();
    CHECK(requests.back().path == "/2/users/2244994945/tweets");
    CHECK(requests.back().Param("max_results") == "10");
    CHECK(requests.back().Header("Authorization") == "Bearer " + kToken);
  }
  SECTION("not posted: unknown, never re-sent") {
    fake.server().FailNext({.delay = milliseconds{600}, .path_contains = "/2/tweets"});
    auto result = connector->Publish(Request());
    CHECK(result.kind == Kind::kUnknown);
    CHECK(fake.Posts().empty());
    CHECK(fake.server().Count("/2/tweets") == 1);  // the faulted request, and no second one
    CHECK(fake.server().Count("/2/users/2244994945/tweets") == 1);
  }
  SECTION("a server that hangs up: unknown") {
    testing::SilentDropServer drop;
    auto result = Make(Config(drop.base_url()), Context(milliseconds{300}))->Publish(Request());
    // The drop server may hang up after the headers, before the body is
    // written: then the request was not sent whole (retry later). Sent whole,
    // no answer: unknown. Never published, never failed.
    CHECK((result.kind == Kind::kUnknown || result.kind == Kind::kRetryLater));
    CHECK(drop.accepted() >= 1);  // X and Facebook then search the recent posts there too
  }
}

TEST_CASE("X Lookup matches the recent posts and caches the user id", "[x]") {
  XFake fake(kToken);
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
  for (int i = 0; i < 10; ++i) fake.AddPost("later " + std::to_string(i), kNow);
  CHECK_FALSE(connector->Lookup(Request("never posted")).has_value());
  CHECK(fake.server().Count("/2/users/me") == 1);
}

TEST_CASE("X finds a post with images among the recent posts by its text", "[x]") {
  XFake fake(kToken);
  fake.SetNow(kNow);
  auto connector = Make(Config(fake.base_url()), Context(milliseconds{300}));
  auto request = Request("Q&A with https://example.org/notes");
  request.media = {{fake.image_url("chart.png"), "A rising line"}};
  fake.server().FailNext({.delay = milliseconds{600}, .act_then_stall = true, .path_contains = "/2/tweets"});
  auto result = connector->Publish(request);
  INFO(result.why);
  REQUIRE(result.kind == Kind::kPublished);
  auto posts = fake.Posts();
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].text.ends_with(" https://t.co/MeDiA00"));  // X's link to the images
  CHECK(result.remote_id == posts[0].id);
  auto found = connector->Lookup(request);
  REQUIRE(found);
  CHECK(found->kind == Kind::kPublished);
  CHECK(found->remote_id == posts[0].id);
  auto without_images = Request("Q&A with https://example.org/notes");
  auto absent = connector->Lookup(without_images);
  REQUIRE(absent);
  CHECK(absent->kind == Kind::kFailed);  // the same text without images is another post
}

TEST_CASE("X factory names an unreadable token", "[x]") {
  auto unset = MakeXConnector(Config("http://127.0.0.1:1", "X_UNSET"), Context());
  REQUIRE_FALSE(unset.has_value());
  CHECK(unset.error().message().find("secret token (env:X_UNSET)") != std::string::npos);
}

TEST_CASE("X publishes with a connected account's access token instead of the static one", "[x]") {
  XFake fake("connected-user-token");
  fake.SetNow(kNow);
  PublishRequest request = Request();
  request.access_token = "connected-user-token";
  auto result = Make(Config(fake.base_url()))->Publish(request);
  CHECK(result.kind == Kind::kPublished);
  REQUIRE(fake.Posts().size() == 1);
  CHECK(fake.Posts()[0].bearer == "connected-user-token");
}

TEST_CASE("X without a token and not connected sends nothing and waits", "[x]") {
  XFake fake(kToken);
  fake.SetNow(kNow);
  auto config = Config(fake.base_url());
  config.secrets.clear();
  config.settings["auth"] = "oauth";
  auto connector = Make(config);
  auto result = connector->Publish(Request());
  CHECK(result.kind == Kind::kRetryLater);
  CHECK_FALSE(result.attempted);
  REQUIRE(result.hold.has_value());
  CHECK(result.hold->rule == "not_connected");
  CHECK_THAT(result.why, Catch::Contains("POST /v1/accounts/x/connect"));
  CHECK(fake.server().Requests().empty());
  CHECK_FALSE(connector->Lookup(Request()).has_value());
}

TEST_CASE("X reads a connected account's engagement with its access token", "[x][engagement]") {
  XFake fake("connected-user-token");  // the static token of Config() is not accepted
  fake.SetNow(kNow);
  auto connector = Make(Config(fake.base_url()));
  PublishRequest publish = Request();
  publish.access_token = "connected-user-token";
  auto published = connector->Publish(publish);
  REQUIRE(published.kind == PublishResult::Kind::kPublished);
  fake.SetMetrics(published.remote_id, 1, 2, 3, 4, 5, 6);
  EngagementRequest request{7, "acme", "x", published.remote_id, published.remote_url, kNow};
  CHECK(connector->ReadEngagement(request).kind != EngagementResult::Kind::kRead);  // the static token: refused
  request.access_token = "connected-user-token";
  auto r = connector->ReadEngagement(request);
  INFO(r.why);
  REQUIRE(r.kind == EngagementResult::Kind::kRead);
  CHECK(r.counts.likes == 3);
}

TEST_CASE("X reads a post's public_metrics back", "[x][engagement]") {
  XFake fake(kToken);
  fake.SetNow(kNow);
  auto connector = Make(Config(fake.base_url()));
  CHECK(connector->ReadsEngagement());
  auto published = connector->Publish(Request());
  REQUIRE(published.kind == PublishResult::Kind::kPublished);
  EngagementRequest request{7, "acme", "x", published.remote_id, published.remote_url, kNow};
  fake.SetMetrics(published.remote_id, 2, 3, 40, 1, 5, 1234);
  auto r = connector->ReadEngagement(request);
  INFO(r.why);
  REQUIRE(r.kind == EngagementResult::Kind::kRead);
  CHECK(r.counts.replies == 2);
  CHECK(r.counts.reposts == 3);
  CHECK(r.counts.likes == 40);
  CHECK(r.counts.quotes == 1);
  CHECK(r.counts.bookmarks == 5);
  CHECK(r.counts.views == 1234);
  CHECK(r.counts.Interactions() == 51);  // views are not interactions
  auto sent = fake.server().Requests().back();
  CHECK(sent.path == "/2/tweets/" + published.remote_id);
  CHECK(sent.Param("tweet.fields") == "public_metrics");

  SECTION("a deleted post answers resource-not-found: gone") {
    fake.Delete(published.remote_id);
    CHECK(connector->ReadEngagement(request).kind == EngagementResult::Kind::kGone);
  }
  SECTION("429 with x-rate-limit-reset: retry at the reset") {
    fake.server().FailNext({.status = 429,
                            .headers = {{"x-rate-limit-limit", "15"}, {"x-rate-limit-remaining", "0"},
                                        {"x-rate-limit-reset", std::to_string((kNow + minutes{15}).time_since_epoch().count())}},
                            .body = R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})",
                            .path_contains = "/2/tweets/"});
    auto limited = connector->ReadEngagement(request);
    CHECK(limited.kind == EngagementResult::Kind::kRetryLater);
    REQUIRE(limited.retry_at);
    CHECK(*limited.retry_at == kNow + minutes{15});
  }
}

}  // namespace
}  // namespace herald::connectors
