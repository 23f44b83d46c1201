// The mastodon connector against MastodonFake: statuses with images and alt
// text, every answer class, and the Idempotency-Key re-send that settles a
// missing answer without ever creating a second status.
#include <catch2/catch.hpp>

#include "connectors/platforms.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/mastodon_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using Kind = PublishResult::Kind;
using testing::MastodonFake;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");

ConnectorContext Context(milliseconds read_timeout = milliseconds{2000}, std::string token = "mastodon-token") {
  return testing::TestContext({{"MASTODON_TOKEN", token}}, read_timeout);
}

policies::ConnectorConfig Config(const std::string& base_url) {
  policies::ConnectorConfig c;
  c.type = "mastodon";
  c.base_url = base_url;
  c.secrets["token"] = {policies::SecretRef::Kind::kEnv, "MASTODON_TOKEN"};
  return c;
}

std::unique_ptr<Connector> Make(const std::string& base_url, const ConnectorContext& context = Context()) {
  auto c = MakeMastodonConnector(Config(base_url), context);
  INFO((c ? "" : c.error().ToString()));
  REQUIRE(c.has_value());
  return std::move(*c);
}

PublishRequest Request(std::vector<Media> media = {}) {
  PublishRequest r;
  r.post_id = 7;
  r.organization = "acme";
  r.account = "acme-toot";
  r.platform = "mastodon";
  r.text = "Hello fediverse & friends";
  r.media = std::move(media);
  r.planned_at = kNow;
  r.now = kNow;
  r.created_at = kNow - hours{2};
  r.idempotency_key = "acme-7";
  return r;
}

int StatusPosts(MastodonFake& fake) { return fake.fake().Count("/api/v1/statuses"); }

TEST_CASE("Mastodon posts a status with an image and its alt text", "[mastodon]") {
  MastodonFake fake;
  auto r = Make(fake.base_url())->Publish(Request({{fake.image_url("chart.png"), "A rising line"}}));
  INFO(r.why);
  REQUIRE(r.kind == Kind::kPublished);
  auto statuses = fake.Statuses();
  REQUIRE(statuses.size() == 1);
  CHECK(r.remote_id == statuses[0].id);
  CHECK(r.remote_url == fake.base_url() + "/@herald/" + statuses[0].id);
  CHECK(statuses[0].text == "Hello fediverse & friends");
  CHECK_FALSE(r.hold.has_value());

  auto uploads = fake.Uploads();
  REQUIRE(uploads.size() == 1);
  CHECK(uploads[0].description == "A rising line");
  CHECK(uploads[0].filename == "chart.png");
  CHECK(uploads[0].content_type == "image/png");
  CHECK(uploads[0].bytes == MastodonFake::ImageBytes());
  CHECK(statuses[0].media_ids == std::vector<std::string>{uploads[0].id});

  auto requests = fake.fake().Requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].path == "/images/chart.png");
  CHECK(requests[1].path == "/api/v2/media");
  CHECK(requests[1].Header("Authorization") == "Bearer mastodon-token");
  CHECK(requests[1].Header("Content-Type").starts_with("multipart/form-data; boundary="));
  const auto& create = requests[2];
  CHECK(create.method == "POST");
  CHECK(create.path == "/api/v1/statuses");
  CHECK(create.Header("Authorization") == "Bearer mastodon-token");
  CHECK(create.Header("Idempotency-Key") == "acme-7");
  CHECK(create.Header("Content-Type") == "application/x-www-form-urlencoded");
  CHECK(create.Param("status") == "Hello fediverse & friends");
  CHECK(create.Param("media_ids[]") == uploads[0].id);
}

TEST_CASE("Mastodon waits for an image still processing before attaching it", "[mastodon]") {
  MastodonFake fake;
  fake.set_media_processing(1);
  auto r = Make(fake.base_url())->Publish(Request({{fake.image_url(), "alt"}}));
  INFO(r.why);
  REQUIRE(r.kind == Kind::kPublished);
  CHECK(fake.fake().Count("/api/v1/media/") == 2);  // 206, then 200
  REQUIRE(fake.Statuses().size() == 1);
  CHECK(fake.Statuses()[0].media_ids.size() == 1);
}

TEST_CASE("Mastodon answers map to outcomes", "[mastodon]") {
  MastodonFake fake;
  SECTION("a wrong token fails naming the credentials") {
    auto r = Make(fake.base_url(), Context(milliseconds{2000}, "stale"))->Publish(Request());
    CHECK(r.kind == Kind::kFailed);
    CHECK(r.http_status == 401);
    CHECK(r.why == "mastodon answered HTTP 401: The access token is invalid (check the account's credentials and permissions)");
  }
  SECTION("a validation error fails with the instance's message") {
    PublishRequest long_post = Request();
    long_post.text = std::string(501, 'a');
    auto r = Make(fake.base_url())->Publish(long_post);
    CHECK(r.kind == Kind::kFailed);
    CHECK(r.http_status == 422);
    CHECK(r.why == "mastodon answered HTTP 422: Validation failed: Text character limit of 500 exceeded");
  }
  SECTION("429 waits for the ISO 8601 X-RateLimit-Reset, with a hold") {
    fake.fake().FailNext({.status = 429,
                          .headers = {{"X-RateLimit-Limit", "300"}, {"X-RateLimit-Remaining", "0"},
                                      {"X-RateLimit-Reset", "2026-11-23T10:15:00.019685Z"}},
                          .body = R"({"error":"Too many requests"})"});
    auto r = Make(fake.base_url())->Publish(Request());
    CHECK(r.kind == Kind::kRetryLater);
    CHECK(r.retry_at == *ParseRfc3339("2026-11-23T10:15:01Z"));
    REQUIRE(r.hold.has_value());
    CHECK(r.hold->until == *ParseRfc3339("2026-11-23T10:15:01Z"));
    CHECK(fake.Statuses().empty());
  }
  SECTION("a success with no request left holds the account until the reset") {
    fake.set_rate_limit(0, kNow + minutes{7});
    auto r = Make(fake.base_url())->Publish(Request());
    REQUIRE(r.kind == Kind::kPublished);
    REQUIRE(r.hold.has_value());
    CHECK(r.hold->until == kNow + minutes{7});
  }
  SECTION("503 is retried later") {
    fake.fake().FailNext({.status = 503, .headers = {{"Retry-After", "60"}}, .body = "<html>maintenance</html>", .content_type = "text/html"});
    auto r = Make(fake.base_url())->Publish(Request());
    CHECK(r.kind == Kind::kRetryLater);
    CHECK(r.retry_at == kNow + seconds{60});
    CHECK(fake.Statuses().empty());
  }
  SECTION("a missing image fails naming it, and nothing is posted") {
    auto r = Make(fake.base_url())->Publish(Request({{fake.image_url("missing.png"), "gone"}}));
    CHECK(r.kind == Kind::kFailed);
    CHECK(r.why.find("missing.png: HTTP 404") != std::string::npos);
    CHECK(StatusPosts(fake) == 0);
  }
  SECTION("a media upload without an answer is retried later, nothing posted") {
    auto connector = Make(fake.base_url(), Context(milliseconds{300}));
    fake.fake().FailNext({.delay = milliseconds{600}, .path_contains = "/api/v2/media"});
    auto r = connector->Publish(Request({{fake.image_url(), "alt"}}));
    CHECK(r.kind == Kind::kRetryLater);
    CHECK(StatusPosts(fake) == 0);
  }
}

TEST_CASE("Mastodon refused connection is retried later", "[mastodon]") {
  auto r = Make("http://127.0.0.1:" + std::to_string(testing::UnusedPort()))->Publish(Request());
  CHECK(r.kind == Kind::kRetryLater);
}

TEST_CASE("Mastodon re-sends with the same Idempotency-Key when the answer is lost", "[mastodon]") {
  MastodonFake fake;
  auto connector = Make(fake.base_url(), Context(milliseconds{300}));
  SECTION("the instance acted, the answer was lost: the re-send returns that status") {
    fake.fake().FailNext({.delay = milliseconds{600}, .act_then_stall = true, .path_contains = "/api/v1/statuses"});
    auto r = connector->Publish(Request());
    INFO(r.why);
    REQUIRE(r.kind == Kind::kPublished);
    REQUIRE(fake.Statuses().size() == 1);
    CHECK(r.remote_id == fake.Statuses()[0].id);
    CHECK(StatusPosts(fake) == 2);
    auto requests = fake.fake().Requests();
    CHECK(requests[0].Header("Idempotency-Key") == requests[1].Header("Idempotency-Key"));
  }
  SECTION("a gateway timeout, then the re-send answers") {
    fake.fake().FailNext({.status = 504, .body = "<html>Gateway Timeout</html>", .content_type = "text/html"});
    auto r = connector->Publish(Request());
    REQUIRE(r.kind == Kind::kPublished);
    CHECK(fake.Statuses().size() == 1);
  }
  SECTION("both lost: unknown, and still one status") {
    fake.fake().FailNext({.delay = milliseconds{600}, .act_then_stall = true, .path_contains = "/api/v1/statuses"}, 2);
    auto r = connector->Publish(Request());
    CHECK(r.kind == Kind::kUnknown);
    CHECK(r.why.find("Idempotency-Key acme-7") != std::string::npos);
    CHECK(fake.Statuses().size() == 1);
    CHECK(StatusPosts(fake) == 2);
  }
}

TEST_CASE("Mastodon no answer at all is unknown after one re-send", "[mastodon]") {
  testing::SilentDropServer drop;
  auto r = Make(drop.base_url(), Context(milliseconds{300}))->Publish(Request());
  CHECK(r.kind == Kind::kUnknown);
  CHECK(drop.accepted() == 2);
}

TEST_CASE("Mastodon lookup re-sends with the key only while the instance remembers it", "[mastodon]") {
  MastodonFake fake;
  auto connector = Make(fake.base_url());
  REQUIRE(connector->Publish(Request()).kind == Kind::kPublished);
  PublishRequest recovering = Request();
  recovering.now = kNow + minutes{10};
  auto found = connector->Lookup(recovering);
  REQUIRE(found.has_value());
  CHECK(found->kind == Kind::kFailed);  // safe to publish: the key returns the same status
  CHECK(found->resend_by == kNow + minutes{45});  // while the instance surely remembers the key
  auto again = connector->Publish(recovering);
  REQUIRE(again.kind == Kind::kPublished);
  CHECK(fake.Statuses().size() == 1);
  CHECK(again.remote_id == fake.Statuses()[0].id);

  recovering.now = kNow + minutes{50};
  CHECK_FALSE(connector->Lookup(recovering).has_value());
}

TEST_CASE("A Mastodon account connected by OAuth needs no static token and publishes with the grant token",
          "[mastodon][oauth]") {
  MastodonFake fake("the-grant-token");
  auto config = Config(fake.base_url());
  config.secrets.clear();
  config.settings["auth"] = "oauth";
  auto connector = MakeMastodonConnector(config, Context());
  REQUIRE(connector.has_value());
  PublishRequest request = Request({{fake.image_url("chart.png"), "A rising line"}});
  SECTION("with the grant's token") {
    request.access_token = "the-grant-token";
    auto r = (*connector)->Publish(request);
    INFO(r.why);
    CHECK(r.kind == Kind::kPublished);
    CHECK(fake.Statuses().size() == 1);
  }
  SECTION("a refused token is a 401 the caller can tell") {
    request.access_token = "a-revoked-token";
    auto r = (*connector)->Publish(request);
    CHECK(r.kind == Kind::kFailed);
    CHECK(r.http_status == 401);
    CHECK(r.why.find("a-revoked-token") == std::string::npos);
    CHECK(fake.Statuses().empty());
  }
}

TEST_CASE("Mastodon factory names a missing token or instance", "[mastodon]") {
  SECTION("token") {
    auto config = Config("https://mastodon.example");
    config.secrets.clear();
    auto c = MakeMastodonConnector(config, Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message() == "connector mastodon: missing setting token");
  }
  SECTION("base_url") {
    auto c = MakeMastodonConnector(Config(""), Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message().starts_with("connector mastodon: missing setting base_url"));
  }
  SECTION("unreadable token") {
    auto config = Config("https://mastodon.example");
    config.secrets["token"].target = "UNSET_TOKEN";
    auto c = MakeMastodonConnector(config, Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message().find("secret token (env:UNSET_TOKEN)") != std::string::npos);
  }
}

EngagementRequest Engagement(const std::string& id) { return {7, "acme", "acme-toot", id, "", kNow}; }

TEST_CASE("Mastodon reads a status's engagement back with the account token", "[mastodon][engagement]") {
  MastodonFake fake;
  auto connector = Make(fake.base_url());
  CHECK(connector->ReadsEngagement());
  auto published = connector->Publish(Request());
  REQUIRE(published.kind == Kind::kPublished);
  fake.SetCounts(published.remote_id, 3, 5, 12);
  auto r = connector->ReadEngagement(Engagement(published.remote_id));
  INFO(r.why);
  REQUIRE(r.kind == EngagementResult::Kind::kRead);
  CHECK(r.counts.replies == 3);
  CHECK(r.counts.reposts == 5);
  CHECK(r.counts.likes == 12);
  // Not reported by this instance (no quote posts), never by Mastodon: absent, not 0.
  CHECK_FALSE(r.counts.quotes);
  CHECK_FALSE(r.counts.bookmarks);
  CHECK_FALSE(r.counts.views);
  auto reads = fake.fake().Requests();
  REQUIRE_FALSE(reads.empty());
  CHECK(reads.back().method == "GET");
  CHECK(reads.back().path == "/api/v1/statuses/" + published.remote_id);
  CHECK(reads.back().Header("Authorization") == "Bearer mastodon-token");

  SECTION("an instance with quote posts reports quotes_count") {
    fake.SetCounts(published.remote_id, 3, 5, 12, 2);
    auto q = connector->ReadEngagement(Engagement(published.remote_id));
    REQUIRE(q.kind == EngagementResult::Kind::kRead);
    CHECK(q.counts.quotes == 2);
  }
}

TEST_CASE("Mastodon engagement reads: deleted status, rate limit, bad token", "[mastodon][engagement]") {
  MastodonFake fake;
  auto connector = Make(fake.base_url());
  auto published = connector->Publish(Request());
  REQUIRE(published.kind == Kind::kPublished);

  SECTION("a status deleted upstream is gone: reading stops") {
    fake.Delete(published.remote_id);
    auto r = connector->ReadEngagement(Engagement(published.remote_id));
    CHECK(r.kind == EngagementResult::Kind::kGone);
    CHECK(r.http_status == 404);
  }
  SECTION("429 on a read: retry at the instance's reset") {
    fake.fake().FailNext({.status = 429,
                          .headers = {{"X-RateLimit-Limit", "300"},
                                      {"X-RateLimit-Remaining", "0"},
                                      {"X-RateLimit-Reset", "2026-11-23T10:05:00.000000Z"}},
                          .body = R"({"error":"Too many requests"})",
                          .path_contains = "/api/v1/statuses/"});
    auto r = connector->ReadEngagement(Engagement(published.remote_id));
    CHECK(r.kind == EngagementResult::Kind::kRetryLater);
    REQUIRE(r.retry_at);
    CHECK(*r.retry_at == *ParseRfc3339("2026-11-23T10:05:00Z"));
  }
  SECTION("503: retry later, the reader's backoff decides") {
    fake.fake().FailNext({.status = 503, .body = R"({"error":"down"})", .path_contains = "/api/v1/statuses/"});
    auto r = connector->ReadEngagement(Engagement(published.remote_id));
    CHECK(r.kind == EngagementResult::Kind::kRetryLater);
    CHECK_FALSE(r.retry_at);
  }
  SECTION("a revoked token fails this read for good") {
    auto r = Make(fake.base_url(), Context(milliseconds{2000}, "revoked"))->ReadEngagement(Engagement(published.remote_id));
    CHECK(r.kind == EngagementResult::Kind::kFailed);
    CHECK(r.http_status == 401);
  }
  SECTION("an answer that says the budget is nearly spent holds further reads until the reset") {
    fake.set_rate_limit(10, kNow + minutes{5});
    auto r = connector->ReadEngagement(Engagement(published.remote_id));
    REQUIRE(r.kind == EngagementResult::Kind::kRead);
    REQUIRE(r.hold_until);
    CHECK(*r.hold_until == kNow + minutes{5});
  }
}

}  // namespace
}  // namespace herald::connectors
