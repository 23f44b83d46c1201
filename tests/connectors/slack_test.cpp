// The slack connector against SlackFake: every publish outcome, image blocks
// with alt text, the permalink step that never undoes a post, and the history
// search that settles a post left without an answer.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "connectors/platforms.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/slack_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using json = nlohmann::json;
using Kind = PublishResult::Kind;
using testing::SlackFake;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");
const int64_t kEpoch = duration_cast<seconds>(kNow.time_since_epoch()).count();
const std::string kToken = "xoxb-1234-secret";
const std::string kChannel = "C0123456789";

ConnectorContext Context(milliseconds read_timeout = milliseconds{3000}) {
  return testing::TestContext({{"SLACK_TOKEN", kToken}, {"SLACK_WRONG", "xoxb-revoked"}}, read_timeout);
}

policies::ConnectorConfig Config(const std::string& base_url, const std::string& token_env = "SLACK_TOKEN") {
  policies::ConnectorConfig c;
  c.type = "slack";
  c.base_url = base_url;
  c.settings["channel"] = kChannel;
  c.secrets["token"] = {policies::SecretRef::Kind::kEnv, token_env};
  return c;
}

std::unique_ptr<Connector> Make(const std::string& base_url, milliseconds read_timeout = milliseconds{3000},
                                const std::string& token_env = "SLACK_TOKEN") {
  auto c = MakeSlackConnector(Config(base_url, token_env), Context(read_timeout));
  REQUIRE(c.has_value());
  return std::move(*c);
}

PublishRequest Request(std::string text = "Release 2.0 is out & <ready>") {
  PublishRequest r;
  r.post_id = 7;
  r.organization = "acme";
  r.account = "sl";
  r.platform = "slack";
  r.text = std::move(text);
  r.now = kNow;
  r.planned_at = kNow;
  r.idempotency_key = "acme-7";
  return r;
}

const std::string kFirstTs = std::to_string(kEpoch) + ".000100";
const std::string kFirstUrl = "https://herald-test.slack.com/archives/" + kChannel + "/p" + std::to_string(kEpoch) + "000100";

TEST_CASE("Slack posts the message then reads its permalink", "[slack]") {
  SlackFake fake(kToken, kChannel, kEpoch);
  auto result = Make(fake.base_url())->Publish(Request());
  REQUIRE(result.kind == Kind::kPublished);
  CHECK(result.remote_id == kChannel + "/" + kFirstTs);
  CHECK(result.remote_url == kFirstUrl);
  auto requests = fake.server().Requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].path == "/api/chat.postMessage");
  CHECK(requests[0].Header("Authorization") == "Bearer " + kToken);
  CHECK(requests[0].Header("Content-Type") == "application/json; charset=utf-8");
  CHECK(json::parse(fake.server().Requests().at(0).body) == json{{"channel", kChannel}, {"text", "Release 2.0 is out &amp; &lt;ready&gt;"}});
  CHECK(requests[1].path == "/api/chat.getPermalink");
  CHECK(requests[1].Param("channel") == kChannel);
  CHECK(requests[1].Param("message_ts") == kFirstTs);
  CHECK(fake.Messages().size() == 1);
}

TEST_CASE("Slack images go as image blocks with alt text", "[slack]") {
  SlackFake fake(kToken, kChannel, kEpoch);
  auto request = Request(std::string(3500, 'a'));
  request.media = {{"https://cdn.example.org/a.png", "a rising chart"}, {"https://cdn.example.org/b.png", ""}};
  auto result = Make(fake.base_url())->Publish(request);
  REQUIRE(result.kind == Kind::kPublished);
  auto body = json::parse(fake.server().Requests().at(0).body);
  CHECK(body["text"] == request.text);
  auto messages = fake.Messages();
  REQUIRE(messages.size() == 1);
  // Over 3000 characters the text takes two section blocks.
  CHECK(messages[0].sections == std::vector<std::string>{std::string(3000, 'a'), std::string(500, 'a')});
  CHECK(messages[0].images == std::vector<std::pair<std::string, std::string>>{
                                  {"https://cdn.example.org/a.png", "a rising chart"}, {"https://cdn.example.org/b.png", "image"}});
}

TEST_CASE("Slack text is escaped, so it cannot ping a channel or disguise a link", "[slack]") {
  SlackFake fake(kToken, kChannel, kEpoch);
  auto request = Request("<!channel> see <https://evil.example|bank.com> & more");
  REQUIRE(Make(fake.base_url())->Publish(request).kind == Kind::kPublished);
  auto body = json::parse(fake.server().Requests().at(0).body);
  CHECK(body["text"] == "&lt;!channel&gt; see &lt;https://evil.example|bank.com&gt; &amp; more");
  SECTION("a section boundary never splits an entity") {
    SlackFake with_image(kToken, kChannel, kEpoch);
    auto long_request = Request(std::string(2998, 'a') + "<b>");
    long_request.media = {{"https://cdn.example.org/a.png", "chart"}};
    REQUIRE(Make(with_image.base_url())->Publish(long_request).kind == Kind::kPublished);
    auto messages = with_image.Messages();
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].sections == std::vector<std::string>{std::string(2998, 'a'), "&lt;b&gt;"});
  }
}

TEST_CASE("Slack permalink failures keep the post published", "[slack]") {
  SlackFake fake(kToken, kChannel, kEpoch);
  SECTION("an error answer") {
    fake.server().FailNext({.status = 500, .body = "oops", .path_contains = "getPermalink"});
    auto result = Make(fake.base_url())->Publish(Request());
    CHECK(result.kind == Kind::kPublished);
    CHECK(result.remote_id == kChannel + "/" + kFirstTs);
    CHECK(result.remote_url.empty());
    CHECK_FALSE(result.hold.has_value());
  }
  SECTION("rate limited: published, with a hold") {
    fake.server().FailNext({.status = 429, .headers = {{"Retry-After", "20"}}, .body = R"({"ok":false,"error":"ratelimited"})",
                            .path_contains = "getPermalink"});
    auto result = Make(fake.base_url())->Publish(Request());
    CHECK(result.kind == Kind::kPublished);
    CHECK(result.remote_url.empty());
    REQUIRE(result.hold.has_value());
    CHECK(result.hold->until == kNow + seconds{20});
  }
  CHECK(fake.Messages().size() == 1);
}

TEST_CASE("Slack auth errors fail and say to check the token", "[slack]") {
  SlackFake fake(kToken, kChannel, kEpoch);
  auto result = Make(fake.base_url(), milliseconds{3000}, "SLACK_WRONG")->Publish(Request());
  CHECK(result.kind == Kind::kFailed);
  CHECK(result.http_status == 200);
  CHECK(result.why.starts_with("slack: invalid_auth"));
  CHECK(result.why.find("check the account's token") != std::string::npos);
  CHECK(fake.Messages().empty());
}

TEST_CASE("Slack validation errors fail with the error code", "[slack]") {
  SlackFake fake(kToken, kChannel, kEpoch);
  SECTION("too long") {
    auto result = Make(fake.base_url())->Publish(Request(std::string(40001, 'a')));
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why == "slack: msg_too_long");
  }
  SECTION("unknown channel") {
    auto config = Config(fake.base_url());
    config.settings["channel"] = "C999";
    auto result = (*MakeSlackConnector(config, Context()))->Publish(Request());
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why == "slack: channel_not_found");
  }
  SECTION("fatal_error may have posted: unknown") {
    fake.server().FailNext({.status = 200, .body = R"({"ok":false,"error":"fatal_error"})"});
    CHECK(Make(fake.base_url())->Publish(Request()).kind == Kind::kUnknown);
  }
  CHECK(fake.Messages().empty());
}

TEST_CASE("Slack 429 with Retry-After retries later with a hold", "[slack]") {
  SlackFake fake(kToken, kChannel, kEpoch);
  SECTION("HTTP 429") {
    fake.server().FailNext({.status = 429, .headers = {{"Retry-After", "30"}}, .body = R"({"ok":false,"error":"ratelimited"})"});
    auto result = Make(fake.base_url())->Publish(Request());
    REQUIRE(result.kind == Kind::kRetryLater);
    CHECK(result.retry_at == kNow + seconds{30});
    REQUIRE(result.hold.has_value());
    CHECK(result.hold->until == kNow + seconds{30});
    CHECK(result.http_status == 429);
  }
  SECTION("ratelimited in a 200 body without a time waits a minute") {
    fake.server().FailNext({.status = 200, .body = R"({"ok":false,"error":"ratelimited"})"});
    auto result = Make(fake.base_url())->Publish(Request());
    REQUIRE(result.kind == Kind::kRetryLater);
    CHECK(result.retry_at == kNow + minutes{1});
    CHECK(result.hold.has_value());
  }
  CHECK(fake.Messages().empty());
}

TEST_CASE("Slack 5xx and a refused connection are retried later", "[slack]") {
  SECTION("503") {
    SlackFake fake(kToken, kChannel, kEpoch);
    fake.server().FailNext({.status = 503, .headers = {{"Retry-After", "10"}}, .body = "unavailable"});
    auto result = Make(fake.base_url())->Publish(Request());
    CHECK(result.kind == Kind::kRetryLater);
    CHECK(result.retry_at == kNow + seconds{10});
  }
  SECTION("refused") {
    CHECK(Make("http://127.0.0.1:" + std::to_string(testing::UnusedPort()))->Publish(Request()).kind == Kind::kRetryLater);
  }
}

TEST_CASE("Slack no answer is settled by the channel history", "[slack]") {
  SECTION("posted, then the answer stalls: found in history, published once") {
    SlackFake fake(kToken, kChannel, kEpoch);
    fake.server().FailNext({.delay = milliseconds{700}, .act_then_stall = true, .path_contains = "postMessage"});
    auto result = Make(fake.base_url(), milliseconds{300})->Publish(Request());
    REQUIRE(result.kind == Kind::kPublished);
    CHECK(result.remote_id == kChannel + "/" + kFirstTs);
    CHECK(result.remote_url == kFirstUrl);
    CHECK(fake.Messages().size() == 1);
    CHECK(fake.server().Count("chat.postMessage") == 1);
    CHECK(fake.server().Count("conversations.history") == 1);
  }
  SECTION("no answer and not in history: unknown") {
    SlackFake fake(kToken, kChannel, kEpoch);
    fake.server().FailNext({.delay = milliseconds{700}, .path_contains = "postMessage"});
    auto result = Make(fake.base_url(), milliseconds{300})->Publish(Request());
    CHECK(result.kind == Kind::kUnknown);
    CHECK(fake.server().Count("conversations.history") == 1);
    CHECK(fake.Messages().empty());
  }
}

TEST_CASE("Slack Lookup finds a posted message and cannot prove an absent one", "[slack]") {
  SlackFake fake(kToken, kChannel, kEpoch);
  auto connector = Make(fake.base_url());
  auto request = Request();
  CHECK_FALSE(connector->Lookup(request).has_value());
  REQUIRE(connector->Publish(request).kind == Kind::kPublished);
  request.now = kNow + hours{2};
  auto found = connector->Lookup(request);
  REQUIRE(found.has_value());
  CHECK(found->kind == Kind::kPublished);
  CHECK(found->remote_id == kChannel + "/" + kFirstTs);
  CHECK(found->remote_url == kFirstUrl);
}

TEST_CASE("Slack factory names a missing setting or secret", "[slack]") {
  SECTION("channel") {
    auto config = Config("http://127.0.0.1:1");
    config.settings.clear();
    auto c = MakeSlackConnector(config, Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message().find("channel") != std::string::npos);
  }
  SECTION("token") {
    auto c = MakeSlackConnector(Config("http://127.0.0.1:1", "SLACK_UNSET"), Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message().find("token (env:SLACK_UNSET)") != std::string::npos);
  }
}

}  // namespace
}  // namespace herald::connectors
