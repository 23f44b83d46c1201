// `herald token-keys rotate`: re-seals every stored OAuth grant under the
// config's current token key (docs/tokens.md), so that an old key can then be
// dropped from token_keys. Safe while daemons run: each grant is replaced only
// at the version read, and a grant a daemon refreshed meanwhile is already
// sealed under the current key. Writes only to the streams it is given.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

namespace herald::cli {

struct TokenKeysRotateOptions {
  std::string config = "examples/herald.yaml";  // --config, as given to serve
  std::optional<std::string> storage;           // --storage, overrides the config's
};

// One summary line on `out` ("re-sealed N grants under key K; M were under it
// already"); one line per grant that does not open on `err`, naming the
// account and the key it needs. Exit 0 when every grant is under the current
// key; 1 when the config is invalid, has no token_keys, a key cannot be read,
// the store cannot be opened, or a grant does not open; 2 when the config
// file cannot be read.
int RunTokenKeysRotate(const TokenKeysRotateOptions& options, std::ostream& out, std::ostream& err);

}  // namespace herald::cli
