// Reading secrets named by reference in the config and the policies: `env:NAME`
// from the environment, `file:/path` from the file. Composition-layer I/O:
// only cli/ reads the environment. Thread-safe (reads only).
#pragma once

#include <string>

#include "core/status.h"
#include "policies/policy.h"
#include "policies/server_config.h"
#include "secrets/key_ring.h"

namespace herald::cli {

// The secret's value, read now (a file is re-read on every call, so a rotated
// file takes effect at the next reload). FailedPrecondition, naming the
// variable or the path, when it is unset or unreadable.
Result<std::string> ResolveSecret(const policies::SecretRef& ref);

// The ring of the config's token_keys, every key read now. FailedPrecondition
// (naming the key id) when a key cannot be read; InvalidArgument when one is
// not 32 bytes. Messages never hold key material.
Result<secrets::KeyRing> LoadKeyRing(const policies::TokenKeysConfig& config);

}  // namespace herald::cli
