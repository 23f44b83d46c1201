#include "policies/internal/connector_reader.h"

#include <algorithm>

namespace herald::policies::internal {

namespace {

constexpr ConnectorKey kBaseUrl{"base_url", KeyKind::kUrl};

std::vector<ConnectorSchema> BuildSchemas() {
  using K = KeyKind;
  auto with_base = [](std::vector<ConnectorKey> keys) {
    keys.insert(keys.begin(), kBaseUrl);
    return keys;
  };
  return {
      {"file", {}},
      {"webhook", {{"url", K::kUrl, true}, {"secret", K::kSecret}}},
      {"mastodon", with_base({{"token", K::kSecret}, {"max_characters", K::kPositiveInt}})},
      {"bluesky", with_base({{"identifier", K::kString}, {"app_password", K::kSecret}})},
      {"x", with_base({{"token", K::kSecret}, {"tier", K::kEnum, false, {"free", "basic", "pro", "enterprise"}},
                              {"username", K::kString}})},
      {"linkedin", with_base({{"token", K::kSecret}, {"author", K::kString}, {"version", K::kString}})},
      {"facebook_page", with_base({{"page_id", K::kString}, {"token", K::kSecret}, {"graph_version", K::kString}})},
      {"threads", with_base({{"user_id", K::kString}, {"token", K::kSecret}})},
      {"instagram", with_base({{"user_id", K::kString}, {"token", K::kSecret}, {"graph_version", K::kString}})},
      {"telegram", with_base({{"bot_token", K::kSecret}, {"chat_id", K::kString}})},
      {"discord", with_base({{"webhook_url", K::kSecret}, {"bot_token", K::kSecret}, {"channel_id", K::kString}, {"guild_id", K::kString}})},
      {"slack", with_base({{"token", K::kSecret}, {"channel", K::kString}})},
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
    if (schema && schema->type == "webhook")
      diag.Error(account.mark, account.path, "a webhook account needs connector.url");
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
  for (const auto& key : schema->keys) {
    auto value = map.Take(key.name);
    if (!value) {
      if (key.required)
        diag.Error(block->mark, block->path, "missing required key " + Quote(key.name) + " for the " +
                                                 std::string(schema->type) + " connector");
      continue;
    }
    ReadKey(key, *value, out, diag);
  }
  if (schema->type == "discord") {
    bool webhook = out.secrets.contains("webhook_url");
    bool bot = out.secrets.contains("bot_token");
    if (webhook && bot)
      diag.Error(block->mark, block->path, "the discord connector takes webhook_url or bot_token, not both");
    if (bot && !out.settings.contains("channel_id"))
      diag.Error(block->mark, block->path, "missing required key \"channel_id\" for the discord connector with bot_token");
  }
  for (auto& [key, value] : map.TakeRest())
    diag.Error(key.mark, key.path,
               "unknown key " + Quote(key.node.Scalar()) + " for the " + std::string(schema->type) +
                   " connector; expected one of: " + KeyList(*schema));
  return out;
}

}  // namespace herald::policies::internal
