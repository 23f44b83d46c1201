#include "oauth/pkce.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

namespace herald::oauth {
namespace {

constexpr size_t kRandomBytes = 32;

std::string Base64Url(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    if (rest == 2) n |= uint8_t(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    if (rest == 2) out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

std::string Sha256(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

Result<std::string> RandomUrlSafe() {
  std::string bytes(kRandomBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size())) != 1) {
    return std::unexpected(Status(Code::kInternal, "OpenSSL's random generator failed"));
  }
  return Base64Url(bytes);
}

}  // namespace

Result<std::string> MakeCodeVerifier() { return RandomUrlSafe(); }

Result<std::string> MakeState() { return RandomUrlSafe(); }

std::string S256Challenge(std::string_view verifier) { return Base64Url(Sha256(verifier)); }

std::string StateHash(std::string_view state) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : Sha256(state)) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace herald::oauth
