// Small byte-level helpers the API needs: SHA-256, base64url and random bytes,
// over OpenSSL. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace herald::api::internal {

// Lower-case hex of SHA-256(data): 64 characters.
std::string Sha256Hex(std::string_view data);

// RFC 4648 §5 without padding.
std::string Base64UrlEncode(std::string_view bytes);
// nullopt when `text` holds a character outside the alphabet, padding, or an
// impossible length.
std::optional<std::string> Base64UrlDecode(std::string_view text);

// `n` bytes from OpenSSL's CSPRNG. Internal when the generator fails.
Result<std::string> RandomBytes(int n);

}  // namespace herald::api::internal
