// The telegram connector against TelegramFake: every publish outcome, media
// with and without room for a caption, t.me URLs, and a token that never
// shows in what the connector reports.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "connectors/platforms.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/telegram_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using json = nlohmann::json;
using Kind = PublishResult::Kind;
using testing::Fault;
using testing::TelegramFake;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");
const std::string kToken = "123456:AAH-secret-token";

ConnectorContext Context(milliseconds read_timeout = milliseconds{3000}) {
  return testing::TestContext({{"TG_TOKEN", kToken}, {"TG_WRONG", "999:wrong"}}, read_timeout);
}

policies::ConnectorConfig Config(const std::string& base_url, const std::string& chat_id = "@herald_news",
                                 const std::string& token_env = "TG_TOKEN") {
  policies::ConnectorConfig c;
  c.type = "telegram";
  c.base_url = base_url;
  c.settings["chat_id"] = chat_id;
  c.secrets["bot_token"] = {policies::SecretRef::Kind::kEnv, token_env};
  return c;
}

std::unique_ptr<Connector> Make(const policies::ConnectorConfig& config, const ConnectorContext& context = Context()) {
  auto c = MakeTelegramConnector(config, context);
  REQUIRE(c.has_value());
  return std::move(*c);
}

PublishRequest Request(std::string text = "Release 2.0 is out") {
  PublishRequest r;
  r.post_id = 7;
  r.organization = "acme";
  r.account = "tg";
  r.platform = "telegram";
  r.text = std::move(text);
  r.now = kNow;
  r.idempotency_key = "acme-7";
  return r;
}

TEST_CASE("Telegram publishes a message to a public channel", "[telegram]") {
  TelegramFake fake(kToken, "@herald_news", -1001234567890, "herald_news");
  auto result = Make(Config(fake.base_url()))->Publish(Request());
  REQUIRE(result.kind == Kind::kPublished);
  CHECK(result.remote_id == "-1001234567890/100");
  CHECK(result.remote_url == "https://t.me/herald_news/100");
  CHECK_FALSE(result.hold.has_value());
  auto requests = fake.server().Requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].path == "/bot" + kToken + "/sendMessage");
  CHECK(requests[0].Header("Content-Type") == "application/json");
  auto body = json::parse(fake.server().Requests().at(0).body);
  CHECK(body["chat_id"] == "@herald_news");
  CHECK(body["text"] == "Release 2.0 is out");
  REQUIRE(fake.Messages().size() == 1);
}

TEST_CASE("Telegram URLs for private supergroups and private chats", "[telegram]") {
  SECTION("a private supergroup links through t.me/c without -100, the chat id goes out as a number") {
    TelegramFake fake(kToken, "-1009876543210", -1009876543210, "");
    auto result = Make(Config(fake.base_url(), "-1009876543210"))->Publish(Request());
    REQUIRE(result.kind == Kind::kPublished);
    CHECK(result.remote_url == "https://t.me/c/9876543210/100");
    CHECK(json::parse(fake.server().Requests().at(0).body)["chat_id"] == -1009876543210);
  }
  SECTION("a private chat has no URL") {
    TelegramFake fake(kToken, "42", 42, "");
    auto result = Make(Config(fake.base_url(), "42"))->Publish(Request());
    REQUIRE(result.kind == Kind::kPublished);
    CHECK(result.remote_id == "42/100");
    CHECK(result.remote_url.empty());
  }
}

TEST_CASE("Telegram sends one image as a photo with the text as caption", "[telegram]") {
  TelegramFake fake(kToken, "@herald_news", -1001234567890, "herald_news");
  auto request = Request();
  request.media = {{"https://cdn.example.org/a.png", "a chart"}};
  auto result = Make(Config(fake.base_url()))->Publish(request);
  REQUIRE(result.kind == Kind::kPublished);
  auto requests = fake.server().Requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].path.ends_with("/sendPhoto"));
  auto body = json::parse(fake.server().Requests().at(0).body);
  CHECK(body["photo"] == "https://cdn.example.org/a.png");
  CHECK(body["caption"] == "Release 2.0 is out");
}

TEST_CASE("Telegram sends the photo then the text when the text is too long for a caption", "[telegram]") {
  TelegramFake fake(kToken, "@herald_news", -1001234567890, "herald_news");
  // 600 emoji are 600 code points but 1200 UTF-16 units: over the 1024 caption limit.
  std::string text;
  for (int i = 0; i < 600; ++i) text += "\xF0\x9F\x8E\x89";
  auto request = Request(text);
  request.media = {{"https://cdn.example.org/a.png", ""}};
  auto result = Make(Config(fake.base_url()))->Publish(request);
  REQUIRE(result.kind == Kind::kPublished);
  CHECK(result.remote_id == "-1001234567890/100");
  auto requests = fake.server().Requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].path.ends_with("/sendPhoto"));
  CHECK_FALSE(json::parse(fake.server().Requests().at(0).body).contains("caption"));
  CHECK(requests[1].path.ends_with("/sendMessage"));
  CHECK(json::parse(fake.server().Requests().at(1).body)["text"] == text);

  SECTION("a failing text message after the photo keeps the post published") {
    fake.server().FailNext({.status = 500, .body = R"({"ok":false,"error_code":500,"description":"Internal Server Error"})",
                            .path_contains = "sendMessage"});
    auto again = Make(Config(fake.base_url()))->Publish(request);
    CHECK(again.kind == Kind::kPublished);
    CHECK(again.remote_id == "-1001234567890/102");
    CHECK(again.why.find("text message after them was not") != std::string::npos);
  }
}

TEST_CASE("Telegram sends several images as a media group", "[telegram]") {
  TelegramFake fake(kToken, "@herald_news", -1001234567890, "herald_news");
  auto request = Request();
  request.media = {{"https://cdn.example.org/a.png", "first"}, {"https://cdn.example.org/b.png", "second"}};
  auto result = Make(Config(fake.base_url()))->Publish(request);
  REQUIRE(result.kind == Kind::kPublished);
  CHECK(result.remote_url == "https://t.me/herald_news/100");
  auto body = json::parse(fake.server().Requests().at(0).body);
  CHECK(fake.server().Requests()[0].path.ends_with("/sendMediaGroup"));
  REQUIRE(body["media"].size() == 2);
  CHECK(body["media"][0] == json{{"type", "photo"}, {"media", "https://cdn.example.org/a.png"}, {"caption", "Release 2.0 is out"}});
  CHECK(body["media"][1] == json{{"type", "photo"}, {"media", "https://cdn.example.org/b.png"}});
  REQUIRE(fake.Messages().size() == 1);
  CHECK(fake.Messages()[0].photos.size() == 2);
}

TEST_CASE("Telegram wrong token fails naming the credentials without showing the token", "[telegram]") {
  TelegramFake fake(kToken, "@herald_news", -1001234567890, "herald_news");
  auto result = Make(Config(fake.base_url(), "@herald_news", "TG_WRONG"))->Publish(Request());
  CHECK(result.kind == Kind::kFailed);
  CHECK(result.http_status == 401);
  CHECK(result.why.find("Unauthorized") != std::string::npos);
  CHECK(result.why.find("credentials") != std::string::npos);
  CHECK(fake.Messages().empty());
}

TEST_CASE("Telegram validation errors fail with the description", "[telegram]") {
  TelegramFake fake(kToken, "@herald_news", -1001234567890, "herald_news");
  SECTION("text too long") {
    auto result = Make(Config(fake.base_url()))->Publish(Request(std::string(4097, 'a')));
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why == "telegram answered HTTP 400: Bad Request: message is too long");
  }
  SECTION("unknown chat") {
    auto result = Make(Config(fake.base_url(), "@nobody"))->Publish(Request());
    CHECK(result.kind == Kind::kFailed);
    CHECK(result.why.find("chat not found") != std::string::npos);
  }
  CHECK(fake.Messages().empty());
}

TEST_CASE("Telegram 429 retries after parameters.retry_after with a hold", "[telegram]") {
  TelegramFake fake(kToken, "@herald_news", -1001234567890, "herald_news");
  fake.server().FailNext({.status = 429,
                          .body = R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}})"});
  auto result = Make(Config(fake.base_url()))->Publish(Request());
  REQUIRE(result.kind == Kind::kRetryLater);
  CHECK(result.retry_at == kNow + seconds{35});
  REQUIRE(result.hold.has_value());
  CHECK(result.hold->until == kNow + seconds{35});
  CHECK(result.http_status == 429);
  CHECK(fake.Messages().empty());
}

TEST_CASE("Telegram 5xx and a refused connection are retried later", "[telegram]") {
  SECTION("502") {
    TelegramFake fake(kToken, "@herald_news", -1001234567890, "herald_news");
    fake.server().FailNext({.status = 502, .body = R"({"ok":false,"error_code":502,"description":"Bad Gateway"})"});
    auto result = Make(Config(fake.base_url()))->Publish(Request());
    CHECK(result.kind == Kind::kRetryLater);
    CHECK_FALSE(result.hold.has_value());
  }
  SECTION("refused") {
    auto result = Make(Config("http://127.0.0.1:" + std::to_string(testing::UnusedPort())))->Publish(Request());
    CHECK(result.kind == Kind::kRetryLater);
    CHECK(result.why.find(kToken) == std::string::npos);
    CHECK(result.why.find("<bot_token>") != std::string::npos);
  }
}

TEST_CASE("Telegram no answer is unknown and the token stays out of the reason", "[telegram]") {
  SECTION("the answer never comes and Telegram did not act") {
    TelegramFake fake(kToken, "@herald_news", -1001234567890, "herald_news");
    fake.server().FailNext({.delay = milliseconds{700}});
    auto result = Make(Config(fake.base_url()), Context(milliseconds{300}))->Publish(Request());
    CHECK(result.kind == Kind::kUnknown);
    CHECK(result.why.find(kToken) == std::string::npos);
    CHECK(result.why.find("<bot_token>") != std::string::npos);
  }
  SECTION("Telegram posts, then the answer never comes") {
    TelegramFake fake(kToken, "@herald_news", -1001234567890, "herald_news");
    fake.server().FailNext({.delay = milliseconds{700}, .act_then_stall = true});
    auto result = Make(Config(fake.base_url()), Context(milliseconds{300}))->Publish(Request());
    CHECK(result.kind == Kind::kUnknown);
    CHECK(result.why.find(kToken) == std::string::npos);
    CHECK(fake.Messages().size() == 1);
  }
}

TEST_CASE("Telegram Lookup cannot tell", "[telegram]") {
  TelegramFake fake(kToken, "@herald_news", -1001234567890, "herald_news");
  CHECK_FALSE(Make(Config(fake.base_url()))->Lookup(Request()).has_value());
  CHECK(fake.server().Requests().empty());
}

TEST_CASE("Telegram factory names a missing setting or secret", "[telegram]") {
  SECTION("chat_id") {
    auto config = Config("http://127.0.0.1:1");
    config.settings.erase("chat_id");
    auto c = MakeTelegramConnector(config, Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message().find("chat_id") != std::string::npos);
  }
  SECTION("bot_token absent") {
    auto config = Config("http://127.0.0.1:1");
    config.secrets.clear();
    auto c = MakeTelegramConnector(config, Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message().find("bot_token") != std::string::npos);
  }
  SECTION("bot_token unreadable") {
    auto c = MakeTelegramConnector(Config("http://127.0.0.1:1", "@x", "TG_UNSET"), Context());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message().find("bot_token (env:TG_UNSET)") != std::string::npos);
  }
}

}  // namespace
}  // namespace herald::connectors
