// LoadPolicy and connector settings: the keys each connector cannot publish
// without are required at policy load, one error per account at its
// connector block (or at the account when it has none), naming every missing key.
#include "policies/loader.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace herald::policies {
namespace {

using Lines = std::vector<std::string>;

// One account `a` on `platform` at line 5; its connector block, when given,
// is written in flow style on line 7 and so reported at 7:18.
std::string OneAccount(const std::string& platform, const std::string& block) {
  return "version: 1\norganization: acme\naccounts:\n  list:\n    - id: a\n      platform: " + platform + "\n" +
         (block.empty() ? "" : "      connector: " + block + "\n");
}

Lines ErrorsOf(const std::string& yaml) {
  auto policy = LoadPolicy(yaml, "t.yaml");
  if (policy) return {};
  Lines lines;
  for (const auto& status : policy.error()) {
    CHECK(status.code() == Code::kInvalidArgument);
    lines.push_back(status.ToString());
  }
  return lines;
}

const std::string kAt = "t.yaml:7:18: accounts.list[0].connector: ";

TEST_CASE("Connector settings: every missing required key is named, at the connector block", "[policies][connector]") {
  struct Case {
    const char* platform;
    const char* block;
    const char* message;
  };
  auto c = GENERATE(values<Case>({
      {"webhook", "{}",
       "the webhook connector needs url (the endpoint's http:// or https:// URL) and secret (the whsec_ signing "
       "secret, as env:NAME or file:/path)"},
      {"webhook", "{ url: https://hooks.example/herald }",
       "the webhook connector needs secret (the whsec_ signing secret, as env:NAME or file:/path)"},
      {"webhook", "{ secret: env:S }", "the webhook connector needs url (the endpoint's http:// or https:// URL)"},
      {"mastodon", "{}",
       "the mastodon connector needs base_url (the account's instance, e.g. https://mastodon.social) and either "
       "token (an access token, as env:NAME or file:/path), or auth (oauth, to connect the account through herald)"},
      {"mastodon", "{ base_url: https://mastodon.social }",
       "the mastodon connector needs token (an access token, as env:NAME or file:/path), or auth (oauth, to connect "
       "the account through herald)"},
      {"mastodon", "{ auth: oauth }",
       "the mastodon connector needs base_url (the account's instance, e.g. https://mastodon.social)"},
      {"mastodon", "{ token: env:T, max_characters: 1000 }",
       "the mastodon connector needs base_url (the account's instance, e.g. https://mastodon.social)"},
      {"bluesky", "{ base_url: https://bsky.social }",
       "the bluesky connector needs identifier (the account's handle, DID or e-mail) and app_password (an app "
       "password, as env:NAME or file:/path)"},
      {"bluesky", "{ identifier: acme.bsky.social }",
       "the bluesky connector needs app_password (an app password, as env:NAME or file:/path)"},
      {"bluesky", "{ app_password: env:P }", "the bluesky connector needs identifier (the account's handle, DID or e-mail)"},
      {"x", "{ tier: basic, username: acme }",
       "the x connector needs token (an OAuth 2.0 user access token, as env:NAME or file:/path), or auth (oauth, "
       "to connect the account through herald)"},
      {"linkedin", "{}",
       "the linkedin connector needs author (urn:li:organization:<id> or urn:li:person:<id>) and either token (an "
       "OAuth 2.0 access token, as env:NAME or file:/path), or auth (oauth, to connect the account through herald)"},
      {"linkedin", "{ token: env:T }",
       "the linkedin connector needs author (urn:li:organization:<id> or urn:li:person:<id>)"},
      {"linkedin", "{ auth: oauth }",
       "the linkedin connector needs author (urn:li:organization:<id> or urn:li:person:<id>)"},
      {"linkedin", "{ author: \"urn:li:person:7\" }",
       "the linkedin connector needs token (an OAuth 2.0 access token, as env:NAME or file:/path), or auth (oauth, "
       "to connect the account through herald)"},
      {"facebook_page", "{ graph_version: v21.0 }",
       "the facebook_page connector needs page_id (the Page's id) and token (a Page access token, as env:NAME or "
       "file:/path), or auth (oauth, to connect the account through herald)"},
      {"facebook_page", "{ token: env:T }",
       "the facebook_page connector needs page_id (the Page's id) and token, or auth (oauth, to connect the "
       "account through herald)"},
      {"facebook_page", "{ page_id: \"104871234567890\" }",
       "the facebook_page connector needs page_id and token (a Page access token, as env:NAME or file:/path), or "
       "auth (oauth, to connect the account through herald)"},
      {"threads", "{}",
       "the threads connector needs user_id (the Threads user id) and either token (a Threads user access token, "
       "as env:NAME or file:/path), or auth (oauth, to connect the account through herald)"},
      {"threads", "{ token: env:T }", "the threads connector needs user_id (the Threads user id)"},
      {"threads", "{ user_id: \"25025320\" }",
       "the threads connector needs token (a Threads user access token, as env:NAME or file:/path), or auth "
       "(oauth, to connect the account through herald)"},
      {"instagram", "{}",
       "the instagram connector needs user_id (the Instagram professional account's id) and either token (an "
       "access token, as env:NAME or file:/path), or auth (oauth, to connect the account through herald)"},
      {"instagram", "{ token: env:T }", "the instagram connector needs user_id (the Instagram professional account's id)"},
      {"instagram", "{ user_id: \"17841405822304914\" }",
       "the instagram connector needs token (an access token, as env:NAME or file:/path), or auth (oauth, to "
       "connect the account through herald)"},
      {"telegram", "{}",
       "the telegram connector needs bot_token (the bot's token from @BotFather, as env:NAME or file:/path) and "
       "chat_id (\"@channelusername\" or a numeric chat id)"},
      {"telegram", "{ bot_token: env:B }",
       "the telegram connector needs chat_id (\"@channelusername\" or a numeric chat id)"},
      {"telegram", "{ chat_id: \"@acme_news\" }",
       "the telegram connector needs bot_token (the bot's token from @BotFather, as env:NAME or file:/path)"},
      {"slack", "{}",
       "the slack connector needs token (a bot token, xoxb-..., as env:NAME or file:/path) and channel (a channel "
       "id such as C0123456789)"},
      {"slack", "{ token: env:T }", "the slack connector needs channel (a channel id such as C0123456789)"},
      {"slack", "{ channel: C0123456789 }",
       "the slack connector needs token (a bot token, xoxb-..., as env:NAME or file:/path)"},
      {"discord", "{ guild_id: \"613425648685547541\" }",
       "the discord connector needs webhook_url (the channel webhook's URL, as env:NAME or file:/path), or "
       "bot_token (a bot token, as env:NAME or file:/path) and channel_id (the channel's id)"},
  }));
  INFO(c.platform << " " << c.block);
  CHECK(ErrorsOf(OneAccount(c.platform, c.block)) == Lines{kAt + c.message});
}

TEST_CASE("Connector settings: a block with every required key loads as the platform's connector", "[policies][connector]") {
  struct Case {
    const char* platform;
    const char* block;
  };
  auto c = GENERATE(values<Case>({
      {"webhook", "{ url: https://hooks.example/herald, secret: file:/run/secrets/hook }"},
      {"mastodon", "{ base_url: https://mastodon.social, token: env:T }"},
      {"bluesky", "{ identifier: acme.bsky.social, app_password: env:P }"},
      {"x", "{ token: env:T }"},
      {"linkedin", "{ token: env:T, author: \"urn:li:organization:5515715\" }"},
      {"facebook_page", "{ page_id: \"104871234567890\", token: env:T }"},
      {"facebook_page", "{ auth: oauth }"},
      {"facebook_page", "{ auth: oauth, page_id: \"104871234567890\" }"},
      {"threads", "{ user_id: \"25025320\", token: env:T }"},
      {"threads", "{ user_id: \"25025320\", auth: oauth }"},
      {"instagram", "{ user_id: \"17841405822304914\", token: env:T }"},
      {"instagram", "{ user_id: \"17841405822304914\", auth: oauth }"},
      {"telegram", "{ bot_token: env:B, chat_id: \"@acme_news\" }"},
      {"discord", "{ webhook_url: env:W }"},
      {"slack", "{ token: env:T, channel: C0123456789 }"},
  }));
  INFO(c.platform << " " << c.block);
  auto policy = LoadPolicy(OneAccount(c.platform, c.block), "t.yaml");
  REQUIRE(policy.has_value());
  CHECK(policy->accounts[0].connector.type == c.platform);
}

TEST_CASE("Connector settings: discord takes webhook_url, or bot_token with channel_id", "[policies][connector]") {
  SECTION("webhook_url alone") {
    auto policy = LoadPolicy(OneAccount("discord", "{ webhook_url: env:W }"), "t.yaml");
    REQUIRE(policy.has_value());
    CHECK(policy->accounts[0].connector.secrets.at("webhook_url").target == "W");
  }
  SECTION("bot_token with channel_id") {
    auto policy = LoadPolicy(OneAccount("discord", "{ bot_token: env:B, channel_id: \"697138785317814292\" }"), "t.yaml");
    REQUIRE(policy.has_value());
    CHECK(policy->accounts[0].connector.settings.at("channel_id") == "697138785317814292");
  }
  SECTION("bot_token alone names channel_id, and the webhook_url way too") {
    CHECK(ErrorsOf(OneAccount("discord", "{ bot_token: env:B }")) ==
          Lines{kAt + "the discord connector needs webhook_url (the channel webhook's URL, as env:NAME or file:/path), "
                      "or bot_token and channel_id (the channel's id)"});
  }
  SECTION("channel_id alone") {
    CHECK(ErrorsOf(OneAccount("discord", "{ channel_id: \"697138785317814292\" }")) ==
          Lines{kAt + "the discord connector needs webhook_url (the channel webhook's URL, as env:NAME or file:/path), "
                      "or bot_token (a bot token, as env:NAME or file:/path) and channel_id"});
  }
  SECTION("both ways at once is one error, not a missing key as well") {
    CHECK(ErrorsOf(OneAccount("discord", "{ webhook_url: env:W, bot_token: env:B }")) ==
          Lines{kAt + "the discord connector takes webhook_url or bot_token, not both"});
  }
}

TEST_CASE("Connector settings: type names the connector whose keys are required", "[policies][connector]") {
  SECTION("type file on an x account needs nothing") {
    auto policy = LoadPolicy(OneAccount("x", "{ type: file }"), "t.yaml");
    REQUIRE(policy.has_value());
    CHECK(policy->accounts[0].connector.type == "file");
  }
  SECTION("type webhook on a mastodon account needs url and secret, not base_url and token") {
    CHECK(ErrorsOf(OneAccount("mastodon", "{ type: webhook }")) ==
          Lines{kAt + "the webhook connector needs url (the endpoint's http:// or https:// URL) and secret (the whsec_ "
                      "signing secret, as env:NAME or file:/path)"});
    auto policy = LoadPolicy(OneAccount("mastodon", "{ type: webhook, url: https://hooks.example/m, secret: env:S }"),
                             "t.yaml");
    REQUIRE(policy.has_value());
    CHECK(policy->accounts[0].connector.type == "webhook");
  }
  SECTION("type mastodon on a mastodon account is the platform's own") {
    CHECK(ErrorsOf(OneAccount("mastodon", "{ type: mastodon, token: env:T }")) ==
          Lines{kAt + "the mastodon connector needs base_url (the account's instance, e.g. https://mastodon.social)"});
  }
  SECTION("an unknown type reports the type only") {
    CHECK(ErrorsOf(OneAccount("x", "{ type: carrier-pigeon }")).size() == 1);
  }
}

TEST_CASE("Connector settings: an account without a connector block is reported at the account", "[policies][connector]") {
  const std::string hint = ", and the account has no connector: block; add one, or use connector: { type: file } to "
                           "publish to the outbox";
  SECTION("a platform account") {
    CHECK(ErrorsOf(OneAccount("mastodon", "")) ==
          Lines{"t.yaml:5:7: accounts.list[0]: the mastodon connector needs base_url (the account's instance, e.g. "
                "https://mastodon.social) and either token (an access token, as env:NAME or file:/path), or auth "
                "(oauth, to connect the account through herald)" + hint});
  }
  SECTION("a webhook account") {
    CHECK(ErrorsOf(OneAccount("webhook", "")) ==
          Lines{"t.yaml:5:7: accounts.list[0]: the webhook connector needs url (the endpoint's http:// or https:// "
                "URL) and secret (the whsec_ signing secret, as env:NAME or file:/path)" + hint});
  }
  SECTION("a file account needs no block") {
    auto policy = LoadPolicy(OneAccount("file", ""), "t.yaml");
    REQUIRE(policy.has_value());
    CHECK(policy->accounts[0].connector.type == "file");
  }
  SECTION("one error per account, each at its own position") {
    CHECK(ErrorsOf("version: 1\norganization: acme\naccounts:\n  list:\n"
                   "    - { id: a, platform: x }\n"
                   "    - { id: b, platform: x, connector: { type: file } }\n"
                   "    - id: c\n      platform: telegram\n      connector: { chat_id: \"-1001234567890\" }\n") ==
          Lines{"t.yaml:5:7: accounts.list[0]: the x connector needs token (an OAuth 2.0 user access token, as "
                "env:NAME or file:/path), or auth (oauth, to connect the account through herald)" + hint,
                "t.yaml:9:18: accounts.list[2].connector: the telegram connector needs bot_token (the bot's token from "
                "@BotFather, as env:NAME or file:/path)"});
  }
}

TEST_CASE("Connector settings: a required key with a bad value is reported for its value only", "[policies][connector]") {
  CHECK(ErrorsOf(OneAccount("mastodon", "{ base_url: https://mastodon.social, token: hunter2 }")) ==
        Lines{"t.yaml:7:62: accounts.list[0].connector.token: inline secret; write env:NAME or file:/path"});
  CHECK(ErrorsOf(OneAccount("webhook", "{ url: \"ftp://hooks.example\", secret: env:S }")) ==
        Lines{"t.yaml:7:25: accounts.list[0].connector.url: expected an http:// or https:// URL, got "
              "\"ftp://hooks.example\""});
}

}  // namespace
}  // namespace herald::policies
