// The keys each connector type accepts in an account's `connector:` block, the
// keys it cannot publish without, and the reader that checks a block against
// them. Internal to policies/.
#pragma once

#include <string_view>
#include <vector>

#include "policies/internal/yaml_reader.h"
#include "policies/policy.h"

namespace herald::policies::internal {

enum class KeyKind {
  kString,       // any non-empty text
  kSecret,       // env:NAME or file:/path only
  kPositiveInt,  // integer > 0, stored as text
  kEnum,         // one of `values`
  kUrl,          // http:// or https:// URL
};

struct ConnectorKey {
  std::string_view name;
  KeyKind kind = KeyKind::kString;
  std::string_view hint;                 // what to write, for "needs" messages
  std::vector<std::string_view> values;  // kEnum only
};

// Keys that must all be present together.
using KeySet = std::vector<std::string_view>;

struct ConnectorSchema {
  std::string_view type;
  std::vector<ConnectorKey> keys;  // besides `type`
  // The ways to configure the connector so that it can publish: a block must
  // hold every key of at least one set. Empty: nothing is required. Every name
  // is one of `keys`.
  std::vector<KeySet> required;
};

// The schema of a connector type, or nullptr when herald has no such connector.
const ConnectorSchema* FindConnectorSchema(std::string_view type);

// Parses "env:NAME" / "file:/path"; nullopt for anything else.
std::optional<SecretRef> ParseSecretRef(std::string_view text);

// Reads an account's connector block (`block` may be absent: defaults only) for
// an account on `platform`, reporting every problem; required keys that are
// missing are one error per account, at the block, or at `account` when there
// is no block.
ConnectorConfig ReadConnector(const std::optional<Located>& block, std::string_view platform,
                              const Located& account, Diagnostics& diag);

}  // namespace herald::policies::internal
