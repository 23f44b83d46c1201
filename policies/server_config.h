// The daemon's configuration file (docs/daemon.md, `herald serve --config herald.yaml`),
// validated like policy files: every key checked, every error with
// FILE:LINE:COL: PATH. Pure: text in, config or errors out.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/input_limits.h"
#include "core/media_source.h"
#include "policies/loader.h"

namespace herald::policies {

// `token_keys:` the keys that seal OAuth tokens at rest (docs/tokens.md). The
// current key seals everything written; the others only open what they sealed
// before a rotation. Values are references; the key bytes are read by `herald
// serve` and `herald token-keys rotate`, never by the config check.
struct TokenKeysConfig {
  std::string current;                    // an id among `keys`
  std::map<std::string, SecretRef> keys;  // id -> env:NAME or file:/path
};

// Whether `id` may name a token key: 1 to 64 letters, digits, '.', '_', '-'.
bool IsTokenKeyId(std::string_view id);

// One platform app under `oauth:` (docs/tokens.md): what herald needs to run
// the authorization-code flow with PKCE for that platform's accounts.
struct OAuthApp {
  std::string client_id;                   // public: given inline
  std::optional<SecretRef> client_secret;  // env:NAME or file:/path; none: a public client
  std::string redirect_uri;                // herald's /v1/oauth/callback as the platform reaches the user's browser
  std::vector<std::string> scopes;         // empty: the platform's defaults
  std::string authorize_url;               // empty: the platform's
  std::string token_url;                   // empty: the platform's
  // Mastodon only: herald registers its app on each instance (no client id or
  // secret here), under this name and with this website.
  std::string client_name = "herald";
  std::string website;  // empty: none
};

// Whether a platform's every server is its own authorization server, on
// which herald registers an app the first time an account there is connected
// (Mastodon): its `oauth:` entry has no client id, secret or URLs.
bool RegistersPerInstance(std::string_view platform);

// Whether a platform's tokens come from Meta's Graph token endpoints
// (Facebook Page, Instagram, Threads): the app is confidential (a
// client_secret is required), and `token_url`, when given, is the Graph
// root's /oauth/access_token, from which the exchanges for long-lived tokens
// and the Page list are found.
bool ExchangesOnGraph(std::string_view platform);

// What a Graph `token_url` ends with.
inline constexpr std::string_view kGraphTokenPath = "/oauth/access_token";

// The platforms whose accounts herald can connect by OAuth.
inline constexpr std::string_view kOAuthPlatforms[] = {"x", "mastodon", "linkedin", "facebook_page", "instagram",
                                                       "threads"};

// Whether `url` is absolute https, or http to a loopback host (a local
// authorization server, a development setup).
bool IsSafeOAuthUrl(std::string_view url);

// `engagement:` when published posts' engagement is read back (docs/engagement.md).
struct EngagementConfig {
  bool enabled = true;
  // Ages (since publishing) of the reads, each longer than the one before, at
  // most 90 days. nullopt: the default (1h, 6h, 24h, 3d, 7d).
  std::optional<std::vector<Duration>> reads;
};

// `inbox:` how the accounts' inboxes are read (docs/inbox.md).
struct InboxConfig {
  bool enabled = true;
  Duration read_every = std::chrono::minutes{2};  // per account; at least 1s, at most 1d
  int max_pages = 5;                              // pages per account per round, 1..100
};

// `events:` how long the event history is kept (docs/events.md).
struct EventsConfig {
  // Delivered and failed deliveries, and events with nothing left to deliver,
  // are forgotten this long after; from 1d to 3650d.
  Duration keep = std::chrono::days{30};
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;                      // 0: any free port
  std::string storage = "sqlite:var/herald.db";
  std::string policies = "examples/policies";
  std::string tokens = "examples/tokens.json";
  std::string outbox = "var/outbox";
  std::map<std::string, int> max_accounts;  // operator ceiling per organisation
  std::string log_level = "info";           // trace|debug|info|warn|error
  std::string log_format = "text";          // text|json
  Duration shutdown_grace = std::chrono::seconds{10};
  Duration policy_poll = std::chrono::seconds{1};  // how often policy files are checked for changes
  // On a PostgreSQL store shared by several daemons: how long a daemon's claims
  // stay its own without renewal (renewed every lease/5). A dead daemon's posts
  // are recovered this long after it stopped renewing. At least 3s.
  Duration lease = std::chrono::seconds{15};
  // `limits:` what a request and a post may be, and how the API's connections
  // are bounded.
  InputLimits input;                              // horizon, max_text
  size_t max_body_bytes = 64 * 1024;              // max_body
  Duration request_timeout = std::chrono::seconds{10};  // whole request head and body
  int max_connections = 1000;                     // open API connections; beyond: 503
  // Internal image hosts (names or CIDR networks) the daemon may fetch post
  // media from; every other private, loopback or link-local address is refused.
  MediaAllowList media_allow;
  // `recheck:` the ages (since a post became unconfirmed) at which herald asks
  // the platform again whether it arrived; the last is when it gives up. Each
  // longer than the one before, at most 30 days; [] turns re-checks off.
  // nullopt: the default (1m, 5m, 15m, 1h, 6h, 12h, 24h).
  std::optional<std::vector<Duration>> recheck;
  EngagementConfig engagement;
  InboxConfig inbox;
  EventsConfig events;
  std::optional<TokenKeysConfig> token_keys;  // none: no account can be connected by OAuth
  std::map<std::string, OAuthApp> oauth;      // by platform; requires token_keys
};

std::expected<ServerConfig, Errors> LoadServerConfig(std::string_view yaml_text, std::string_view file);

// Checks a policy against the operator's ceilings; errors name the policy file.
Errors CheckCeilings(const Policy& policy, const ServerConfig& config);

}  // namespace herald::policies
