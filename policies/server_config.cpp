#include "policies/server_config.h"

#include <algorithm>

#include "policies/internal/connector_reader.h"
#include "policies/internal/yaml_reader.h"

namespace herald::policies {

using internal::Diagnostics;
using internal::Located;
using internal::MapReader;

namespace {

void ReadListen(const Located& at, Diagnostics& diag, ServerConfig& c) {
  auto text = internal::ReadString(at, diag);
  if (!text) return;
  auto colon = text->rfind(':');
  if (colon == std::string::npos || colon == 0) {
    diag.Error(at.mark, at.path, "expected HOST:PORT, e.g. 127.0.0.1:8080");
    return;
  }
  std::string port = text->substr(colon + 1);
  int value = -1;
  if (!port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos) value = std::stoi(port);
  if (value < 0 || value > 65535) {
    diag.Error(at.mark, at.path, "port " + internal::Quote(port) + " is not a number from 0 to 65535");
    return;
  }
  c.host = text->substr(0, colon);
  if (c.host.size() > 2 && c.host.front() == '[' && c.host.back() == ']') c.host = c.host.substr(1, c.host.size() - 2);
  c.port = value;
}

void ReadStorage(const Located& at, Diagnostics& diag, ServerConfig& c) {
  auto text = internal::ReadString(at, diag);
  if (!text) return;
  if (!text->starts_with("sqlite:") && !text->starts_with("postgresql://") && !text->starts_with("postgres://")) {
    diag.Error(at.mark, at.path, "unknown storage " + internal::Quote(*text) + "; use sqlite:PATH or postgresql://USER@HOST/DB");
    return;
  }
  c.storage = *text;
}

void ReadLog(const Located& at, Diagnostics& diag, ServerConfig& c) {
  MapReader map(at, diag, {"level", "format"});
  if (!map.ok()) return;
  if (auto level = map.Take("level")) {
    if (auto v = internal::ReadString(*level, diag)) {
      if (*v == "trace" || *v == "debug" || *v == "info" || *v == "warn" || *v == "error") c.log_level = *v;
      else diag.Error(level->mark, level->path, "unknown level " + internal::Quote(*v) + "; use trace|debug|info|warn|error");
    }
  }
  if (auto format = map.Take("format")) {
    if (auto v = internal::ReadString(*format, diag)) {
      if (*v == "text" || *v == "json") c.log_format = *v;
      else diag.Error(format->mark, format->path, "unknown format " + internal::Quote(*v) + "; use text|json");
    }
  }
  map.Finish();
}

void ReadCeilings(const Located& at, Diagnostics& diag, ServerConfig& c) {
  MapReader map(at, diag);
  if (!map.ok()) return;
  for (auto& [key, value] : map.TakeRest()) {
    auto org = internal::ReadString(key, diag);
    auto n = internal::ReadInt(value, diag);
    if (!org || !n) continue;
    if (*n < 1) {
      diag.Error(value.mark, value.path, "must be at least 1");
      continue;
    }
    c.max_accounts[*org] = static_cast<int>(*n);
  }
  map.Finish();
}

void ReadMediaAllow(const Located& at, Diagnostics& diag, ServerConfig& c) {
  if (!at.node.IsSequence()) {
    diag.Error(at.mark, at.path, "expected a list of host names and CIDR networks, e.g. [images.internal, 10.0.0.0/8]");
    return;
  }
  for (size_t i = 0; i < at.node.size(); ++i) {
    Located item{at.node[i], at.path + "[" + std::to_string(i) + "]", at.node[i].Mark()};
    auto entry = internal::ReadString(item, diag);
    if (!entry) continue;
    if (auto error = AddToAllowList(*entry, c.media_allow)) diag.Error(item.mark, item.path, *error);
  }
}

void ReadPositive(const std::optional<Located>& at, Diagnostics& diag, Duration& out) {
  if (!at) return;
  auto d = internal::ReadDuration(*at, diag);
  if (!d) return;
  if (d->count() <= 0) {
    diag.Error(at->mark, at->path, "must be longer than 0s");
    return;
  }
  out = *d;
}

// A whole number from `min` to `max`, or nullopt (with the error reported).
std::optional<int64_t> ReadBetween(const Located& at, Diagnostics& diag, int64_t min, int64_t max) {
  auto n = internal::ReadInt(at, diag);
  if (!n) return std::nullopt;
  if (*n < min || *n > max) {
    diag.Error(at.mark, at.path, "must be from " + std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  return n;
}

// A list of ages, each longer than 0 and than the one before, at most
// `max_age`: the schedules of re-checks and of engagement reads. `what` names
// an item in errors ("check", "read"), `example` shows a valid list,
// `counts_from` says from when the ages count.
std::optional<std::vector<Duration>> ReadAges(const Located& at, Diagnostics& diag, const std::string& what,
                                              const std::string& example, Duration max_age,
                                              const std::string& max_reason, const std::string& counts_from) {
  if (!at.node.IsSequence()) {
    diag.Error(at.mark, at.path, "expected a list of durations, e.g. " + example);
    return std::nullopt;
  }
  constexpr size_t kMaxItems = 100;
  if (at.node.size() > kMaxItems) {
    diag.Error(at.mark, at.path,
               "at most " + std::to_string(kMaxItems) + " " + what + "s, got " + std::to_string(at.node.size()));
    return std::nullopt;
  }
  std::vector<Duration> ages;
  bool ok = true;
  for (size_t i = 0; i < at.node.size(); ++i) {
    Located item{at.node[i], at.path + "[" + std::to_string(i) + "]", at.node[i].Mark()};
    auto d = internal::ReadDuration(item, diag);
    if (!d) {
      ok = false;
      continue;
    }
    if (d->count() <= 0) {
      diag.Error(item.mark, item.path, "must be longer than 0s");
      ok = false;
    } else if (*d > max_age) {
      diag.Error(item.mark, item.path, "must be at most " + FormatDuration(max_age) + " (" + max_reason + "), got " +
                                           FormatDuration(*d));
      ok = false;
    } else if (!ages.empty() && *d <= ages.back()) {
      diag.Error(item.mark, item.path, "must be longer than the " + what + " before it (" + FormatDuration(ages.back()) +
                                           "): each age counts from " + counts_from);
      ok = false;
    }
    if (d) ages.push_back(*d);
  }
  if (!ok) return std::nullopt;
  return ages;
}

void ReadRecheck(const Located& at, Diagnostics& diag, ServerConfig& c) {
  auto ages = ReadAges(at, diag, "check", "[1m, 5m, 15m, 1h, 6h, 12h, 24h] ([] turns re-checks off)",
                       std::chrono::days{30}, "a platform forgets sooner", "when the post became unconfirmed");
  if (ages) c.recheck = std::move(*ages);
}

void ReadEngagement(const Located& at, Diagnostics& diag, ServerConfig& c) {
  MapReader map(at, diag, {"reads", "enabled"});
  if (!map.ok()) return;
  if (auto v = map.Take("enabled")) {
    if (auto b = internal::ReadBool(*v, diag)) c.engagement.enabled = *b;
  }
  if (auto v = map.Take("reads")) {
    auto ages = ReadAges(*v, diag, "read", "[1h, 6h, 24h, 3d, 7d] ([] reads nothing)", std::chrono::days{90},
                         "counts hardly move after that", "when the post was published");
    if (ages) c.engagement.reads = std::move(*ages);
  }
  map.Finish();
}

void ReadInbox(const Located& at, Diagnostics& diag, ServerConfig& c) {
  MapReader map(at, diag, {"enabled", "read_every", "max_pages"});
  if (!map.ok()) return;
  if (auto v = map.Take("enabled")) {
    if (auto b = internal::ReadBool(*v, diag)) c.inbox.enabled = *b;
  }
  if (auto v = map.Take("read_every")) {
    if (auto d = internal::ReadDuration(*v, diag)) {
      if (*d < std::chrono::seconds{1} || *d > std::chrono::days{1}) {
        diag.Error(v->mark, v->path, "must be from 1s to 1d, got " + FormatDuration(*d));
      } else {
        c.inbox.read_every = *d;
      }
    }
  }
  if (auto v = map.Take("max_pages")) {
    if (auto n = ReadBetween(*v, diag, 1, 100)) c.inbox.max_pages = static_cast<int>(*n);
  }
  map.Finish();
}

void ReadEvents(const Located& at, Diagnostics& diag, ServerConfig& c) {
  MapReader map(at, diag, {"keep"});
  if (!map.ok()) return;
  if (auto v = map.Take("keep")) {
    if (auto d = internal::ReadDuration(*v, diag)) {
      if (*d < std::chrono::days{1} || *d > std::chrono::days{3650}) {
        diag.Error(v->mark, v->path, "must be from 1d to 3650d, got " + FormatDuration(*d));
      } else {
        c.events.keep = *d;
      }
    }
  }
  map.Finish();
}

void ReadLimits(const Located& at, Diagnostics& diag, ServerConfig& c) {
  MapReader map(at, diag, {"horizon", "max_text", "max_body", "request_timeout", "max_connections"});
  if (!map.ok()) return;
  ReadPositive(map.Take("horizon"), diag, c.input.horizon);
  if (auto v = map.Take("max_text")) {
    if (auto n = ReadBetween(*v, diag, 1, 16 * 1024 * 1024)) c.input.max_text_bytes = static_cast<size_t>(*n);
  }
  if (auto v = map.Take("max_body")) {
    if (auto n = ReadBetween(*v, diag, 1024, 64 * 1024 * 1024)) c.max_body_bytes = static_cast<size_t>(*n);
  }
  ReadPositive(map.Take("request_timeout"), diag, c.request_timeout);
  if (auto v = map.Take("max_connections")) {
    if (auto n = ReadBetween(*v, diag, 1, 1'000'000)) c.max_connections = static_cast<int>(*n);
  }
  map.Finish();
}

void ReadTokenKeys(const Located& at, Diagnostics& diag, ServerConfig& c) {
  MapReader map(at, diag, {"current", "keys"});
  if (!map.ok()) return;
  TokenKeysConfig out;
  std::optional<Located> current = map.Required("current");
  std::optional<Located> keys = map.Required("keys");
  map.Finish();
  if (!current || !keys) return;
  MapReader key_map(*keys, diag);
  if (!key_map.ok()) return;
  bool valid = true;
  for (auto& [key, value] : key_map.TakeRest()) {
    auto id = internal::ReadString(key, diag);
    auto text = internal::ReadString(value, diag);
    if (!id || !text) {
      valid = false;
      continue;
    }
    if (!IsTokenKeyId(*id)) {
      diag.Error(key.mark, key.path, "key id " + internal::Quote(*id) + " is not 1 to 64 letters, digits, '.', '_' or '-'");
      valid = false;
      continue;
    }
    auto ref = internal::ParseSecretRef(*text);
    if (!ref) {
      diag.Error(value.mark, value.path, "inline key; write env:NAME or file:/path (32 bytes as 64 hex digits or base64)");
      valid = false;
      continue;
    }
    out.keys[*id] = *ref;
  }
  key_map.Finish();
  auto id = internal::ReadString(*current, diag);
  if (!id) return;
  if (valid && !out.keys.contains(*id)) {
    diag.Error(current->mark, current->path, "current key " + internal::Quote(*id) + " is not among token_keys.keys");
    return;
  }
  out.current = *id;
  if (valid) c.token_keys = std::move(out);
}

std::optional<std::string> ReadUrl(const Located& at, Diagnostics& diag) {
  auto text = internal::ReadString(at, diag);
  if (!text) return std::nullopt;
  if (!IsSafeOAuthUrl(*text)) {
    diag.Error(at.mark, at.path, "expected an https:// URL (http:// only to 127.0.0.1, [::1] or localhost), got " +
                                     internal::Quote(*text));
    return std::nullopt;
  }
  return text;
}

void ReadOAuthApp(const std::string& platform, const Located& at, Diagnostics& diag, ServerConfig& c) {
  const bool per_instance = RegistersPerInstance(platform);
  std::initializer_list<std::string_view> keys = {"client_id", "client_secret", "redirect_uri", "scopes",
                                                  "authorize_url", "token_url"};
  std::initializer_list<std::string_view> instance_keys = {"redirect_uri", "scopes", "client_name", "website"};
  MapReader map(at, diag, per_instance ? instance_keys : keys);
  if (!map.ok()) return;
  OAuthApp app;
  bool valid = true;
  auto need = [&](std::optional<std::string> value, std::string& field) {
    if (value) field = *value; else valid = false;
  };
  if (per_instance) {
    if (auto v = map.Take("client_name")) {
      auto name = internal::ReadString(*v, diag);
      if (name && (name->empty() || name->size() > 100)) {
        diag.Error(v->mark, v->path, "expected a name of 1 to 100 characters");
        name.reset();
      }
      need(name, app.client_name);
    }
    if (auto v = map.Take("website")) need(ReadUrl(*v, diag), app.website);
  } else if (auto v = map.Required("client_id")) {
    auto id = internal::ReadString(*v, diag);
    if (id && internal::ParseSecretRef(*id)) {
      diag.Error(v->mark, v->path, "the client id is public: write it inline (only client_secret is a reference)");
      valid = false;
    } else {
      need(id, app.client_id);
    }
  } else {
    valid = false;
  }
  // Meta's token endpoints take no public client: the secret is required there.
  std::optional<Located> secret_value;
  if (!per_instance) secret_value = ExchangesOnGraph(platform) ? map.Required("client_secret") : map.Take("client_secret");
  if (ExchangesOnGraph(platform) && !secret_value) valid = false;
  if (auto v = secret_value) {
    auto text = internal::ReadString(*v, diag);
    auto ref = text ? internal::ParseSecretRef(*text) : std::nullopt;
    if (text && !ref) diag.Error(v->mark, v->path, "inline secret; write env:NAME or file:/path");
    if (ref) app.client_secret = *ref; else valid = false;
  }
  if (auto v = map.Required("redirect_uri")) need(ReadUrl(*v, diag), app.redirect_uri); else valid = false;
  if (auto v = per_instance ? std::nullopt : map.Take("authorize_url")) need(ReadUrl(*v, diag), app.authorize_url);
  if (auto v = per_instance ? std::nullopt : map.Take("token_url")) {
    need(ReadUrl(*v, diag), app.token_url);
    if (ExchangesOnGraph(platform) && !app.token_url.empty() && !app.token_url.ends_with(kGraphTokenPath)) {
      diag.Error(v->mark, v->path, "a Graph token_url ends with " + std::string(kGraphTokenPath) + ", got " +
                                       internal::Quote(app.token_url));
      valid = false;
    }
  }
  if (auto v = map.Take("scopes")) {
    if (auto items = internal::ReadSequence(*v, diag)) {
      for (const Located& item : *items) {
        auto scope = internal::ReadString(item, diag);
        if (scope && (scope->find_first_of(" \t\"") != std::string::npos)) {
          diag.Error(item.mark, item.path, "a scope is one word, got " + internal::Quote(*scope));
          scope.reset();
        }
        if (scope) app.scopes.push_back(*scope); else valid = false;
      }
    } else {
      valid = false;
    }
  }
  map.Finish();
  if (valid) c.oauth[platform] = std::move(app);
}

void ReadOAuth(const Located& at, Diagnostics& diag, ServerConfig& c) {
  MapReader map(at, diag);
  if (!map.ok()) return;
  for (auto& [key, value] : map.TakeRest()) {
    auto platform = internal::ReadString(key, diag);
    if (!platform) continue;
    if (std::find(std::begin(kOAuthPlatforms), std::end(kOAuthPlatforms), *platform) == std::end(kOAuthPlatforms)) {
      std::string known;
      for (auto p : kOAuthPlatforms) known += (known.empty() ? "" : ", ") + std::string(p);
      diag.Error(key.mark, key.path, "herald cannot connect " + internal::Quote(*platform) +
                                         " accounts by OAuth; it can for: " + known);
      continue;
    }
    ReadOAuthApp(*platform, value, diag, c);
  }
  map.Finish();
  if (!c.oauth.empty() && !c.token_keys) {
    diag.Error(at.mark, at.path, "oauth needs token_keys: connected accounts' tokens are stored sealed (docs/tokens.md)");
  }
}

}  // namespace

bool RegistersPerInstance(std::string_view platform) { return platform == "mastodon"; }

bool ExchangesOnGraph(std::string_view platform) {
  return platform == "facebook_page" || platform == "instagram" || platform == "threads";
}

bool IsSafeOAuthUrl(std::string_view url) {
  auto rest_after = [&](std::string_view scheme) -> std::optional<std::string_view> {
    if (!url.starts_with(scheme)) return std::nullopt;
    return url.substr(scheme.size());
  };
  auto valid_chars = url.find_first_of(" \t\r\n\"<>\\") == std::string_view::npos;
  if (!valid_chars) return false;
  if (auto rest = rest_after("https://")) return !rest->empty() && rest->front() != '/';
  if (auto rest = rest_after("http://")) {
    for (std::string_view host : {"127.0.0.1", "[::1]", "localhost"}) {
      if (rest->starts_with(host)) {
        std::string_view after = rest->substr(host.size());
        if (after.empty() || after.front() == ':' || after.front() == '/') return true;
      }
    }
  }
  return false;
}

bool IsTokenKeyId(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
           ch == '_' || ch == '-';
  });
}

std::expected<ServerConfig, Errors> LoadServerConfig(std::string_view yaml_text, std::string_view file) {
  Diagnostics diag{std::string(file)};
  ServerConfig c;
  try {
    YAML::Node root = YAML::Load(std::string(yaml_text));
    MapReader map(Located{root, "", root.Mark()}, diag,
                  {"listen", "storage", "policies", "tokens", "outbox", "max_accounts", "log", "shutdown_grace",
                   "policy_poll", "lease", "limits", "media_allow", "recheck", "engagement", "token_keys", "oauth",
                   "inbox", "events"});
    if (map.ok()) {
      if (auto v = map.Take("listen")) ReadListen(*v, diag, c);
      if (auto v = map.Take("storage")) ReadStorage(*v, diag, c);
      for (auto [key, field] : {std::pair{"policies", &c.policies}, {"tokens", &c.tokens}, {"outbox", &c.outbox}}) {
        if (auto v = map.Take(key)) {
          if (auto s = internal::ReadString(*v, diag)) *field = *s;
        }
      }
      if (auto v = map.Take("max_accounts")) ReadCeilings(*v, diag, c);
      if (auto v = map.Take("log")) ReadLog(*v, diag, c);
      ReadPositive(map.Take("shutdown_grace"), diag, c.shutdown_grace);
      ReadPositive(map.Take("policy_poll"), diag, c.policy_poll);
      if (auto v = map.Take("limits")) ReadLimits(*v, diag, c);
      if (auto lease = map.Take("lease")) {
        if (auto d = internal::ReadDuration(*lease, diag)) {
          if (*d < std::chrono::seconds{3}) {
            diag.Error(lease->mark, lease->path,
                       "must be at least 3s (it is renewed every lease/5 over the network), got " + FormatDuration(*d));
          } else {
            c.lease = *d;
          }
        }
      }
      if (auto v = map.Take("media_allow")) ReadMediaAllow(*v, diag, c);
      if (auto v = map.Take("recheck")) ReadRecheck(*v, diag, c);
      if (auto v = map.Take("engagement")) ReadEngagement(*v, diag, c);
      if (auto v = map.Take("inbox")) ReadInbox(*v, diag, c);
      if (auto v = map.Take("events")) ReadEvents(*v, diag, c);
      if (auto v = map.Take("token_keys")) ReadTokenKeys(*v, diag, c);
      if (auto v = map.Take("oauth")) ReadOAuth(*v, diag, c);
      map.Finish();
    }
  } catch (const YAML::Exception& e) {
    Diagnostics syntax{std::string(file)};
    syntax.Error(e.mark, "", "invalid YAML: " + e.msg);
    return std::unexpected(syntax.Take());
  }
  if (!diag.empty()) return std::unexpected(diag.Take());
  return c;
}

Errors CheckCeilings(const Policy& policy, const ServerConfig& config) {
  Errors errors;
  auto it = config.max_accounts.find(policy.organization);
  if (it != config.max_accounts.end() && static_cast<int>(policy.accounts.size()) > it->second) {
    errors.emplace_back(Code::kFailedPrecondition,
                        std::to_string(policy.accounts.size()) + " accounts exceed the operator's ceiling of " +
                            std::to_string(it->second) + " for " + policy.organization + " (max_accounts in the server config)",
                        Where{policy.source, 0, 0, "accounts.list"});
  }
  return errors;
}

}  // namespace herald::policies
