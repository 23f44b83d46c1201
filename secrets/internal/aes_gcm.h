// AES-256-GCM over OpenSSL EVP, and the base64 the sealed grants are stored
// in. Pure functions; thread-safe. Internal to secrets/.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace herald::secrets::internal {

inline constexpr size_t kKeyBytes = 32;
inline constexpr size_t kNonceBytes = 12;
inline constexpr size_t kTagBytes = 16;

// ciphertext || tag of `plaintext` under `key` (32 bytes) and `nonce` (12
// bytes), authenticating `aad`. REQUIRES: a nonce never used before with this
// key. Internal when OpenSSL fails.
Result<std::string> AesGcmSeal(std::string_view key, std::string_view nonce, std::string_view aad,
                               std::string_view plaintext);

// The plaintext of `sealed` (ciphertext || tag); nullopt when the tag does not
// match: the ciphertext, the tag, the nonce, the aad or the key differ from
// those it was sealed with.
std::optional<std::string> AesGcmOpen(std::string_view key, std::string_view nonce, std::string_view aad,
                                      std::string_view sealed);

// `fields` as one byte string, each written as LENGTH ':' BYTES, so that no two
// different lists give the same string (what a separator cannot promise when a
// field may hold it). For associated data.
std::string JoinFields(std::initializer_list<std::string_view> fields);

// `n` bytes from OpenSSL's CSPRNG. Internal when the generator fails.
Result<std::string> RandomBytes(size_t n);

// RFC 4648 base64 with padding; decoding gives nullopt for anything else.
std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace herald::secrets::internal
