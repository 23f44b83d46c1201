#include "secrets/key_ring.h"

#include "core/hex.h"
#include "secrets/internal/aes_gcm.h"

namespace herald::secrets {
namespace {

using internal::kKeyBytes;
using internal::kNonceBytes;
using internal::kTagBytes;

// The key id is authenticated too: relabelling a value with another id that
// happens to hold the same material must still fail.
std::string Aad(std::string_view key_id, std::string_view context) {
  return internal::JoinFields({"herald-sealed-v1", key_id, context});
}

std::optional<std::string> DecodeKey(std::string_view material) {
  while (!material.empty() && (material.back() == '\n' || material.back() == '\r' || material.back() == ' ')) {
    material.remove_suffix(1);
  }
  std::optional<std::string> bytes;
  if (material.size() == 2 * kKeyBytes) bytes = HexDecode(material);
  if (!bytes) bytes = internal::Base64Decode(material);
  if (!bytes || bytes->size() != kKeyBytes) return std::nullopt;
  return bytes;
}

}  // namespace

Result<KeyRing> KeyRing::Make(std::string_view current, const std::vector<TokenKey>& keys) {
  std::map<std::string, std::string> ring;
  for (const TokenKey& key : keys) {
    if (key.id.empty()) return Error(Code::kInvalidArgument, "a token key has an empty id");
    auto bytes = DecodeKey(key.material);
    if (!bytes) {
      return Error(Code::kInvalidArgument,
                   "token key " + key.id +
                       " is not 32 bytes written as 64 hex digits or base64; make one with: openssl rand -hex 32");
    }
    if (!ring.emplace(key.id, std::move(*bytes)).second) {
      return Error(Code::kInvalidArgument, "token key " + key.id + " is given twice");
    }
  }
  if (!ring.contains(std::string(current))) {
    return Error(Code::kInvalidArgument, "the current token key \"" + std::string(current) + "\" is not among the keys");
  }
  return KeyRing(std::string(current), std::move(ring));
}

Result<Sealed> KeyRing::Seal(std::string_view plaintext, std::string_view context) const {
  auto nonce = internal::RandomBytes(kNonceBytes);
  if (!nonce) return std::unexpected(nonce.error());
  auto sealed = internal::AesGcmSeal(keys_.at(current_), *nonce, Aad(current_, context), plaintext);
  if (!sealed) return std::unexpected(sealed.error());
  return Sealed{current_, internal::Base64Encode(*nonce + *sealed)};
}

Result<std::string> KeyRing::Open(const Sealed& sealed, std::string_view context) const {
  auto key = keys_.find(sealed.key_id);
  if (key == keys_.end()) {
    return Error(Code::kFailedPrecondition, "a stored token was sealed with key \"" + sealed.key_id +
                                                "\", which is not in token_keys; add it back to open it");
  }
  auto bytes = internal::Base64Decode(sealed.blob);
  std::optional<std::string> plain;
  if (bytes && bytes->size() >= kNonceBytes + kTagBytes) {
    plain = internal::AesGcmOpen(key->second, std::string_view(*bytes).substr(0, kNonceBytes),
                                 Aad(sealed.key_id, context), std::string_view(*bytes).substr(kNonceBytes));
  }
  if (!plain) {
    return Error(Code::kFailedPrecondition,
                 "a stored token does not open with key \"" + sealed.key_id +
                     "\": it was altered, moved from another account, or the key's material changed");
  }
  return std::move(*plain);
}

}  // namespace herald::secrets
