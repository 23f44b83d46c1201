// The connector contract, run against every connector and its platform's fake:
// a published post is named by the platform's id and a URL; a revoked
// credential and a validation error fail for good without publishing; a 429
// waits for the platform's own reset; a 5xx, a slow answer and a dropped
// connection never publish twice and are never called a failure; Lookup of an
// outcome left unknown never claims a post the platform does not hold; and
// Lookup answers about a published post exactly when AnswersLookup() says so.
// What is specific to one platform stays in its own *_test.cpp.
#include "tests/connectors/connector_contract.h"

#include <catch2/catch.hpp>

#include "connectors/instagram/instagram_connector.h"
#include "connectors/platforms.h"
#include "connectors/threads/threads_connector.h"
#include "tests/connectors/fakes/bluesky_fake.h"
#include "tests/connectors/fakes/discord_fake.h"
#include "tests/connectors/fakes/facebook_page_fake.h"
#include "tests/connectors/fakes/instagram_fake.h"
#include "tests/connectors/fakes/linkedin_fake.h"
#include "tests/connectors/fakes/mastodon_fake.h"
#include "tests/connectors/fakes/meta_graph_fake.h"
#include "tests/connectors/fakes/slack_fake.h"
#include "tests/connectors/fakes/telegram_fake.h"
#include "tests/connectors/fakes/threads_fake.h"
#include "tests/connectors/fakes/webhook_fake.h"
#include "tests/connectors/fakes/x_fake.h"

namespace herald::testing {
namespace {

using namespace std::chrono;
using connectors::Connector;
using connectors::ConnectorContext;
using connectors::PublishRequest;
using connectors::PublishResult;
using Kind = PublishResult::Kind;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");

int64_t Epoch(Instant t) { return t.time_since_epoch().count(); }

policies::ConnectorConfig Config(std::string type, std::string base_url, std::map<std::string, std::string> settings,
                                 std::map<std::string, std::string> secret_envs) {
  policies::ConnectorConfig c;
  c.type = std::move(type);
  c.base_url = std::move(base_url);
  c.settings = std::move(settings);
  for (auto& [key, env] : secret_envs) c.secrets[key] = {policies::SecretRef::Kind::kEnv, env};
  return c;
}

PublishRequest BaseRequest(std::string platform, Instant now) {
  PublishRequest r;
  r.post_id = 7;
  r.organization = "acme";
  r.account = "acme-" + platform;
  r.platform = std::move(platform);
  r.text = "Release 2.0 is out";
  r.planned_at = now;
  r.now = now;
  r.created_at = now - hours{2};
  r.idempotency_key = "acme-7";
  return r;
}

// The ids of a fake's posts, from any member holding them.
template <class Fake, class Item, class Id>
std::function<std::vector<std::string>(const Fake&)> Ids(std::vector<Item> (Fake::*list)() const, Id Item::*id) {
  return [list, id](const Fake& fake) {
    std::vector<std::string> out;
    for (const Item& item : (fake.*list)()) {
      if constexpr (std::is_same_v<Id, std::string>) out.push_back(item.*id);
      else out.push_back(std::to_string(item.*id));
    }
    return out;
  };
}

// Threads and Instagram share their fake's base, whose members do not deduce.
template <class Fake>
std::function<std::vector<std::string>(const Fake&)> ContainerIds() {
  return [](const Fake& fake) {
    std::vector<std::string> out;
    for (const auto& post : fake.Posts()) out.push_back(post.id);
    return out;
  };
}

template <class Fake>
std::function<FakeServer&(Fake&)> ServerOf(FakeServer& (Fake::*server)()) {
  return [server](Fake& fake) -> FakeServer& { return (fake.*server)(); };
}

ContractSubject Mastodon() {
  return {"mastodon",
          [] {
            return std::make_unique<HeldPlatform<MastodonFake>>(ServerOf(&MastodonFake::fake),
                                                                Ids(&MastodonFake::Statuses, &MastodonFake::Status::id),
                                                                "mastodon-token");
          },
          [](const std::string& root, const ConnectorContext& context) {
            return connectors::MakeMastodonConnector(Config("mastodon", root, {}, {{"token", "MASTODON_TOKEN"}}),
                                                     context);
          },
          {{"MASTODON_TOKEN", "mastodon-token"}},
          {{"MASTODON_TOKEN", "revoked-token"}},
          [] { return BaseRequest("mastodon", kNow); },
          "/api/v1/statuses",
          {.status = 429,
           .headers = {{"X-RateLimit-Limit", "300"}, {"X-RateLimit-Remaining", "0"},
                       {"X-RateLimit-Reset", "2026-11-23T10:15:00.019685Z"}},
           .body = R"({"error":"Too many requests"})",
           .path_contains = "/api/v1/statuses"},
          *ParseRfc3339("2026-11-23T10:15:01Z")};
}

ContractSubject Bluesky() {
  return {"bluesky",
          [] {
            return std::make_unique<HeldPlatform<BlueskyFake>>(ServerOf(&BlueskyFake::fake),
                                                               Ids(&BlueskyFake::Records, &BlueskyFake::Record::rkey),
                                                               "app-pass-1234");
          },
          [](const std::string& root, const ConnectorContext& context) {
            return connectors::MakeBlueskyConnector(
                Config("bluesky", root, {{"identifier", BlueskyFake::kHandle}}, {{"app_password", "BSKY_PASSWORD"}}),
                context);
          },
          {{"BSKY_PASSWORD", "app-pass-1234"}},
          {{"BSKY_PASSWORD", "revoked-pass"}},
          [] { return BaseRequest("bluesky", kNow); },
          "createRecord",
          {.status = 429,
           .headers = {{"RateLimit-Limit", "5000"}, {"RateLimit-Remaining", "0"},
                       {"RateLimit-Reset", std::to_string(Epoch(kNow + minutes{20}))}, {"RateLimit-Policy", "5000;w=3600"}},
           .body = R"({"error":"RateLimitExceeded","message":"Rate Limit Exceeded"})",
           .path_contains = "createRecord"},
          kNow + minutes{20}};
}

ContractSubject X() {
  return {"x",
          [] {
            auto held = std::make_unique<HeldPlatform<XFake>>(ServerOf(&XFake::server), Ids(&XFake::Posts, &XFake::Post::id),
                                                              "x-token");
            held->fake().SetNow(kNow);
            return held;
          },
          [](const std::string& root, const ConnectorContext& context) {
            return connectors::MakeXConnector(Config("x", root, {{"username", "herald"}}, {{"token", "X_TOKEN"}}), context);
          },
          {{"X_TOKEN", "x-token"}},
          {{"X_TOKEN", "revoked-token"}},
          [] { return BaseRequest("x", kNow); },
          "/2/tweets",
          {.status = 429,
           .headers = {{"x-rate-limit-limit", "100"}, {"x-rate-limit-remaining", "0"},
                       {"x-rate-limit-reset", std::to_string(Epoch(kNow + minutes{15}))}},
           .body = R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})",
           .path_contains = "/2/tweets"},
          kNow + minutes{15}};
}

ContractSubject Linkedin() {
  const std::string author = "urn:li:organization:5515715";
  return {"linkedin",
          [author] {
            return std::make_unique<HeldPlatform<LinkedinFake>>(ServerOf(&LinkedinFake::server),
                                                                Ids(&LinkedinFake::Posts, &LinkedinFake::Post::urn),
                                                                "li-token", author);
          },
          [author](const std::string& root, const ConnectorContext& context) {
            return connectors::MakeLinkedinConnector(Config("linkedin", root, {{"author", author}}, {{"token", "LI_TOKEN"}}),
                                                     context);
          },
          {{"LI_TOKEN", "li-token"}},
          {{"LI_TOKEN", "expired-token"}},
          [] { return BaseRequest("linkedin", kNow); },
          "/rest/posts",
          {.status = 429,
           .body = R"({"status":429,"serviceErrorCode":101,"code":"TOO_MANY_REQUESTS","message":"Resource level throttle APPLICATION DAY limit for calls to this resource is reached."})",
           .path_contains = "/rest/posts"},
          *ParseRfc3339("2026-11-24T00:00:00Z")};
}

ContractSubject FacebookPage() {
  const std::string page = "104871234567890";
  // The fake dates posts by the real clock, and Lookup searches around `now`.
  const Instant now = floor<seconds>(system_clock::now());
  return {"facebook_page",
          [page] {
            return std::make_unique<HeldPlatform<FacebookPageFake>>(
                ServerOf(&FacebookPageFake::server), Ids(&FacebookPageFake::Posts, &FacebookPageFake::Post::id), page,
                "fb-token");
          },
          [page](const std::string& root, const ConnectorContext& context) {
            return connectors::MakeFacebookPageConnector(
                Config("facebook_page", root, {{"page_id", page}}, {{"token", "FB_TOKEN"}}), context);
          },
          {{"FB_TOKEN", "fb-token"}},
          {{"FB_TOKEN", "expired-token"}},
          [now] { return BaseRequest("facebook_page", now); },
          "/feed",
          GraphThrottle(page, 15),
          now + minutes{15}};
}

ContractSubject Threads() {
  const std::string user = "25025320";
  return {"threads",
          [user] {
            return std::make_unique<HeldPlatform<ThreadsFake>>(ServerOf<ThreadsFake>(&ThreadsFake::server),
                                                               ContainerIds<ThreadsFake>(),
                                                               user, "threads-token");
          },
          [user](const std::string& root, const ConnectorContext& context) {
            return connectors::MakeThreadsConnectorWithTiming(
                Config("threads", root, {{"user_id", user}}, {{"token", "THREADS_TOKEN"}}), context, {milliseconds{10}, 5});
          },
          {{"THREADS_TOKEN", "threads-token"}},
          {{"THREADS_TOKEN", "expired-token"}},
          [] { return BaseRequest("threads", kNow); },
          // Also the first part of threads_publishing_limit, which is called first.
          "/threads_publish",
          GraphThrottle(user, 12),
          kNow + minutes{12},
          [](ContractPlatform& platform, milliseconds delay) {
            static_cast<HeldPlatform<ThreadsFake>&>(platform).fake().StallNextPublish(delay, true);
          }};
}

ContractSubject Instagram() {
  const std::string user = "17841405822304914";
  return {"instagram",
          [user] {
            return std::make_unique<HeldPlatform<InstagramFake>>(
                ServerOf<InstagramFake>(&InstagramFake::server),
                ContainerIds<InstagramFake>(), user, "ig-token");
          },
          [user](const std::string& root, const ConnectorContext& context) {
            return connectors::MakeInstagramConnectorWithTiming(
                Config("instagram", root, {{"user_id", user}}, {{"token", "IG_TOKEN"}}), context, {milliseconds{10}, 5});
          },
          {{"IG_TOKEN", "ig-token"}},
          {{"IG_TOKEN", "expired-token"}},
          [] {
            PublishRequest r = BaseRequest("instagram", kNow);
            r.media = {{"https://cdn.example.org/1.jpg", "Photo 1"}};
            return r;
          },
          "/media_publish",
          GraphThrottle(user, 30),
          kNow + minutes{30}};
}

ContractSubject Telegram() {
  const std::string token = "123456:AAH-secret-token";
  return {"telegram",
          [token] {
            return std::make_unique<HeldPlatform<TelegramFake>>(
                ServerOf(&TelegramFake::server), Ids(&TelegramFake::Messages, &TelegramFake::Message::message_id), token,
                "@herald_news", -1001234567890, "herald_news");
          },
          [](const std::string& root, const ConnectorContext& context) {
            return connectors::MakeTelegramConnector(
                Config("telegram", root, {{"chat_id", "@herald_news"}}, {{"bot_token", "TG_TOKEN"}}), context);
          },
          {{"TG_TOKEN", token}},
          {{"TG_TOKEN", "999:wrong"}},
          [] { return BaseRequest("telegram", kNow); },
          "/sendMessage",
          {.status = 429,
           .body = R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}})",
           .path_contains = "/sendMessage"},
          kNow + seconds{35}};
}

ContractSubject Discord() {
  const std::string bot = "MTk4NjIyNDgzNDcxOTI1MjQ4.bot-secret";
  return {"discord",
          [bot] {
            return std::make_unique<HeldPlatform<DiscordFake>>(
                ServerOf(&DiscordFake::server), Ids(&DiscordFake::Messages, &DiscordFake::Message::id), "hX3-webhook-secret",
                bot);
          },
          [](const std::string& root, const ConnectorContext& context) {
            return connectors::MakeDiscordConnector(Config("discord", root + "/api/v10",
                                                           {{"channel_id", DiscordFake::kChannelId}},
                                                           {{"bot_token", "DISCORD_BOT"}}),
                                                    context);
          },
          {{"DISCORD_BOT", bot}},
          {{"DISCORD_BOT", "revoked.bot-token"}},
          [] { return BaseRequest("discord", kNow); },
          "/messages",
          {.status = 429,
           .headers = {{"Retry-After", "12"}, {"X-RateLimit-Limit", "5"}, {"X-RateLimit-Remaining", "0"},
                       {"X-RateLimit-Reset", std::to_string(Epoch(kNow) + 11) + ".2"},
                       {"X-RateLimit-Reset-After", "11.2"}, {"X-RateLimit-Scope", "user"}},
           .body = R"({"message":"You are being rate limited.","retry_after":11.2,"global":false})",
           .path_contains = "/messages"},
          kNow + seconds{12}};
}

ContractSubject Slack() {
  const std::string channel = "C0123456789";
  return {"slack",
          [channel] {
            return std::make_unique<HeldPlatform<SlackFake>>(ServerOf(&SlackFake::server),
                                                             Ids(&SlackFake::Messages, &SlackFake::Message::ts),
                                                             "xoxb-1234-secret", channel, Epoch(kNow));
          },
          [channel](const std::string& root, const ConnectorContext& context) {
            return connectors::MakeSlackConnector(
                Config("slack", root + "/api", {{"channel", channel}}, {{"token", "SLACK_TOKEN"}}), context);
          },
          {{"SLACK_TOKEN", "xoxb-1234-secret"}},
          {{"SLACK_TOKEN", "xoxb-revoked"}},
          [] { return BaseRequest("slack", kNow); },
          "chat.postMessage",
          {.status = 429, .headers = {{"Retry-After", "30"}}, .body = R"({"ok":false,"error":"ratelimited"})",
           .path_contains = "chat.postMessage"},
          kNow + seconds{30}};
}

ContractSubject Webhook() {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  return {"webhook",
          [secret] {
            auto held = std::make_unique<HeldPlatform<WebhookFake>>(
                ServerOf(&WebhookFake::fake), Ids(&WebhookFake::Messages, &WebhookFake::Message::id), secret);
            held->fake().set_now(kNow);  // it checks webhook-timestamp against its clock
            return held;
          },
          [](const std::string& root, const ConnectorContext& context) {
            return connectors::MakeWebhookConnector(
                Config("webhook", "", {{"url", root + "/hooks/herald"}}, {{"secret", "WEBHOOK_SECRET"}}), context);
          },
          {{"WEBHOOK_SECRET", secret}},
          {{"WEBHOOK_SECRET", "whsec_dGhpcy1pcy1ub3QtdGhlLXNlY3JldA=="}},
          [] { return BaseRequest("webhook", kNow); },
          "/hooks/herald",
          {.status = 429, .headers = {{"Retry-After", "120"}}, .body = "{}", .path_contains = "/hooks/herald"},
          kNow + seconds{120}};
}

std::unique_ptr<Connector> Build(const ContractSubject& s, const std::string& root,
                                 milliseconds read_timeout = milliseconds{2000}, bool revoked = false) {
  auto c = s.make(root, TestContext(revoked ? s.wrong_secrets : s.secrets, read_timeout));
  INFO(s.name << ": " << (c ? std::string() : c.error().ToString()));
  REQUIRE(c.has_value());
  return std::move(*c);
}

// A result that does not give away a secret.
void CheckNoSecret(const ContractSubject& s, const PublishResult& r) {
  for (const auto& secrets : {s.secrets, s.wrong_secrets}) {
    for (const auto& [name, value] : secrets) CHECK(r.why.find(value) == std::string::npos);
  }
}

}  // namespace

std::vector<ContractSubject> ContractSubjects() {
  return {Mastodon(), Bluesky(), X(), Linkedin(), FacebookPage(), Threads(), Instagram(), Telegram(), Discord(),
          Slack(), Webhook()};
}

namespace {

TEST_CASE("Every connector names a published post by the platform's id and a URL", "[connector-contract]") {
  for (const ContractSubject& s : ContractSubjects()) {
    DYNAMIC_SECTION(s.name) {
      auto platform = s.start();
      auto r = Build(s, platform->server().base_url())->Publish(s.request());
      INFO(r.why);
      REQUIRE(r.kind == Kind::kPublished);
      auto ids = platform->PostIds();
      REQUIRE(ids.size() == 1);
      CHECK(r.remote_id.find(ids[0]) != std::string::npos);
      CHECK_FALSE(r.remote_url.empty());
      CHECK(r.attempted);
    }
  }
}

TEST_CASE("Every connector fails for good on a revoked credential and publishes nothing", "[connector-contract]") {
  for (const ContractSubject& s : ContractSubjects()) {
    DYNAMIC_SECTION(s.name) {
      auto platform = s.start();
      auto r = Build(s, platform->server().base_url(), milliseconds{2000}, true)->Publish(s.request());
      INFO(r.why);
      CHECK(r.kind == Kind::kFailed);
      CHECK(platform->PostIds().empty());
      CheckNoSecret(s, r);
    }
  }
}

TEST_CASE("Every connector fails for good on a validation error and publishes nothing", "[connector-contract]") {
  for (const ContractSubject& s : ContractSubjects()) {
    DYNAMIC_SECTION(s.name) {
      auto platform = s.start();
      platform->server().FailNext({.status = 400,
                                   .body = R"({"error":"invalid_request","message":"the request is not valid"})",
                                   .path_contains = s.create_path});
      auto r = Build(s, platform->server().base_url())->Publish(s.request());
      INFO(r.why);
      CHECK(r.kind == Kind::kFailed);
      CHECK(r.http_status == 400);
      CHECK(platform->PostIds().empty());
    }
  }
}

TEST_CASE("Every connector waits for the platform's own reset after a 429", "[connector-contract]") {
  for (const ContractSubject& s : ContractSubjects()) {
    DYNAMIC_SECTION(s.name) {
      auto platform = s.start();
      platform->server().FailNext(s.rate_limited);
      auto r = Build(s, platform->server().base_url())->Publish(s.request());
      INFO(r.why);
      CHECK(r.kind == Kind::kRetryLater);
      CHECK(r.retry_at == s.retry_at);
      CHECK(platform->PostIds().empty());
    }
  }
}

TEST_CASE("Every connector treats a 5xx as passing and never publishes twice", "[connector-contract]") {
  for (const ContractSubject& s : ContractSubjects()) {
    DYNAMIC_SECTION(s.name) {
      auto platform = s.start();
      platform->server().FailNext({.status = 503, .headers = {{"Retry-After", "60"}},
                                   .body = "<html>maintenance</html>", .content_type = "text/html",
                                   .path_contains = s.create_path});
      auto r = Build(s, platform->server().base_url())->Publish(s.request());
      INFO(r.why);
      CHECK(r.kind != Kind::kFailed);
      auto ids = platform->PostIds();
      CHECK(ids.size() <= 1);
      if (r.kind == Kind::kRetryLater) CHECK(ids.empty());
      if (r.kind == Kind::kPublished) CHECK(ids.size() == 1);
    }
  }
}

TEST_CASE("Every connector settles a slow answer without publishing twice", "[connector-contract]") {
  for (const ContractSubject& s : ContractSubjects()) {
    DYNAMIC_SECTION(s.name) {
      auto platform = s.start();
      // The platform publishes the post, then its answer comes too late.
      if (s.stall_publish) {
        s.stall_publish(*platform, milliseconds{700});
      } else {
        platform->server().FailNext({.delay = milliseconds{700}, .act_then_stall = true, .path_contains = s.create_path});
      }
      auto connector = Build(s, platform->server().base_url(), milliseconds{300});
      auto r = connector->Publish(s.request());
      INFO(r.why);
      CHECK(r.kind != Kind::kFailed);
      if (r.kind == Kind::kRetryLater) {
        // Only where sending again cannot make a second post: try it.
        PublishRequest again = s.request();
        again.attempt = 2;
        r = connector->Publish(again);
        INFO(r.why);
        CHECK(r.kind == Kind::kPublished);
      }
      auto ids = platform->PostIds();
      REQUIRE(ids.size() == 1);
      if (r.kind == Kind::kPublished) CHECK(r.remote_id.find(ids[0]) != std::string::npos);

      // Lookup of the outcome: it finds that post, or cannot tell, or says
      // sending again is safe, and then sending again makes no second post.
      auto found = connector->Lookup(s.request());
      if (found) CHECK((found->kind == Kind::kPublished || found->kind == Kind::kFailed));
      if (found && found->kind == Kind::kPublished) CHECK(found->remote_id.find(ids[0]) != std::string::npos);
      if (found && found->kind == Kind::kFailed) {
        PublishRequest resend = s.request();
        resend.attempt = 3;
        if (found->resend_by) CHECK(resend.now < *found->resend_by);
        auto again = connector->Publish(resend);
        INFO(again.why);
        CHECK(again.kind == Kind::kPublished);
      }
      CHECK(platform->PostIds().size() == 1);
    }
  }
}

TEST_CASE("Every connector calls a dropped connection neither published nor failed", "[connector-contract]") {
  for (const ContractSubject& s : ContractSubjects()) {
    DYNAMIC_SECTION(s.name) {
      SilentDropServer drop;
      auto r = Build(s, drop.base_url(), milliseconds{300})->Publish(s.request());
      INFO(r.why);
      CHECK((r.kind == Kind::kUnknown || r.kind == Kind::kRetryLater));
      CHECK(drop.accepted() >= 1);
    }
  }
}

TEST_CASE("Every connector's Lookup never claims a post the platform does not hold", "[connector-contract]") {
  for (const ContractSubject& s : ContractSubjects()) {
    DYNAMIC_SECTION(s.name) {
      auto platform = s.start();
      auto found = Build(s, platform->server().base_url())->Lookup(s.request());
      if (found) CHECK(found->kind != Kind::kPublished);
      CHECK(platform->PostIds().empty());
    }
  }
}

TEST_CASE("Every connector's Lookup answers about a published post exactly when it says it can", "[connector-contract]") {
  // An unconfirmed post is re-checked only through a connector whose
  // AnswersLookup() is true; one that says false must never answer anyway.
  for (const ContractSubject& s : ContractSubjects()) {
    DYNAMIC_SECTION(s.name) {
      auto platform = s.start();
      auto connector = Build(s, platform->server().base_url());
      auto published = connector->Publish(s.request());
      INFO(published.why);
      REQUIRE(published.kind == Kind::kPublished);
      auto found = connector->Lookup(s.request());
      CHECK(found.has_value() == connector->AnswersLookup());
      if (found && found->kind == Kind::kPublished) CHECK(found->remote_id == published.remote_id);
    }
  }
}

}  // namespace
}  // namespace herald::testing
