// The random values of an OAuth 2.0 authorization-code flow with PKCE
// (RFC 7636): the code verifier and its S256 challenge, and the `state` that
// binds a callback to the authorization it answers. Pure functions over
// OpenSSL; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace herald::oauth {

// 43 characters: base64url of 32 random bytes (RFC 7636 section 4.1).
// Internal when the random generator fails.
Result<std::string> MakeCodeVerifier();

// BASE64URL(SHA256(ASCII(verifier))) without padding: code_challenge for
// code_challenge_method=S256 (RFC 7636 section 4.2).
std::string S256Challenge(std::string_view verifier);

// An unguessable state: base64url of 32 random bytes. Internal when the
// random generator fails.
Result<std::string> MakeState();

// How a state is looked up in the store: lower-case hex of its SHA-256, so
// that a copy of the database does not hold usable states.
std::string StateHash(std::string_view state);

}  // namespace herald::oauth
