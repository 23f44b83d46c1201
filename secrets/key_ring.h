// KeyRing: the keys that seal account tokens at rest (AES-256-GCM). One key is
// current and seals everything new; the others only open what they sealed
// before a rotation. Each sealed value names its key, so a ring holding the
// current key and the old ones opens everything, and `herald token-keys
// rotate` re-seals old values under the current key (docs/tokens.md).
//
// Immutable once made; thread-safe. Holds the raw key bytes: never print one.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace herald::secrets {

// One key as the operator gives it.
struct TokenKey {
  std::string id;        // non-empty (the server config allows fewer: docs/tokens.md)
  std::string material;  // 32 bytes as 64 hex digits or base64
};

// A value sealed by KeyRing::Seal: the key's id, and base64 of
// nonce (12 bytes) || ciphertext || tag (16 bytes).
struct Sealed {
  std::string key_id;
  std::string blob;
};

class KeyRing {
 public:
  // InvalidArgument, naming the key id (never the material), when an id is
  // empty or repeated, a key is not 32 bytes in hex or base64, or
  // `current` is not among `keys`.
  static Result<KeyRing> Make(std::string_view current, const std::vector<TokenKey>& keys);

  const std::string& current_id() const { return current_; }
  bool Has(std::string_view key_id) const { return keys_.contains(std::string(key_id)); }

  // Seals `plaintext` under the current key with a fresh random nonce,
  // authenticating `context` and the key id with it (Open must be given the
  // same context). Internal when OpenSSL fails.
  Result<Sealed> Seal(std::string_view plaintext, std::string_view context) const;

  // The plaintext of `sealed`. FailedPrecondition when its key is not in the
  // ring (name it in token_keys), or when it does not open: it was altered,
  // sealed for another context, or with other key material under that id.
  // Messages name the key id, never a byte of the value.
  Result<std::string> Open(const Sealed& sealed, std::string_view context) const;

 private:
  KeyRing(std::string current, std::map<std::string, std::string> keys)
      : current_(std::move(current)), keys_(std::move(keys)) {}

  std::string current_;
  std::map<std::string, std::string> keys_;  // id -> 32 raw bytes
};

}  // namespace herald::secrets
