// The discord connector against DiscordFake, in webhook and bot modes: every
// publish outcome, images uploaded as attachments with their alt text as
// description, allowed_mentions that never pings, message URLs, the nonce that
// makes a repeated bot request safe, and a webhook URL that never shows in a
// reason.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "connectors/platforms.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/discord_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using json = nlohmann::json;
using Kind = PublishResult::Kind;
using testing::DiscordFake;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");
const std::string kWebhookToken = "hX3-webhook-secret";
const std::string kBotToken = "MTk4NjIyNDgzNDcxOTI1MjQ4.bot-secret";
const std::string kChannel = DiscordFake::kChannelId;
const std::string kMessagePrefix = "https://discord.com/channels/";

int64_t Epoch(Instant t) { return duration_cast<seconds>(t.time_since_epoch()).count(); }

ConnectorContext Context(std::map<std::string, std::string> env, milliseconds read_timeout = milliseconds{3000}) {
  return testing::TestContext(std::move(env), read_timeout);
}

policies::ConnectorConfig WebhookConfig() {
  policies::ConnectorConfig c;
  c.type = "discord";
  c.secrets["webhook_url"] = {policies::SecretRef::Kind::kEnv, "DISCORD_WEBHOOK"};
  return c;
}

policies::ConnectorConfig BotConfig(const std::string& base_url) {
  policies::ConnectorConfig c;
  c.type = "discord";
  c.base_url = base_url;
  c.settings["channel_id"] = kChannel;
  c.secrets["bot_token"] = {policies::SecretRef::Kind::kEnv, "DISCORD_BOT"};
  return c;
}

std::unique_ptr<Connector> Make(const policies::ConnectorConfig& config, const ConnectorContext& context) {
  auto c = MakeDiscordConnector(config, context);
  REQUIRE(c.has_value());
  return std::move(*c);
}

std::unique_ptr<Connector> Webhook(const std::string& url, milliseconds read_timeout = milliseconds{3000}) {
  return Make(WebhookConfig(), Context({{"DISCORD_WEBHOOK", url}}, read_timeout));
}

std::unique_ptr<Connector> Bot(const std::string& base_url, const std::string& token = kBotToken,
                               milliseconds read_timeout = milliseconds{3000}) {
  return Make(BotConfig(base_url), Context({{"DISCORD_BOT", token}}, read_timeout));
}

PublishRequest Request(std::string text = "Release 2.0 is out") {
  PublishRequest r;
  r.post_id = 7;
  r.organization = "acme";
  r.account = "dc";
  r.platform = "discord";
  r.text = std::move(text);
  r.now = kNow;
  r.idempotency_key = "acme-corporation-holdings-7";
  return r;
}

TEST_CASE("Discord webhook publishes and waits for the message", "[discord]") {
  DiscordFake fake(kWebhookToken, kBotToken);
  auto result = Webhook(fake.webhook_url())->Publish(Request());
  REQUIRE(result.kind == Kind::kPublished);
  auto messages = fake.Messages();
  REQUIRE(messages.size() == 1);
  CHECK(result.remote_id == kChannel + "/" + messages[0].id);
  // The guild comes from the webhook object, read once.
  CHECK(result.remote_url == kMessagePrefix + DiscordFake::kGuildId + "/" + kChannel + "/" + messages[0].id);
  CHECK_FALSE(result.hold.has_value());
  auto requests = fake.server().Requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].path == std::string("/api/webhooks/") + DiscordFake::kWebhookId + "/" + kWebhookToken);
  CHECK(requests[0].Param("wait") == "true");
  CHECK(requests[0].Header("Authorization").empty());
  CHECK(requests[0].Header("Content-Type") == "application/json");
  auto body = json::parse(fake.server().Requests().at(0).body);
  CHECK(body == json{{"content", "Release 2.0 is out"}, {"allowed_mentions", {{"parse", json::array()}}}});
  CHECK(requests[1].method == "GET");

  SECTION("the guild is read only once") {
    auto again = Webhook(fake.webhook_url());
    again->Publish(Request("one"));
    again->Publish(Request("two"));
    CHECK(fake.server().Count("/api/webhooks/") == 2 + 3);
  }
}

TEST_CASE("Discord bot publishes with a nonce and enforce_nonce", "[discord]") {
  DiscordFake fake(kWebhookToken, kBotToken);
  auto config = BotConfig(fake.bot_base_url());
  config.settings["guild_id"] = "42";
  auto result = Make(config, Context({{"DISCORD_BOT", kBotToken}}))->Publish(Request());
  REQUIRE(result.kind == Kind::kPublished);
  auto messages = fake.Messages();
  REQUIRE(messages.size() == 1);
  CHECK(result.remote_url == kMessagePrefix + "42/" + kChannel + "/" + messages[0].id);
  auto requests = fake.server().Requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].path == "/api/v10/channels/" + kChannel + "/messages");
  CHECK(requests[0].Header("Authorization") == "Bot " + kBotToken);
  auto body = json::parse(fake.server().Requests().at(0).body);
  CHECK(body["content"] == "Release 2.0 is out");
  CHECK(body["enforce_nonce"] == true);
  std::string nonce = body["nonce"];
  CHECK(nonce.size() <= 25);
  CHECK(nonce == messages[0].nonce);

  SECTION("the nonce is stable for the same post and differs for another") {
    auto again = Bot(fake.bot_base_url())->Publish(Request("edited text, same post"));
    CHECK(again.remote_id == result.remote_id);
    CHECK(json::parse(fake.server().Requests().back().body)["nonce"] == nonce);
    auto other = Request();
    other.idempotency_key = "acme-corporation-holdings-8";
    CHECK(Bot(fake.bot_base_url())->Publish(other).remote_id != result.remote_id);
    CHECK(fake.Messages().size() == 2);
  }
}

TEST_CASE("Discord uploads images as attachments with their alt text", "[discord]") {
  DiscordFake fake(kWebhookToken, kBotToken);
  auto request = Request();
  request.media = {{fake.image_url("chart.png"), "A rising line"}, {fake.image_url("team.png"), ""}};
  const bool bot = GENERATE(false, true);
  auto connector = bot ? Bot(fake.bot_base_url()) : Webhook(fake.webhook_url());
  auto result = connector->Publish(request);
  INFO(result.why);
  REQUIRE(result.kind == Kind::kPublished);
  auto messages = fake.Messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].content == "Release 2.0 is out");
  CHECK(messages[0].images.empty());  // no embeds any more
  REQUIRE(messages[0].attachments.size() == 2);
  CHECK(messages[0].attachments[0].filename == "chart.png");
  CHECK(messages[0].attachments[0].description == "A rising line");
  CHECK(messages[0].attachments[0].content_type == "image/png");
  CHECK(messages[0].attachments[0].bytes == DiscordFake::ImageBytes("chart.png"));
  CHECK(messages[0].attachments[1].filename == "team.png");
  CHECK(messages[0].attachments[1].description.empty());
  CHECK(messages[0].attachments[1].bytes == DiscordFake::ImageBytes("team.png"));
  CHECK(messages[0].allowed_mentions == R"({"parse":[]})");

  auto requests = fake.server().Requests();
  REQUIRE(requests.size() >= 3);
  CHECK(requests[0].path == "/images/chart.png");
  CHECK(requests[1].path == "/images/team.png");
  const auto& create = requests[2];
  CHECK(create.path == (bot ? "/api/v10/channels/" + kChannel + "/messages"
                            : std::string("/api/webhooks/") + DiscordFake::kWebhookId + "/" + kWebhookToken));
  CHECK(create.Header("Content-Type").starts_with("multipart/form-data; boundary="));
  auto forms = fake.Forms();
  REQUIRE(forms.size() == 1);
  auto& form = forms[0];
  REQUIRE(form.size() == 3);
  CHECK(form["payload_json"].content_type == "application/json");
  CHECK(form["payload_json"].filename.empty());
  auto payload = json::parse(form["payload_json"].content);
  CHECK(payload["content"] == "Release 2.0 is out");
  CHECK(payload["allowed_mentions"] == json{{"parse", json::array()}});
  CHECK(payload["attachments"] == json::array({{{"id", 0}, {"filename", "chart.png"}, {"description", "A rising line"}},
                                               {{"id", 1}, {"filename", "team.png"}}}));
  CHECK(payload.contains("nonce") == bot);
  CHECK(form["files[0]"].filename == "chart.png");
  CHECK(form["files[0]"].content_type == "image/png");
  CHECK(form["files[0]"].content == DiscordFake::ImageBytes("chart.png"));
  CHECK(form["files[1]"].filename == "team.png");
  CHECK(form["files[1]"].content == DiscordFake::ImageBytes("team.png"));
}

TEST_CASE("Discord two images of the same name stay two files", "[discord]") {
  DiscordFake fake(kWebhookToken, kBotToken);
  auto request = Request();
  request.media = {{fake.image_url("a/image.png"), "first"}, {fake.image_url("b/image.png"), "second"}};
  auto result = Bot(fake.bot_base_url())->Publish(request);
  REQUIRE(result.kind == Kind::kPublished);
  auto attachments = fake.Messages().at(0).attachments;
  REQUIRE(attachments.size() == 2);
  CHECK(attachments[0].filename == "image.png");
  CHECK(attachments[0].description == "first");
  CHECK(attachments[0].bytes == DiscordFake::ImageBytes("a/image.png"));
  CHECK(attachments[1].filename == "1-image.png");
  CHECK(attachments[1].description == "second");
  CHECK(attachments[1].bytes == DiscordFake::ImageBytes("b/image.png"));
}

TEST_CASE("Discord never pings @everyone", "[discord]") {
  DiscordFake fake(kWebhookToken, kBotToken);
  const std::string text = "@everyone release 2.0 is out, @here too <@&123456789012345678>";
  const bool bot = GENERATE(false, true);
  auto connector = bot ? Bot(fake.bot_base_url()) : Webhook(fake.webhook_url());
  auto result = connector->Publish(Request(text));
  REQUIRE(result.kind == Kind::kPublished);
  auto messages = fake.Messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].content == text);
  CHECK(messages[0].allowed_mentions == R"({"parse":[]})");
  CHECK_FALSE(messages[0].mention_everyone);
  auto body = json::parse(fake.server().Requests().at(0).body);
  CHECK(body["allowed_mentions"] == json{{"parse", json::array()}});
}

TEST_CASE("Discord image failures post nothing", "[discord]") {
  DiscordFake fake(kWebhookToken, kBotToken);
  auto request = Request();
  SECTION("an image that 404s is a permanent failure naming it") {
    request.media = {{fake.image_url("chart.png"), "first"}, {fake.image_url("missing.png"), "gone"}};
    auto result = Webhook(fake.webhook_url())->Publish(request);
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.http_status == 404);
    CHECK(result.why == "discord image " + fake.image_url("missing.png") + ": HTTP 404");
    CHECK(fake.server().Count("/api/webhooks/") == 0);
  }
  SECTION("429 on the upload retries at Discord's reset with a hold") {
    fake.server().FailNext({.status = 429,
                            .headers = {{"Retry-After", "12"}, {"X-RateLimit-Limit", "5"}, {"X-RateLimit-Remaining", "0"},
                                        {"X-RateLimit-Reset", std::to_string(Epoch(kNow) + 11) + ".2"},
                                        {"X-RateLimit-Reset-After", "11.2"}, {"X-RateLimit-Scope", "user"}},
                            .body = R"({"message":"You are being rate limited.","retry_after":11.2,"global":false})",
                            .path_contains = "/messages"});
    request.media = {{fake.image_url("chart.png"), "A rising line"}};
    auto result = Bot(fake.bot_base_url())->Publish(request);
    CHECK(result.kind == Kind::kRetryLater);
    CHECK(result.http_status == 429);
    CHECK(result.retry_at == kNow + seconds{12});
    REQUIRE(result.hold);
    CHECK(result.hold->until == kNow + seconds{12});
  }
  SECTION("alt text over Discord's 1024 names the field") {
    request.media = {{fake.image_url("chart.png"), std::string(1025, 'a')}};
    auto result = Bot(fake.bot_base_url())->Publish(request);
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why ==
          "discord answered HTTP 400: Invalid Form Body (attachments.0.description: Must be 1024 or fewer in length.)");
  }
  CHECK(fake.Messages().empty());
}

TEST_CASE("Discord wrong credentials fail naming them", "[discord]") {
  DiscordFake fake(kWebhookToken, kBotToken);
  SECTION("bot token") {
    auto result = Bot(fake.bot_base_url(), "wrong")->Publish(Request());
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.http_status == 401);
    CHECK(result.why.find("credentials") != std::string::npos);
  }
  SECTION("webhook token") {
    std::string url = fake.server().base_url() + "/api/webhooks/" + DiscordFake::kWebhookId + "/wrong";
    auto result = Webhook(url)->Publish(Request());
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why.find("Invalid Webhook Token") != std::string::npos);
  }
  CHECK(fake.Messages().empty());
}

TEST_CASE("Discord deleted webhook fails and says so", "[discord]") {
  DiscordFake fake(kWebhookToken, kBotToken);
  fake.DeleteWebhook();
  auto result = Webhook(fake.webhook_url())->Publish(Request());
  CHECK(result.kind == Kind::kFailed);
  CHECK(result.http_status == 404);
  CHECK(result.why.find("Unknown Webhook") != std::string::npos);
  CHECK(result.why.find("webhook was deleted") != std::string::npos);
}

TEST_CASE("Discord validation error names the field", "[discord]") {
  DiscordFake fake(kWebhookToken, kBotToken);
  auto result = Bot(fake.bot_base_url())->Publish(Request(std::string(2001, 'a')));
  CHECK(result.kind == Kind::kFailed);
  CHECK(result.why == "discord answered HTTP 400: Invalid Form Body (content: Must be 2000 or fewer in length.)");
  CHECK(fake.Messages().empty());
}

TEST_CASE("Discord 429 retries at the reset with a hold", "[discord]") {
  DiscordFake fake(kWebhookToken, kBotToken);
  fake.server().FailNext({.status = 429,
                          .headers = {{"Retry-After", "65"}, {"X-RateLimit-Limit", "5"}, {"X-RateLimit-Remaining", "0"},
                                      {"X-RateLimit-Reset", std::to_string(Epoch(kNow) + 64) + ".57"},
                                      {"X-RateLimit-Reset-After", "64.57"}, {"X-RateLimit-Bucket", "abcd1234"},
                                      {"X-RateLimit-Scope", "user"}},
                          .body = R"({"message":"You are being rate limited.","retry_after":64.57,"global":false})"});
  auto result = Bot(fake.bot_base_url())->Publish(Request());
  REQUIRE(result.kind == Kind::kRetryLater);
  CHECK(result.retry_at == kNow + seconds{65});
  REQUIRE(result.hold.has_value());
  CHECK(result.hold->until == kNow + seconds{65});
  CHECK(fake.Messages().empty());
}

TEST_CASE("Discord success with no request left holds until the reset", "[discord]") {
  DiscordFake fake(kWebhookToken, kBotToken);
  fake.SetBucket(1, std::to_string(Epoch(kNow) + 2) + ".5", "2.5");
  auto result = Bot(fake.bot_base_url())->Publish(Request());
  REQUIRE(result.kind == Kind::kPublished);
  REQUIRE(result.hold.has_value());
  CHECK(result.hold->until == kNow + seconds{3});
}

TEST_CASE("Discord 5xx and a refused connection are retried later", "[discord]") {
  SECTION("503") {
    DiscordFake fake(kWebhookToken, kBotToken);
    fake.server().FailNext({.status = 503, .body = R"({"message":"upstream connect error"})"});
    CHECK(Webhook(fake.webhook_url())->Publish(Request()).kind == Kind::kRetryLater);
  }
  SECTION("refused, webhook URL kept out of the reason") {
    std::string url = "http://127.0.0.1:" + std::to_string(testing::UnusedPort()) + "/api/webhooks/1/" + kWebhookToken;
    auto result = Webhook(url)->Publish(Request());
    CHECK(result.kind == Kind::kRetryLater);
    CHECK(result.why.find(kWebhookToken) == std::string::npos);
    CHECK(Bot("http://127.0.0.1:" + std::to_string(testing::UnusedPort()))->Publish(Request()).kind == Kind::kRetryLater);
  }
}

TEST_CASE("Discord webhook without an answer is unknown", "[discord]") {
  SECTION("the answer never comes and Discord did not act") {
    DiscordFake fake(kWebhookToken, kBotToken);
    fake.server().FailNext({.delay = milliseconds{700}});
    auto result = Webhook(fake.webhook_url(), milliseconds{300})->Publish(Request());
    CHECK(result.kind == Kind::kUnknown);
    CHECK(result.why.find(kWebhookToken) == std::string::npos);
    CHECK(result.why.find("<webhook_url>") != std::string::npos);
  }
  SECTION("posted, then the answer stalls") {
    DiscordFake fake(kWebhookToken, kBotToken);
    fake.server().FailNext({.delay = milliseconds{700}, .act_then_stall = true});
    auto result = Webhook(fake.webhook_url(), milliseconds{300})->Publish(Request());
    CHECK(result.kind == Kind::kUnknown);
    CHECK(fake.Messages().size() == 1);
  }
}

TEST_CASE("Discord bot asks again with the same nonce when no answer came", "[discord]") {
  SECTION("posted, then the answer stalls: the second request returns the same message") {
    DiscordFake fake(kWebhookToken, kBotToken);
    fake.server().FailNext({.delay = milliseconds{700}, .act_then_stall = true});
    auto result = Bot(fake.bot_base_url(), kBotToken, milliseconds{300})->Publish(Request());
    REQUIRE(result.kind == Kind::kPublished);
    auto messages = fake.Messages();
    REQUIRE(messages.size() == 1);
    CHECK(result.remote_id == kChannel + "/" + messages[0].id);
    CHECK(fake.server().Count("/messages") == 2);
  }
  SECTION("with images: the same upload re-sent returns the same message") {
    DiscordFake fake(kWebhookToken, kBotToken);
    fake.server().FailNext({.delay = milliseconds{700}, .act_then_stall = true, .path_contains = "/messages"});
    auto request = Request();
    request.media = {{fake.image_url("chart.png"), "A rising line"}};
    auto result = Bot(fake.bot_base_url(), kBotToken, milliseconds{300})->Publish(request);
    INFO(result.why);
    REQUIRE(result.kind == Kind::kPublished);
    auto messages = fake.Messages();
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].attachments.size() == 1);
    CHECK(result.remote_id == kChannel + "/" + messages[0].id);
    CHECK(fake.server().Count("/messages") == 2);
    CHECK(fake.server().Count("/images/") == 1);  // downloaded once
  }
  SECTION("no answer twice is unknown") {
    DiscordFake fake(kWebhookToken, kBotToken);
    fake.server().FailNext({.delay = milliseconds{700}}, 2);
    auto result = Bot(fake.bot_base_url(), kBotToken, milliseconds{300})->Publish(Request());
    CHECK(result.kind == Kind::kUnknown);
    CHECK(result.why.find("asking again with the same nonce") != std::string::npos);
    CHECK(fake.Messages().empty());
  }
}

TEST_CASE("Discord Lookup cannot tell", "[discord]") {
  DiscordFake fake(kWebhookToken, kBotToken);
  CHECK_FALSE(Bot(fake.bot_base_url())->Lookup(Request()).has_value());
  CHECK_FALSE(Webhook(fake.webhook_url())->Lookup(Request()).has_value());
}

TEST_CASE("Discord factory names what is missing", "[discord]") {
  SECTION("neither webhook_url nor bot_token") {
    policies::ConnectorConfig config;
    config.type = "discord";
    auto c = MakeDiscordConnector(config, Context({}));
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message().find("webhook_url or bot_token") != std::string::npos);
  }
  SECTION("bot_token without channel_id") {
    auto config = BotConfig("http://127.0.0.1:1");
    config.settings.erase("channel_id");
    auto c = MakeDiscordConnector(config, Context({{"DISCORD_BOT", kBotToken}}));
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message().find("channel_id") != std::string::npos);
  }
  SECTION("webhook_url unreadable") {
    auto c = MakeDiscordConnector(WebhookConfig(), Context({}));
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message().find("webhook_url (env:DISCORD_WEBHOOK)") != std::string::npos);
  }
}

TEST_CASE("Discord base_url replaces the webhook URL's origin", "[discord]") {
  DiscordFake fake(kWebhookToken, kBotToken);
  auto config = WebhookConfig();
  config.base_url = fake.server().base_url() + "/api";
  std::string real = std::string("https://discord.com/api/webhooks/") + DiscordFake::kWebhookId + "/" + kWebhookToken;
  auto result = Make(config, Context({{"DISCORD_WEBHOOK", real}}))->Publish(Request());
  CHECK(result.kind == Kind::kPublished);
  CHECK(fake.Messages().size() == 1);
}

}  // namespace
}  // namespace herald::connectors
