#include "policies/internal/connector_reader.h"

#include <algorithm>
#include <set>

namespace herald::policies::internal {

namespace {

std::vector<ConnectorSchema> BuildSchemas() {
  using K = KeyKind;
  // Every platform connector but mastodon's has a default API root (mastodon has no
  // default instance), so base_url is optional for them.
  auto with_base = [](std::vector<ConnectorKey> keys) {
    keys.insert(keys.begin(), ConnectorKey{"base_url", K::kUrl});
    return keys;
  };
  return {
      {"file", {}, {}},
      {"webhook",
       {{"url", K::kUrl, "the endpoint's http:// or https:// URL"},
        {"secret", K::kSecret, "the whsec_ signing secret, as env:NAME or file:/path"}},
       {{"url", "secret"}}},
      {"mastodon",
       {{"base_url", K::kUrl, "the account's instance, e.g. https://mastodon.social"},
        {"token", K::kSecret, "an access token, as env:NAME or file:/path"},
        {"auth", K::kEnum, "oauth, to connect the account through herald", {"oauth"}},
        {"max_characters", K::kPositiveInt}},
       {{"base_url", "token"}, {"base_url", "auth"}}},
      {"bluesky",
       with_base({{"identifier", K::kString, "the account's handle, DID or e-mail"},
                  {"app_password", K::kSecret, "an app password, as env:NAME or file:/path"},
                  {"langs", K::kString, "the posts' languages as BCP-47 tags, e.g. en or en, pt-BR (at most 3)"}}),
       {{"identifier", "app_password"}}},
      {"x",
       with_base({{"token", K::kSecret, "an OAuth 2.0 user access token, as env:NAME or file:/path"},
                  {"auth", K::kEnum, "oauth, to connect the account through herald", {"oauth"}},
                  {"tier", K::kEnum, {}, {"free", "basic", "pro", "enterprise"}},
                  {"username", K::kString}}),
       {{"token"}, {"auth"}}},
      {"linkedin",
       with_base({{"token", K::kSecret, "an OAuth 2.0 access token, as env:NAME or file:/path"},
                  {"auth", K::kEnum, "oauth, to connect the account through herald", {"oauth"}},
                  {"author", K::kString, "urn:li:organization:<id> or urn:li:person:<id>"},
                  {"version", K::kString}}),
       {{"token", "author"}, {"auth", "author"}}},
      {"facebook_page",
       with_base({{"page_id", K::kString, "the Page's id"},
                  {"token", K::kSecret, "a Page access token, as env:NAME or file:/path"},
                  {"auth", K::kEnum, "oauth, to connect the account through herald", {"oauth"}},
                  {"graph_version", K::kString}}),
       {{"page_id", "token"}, {"auth"}}},
      {"threads",
       with_base({{"user_id", K::kString, "the Threads user id"},
                  {"token", K::kSecret, "a Threads user access token, as env:NAME or file:/path"},
                  {"auth", K::kEnum, "oauth, to connect the account through herald", {"oauth"}}}),
       {{"user_id", "token"}, {"user_id", "auth"}}},
      {"instagram",
       with_base({{"user_id", K::kString, "the Instagram professional account's id"},
                  {"token", K::kSecret, "an access token, as env:NAME or file:/path"},
                  {"auth", K::kEnum, "oauth, to connect the account through herald", {"oauth"}},
                  {"graph_version", K::kString}}),
       {{"user_id", "token"}, {"user_id", "auth"}}},
      {"telegram",
       with_base({{"bot_token", K::kSecret, "the bot's token from @BotFather, as env:NAME or file:/path"},
                  {"chat_id", K::kString, "\"@channelusername\" or a numeric chat id"}}),
       {{"bot_token", "chat_id"}}},
      {"discord",
       with_base({{"webhook_url", K::kSecret, "the channel webhook's URL, as env:NAME or file:/path"},
                  {"bot_token", K::kSecret, "a bot token, as env:NAME or file:/path"},
                  {"channel_id", K::kString, "the channel's id"},
                  {"guild_id", K::kString}}),
       {{"webhook_url"}, {"bot_token", "channel_id"}}},
      {"slack",
       with_base({{"token", K::kSecret, "a bot token, xoxb-..., as env:NAME or file:/path"},
                  {"channel", K::kString, "a channel id such as C0123456789"}}),
       {{"token", "channel"}}},
  };
}

const std::vector<ConnectorSchema>& Schemas() {
  static const std::vector<ConnectorSchema> schemas = BuildSchemas();
  return schemas;
}

bool IsEnvName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

bool IsHttpUrl(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (url.starts_with(scheme)) {
      std::string_view rest = url.substr(scheme.size());
      return !rest.empty() && rest[0] != '/' &&
             std::none_of(rest.begin(), rest.end(), [](char c) { return c == ' ' || c == '\t'; });
    }
  }
  return false;
}

std::string KeyList(const ConnectorSchema& schema) {
  std::string list = "type";
  for (const auto& key : schema.keys) list += ", " + std::string(key.name);
  return list;
}

// "a", "a and b", "a, b and c".
std::string JoinAnd(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

std::string_view HintOf(const ConnectorSchema& schema, std::string_view key) {
  for (const auto& k : schema.keys)
    if (k.name == key) return k.hint;
  return {};
}

// "the <type> connector needs ..." naming what is missing, with what to write
// for it, and every way to complete the block when there are several; nullopt
// when `present` completes one of the schema's required sets.
std::optional<std::string> MissingKeys(const ConnectorSchema& schema, const std::set<std::string_view>& present) {
  if (schema.required.empty()) return std::nullopt;
  for (const auto& set : schema.required)
    if (std::all_of(set.begin(), set.end(), [&](std::string_view key) { return present.contains(key); }))
      return std::nullopt;
  auto described = [&](std::string_view key) {
    std::string_view hint = HintOf(schema, key);
    return std::string(key) + (!present.contains(key) && !hint.empty() ? " (" + std::string(hint) + ")" : "");
  };
  // Keys every way needs (mastodon's base_url) are named once, before the ways.
  std::vector<std::string_view> common;
  for (std::string_view key : schema.required.front()) {
    if (std::all_of(schema.required.begin(), schema.required.end(),
                    [&](const auto& set) { return std::find(set.begin(), set.end(), key) != set.end(); }))
      common.push_back(key);
  }
  auto is_common = [&](std::string_view key) { return std::find(common.begin(), common.end(), key) != common.end(); };
  std::vector<std::string> needed;
  for (std::string_view key : common)
    if (!present.contains(key)) needed.push_back(described(key));
  std::string options;
  bool one_way_done = false;
  for (const auto& set : schema.required) {
    std::vector<std::string> parts;
    bool complete = true;
    for (std::string_view key : set) {
      if (is_common(key)) continue;
      bool missing = !present.contains(key);
      complete = complete && !missing;
      // With one way only, keys already written need no mention; with several,
      // they show which way the block started on.
      if (!missing && schema.required.size() == 1) continue;
      parts.push_back(described(key));
    }
    one_way_done = one_way_done || (complete && !parts.empty());
    if (!parts.empty()) options += (options.empty() ? "" : ", or ") + JoinAnd(parts);
  }
  if (one_way_done) options.clear();
  std::string text = JoinAnd(needed);
  if (!options.empty()) {
    text += text.empty() ? options : (schema.required.size() > 1 ? " and either " : " and ") + options;
  }
  return "the " + std::string(schema.type) + " connector needs " + text;
}

void ReadKey(const ConnectorKey& key, const Located& value, ConnectorConfig& out, Diagnostics& diag) {
  if (key.kind == KeyKind::kPositiveInt) {
    auto n = ReadInt(value, diag);
    if (!n) return;
    if (*n <= 0) {
      diag.Error(value.mark, value.path, "must be greater than 0, got " + std::to_string(*n));
      return;
    }
    out.settings[std::string(key.name)] = std::to_string(*n);
    return;
  }
  auto text = ReadString(value, diag);
  if (!text) return;
  switch (key.kind) {
    case KeyKind::kSecret: {
      auto ref = ParseSecretRef(*text);
      if (!ref) {
        diag.Error(value.mark, value.path, "inline secret; write env:NAME or file:/path");
        return;
      }
      out.secrets[std::string(key.name)] = *ref;
      return;
    }
    case KeyKind::kUrl:
      if (!IsHttpUrl(*text)) {
        diag.Error(value.mark, value.path, "expected an http:// or https:// URL, got " + Quote(*text));
        return;
      }
      if (key.name == "base_url") {
        out.base_url = *text;
        return;
      }
      break;
    case KeyKind::kEnum:
      if (std::find(key.values.begin(), key.values.end(), *text) == key.values.end()) {
        std::string allowed;
        for (auto v : key.values) allowed += (allowed.empty() ? "" : "|") + std::string(v);
        diag.Error(value.mark, value.path, "unknown value " + Quote(*text) + "; use " + allowed);
        return;
      }
      break;
    default:
      break;
  }
  out.settings[std::string(key.name)] = *text;
}

}  // namespace

const ConnectorSchema* FindConnectorSchema(std::string_view type) {
  for (const auto& schema : Schemas())
    if (schema.type == type) return &schema;
  return nullptr;
}

std::optional<SecretRef> ParseSecretRef(std::string_view text) {
  if (text.starts_with("env:") && IsEnvName(text.substr(4))) return SecretRef{SecretRef::Kind::kEnv, std::string(text.substr(4))};
  if (text.starts_with("file:") && text.size() > 5) return SecretRef{SecretRef::Kind::kFile, std::string(text.substr(5))};
  return std::nullopt;
}

ConnectorConfig ReadConnector(const std::optional<Located>& block, std::string_view platform,
                              const Located& account, Diagnostics& diag) {
  ConnectorConfig out;
  out.type = std::string(platform);
  const ConnectorSchema* schema = FindConnectorSchema(platform);
  if (!block) {
    if (auto missing = schema ? MissingKeys(*schema, {}) : std::nullopt)
      diag.Error(account.mark, account.path,
                 *missing + ", and the account has no connector: block; add one, or use connector: { type: file } "
                            "to publish to the outbox");
    return out;
  }
  MapReader map(*block, diag);
  if (!map.ok()) return out;
  if (auto type = map.Take("type")) {
    if (auto name = ReadString(*type, diag)) {
      const ConnectorSchema* named = FindConnectorSchema(*name);
      if (!named) {
        std::string known;
        for (const auto& s : Schemas()) known += (known.empty() ? "" : ", ") + std::string(s.type);
        diag.Error(type->mark, type->path, "unknown connector type " + Quote(*name) + "; known: " + known);
        schema = nullptr;
      } else if (*name != platform && *name != "file" && *name != "webhook") {
        diag.Error(type->mark, type->path,
                   "a " + std::string(platform) + " account cannot publish through the " + *name +
                       " connector; use " + std::string(platform) + ", file or webhook");
        schema = nullptr;
      } else {
        schema = named;
        out.type = *name;
      }
    } else {
      schema = nullptr;
    }
  }
  if (!schema) {
    map.TakeRest();  // keys cannot be judged without a known type
    return out;
  }
  // A key written with a bad value is reported as such, not as missing too.
  std::set<std::string_view> present;
  for (const auto& key : schema->keys) {
    auto value = map.Take(key.name);
    if (!value) continue;
    present.insert(key.name);
    ReadKey(key, *value, out, diag);
  }
  if (auto missing = MissingKeys(*schema, present)) diag.Error(block->mark, block->path, *missing);
  if (schema->type == "discord" && out.secrets.contains("webhook_url") && out.secrets.contains("bot_token"))
    diag.Error(block->mark, block->path, "the discord connector takes webhook_url or bot_token, not both");
  for (auto& [key, value] : map.TakeRest())
    diag.Error(key.mark, key.path,
               "unknown key " + Quote(key.node.Scalar()) + " for the " + std::string(schema->type) +
                   " connector; expected one of: " + KeyList(*schema));
  return out;
}

}  // namespace herald::policies::internal
