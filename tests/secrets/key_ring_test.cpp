// AES-256-GCM and the KeyRing: known answers from the GCM specification,
// tamper detection, and opening values sealed before a key rotation.
#include "secrets/key_ring.h"

#include <catch2/catch.hpp>

#include <set>

#include "core/hex.h"
#include "secrets/internal/aes_gcm.h"

namespace herald::secrets {
namespace {

using namespace std::literals;

std::string Hex(std::string_view hex) {
  auto bytes = HexDecode(hex);
  REQUIRE(bytes.has_value());
  return *bytes;
}

const std::string kKeyA = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kKeyB = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";

KeyRing Ring(std::string current, std::vector<TokenKey> keys) {
  auto ring = KeyRing::Make(current, keys);
  if (!ring) FAIL(ring.error().message());
  return *ring;
}

TEST_CASE("AES-256-GCM gives the specification's known answers", "[secrets]") {
  struct Case {
    const char* name;
    std::string key, nonce, aad, plaintext, ciphertext_and_tag;
  };
  // McGrew and Viega, "The Galois/Counter Mode of Operation", test cases 13, 14 and 16.
  const Case cases[] = {
      {"empty plaintext", std::string(32, '\0'), std::string(12, '\0'), "", "",
       Hex("530f8afbc74536b9a963b4f1c4cb738b")},
      {"one zero block", std::string(32, '\0'), std::string(12, '\0'), "", std::string(16, '\0'),
       Hex("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919")},
      {"with associated data",
       Hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"), Hex("cafebabefacedbaddecaf888"),
       Hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
       Hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5"
           "aa0de657ba637b39"),
       Hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e63"
           "93ba7a0abcc9f662"
           "76fc6ece0f4e1768cddf8853bb2d551b")},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    auto sealed = internal::AesGcmSeal(c.key, c.nonce, c.aad, c.plaintext);
    REQUIRE(sealed.has_value());
    CHECK(*sealed == c.ciphertext_and_tag);
    auto opened = internal::AesGcmOpen(c.key, c.nonce, c.aad, c.ciphertext_and_tag);
    REQUIRE(opened.has_value());
    CHECK(*opened == c.plaintext);
  }
}

TEST_CASE("AES-256-GCM refuses any altered byte", "[secrets]") {
  const std::string key = Hex(kKeyA), nonce(12, '\x07'), aad = "org\0acct"s;
  auto sealed = internal::AesGcmSeal(key, nonce, aad, "access-token-value");
  REQUIRE(sealed.has_value());
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string altered = *sealed;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    CHECK_FALSE(internal::AesGcmOpen(key, nonce, aad, altered).has_value());
  }
  std::string other_nonce = nonce;
  other_nonce[0] ^= 1;
  CHECK_FALSE(internal::AesGcmOpen(key, other_nonce, aad, *sealed).has_value());
  CHECK_FALSE(internal::AesGcmOpen(key, nonce, "org\0other"s, *sealed).has_value());
  CHECK_FALSE(internal::AesGcmOpen(Hex(kKeyB), nonce, aad, *sealed).has_value());
  CHECK_FALSE(internal::AesGcmOpen(key, nonce, aad, sealed->substr(0, sealed->size() - 1)).has_value());
  CHECK(internal::AesGcmOpen(key, nonce, aad, *sealed) == "access-token-value");
}

TEST_CASE("Joined fields are unambiguous", "[secrets]") {
  CHECK(internal::JoinFields({"ab", "c"}) == "2:ab1:c");
  CHECK(internal::JoinFields({"ab", "c"}) != internal::JoinFields({"a", "bc"}));
  CHECK(internal::JoinFields({"a\0"s, "b"}) != internal::JoinFields({"a", "\0b"s}));
  CHECK(internal::JoinFields({"", ""}) != internal::JoinFields({""}));
}

TEST_CASE("KeyRing seals with a fresh nonce and opens only in the same context", "[secrets]") {
  KeyRing ring = Ring("a", {{"a", kKeyA}});
  std::set<std::string> blobs;
  for (int i = 0; i < 50; ++i) {
    auto sealed = ring.Seal("secret", "acme\0x"s);
    REQUIRE(sealed.has_value());
    CHECK(sealed->key_id == "a");
    CHECK(sealed->blob.find("secret") == std::string::npos);
    blobs.insert(sealed->blob);
    CHECK(ring.Open(*sealed, "acme\0x"s) == "secret");
  }
  CHECK(blobs.size() == 50);

  auto sealed = ring.Seal("secret", "acme/x");
  REQUIRE(sealed.has_value());
  auto elsewhere = ring.Open(*sealed, "acme/y");
  REQUIRE_FALSE(elsewhere.has_value());
  CHECK(elsewhere.error().code() == Code::kFailedPrecondition);
  CHECK(elsewhere.error().message().find("\"a\"") != std::string::npos);

  Sealed garbage{"a", "not base64!"};
  CHECK(ring.Open(garbage, "acme/x").error().code() == Code::kFailedPrecondition);
  Sealed too_short{"a", "AAAA"};
  CHECK(ring.Open(too_short, "acme/x").error().code() == Code::kFailedPrecondition);
}

TEST_CASE("KeyRing opens values sealed before a rotation and seals new ones with the current key", "[secrets]") {
  KeyRing before = Ring("2026-06", {{"2026-06", kKeyA}});
  auto old_value = before.Seal("refresh", "ctx");
  REQUIRE(old_value.has_value());

  KeyRing after = Ring("2026-12", {{"2026-12", kKeyB}, {"2026-06", kKeyA}});
  CHECK(after.Open(*old_value, "ctx") == "refresh");
  auto new_value = after.Seal("refresh", "ctx");
  REQUIRE(new_value.has_value());
  CHECK(new_value->key_id == "2026-12");
  CHECK(after.Open(*new_value, "ctx") == "refresh");

  SECTION("a value relabelled with another key id does not open, even under the same material") {
    KeyRing twins = Ring("x", {{"x", kKeyA}, {"y", kKeyA}});
    auto sealed = twins.Seal("refresh", "ctx");
    REQUIRE(sealed.has_value());
    Sealed relabelled{"y", sealed->blob};
    CHECK_FALSE(twins.Open(relabelled, "ctx").has_value());
  }
  SECTION("once the old key is dropped, its values say which key they need") {
    KeyRing dropped = Ring("2026-12", {{"2026-12", kKeyB}});
    auto opened = dropped.Open(*old_value, "ctx");
    REQUIRE_FALSE(opened.has_value());
    CHECK(opened.error().code() == Code::kFailedPrecondition);
    CHECK(opened.error().message().find("2026-06") != std::string::npos);
  }
  SECTION("the same id with other material does not open") {
    KeyRing replaced = Ring("2026-06", {{"2026-06", kKeyB}});
    CHECK_FALSE(replaced.Open(*old_value, "ctx").has_value());
  }
}

TEST_CASE("KeyRing takes keys as hex or base64 and refuses anything else without echoing it", "[secrets]") {
  CHECK(KeyRing::Make("k", {{"k", kKeyA}}).has_value());
  CHECK(KeyRing::Make("k", {{"k", kKeyA + "\n"}}).has_value());
  CHECK(KeyRing::Make("k", {{"k", internal::Base64Encode(Hex(kKeyA))}}).has_value());
  // The same key in both spellings is the same key.
  KeyRing hex = Ring("k", {{"k", kKeyA}});
  KeyRing b64 = Ring("k", {{"k", internal::Base64Encode(Hex(kKeyA))}});
  auto sealed = hex.Seal("v", "c");
  REQUIRE(sealed.has_value());
  CHECK(b64.Open(*sealed, "c") == "v");

  const std::string short_key = kKeyA.substr(0, 62);
  auto bad = KeyRing::Make("k", {{"k", short_key}});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code() == Code::kInvalidArgument);
  CHECK(bad.error().message().find(short_key) == std::string::npos);
  CHECK(bad.error().message().find("token key k") != std::string::npos);

  CHECK_FALSE(KeyRing::Make("k", {{"k", "passphrase"}}).has_value());
  CHECK_FALSE(KeyRing::Make("missing", {{"k", kKeyA}}).has_value());
  CHECK_FALSE(KeyRing::Make("k", {{"k", kKeyA}, {"k", kKeyB}}).has_value());
  CHECK_FALSE(KeyRing::Make("", {{"", kKeyA}}).has_value());
}

}  // namespace
}  // namespace herald::secrets
