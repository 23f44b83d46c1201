// The daemon's config file: defaults, every key, and errors with positions.
#include "policies/server_config.h"

#include <catch2/catch.hpp>

namespace herald::policies {
namespace {

using namespace std::chrono;

std::vector<std::string> ErrorsOf(const std::string& yaml) {
  auto c = LoadServerConfig(yaml, "herald.yaml");
  std::vector<std::string> lines;
  if (!c) {
    for (const auto& e : c.error()) lines.push_back(e.ToString());
  }
  return lines;
}

TEST_CASE("Server config: defaults, and every key read", "[policies][config]") {
  auto defaults = LoadServerConfig("{}", "herald.yaml");
  REQUIRE(defaults);
  CHECK(defaults->lease == seconds{15});
  CHECK(defaults->policy_poll == seconds{1});

  auto c = LoadServerConfig("listen: 127.0.0.1:9090\nstorage: postgresql://herald@db/herald\npolicies: p\n"
                            "tokens: t.json\noutbox: o\nmax_accounts: { acme: 3 }\nlog: { level: debug, format: json }\n"
                            "shutdown_grace: 20s\npolicy_poll: 2s\nlease: 1m\n",
                            "herald.yaml");
  REQUIRE(c);
  CHECK(c->port == 9090);
  CHECK(c->storage == "postgresql://herald@db/herald");
  CHECK(c->max_accounts.at("acme") == 3);
  CHECK(c->log_format == "json");
  CHECK(c->shutdown_grace == seconds{20});
  CHECK(c->lease == minutes{1});
}

TEST_CASE("Server config: recheck is a list of growing ages, errors at their position", "[policies][config]") {
  auto defaults = LoadServerConfig("{}", "herald.yaml");
  REQUIRE(defaults);
  CHECK_FALSE(defaults->recheck);  // the built-in schedule
  auto custom = LoadServerConfig("recheck: [30s, 2m, 1h]\n", "herald.yaml");
  REQUIRE(custom);
  CHECK(custom->recheck == std::vector<Duration>{seconds{30}, minutes{2}, hours{1}});
  auto off = LoadServerConfig("recheck: []\n", "herald.yaml");
  REQUIRE(off);
  REQUIRE(off->recheck);
  CHECK(off->recheck->empty());

  CHECK(ErrorsOf("recheck: [1m, 5m, 5m]\n") ==
        std::vector<std::string>{"herald.yaml:1:19: recheck[2]: must be longer than the check before it (5m): each age "
                                 "counts from when the post became unconfirmed"});
  CHECK(ErrorsOf("recheck:\n  - 1m\n  - soon\n").size() == 1);
  CHECK_THAT(ErrorsOf("recheck:\n  - 1m\n  - soon\n").at(0), Catch::StartsWith("herald.yaml:3:5: recheck[1]:"));
  CHECK_THAT(ErrorsOf("recheck: [0s]\n").at(0), Catch::Contains("recheck[0]: must be longer than 0s"));
  CHECK_THAT(ErrorsOf("recheck: [31d]\n").at(0), Catch::Contains("recheck[0]: must be at most 30d"));
  CHECK_THAT(ErrorsOf("recheck: 1m\n").at(0), Catch::StartsWith("herald.yaml:1:10: recheck: expected a list of durations"));
}

TEST_CASE("Server config: a lease under 3s is refused at its position", "[policies][config]") {
  CHECK(ErrorsOf("lease: 2s\n") ==
        std::vector<std::string>{"herald.yaml:1:8: lease: must be at least 3s (it is renewed every lease/5 over the "
                                 "network), got 2s"});
  CHECK(ErrorsOf("policy_poll: 1s\nlease: soon\n").size() == 1);
  CHECK(ErrorsOf("leases: 10s\n").size() == 1);  // unknown key
}

TEST_CASE("Server config: limits, with defaults and errors at their position", "[policies][config][limits]") {
  auto defaults = LoadServerConfig("{}", "herald.yaml");
  REQUIRE(defaults);
  CHECK(defaults->input.horizon == days{366});
  CHECK(defaults->input.max_text_bytes == 63'206);
  CHECK(defaults->max_body_bytes == 64 * 1024);
  CHECK(defaults->request_timeout == seconds{10});
  CHECK(defaults->max_connections == 1000);

  auto c = LoadServerConfig("limits:\n  horizon: 30d\n  max_text: 5000\n  max_body: 131072\n"
                            "  request_timeout: 5s\n  max_connections: 200\n",
                            "herald.yaml");
  REQUIRE(c);
  CHECK(c->input.horizon == days{30});
  CHECK(c->input.max_text_bytes == 5000);
  CHECK(c->max_body_bytes == 131072);
  CHECK(c->request_timeout == seconds{5});
  CHECK(c->max_connections == 200);

  CHECK(ErrorsOf("limits:\n  max_connections: 0\n") ==
        std::vector<std::string>{"herald.yaml:2:20: limits.max_connections: must be from 1 to 1000000"});
  CHECK(ErrorsOf("limits: { horizon: 0s }\n").size() == 1);
  CHECK(ErrorsOf("limits: { max_body: 10 }\n").size() == 1);
  CHECK(ErrorsOf("limits: { horizons: 1d }\n").size() == 1);  // unknown key
}

TEST_CASE("Server config: media_allow takes host names and networks, and names a bad entry", "[policies][config]") {
  CHECK(LoadServerConfig("{}", "herald.yaml")->media_allow.hosts.empty());
  auto c = LoadServerConfig("media_allow: [Images.Internal, 10.20.0.0/16, \"fd00::/8\", 127.0.0.1]\n", "herald.yaml");
  REQUIRE(c);
  CHECK(c->media_allow.hosts == std::vector<std::string>{"images.internal"});
  CHECK(c->media_allow.networks.size() == 3);
  CHECK(c->media_allow.AllowsAddress(*ParseIpAddress("10.20.1.1")));
  CHECK_FALSE(c->media_allow.AllowsAddress(*ParseIpAddress("10.21.1.1")));

  auto errors = ErrorsOf("media_allow: [images.internal, 10.0.0.0/33]\n");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].starts_with("herald.yaml:1:32: media_allow[1]: "));
  CHECK(errors[0].find("not a CIDR network") != std::string::npos);
  CHECK(ErrorsOf("media_allow: images.internal\n").size() == 1);  // a list, not a string
}

TEST_CASE("Server config: token_keys names the current key and every key by reference", "[policies][config][tokens]") {
  auto none = LoadServerConfig("{}", "herald.yaml");
  REQUIRE(none);
  CHECK_FALSE(none->token_keys.has_value());

  auto c = LoadServerConfig("token_keys:\n"
                            "  current: 2026-12\n"
                            "  keys:\n"
                            "    2026-12: env:HERALD_TOKEN_KEY\n"
                            "    2026-06: file:/etc/herald/token-key-2026-06\n",
                            "herald.yaml");
  REQUIRE(c);
  REQUIRE(c->token_keys.has_value());
  CHECK(c->token_keys->current == "2026-12");
  REQUIRE(c->token_keys->keys.size() == 2);
  CHECK(c->token_keys->keys.at("2026-12").kind == SecretRef::Kind::kEnv);
  CHECK(c->token_keys->keys.at("2026-12").target == "HERALD_TOKEN_KEY");
  CHECK(c->token_keys->keys.at("2026-06").kind == SecretRef::Kind::kFile);
  CHECK(c->token_keys->keys.at("2026-06").target == "/etc/herald/token-key-2026-06");
}

TEST_CASE("Server config: token_keys errors are reported at their position", "[policies][config][tokens]") {
  CHECK(ErrorsOf("token_keys:\n  current: k3\n  keys: { k1: env:K1 }\n") ==
        std::vector<std::string>{"herald.yaml:2:12: token_keys.current: current key \"k3\" is not among token_keys.keys"});
  CHECK(ErrorsOf("token_keys:\n  current: k1\n  keys:\n    k1: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n") ==
        std::vector<std::string>{"herald.yaml:4:9: token_keys.keys.k1: inline key; write env:NAME or file:/path (32 "
                                 "bytes as 64 hex digits or base64)"});
  CHECK(ErrorsOf("token_keys:\n  current: a/b\n  keys: { a/b: env:K1 }\n") ==
        std::vector<std::string>{"herald.yaml:3:11: token_keys.keys.a/b: key id \"a/b\" is not 1 to 64 letters, digits, "
                                 "'.', '_' or '-'"});
  auto missing = ErrorsOf("token_keys: { current: k1 }\n");
  REQUIRE(missing.size() == 1);
  CHECK(missing[0].starts_with("herald.yaml:1:13: token_keys: "));
  CHECK(missing[0].find("keys") != std::string::npos);
  auto unknown = ErrorsOf("token_keys: { current: k1, keys: { k1: env:K1 }, old: [k0] }\n");
  REQUIRE(unknown.size() == 1);
  CHECK(unknown[0].find("old") != std::string::npos);
}

constexpr const char* kKeys = "token_keys: { current: k1, keys: { k1: env:K1 } }\n";

TEST_CASE("Server config: oauth names each platform's app, its secret by reference", "[policies][config][oauth]") {
  auto c = LoadServerConfig(std::string(kKeys) +
                                "oauth:\n"
                                "  x:\n"
                                "    client_id: abc123\n"
                                "    client_secret: env:X_SECRET\n"
                                "    redirect_uri: https://herald.example.org/v1/oauth/callback\n"
                                "    token_url: http://127.0.0.1:8099/2/oauth2/token\n",
                            "herald.yaml");
  REQUIRE(c);
  REQUIRE(c->oauth.contains("x"));
  const OAuthApp& app = c->oauth.at("x");
  CHECK(app.client_id == "abc123");
  REQUIRE(app.client_secret.has_value());
  CHECK(app.client_secret->target == "X_SECRET");
  CHECK(app.redirect_uri == "https://herald.example.org/v1/oauth/callback");
  CHECK(app.token_url == "http://127.0.0.1:8099/2/oauth2/token");
  CHECK(app.authorize_url.empty());
  CHECK(app.scopes.empty());
}

TEST_CASE("Server config: oauth errors are reported at their position", "[policies][config][oauth]") {
  const std::string keys = kKeys;
  CHECK(ErrorsOf(keys + "oauth:\n  myspace: { client_id: a, redirect_uri: https://h/cb }\n") ==
        std::vector<std::string>{"herald.yaml:3:3: oauth.myspace: herald cannot connect \"myspace\" accounts by OAuth; "
                                 "it can for: x, mastodon, linkedin, facebook_page, instagram, threads"});
  CHECK(ErrorsOf(keys + "oauth:\n  x:\n    client_id: a\n    client_secret: s3cr3t\n    redirect_uri: https://h/cb\n") ==
        std::vector<std::string>{"herald.yaml:5:20: oauth.x.client_secret: inline secret; write env:NAME or file:/path"});
  CHECK(ErrorsOf(keys + "oauth:\n  x:\n    client_id: a\n    redirect_uri: http://herald.example.org/cb\n") ==
        std::vector<std::string>{"herald.yaml:5:19: oauth.x.redirect_uri: expected an https:// URL (http:// only to "
                                 "127.0.0.1, [::1] or localhost), got \"http://herald.example.org/cb\""});
  CHECK(ErrorsOf(keys + "oauth:\n  x:\n    client_id: a\n    redirect_uri: https://h/cb\n    scopes: [tweet.read, \"a b\"]\n") ==
        std::vector<std::string>{"herald.yaml:6:26: oauth.x.scopes[1]: a scope is one word, got \"a b\""});
  auto missing = ErrorsOf(keys + "oauth:\n  x: { client_id: a }\n");
  REQUIRE(missing.size() == 1);
  CHECK(missing[0].starts_with("herald.yaml:3:6: oauth.x: "));
  CHECK(missing[0].find("redirect_uri") != std::string::npos);
  auto no_keys = ErrorsOf("oauth:\n  x: { client_id: a, redirect_uri: https://h/cb }\n");
  REQUIRE(no_keys.size() == 1);
  CHECK(no_keys[0].starts_with("herald.yaml:2:3: oauth: oauth needs token_keys"));
}

TEST_CASE("Server config: oauth.mastodon has no client, herald registers one per instance",
          "[policies][config][oauth]") {
  const std::string keys = kKeys;
  auto c = LoadServerConfig(keys + "oauth:\n  mastodon:\n    redirect_uri: https://herald.example.org/v1/oauth/callback\n"
                                   "    client_name: Our herald\n    website: https://herald.example.org\n",
                            "herald.yaml");
  REQUIRE(c.has_value());
  const OAuthApp& app = c->oauth.at("mastodon");
  CHECK(app.client_id.empty());
  CHECK_FALSE(app.client_secret.has_value());
  CHECK(app.client_name == "Our herald");
  CHECK(app.website == "https://herald.example.org");
  CHECK(RegistersPerInstance("mastodon"));
  CHECK_FALSE(RegistersPerInstance("x"));
  auto defaulted = LoadServerConfig(keys + "oauth:\n  mastodon: { redirect_uri: https://h/cb }\n", "herald.yaml");
  REQUIRE(defaulted.has_value());
  CHECK(defaulted->oauth.at("mastodon").client_name == "herald");
  // A client id or secret has no place: each instance issues its own.
  auto with_client = ErrorsOf(keys + "oauth:\n  mastodon:\n    client_id: a\n    redirect_uri: https://h/cb\n");
  REQUIRE(with_client.size() == 1);
  CHECK(with_client[0].starts_with("herald.yaml:4:5: oauth.mastodon"));
  CHECK(with_client[0].find("client_id") != std::string::npos);
  auto no_redirect = ErrorsOf(keys + "oauth:\n  mastodon: { client_name: h }\n");
  REQUIRE(no_redirect.size() == 1);
  CHECK(no_redirect[0].find("redirect_uri") != std::string::npos);
}

TEST_CASE("Server config: Meta's apps need their secret, one Facebook app may serve Pages and Instagram, and a "
          "Graph token_url ends with /oauth/access_token",
          "[policies][config][oauth]") {
  const std::string keys = kKeys;
  auto c = LoadServerConfig(keys + "oauth:\n"
                                   "  facebook_page: &facebook\n"
                                   "    client_id: \"881200334455\"\n"
                                   "    client_secret: env:FB_SECRET\n"
                                   "    redirect_uri: https://herald.example.org/v1/oauth/callback\n"
                                   "  instagram: *facebook\n"
                                   "  threads:\n"
                                   "    client_id: \"990602627938098\"\n"
                                   "    client_secret: file:/etc/herald/threads-secret\n"
                                   "    redirect_uri: https://herald.example.org/v1/oauth/callback\n"
                                   "    token_url: http://127.0.0.1:8099/oauth/access_token\n",
                            "herald.yaml");
  REQUIRE(c.has_value());
  CHECK(c->oauth.at("instagram").client_id == "881200334455");
  CHECK(c->oauth.at("instagram").client_secret->target == "FB_SECRET");
  CHECK(c->oauth.at("threads").token_url == "http://127.0.0.1:8099/oauth/access_token");
  CHECK(ExchangesOnGraph("threads"));
  CHECK_FALSE(ExchangesOnGraph("linkedin"));
  auto no_secret = ErrorsOf(keys + "oauth:\n  threads: { client_id: \"9\", redirect_uri: https://h/cb }\n");
  REQUIRE(no_secret.size() == 1);
  CHECK(no_secret[0].starts_with("herald.yaml:3:12: oauth.threads: "));
  CHECK(no_secret[0].find("client_secret") != std::string::npos);
  CHECK(ErrorsOf(keys + "oauth:\n  facebook_page:\n    client_id: \"9\"\n    client_secret: env:S\n"
                        "    redirect_uri: https://h/cb\n    token_url: https://graph.example.org/v21.0/token\n") ==
        std::vector<std::string>{"herald.yaml:7:16: oauth.facebook_page.token_url: a Graph token_url ends with "
                                 "/oauth/access_token, got \"https://graph.example.org/v21.0/token\""});
}

TEST_CASE("OAuth URLs are https, or http to a loopback host", "[policies][config][oauth]") {
  CHECK(IsSafeOAuthUrl("https://api.x.com/2/oauth2/token"));
  CHECK(IsSafeOAuthUrl("http://127.0.0.1:8080/cb"));
  CHECK(IsSafeOAuthUrl("http://localhost/cb"));
  CHECK(IsSafeOAuthUrl("http://[::1]:9/cb"));
  CHECK_FALSE(IsSafeOAuthUrl("http://localhost.evil.com/cb"));
  CHECK_FALSE(IsSafeOAuthUrl("http://10.0.0.1/cb"));
  CHECK_FALSE(IsSafeOAuthUrl("https:///nohost"));
  CHECK_FALSE(IsSafeOAuthUrl("ftp://x"));
  CHECK_FALSE(IsSafeOAuthUrl("https://h/a b"));
}

TEST_CASE("Token key ids are short names", "[policies][config][tokens]") {
  CHECK(IsTokenKeyId("2026-12_main.v2"));
  CHECK_FALSE(IsTokenKeyId(""));
  CHECK_FALSE(IsTokenKeyId(std::string(65, 'a')));
  CHECK(IsTokenKeyId(std::string(64, 'a')));
  CHECK_FALSE(IsTokenKeyId("k 1"));
  CHECK_FALSE(IsTokenKeyId("k\xc3\xa9"));
}

TEST_CASE("Server config reads the engagement schedule and checks it with positions", "[server_config][engagement]") {
  using namespace std::chrono;
  auto defaults = LoadServerConfig("listen: 127.0.0.1:8080\n", "herald.yaml");
  REQUIRE(defaults);
  CHECK(defaults->engagement.enabled);
  CHECK_FALSE(defaults->engagement.reads);

  auto custom = LoadServerConfig("engagement:\n  reads: [1h, 1d, 14d]\n  enabled: true\n", "herald.yaml");
  REQUIRE(custom);
  CHECK(custom->engagement.reads == std::vector<Duration>{hours{1}, days{1}, days{14}});
  auto off = LoadServerConfig("engagement: { enabled: false }\n", "herald.yaml");
  REQUIRE(off);
  CHECK_FALSE(off->engagement.enabled);

  CHECK(ErrorsOf("engagement:\n  reads: [6h, 1h]\n") ==
        std::vector<std::string>{"herald.yaml:2:15: engagement.reads[1]: must be longer than the read before it (6h): "
                                 "each age counts from when the post was published"});
  CHECK_THAT(ErrorsOf("engagement: { reads: [0s] }\n").at(0), Catch::Contains("engagement.reads[0]: must be longer than 0s"));
  CHECK_THAT(ErrorsOf("engagement: { reads: [91d] }\n").at(0),
             Catch::Contains("engagement.reads[0]: must be at most 90d"));
  CHECK_THAT(ErrorsOf("engagement: { reads: 1h }\n").at(0),
             Catch::StartsWith("herald.yaml:1:22: engagement.reads: expected a list of durations"));
  CHECK_THAT(ErrorsOf("engagement: { enabled: maybe }\n").at(0), Catch::StartsWith("herald.yaml:1:24: engagement.enabled:"));
  CHECK_THAT(ErrorsOf("engagement: { read: [1h] }\n").at(0), Catch::Contains("unknown key \"read\""));
}

}  // namespace
}  // namespace herald::policies

namespace herald::policies {
namespace {

std::vector<std::string> InboxErrorsOf(const std::string& yaml) {
  auto config = LoadServerConfig(yaml, "herald.yaml");
  std::vector<std::string> lines;
  if (!config) {
    for (const auto& e : config.error()) lines.push_back(e.ToString());
  }
  return lines;
}

TEST_CASE("Server config reads how inboxes are read and checks it with positions", "[server_config][inbox]") {
  using namespace std::chrono;
  auto defaults = LoadServerConfig("listen: 127.0.0.1:8080\n", "herald.yaml");
  REQUIRE(defaults);
  CHECK(defaults->inbox.enabled);
  CHECK(defaults->inbox.read_every == minutes{2});
  CHECK(defaults->inbox.max_pages == 5);

  auto custom = LoadServerConfig("inbox:\n  read_every: 30s\n  max_pages: 3\n  enabled: false\n", "herald.yaml");
  REQUIRE(custom);
  CHECK(custom->inbox.read_every == seconds{30});
  CHECK(custom->inbox.max_pages == 3);
  CHECK_FALSE(custom->inbox.enabled);

  CHECK(InboxErrorsOf("inbox:\n  read_every: 500ms\n").size() == 1);
  CHECK(InboxErrorsOf("inbox:\n  read_every: 2d\n") ==
        std::vector<std::string>{"herald.yaml:2:15: inbox.read_every: must be from 1s to 1d, got 2d"});
  CHECK_THAT(InboxErrorsOf("inbox:\n  max_pages: 0\n").at(0), Catch::StartsWith("herald.yaml:2:14: inbox.max_pages:"));
  CHECK_THAT(InboxErrorsOf("inbox: { every: 1m }\n").at(0), Catch::Contains("unknown key \"every\""));
}

TEST_CASE("Server config reads how long events are kept and checks it with positions", "[server_config][events]") {
  using namespace std::chrono;
  auto defaults = LoadServerConfig("listen: 127.0.0.1:8080\n", "herald.yaml");
  REQUIRE(defaults);
  CHECK(defaults->events.keep == days{30});
  auto custom = LoadServerConfig("events:\n  keep: 90d\n", "herald.yaml");
  REQUIRE(custom);
  CHECK(custom->events.keep == days{90});
  CHECK(InboxErrorsOf("events:\n  keep: 12h\n") ==
        std::vector<std::string>{"herald.yaml:2:9: events.keep: must be from 1d to 3650d, got 12h"});
  CHECK_THAT(InboxErrorsOf("events: { ttl: 3d }\n").at(0), Catch::Contains("unknown key \"ttl\""));
}

}  // namespace
}  // namespace herald::policies
