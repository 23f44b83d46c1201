#include "secrets/internal/aes_gcm.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

namespace herald::secrets::internal {
namespace {

struct CipherFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherFree>;

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

// Sets up `ctx` for AES-256-GCM with `key` and `nonce`, then feeds `aad`.
bool Begin(EVP_CIPHER_CTX* ctx, bool encrypt, std::string_view key, std::string_view nonce, std::string_view aad) {
  if (key.size() != kKeyBytes || nonce.size() != kNonceBytes) return false;
  if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) != 1) return false;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1) return false;
  if (EVP_CipherInit_ex(ctx, nullptr, nullptr, Bytes(key), Bytes(nonce), encrypt ? 1 : 0) != 1) return false;
  int ignored = 0;
  return aad.empty() || EVP_CipherUpdate(ctx, nullptr, &ignored, Bytes(aad), static_cast<int>(aad.size())) == 1;
}

}  // namespace

Result<std::string> AesGcmSeal(std::string_view key, std::string_view nonce, std::string_view aad,
                               std::string_view plaintext) {
  auto failed = [] { return Error(Code::kInternal, "AES-256-GCM encryption failed in OpenSSL"); };
  CipherContext ctx(EVP_CIPHER_CTX_new());
  if (!ctx || !Begin(ctx.get(), true, key, nonce, aad)) return failed();
  std::string out(plaintext.size() + kTagBytes, '\0');
  int n = 0;
  if (!plaintext.empty() &&
      EVP_EncryptUpdate(ctx.get(), Bytes(out), &n, Bytes(plaintext), static_cast<int>(plaintext.size())) != 1) {
    return failed();
  }
  int tail = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), Bytes(out) + n, &tail) != 1) return failed();
  if (static_cast<size_t>(n + tail) != plaintext.size()) return failed();
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, Bytes(out) + plaintext.size()) != 1) {
    return failed();
  }
  return out;
}

std::optional<std::string> AesGcmOpen(std::string_view key, std::string_view nonce, std::string_view aad,
                                      std::string_view sealed) {
  if (sealed.size() < kTagBytes) return std::nullopt;
  std::string_view ciphertext = sealed.substr(0, sealed.size() - kTagBytes);
  std::string tag(sealed.substr(ciphertext.size()));
  CipherContext ctx(EVP_CIPHER_CTX_new());
  if (!ctx || !Begin(ctx.get(), false, key, nonce, aad)) return std::nullopt;
  std::string out(ciphertext.size(), '\0');
  int n = 0;
  if (!ciphertext.empty() &&
      EVP_DecryptUpdate(ctx.get(), Bytes(out), &n, Bytes(ciphertext), static_cast<int>(ciphertext.size())) != 1) {
    return std::nullopt;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, Bytes(tag)) != 1) return std::nullopt;
  int tail = 0;
  // The tag is checked here; until it passes, `out` is not to be trusted.
  if (EVP_DecryptFinal_ex(ctx.get(), Bytes(out) + n, &tail) != 1) return std::nullopt;
  return out;
}

std::string JoinFields(std::initializer_list<std::string_view> fields) {
  std::string out;
  for (std::string_view field : fields) {
    out += std::to_string(field.size());
    out += ':';
    out += field;
  }
  return out;
}

Result<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(Bytes(out), static_cast<int>(n)) != 1) {
    return Error(Code::kInternal, "OpenSSL's random generator failed");
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(Bytes(out), Bytes(bytes), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    bool padding = c == '=' && i + 2 >= text.size() && (i + 1 == text.size() || text[i + 1] == '=');
    if (!alphabet && !padding) return std::nullopt;
  }
  std::string out(3 * text.size() / 4, '\0');
  int n = EVP_DecodeBlock(Bytes(out), Bytes(text), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

}  // namespace herald::secrets::internal
