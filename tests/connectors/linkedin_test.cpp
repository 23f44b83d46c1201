// The linkedin connector against LinkedinFake: the Posts API request (headers,
// body, little-format escaping), images through the Images API
// (initializeUpload, PUT of the bytes) attached with their alt text as
// content.media or content.multiImage, the URN from x-restli-id, LinkedIn's
// error bodies, a bare 429 held until 00:00 UTC, and unknown outcomes
// (LinkedIn cannot be asked whether a text was posted).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "connectors/linkedin/linkedin_connector.h"
#include "connectors/platforms.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/linkedin_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using json = nlohmann::json;
using Kind = PublishResult::Kind;
using testing::Fault;
using testing::LinkedinFake;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");
const std::string kToken = "AQV-linkedin-token";
const std::string kAuthor = "urn:li:organization:5515715";

ConnectorContext Context(milliseconds read_timeout = milliseconds{3000}) {
  return testing::TestContext({{"LI_TOKEN", kToken}, {"LI_WRONG", "expired"}}, read_timeout);
}

policies::ConnectorConfig Config(const std::string& base_url, const std::string& token_env = "LI_TOKEN") {
  policies::ConnectorConfig c;
  c.type = "linkedin";
  c.base_url = base_url;
  c.settings["author"] = kAuthor;
  c.secrets["token"] = {policies::SecretRef::Kind::kEnv, token_env};
  return c;
}

std::unique_ptr<Connector> Make(const policies::ConnectorConfig& config, const ConnectorContext& context = Context()) {
  auto c = MakeLinkedinConnector(config, context);
  REQUIRE(c.has_value());
  return std::move(*c);
}

PublishRequest Request(std::string text = "Release 2.0 is out") {
  PublishRequest r;
  r.post_id = 7;
  r.organization = "acme";
  r.account = "li";
  r.platform = "linkedin";
  r.text = std::move(text);
  r.now = kNow;
  r.created_at = kNow - minutes{5};
  r.idempotency_key = "acme-7";
  return r;
}

TEST_CASE("LinkedIn publishes through the Posts API", "[linkedin]") {
  LinkedinFake fake(kToken, kAuthor);
  const std::string text = "Ship it (v2.0) #release @team [beta] <now> *bold* _x_ ~y~ {z} a|b back\\slash";
  auto result = Make(Config(fake.base_url()))->Publish(Request(text));
  REQUIRE(result.kind == Kind::kPublished);
  auto posts = fake.Posts();
  REQUIRE(posts.size() == 1);
  CHECK(result.remote_id == posts[0].urn);
  CHECK(result.remote_id.starts_with("urn:li:share:"));
  CHECK(result.remote_url == "https://www.linkedin.com/feed/update/" + posts[0].urn + "/");
  CHECK(result.http_status == 201);
  CHECK(posts[0].shown == text);  // every reserved character escaped, none lost
  CHECK(posts[0].commentary ==
        "Ship it \\(v2.0\\) \\#release \\@team \\[beta\\] \\<now\\> \\*bold\\* \\_x\\_ \\~y\\~ \\{z\\} a\\|b back\\\\slash");
  auto requests = fake.server().Requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].path == "/rest/posts");
  CHECK(requests[0].Header("Authorization") == "Bearer " + kToken);
  CHECK(requests[0].Header("LinkedIn-Version") == std::string(kDefaultLinkedinVersion));
  CHECK(requests[0].Header("X-Restli-Protocol-Version") == "2.0.0");
  CHECK(requests[0].Header("Content-Type") == "application/json");
}

TEST_CASE("LinkedIn sends the body fields the Posts API requires", "[linkedin]") {
  LinkedinFake fake(kToken, kAuthor);
  auto config = Config(fake.base_url());
  config.settings["version"] = "202510";
  REQUIRE(Make(config)->Publish(Request()).kind == Kind::kPublished);
  auto body = json::parse(fake.server().Requests().at(0).body);
  CHECK(body["author"] == kAuthor);
  CHECK(body["commentary"] == "Release 2.0 is out");
  CHECK(body["visibility"] == "PUBLIC");
  CHECK(body["distribution"] == json{{"feedDistribution", "MAIN_FEED"}, {"targetEntities", json::array()},
                                     {"thirdPartyDistributionChannels", json::array()}});
  CHECK(body["lifecycleState"] == "PUBLISHED");
  CHECK(body["isReshareDisabledByAuthor"] == false);
  CHECK(fake.server().Requests()[0].Header("LinkedIn-Version") == "202510");
}

TEST_CASE("LinkedIn publishes two images in order with their alt text", "[linkedin]") {
  LinkedinFake fake(kToken, kAuthor);
  auto request = Request();
  request.media = {{fake.image_url("chart.png"), "A rising line"}, {fake.image_url("team.png"), "Five people waving"}};
  auto result = Make(Config(fake.base_url()))->Publish(request);
  INFO(result.why);
  REQUIRE(result.kind == Kind::kPublished);
  auto images = fake.Images();
  REQUIRE(images.size() == 2);
  CHECK(images[0].owner == kAuthor);
  CHECK(images[0].uploaded);
  CHECK(images[0].bytes == LinkedinFake::ImageBytes("chart.png"));
  CHECK(images[1].bytes == LinkedinFake::ImageBytes("team.png"));
  auto posts = fake.Posts();
  REQUIRE(posts.size() == 1);
  CHECK(result.remote_id == posts[0].urn);
  CHECK(posts[0].content == "multiImage");
  REQUIRE(posts[0].images.size() == 2);
  CHECK(posts[0].images[0].urn == images[0].urn);
  CHECK(posts[0].images[0].alt_text == "A rising line");
  CHECK(posts[0].images[1].urn == images[1].urn);
  CHECK(posts[0].images[1].alt_text == "Five people waving");

  auto requests = fake.server().Requests();
  std::vector<std::string> paths;
  for (const auto& r : requests) paths.push_back(r.method + " " + r.path);
  CHECK(paths == std::vector<std::string>{"GET /images/chart.png", "POST /rest/images", "PUT /dms-uploads/" + images[0].upload_token,
                                          "GET /rest/images/" + images[0].urn,
                                          "GET /images/team.png", "POST /rest/images", "PUT /dms-uploads/" + images[1].upload_token,
                                          "GET /rest/images/" + images[1].urn,
                                          "POST /rest/posts"});
  const auto& init = requests[1];
  CHECK(init.Param("action") == "initializeUpload");
  CHECK(init.Header("Authorization") == "Bearer " + kToken);
  CHECK(init.Header("LinkedIn-Version") == std::string(kDefaultLinkedinVersion));
  CHECK(init.Header("X-Restli-Protocol-Version") == "2.0.0");
  CHECK(json::parse(init.body) == json{{"initializeUploadRequest", {{"owner", kAuthor}}}});
  CHECK(requests[2].Header("Authorization") == "Bearer " + kToken);
  auto body = json::parse(requests.back().body);
  CHECK(body["content"] == json{{"multiImage", {{"images", {{{"id", images[0].urn}, {"altText", "A rising line"}},
                                                            {{"id", images[1].urn}, {"altText", "Five people waving"}}}}}}});
}

TEST_CASE("LinkedIn one image goes as content.media", "[linkedin]") {
  LinkedinFake fake(kToken, kAuthor);
  auto request = Request();
  request.media = {{fake.image_url("chart.png"), "A rising line"}};
  auto result = Make(Config(fake.base_url()))->Publish(request);
  REQUIRE(result.kind == Kind::kPublished);
  auto posts = fake.Posts();
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].content == "media");
  REQUIRE(posts[0].images.size() == 1);
  CHECK(posts[0].images[0].urn == fake.Images().at(0).urn);
  CHECK(posts[0].images[0].alt_text == "A rising line");
  CHECK(json::parse(fake.server().Requests().back().body)["content"] ==
        json{{"media", {{"id", fake.Images()[0].urn}, {"altText", "A rising line"}}}});
}

TEST_CASE("LinkedIn waits until an uploaded image is AVAILABLE before posting", "[linkedin]") {
  LinkedinFake fake(kToken, kAuthor);
  fake.SetProcessing(3);
  auto request = Request();
  request.media = {{fake.image_url("chart.png"), "A rising line"}};
  auto result = Make(Config(fake.base_url()))->Publish(request);
  INFO(result.why);
  REQUIRE(result.kind == Kind::kPublished);
  auto images = fake.Images();
  REQUIRE(images.size() == 1);
  CHECK(images[0].status_looks == 4);  // PROCESSING three times, then AVAILABLE
  REQUIRE(fake.Posts().size() == 1);
  CHECK(fake.Posts()[0].images.at(0).urn == images[0].urn);
}

TEST_CASE("LinkedIn image failures post nothing", "[linkedin]") {
  LinkedinFake fake(kToken, kAuthor);
  auto request = Request();
  SECTION("an image that 404s is a permanent failure naming it") {
    request.media = {{fake.image_url("chart.png"), "first"}, {fake.image_url("missing.png"), "gone"}};
    auto result = Make(Config(fake.base_url()))->Publish(request);
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.http_status == 404);
    CHECK(result.why == "linkedin image " + fake.image_url("missing.png") + ": HTTP 404");
  }
  SECTION("a bare 429 on initializeUpload waits for 00:00 UTC") {
    fake.server().FailNext({.status = 429,
                            .body = R"({"status":429,"serviceErrorCode":101,"code":"TOO_MANY_REQUESTS","message":"Resource level throttle APPLICATION DAY limit for calls to this resource is reached."})",
                            .path_contains = "/rest/images"});
    request.media = {{fake.image_url("chart.png"), "A rising line"}};
    auto result = Make(Config(fake.base_url()))->Publish(request);
    CHECK(result.kind == Kind::kRetryLater);
    CHECK(result.http_status == 429);
    CHECK(result.retry_at == *ParseRfc3339("2026-11-24T00:00:00Z"));
    REQUIRE(result.hold);
    CHECK(result.hold->until == *ParseRfc3339("2026-11-24T00:00:00Z"));
  }
  SECTION("a 429 with Retry-After on the upload waits for it") {
    fake.server().FailNext({.status = 429, .headers = {{"Retry-After", "120"}}, .body = "", .path_contains = "/dms-uploads/"});
    request.media = {{fake.image_url("chart.png"), "A rising line"}};
    auto result = Make(Config(fake.base_url()))->Publish(request);
    CHECK(result.kind == Kind::kRetryLater);
    CHECK(result.retry_at == kNow + seconds{120});
    REQUIRE(result.hold);
    CHECK(result.hold->until == kNow + seconds{120});
  }
  SECTION("an upload without an answer is retried later") {
    fake.server().FailNext({.delay = milliseconds{600}, .path_contains = "/dms-uploads/"});
    request.media = {{fake.image_url("chart.png"), "A rising line"}};
    auto result = Make(Config(fake.base_url()), Context(milliseconds{300}))->Publish(request);
    CHECK(result.kind == Kind::kRetryLater);
    CHECK(result.why.find("nothing was posted yet") != std::string::npos);
  }
  SECTION("an image LinkedIn cannot process is a permanent failure") {
    fake.SetProcessing(1, /*fails=*/true);
    request.media = {{fake.image_url("chart.png"), "A rising line"}};
    auto result = Make(Config(fake.base_url()))->Publish(request);
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why.find("PROCESSING_FAILED") != std::string::npos);
    CHECK(result.why.find(fake.image_url("chart.png")) != std::string::npos);
  }
  SECTION("an image still processing after the checks is retried later") {
    fake.SetProcessing(1000);
    request.media = {{fake.image_url("chart.png"), "A rising line"}};
    auto result = Make(Config(fake.base_url()))->Publish(request);
    CHECK(result.kind == Kind::kRetryLater);
    CHECK_FALSE(result.hold);
    CHECK(result.why.find("still PROCESSING") != std::string::npos);
    CHECK(fake.Images().at(0).status_looks == 10);
  }
  SECTION("an owner the token may not act for is refused") {
    LinkedinFake other(kToken, "urn:li:organization:1");
    request.media = {{fake.image_url("chart.png"), "A rising line"}};
    auto result = Make(Config(other.base_url()))->Publish(request);
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.http_status == 403);
    CHECK(other.Posts().empty());
  }
  CHECK(fake.Posts().empty());
  CHECK(fake.server().Count("/rest/posts") == 0);
}

TEST_CASE("LinkedIn refusals are permanent with LinkedIn's message", "[linkedin]") {
  LinkedinFake fake(kToken, kAuthor);
  SECTION("a wrong token names the credentials") {
    auto result = Make(Config(fake.base_url(), "LI_WRONG"))->Publish(Request());
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why == "linkedin answered HTTP 401: Invalid access token (check the account's credentials and permissions)");
  }
  SECTION("commentary over 3000 characters") {
    auto result = Make(Config(fake.base_url()))->Publish(Request(std::string(3001, 'a')));
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why == "linkedin answered HTTP 422: /commentary :: length 3001 exceeds the maximum allowed length 3000");
  }
  SECTION("a version LinkedIn no longer serves") {
    auto config = Config(fake.base_url());
    config.settings["version"] = "202001";
    auto result = Make(config)->Publish(Request());
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why == "linkedin answered HTTP 426: Requested version 202001 is not active");
  }
  CHECK(fake.Posts().empty());
}

TEST_CASE("LinkedIn bare 429 waits for 00:00 UTC", "[linkedin]") {
  LinkedinFake fake(kToken, kAuthor);
  fake.server().FailNext({.status = 429,
                          .body = R"({"status":429,"serviceErrorCode":101,"code":"TOO_MANY_REQUESTS","message":"Resource level throttle APPLICATION DAY limit for calls to this resource is reached."})"});
  auto result = Make(Config(fake.base_url()))->Publish(Request());
  CHECK(result.kind == Kind::kRetryLater);
  CHECK(result.retry_at == *ParseRfc3339("2026-11-24T00:00:00Z"));
  REQUIRE(result.hold);
  CHECK(result.hold->until == *ParseRfc3339("2026-11-24T00:00:00Z"));
  CHECK(fake.Posts().empty());
}

TEST_CASE("LinkedIn transient failures and unknown outcomes", "[linkedin]") {
  SECTION("5xx") {
    LinkedinFake fake(kToken, kAuthor);
    fake.server().FailNext({.status = 504});
    CHECK(Make(Config(fake.base_url()))->Publish(Request()).kind == Kind::kRetryLater);
  }
  SECTION("connection refused") {
    CHECK(Make(Config("http://127.0.0.1:" + std::to_string(testing::UnusedPort())))->Publish(Request()).kind ==
          Kind::kRetryLater);
  }
  SECTION("a server that hangs up") {
    testing::SilentDropServer drop;
    auto result = Make(Config(drop.base_url()), Context(milliseconds{300}))->Publish(Request());
    // The drop server may hang up after the headers, before the body is
    // written: then the request was not sent whole (retry later). Sent whole,
    // no answer: unknown. Never published, never failed.
    CHECK((result.kind == Kind::kUnknown || result.kind == Kind::kRetryLater));
    CHECK(drop.accepted() == 1);
  }
  SECTION("posted, answer lost: unknown, and Lookup cannot tell") {
    LinkedinFake fake(kToken, kAuthor);
    fake.server().FailNext({.delay = milliseconds{600}, .act_then_stall = true});
    auto connector = Make(Config(fake.base_url()), Context(milliseconds{300}));
    CHECK(connector->Publish(Request()).kind == Kind::kUnknown);
    CHECK(fake.Posts().size() == 1);
    CHECK_FALSE(connector->Lookup(Request()).has_value());
  }
}

TEST_CASE("A LinkedIn account connected by OAuth needs no static token and posts with the grant token, images too",
          "[linkedin][oauth]") {
  LinkedinFake fake("AQV-grant-token", kAuthor);
  auto config = Config(fake.base_url());
  config.secrets.clear();
  config.settings["auth"] = "oauth";
  PublishRequest request = Request();
  request.media = {{fake.image_url("chart.png"), "a chart"}};
  request.access_token = "AQV-grant-token";
  auto r = Make(config)->Publish(request);
  INFO(r.why);
  CHECK(r.kind == Kind::kPublished);
  REQUIRE(fake.Posts().size() == 1);
  CHECK(fake.Posts()[0].images.size() == 1);
}

TEST_CASE("LinkedIn factory names what is missing or wrong", "[linkedin]") {
  auto config = Config("http://127.0.0.1:1");
  config.settings.erase("author");
  auto c = MakeLinkedinConnector(config, Context());
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().message() == "connector linkedin: missing setting author");
  config.settings["author"] = "5515715";
  auto bad = MakeLinkedinConnector(config, Context());
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message().find("urn:li:person:<id> or urn:li:organization:<id>") != std::string::npos);
  auto unset = MakeLinkedinConnector(Config("http://127.0.0.1:1", "LI_UNSET"), Context());
  REQUIRE_FALSE(unset.has_value());
  CHECK(unset.error().message().find("secret token (env:LI_UNSET)") != std::string::npos);
}

}  // namespace
}  // namespace herald::connectors
