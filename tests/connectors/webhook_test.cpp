// The webhook connector against a Standard Webhooks receiver (WebhookFake):
// signatures checked from the spec (and its published test vector), the
// envelope, every answer class, and re-sending after no answer (safe: the
// receiver dedupes on webhook-id).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "connectors/platforms.h"
#include "connectors/webhook/webhook_connector.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/webhook_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using Kind = PublishResult::Kind;
using testing::WebhookFake;

// 24 random bytes, base64.
const std::string kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");

ConnectorContext Context(milliseconds read_timeout = milliseconds{2000}, std::string secret = kSecret) {
  return testing::TestContext({{"WEBHOOK_SECRET", secret}}, read_timeout);
}

policies::ConnectorConfig Config(const std::string& url) {
  policies::ConnectorConfig c;
  c.type = "webhook";
  c.settings["url"] = url;
  c.secrets["secret"] = {policies::SecretRef::Kind::kEnv, "WEBHOOK_SECRET"};
  return c;
}

std::unique_ptr<Connector> Make(const std::string& url, const ConnectorContext& context = Context()) {
  auto c = MakeWebhookConnector(Config(url), context);
  INFO((c ? "" : c.error().ToString()));
  REQUIRE(c.has_value());
  return std::move(*c);
}

PublishRequest Request() {
  PublishRequest r;
  r.post_id = 42;
  r.organization = "acme";
  r.account = "acme-hook";
  r.platform = "webhook";
  r.text = "Hello, receivers";
  r.labels = {"launch", "news"};
  r.media = {{"https://cdn.example.org/a.png", "A chart"}};
  r.planned_at = kNow;
  r.now = kNow;
  r.created_at = kNow - hours{1};
  r.idempotency_key = "acme-42";
  return r;
}

TEST_CASE("Webhook signing matches the Standard Webhooks test vector", "[webhook]") {
  // From the spec's reference libraries (libraries/go/webhook_test.go, TestWebhookSign).
  const std::string id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const std::string body = R"({"test": 2432232314})";
  const std::string expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
  auto key = WebhookKeyFromSecret(kSecret);
  REQUIRE(key.has_value());
  CHECK(key->size() == 24);
  CHECK(SignWebhook(*key, id, 1614265330, body) == expected);
  // The fake's verifier (written from the spec) agrees on the same vector.
  CHECK(testing::VerifyStandardWebhook(kSecret, id, "1614265330", body, "v2,abc " + expected));
  CHECK_FALSE(testing::VerifyStandardWebhook(kSecret, id, "1614265331", body, expected));
}

TEST_CASE("Webhook publishes a signed post.published envelope", "[webhook]") {
  WebhookFake fake(kSecret);
  fake.set_now(kNow);
  auto connector = Make(fake.url());
  PublishResult r = connector->Publish(Request());
  INFO(r.why);
  REQUIRE(r.kind == Kind::kPublished);
  CHECK(r.remote_id == "acme-42");
  CHECK(r.remote_url == fake.fake().base_url() + "/received/1");
  CHECK(r.http_status == 204);
  CHECK_FALSE(r.hold.has_value());

  auto requests = fake.fake().Requests();
  REQUIRE(requests.size() == 1);
  const auto& q = requests[0];
  CHECK(q.method == "POST");
  CHECK(q.path == "/hooks/herald");
  CHECK(q.Header("Content-Type") == "application/json");
  CHECK(q.Header("webhook-id") == "acme-42");
  CHECK(q.Header("webhook-timestamp") == std::to_string(kNow.time_since_epoch().count()));
  CHECK(q.Header("webhook-signature").starts_with("v1,"));
  CHECK(testing::VerifyStandardWebhook(kSecret, "acme-42", q.Header("webhook-timestamp"), q.body,
                                       q.Header("webhook-signature")));

  auto body = nlohmann::json::parse(q.body);
  CHECK(body["type"] == "post.published");
  CHECK(body["timestamp"] == "2026-11-23T10:00:00Z");
  const auto& data = body["data"];
  CHECK(data["id"] == 42);
  CHECK(data["organization"] == "acme");
  CHECK(data["account"] == "acme-hook");
  CHECK(data["text"] == "Hello, receivers");
  CHECK(data["labels"] == nlohmann::json::array({"launch", "news"}));
  CHECK(data["media"][0]["url"] == "https://cdn.example.org/a.png");
  CHECK(data["media"][0]["alt"] == "A chart");
  CHECK(data["planned_at"] == "2026-11-23T10:00:00Z");
  REQUIRE(fake.Messages().size() == 1);
}

TEST_CASE("Webhook re-sends after no answer and the receiver keeps one message", "[webhook]") {
  WebhookFake fake(kSecret);
  fake.set_now(kNow);
  auto connector = Make(fake.url(), Context(milliseconds{300}));
  fake.fake().FailNext({.delay = milliseconds{600}, .act_then_stall = true});
  PublishResult first = connector->Publish(Request());
  CHECK(first.kind == Kind::kRetryLater);
  CHECK(first.why.find("dedupes on webhook-id acme-42") != std::string::npos);
  PublishRequest again = Request();
  again.now = kNow + seconds{5};
  again.attempt = 2;
  PublishResult second = connector->Publish(again);
  REQUIRE(second.kind == Kind::kPublished);
  CHECK(fake.deliveries() == 2);
  auto messages = fake.Messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].id == "acme-42");
  auto requests = fake.fake().Requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].Header("webhook-id") == requests[1].Header("webhook-id"));
  CHECK(requests[1].Header("webhook-timestamp") == std::to_string((kNow + seconds{5}).time_since_epoch().count()));
}

TEST_CASE("Webhook id keeps no dot from an organization name", "[webhook]") {
  WebhookFake fake(kSecret);
  fake.set_now(kNow);
  PublishRequest request = Request();
  request.organization = "acme.io";
  request.idempotency_key = "acme.io-42";
  PublishResult r = Make(fake.url())->Publish(request);
  REQUIRE(r.kind == Kind::kPublished);
  CHECK(r.remote_id == "acme_io-42");
  CHECK(fake.fake().Requests()[0].Header("webhook-id") == "acme_io-42");
}

TEST_CASE("Webhook transport failures are retried later", "[webhook]") {
  SECTION("a receiver that hangs up without answering") {
    testing::SilentDropServer drop;
    PublishResult r = Make(drop.base_url() + "/hook", Context(milliseconds{300}))->Publish(Request());
    CHECK(r.kind == Kind::kRetryLater);
    CHECK_FALSE(r.retry_at.has_value());
    CHECK(drop.accepted() == 1);
  }
  SECTION("connection refused") {
    PublishResult r = Make("http://127.0.0.1:" + std::to_string(testing::UnusedPort()) + "/hook")->Publish(Request());
    CHECK(r.kind == Kind::kRetryLater);
    CHECK(r.http_status == 0);
  }
}

TEST_CASE("Webhook answers map to outcomes", "[webhook]") {
  WebhookFake fake(kSecret);
  fake.set_now(kNow);
  auto connector = Make(fake.url());
  SECTION("410 Gone is a permanent failure") {
    fake.set_gone(true);
    PublishResult r = connector->Publish(Request());
    CHECK(r.kind == Kind::kFailed);
    CHECK(r.http_status == 410);
    CHECK(r.why.find("endpoint is gone") != std::string::npos);
  }
  SECTION("429 with Retry-After is retried then, with a hold") {
    fake.fake().FailNext({.status = 429, .headers = {{"Retry-After", "120"}}, .body = "{}"});
    PublishResult r = connector->Publish(Request());
    CHECK(r.kind == Kind::kRetryLater);
    CHECK(r.retry_at == kNow + seconds{120});
    REQUIRE(r.hold.has_value());
    CHECK(r.hold->until == kNow + seconds{120});
    CHECK(fake.Messages().empty());
  }
  SECTION("502 503 and 504 are retried, honouring Retry-After") {
    int status = GENERATE(502, 503, 504);
    fake.fake().FailNext({.status = status, .headers = {{"Retry-After", "30"}}, .body = "busy", .content_type = "text/plain"});
    PublishResult r = connector->Publish(Request());
    CHECK(r.kind == Kind::kRetryLater);
    CHECK(r.retry_at == kNow + seconds{30});
    CHECK_FALSE(r.hold.has_value());
    CHECK(r.http_status == status);
  }
  SECTION("a redirect is a failure, not followed") {
    fake.fake().FailNext({.status = 301, .headers = {{"Location", "http://elsewhere.example/"}}, .body = ""});
    PublishResult r = connector->Publish(Request());
    CHECK(r.kind == Kind::kFailed);
    CHECK(fake.fake().Requests().size() == 1);
  }
  SECTION("a success saying nothing remains before a reset holds the account") {
    int64_t reset = (kNow + minutes{10}).time_since_epoch().count();
    fake.fake().FailNext({.status = 200, .headers = {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", std::to_string(reset)}}, .body = "{}"});
    PublishResult r = connector->Publish(Request());
    REQUIRE(r.kind == Kind::kPublished);
    CHECK(r.remote_url.empty());  // no Location header
    REQUIRE(r.hold.has_value());
    CHECK(r.hold->until == kNow + minutes{10});
  }
}

TEST_CASE("Webhook signed with another secret is refused by the receiver", "[webhook]") {
  WebhookFake fake("whsec_" + std::string("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"));  // 24 x 'A'
  fake.set_now(kNow);
  PublishResult r = Make(fake.url())->Publish(Request());
  CHECK(r.kind == Kind::kFailed);
  CHECK(r.http_status == 401);
  CHECK(r.why.find("invalid signature") != std::string::npos);
  CHECK(r.why.find("credentials") != std::string::npos);
  CHECK(fake.Messages().empty());
}

TEST_CASE("Webhook lookup says re-sending is safe", "[webhook]") {
  auto found = Make("http://127.0.0.1:1/hook")->Lookup(Request());
  REQUIRE(found.has_value());
  CHECK(found->kind == Kind::kFailed);
  CHECK(found->why.find("webhook-id") != std::string::npos);
}

TEST_CASE("Webhook factory names what is missing or malformed", "[webhook]") {
  SECTION("no secret") {
    auto config = Config("http://127.0.0.1:1/hook");
    config.secrets.clear();
    auto c = MakeWebhookConnector(config, Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message() == "connector webhook: missing setting secret");
  }
  SECTION("no url") {
    auto config = Config("");
    config.settings.clear();
    auto c = MakeWebhookConnector(config, Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message() == "connector webhook: missing setting url");
  }
  SECTION("an unset secret variable") {
    auto config = Config("http://127.0.0.1:1/hook");
    config.secrets["secret"].target = "NOPE";
    auto c = MakeWebhookConnector(config, Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message().find("secret secret (env:NOPE)") != std::string::npos);
  }
  SECTION("a secret without the whsec_ prefix") {
    auto c = MakeWebhookConnector(Config("http://127.0.0.1:1/hook"), Context(milliseconds{300}, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message().find("whsec_") != std::string::npos);
  }
  SECTION("a secret that is not base64") {
    std::string bad = GENERATE("whsec_", "whsec_abc", "whsec_ab$d", "whsec_a=bc");
    auto c = MakeWebhookConnector(Config("http://127.0.0.1:1/hook"), Context(milliseconds{300}, bad));
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message().find("not valid base64") != std::string::npos);
  }
}

TEST_CASE("A webhook cannot read engagement: not available, and nothing is sent", "[webhook][engagement]") {
  WebhookFake fake(kSecret);
  auto connector = Make(fake.url());
  CHECK_FALSE(connector->ReadsEngagement());
  auto r = connector->ReadEngagement({42, "acme", "acme-hook", "some-id", "", kNow});
  CHECK(r.kind == EngagementResult::Kind::kNotSupported);
  CHECK(fake.fake().Requests().empty());
}

}  // namespace
}  // namespace herald::connectors
