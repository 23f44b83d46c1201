// End-to-end: key rotation of the sealed account tokens. `herald token-keys
// rotate` and `herald serve` (at start) re-seal grants under the current key;
// afterwards the old key can be dropped. Keys, tokens and their bytes never
// reach the output or the log.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "secrets/grant_vault.h"
#include "storage/store.h"
#include "tests/storage/store_testing.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"

namespace {

using herald::Instant;
using herald::testing::Daemon;
using herald::testing::ProcessResult;
using herald::testing::ReadFileOr;
using herald::testing::RunProcess;
using herald::testing::TempDir;
using herald::testing::WriteFile;
namespace secrets = herald::secrets;

const std::string kKey1 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kKey2 = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";  // base64, of other bytes than kKey1

Instant At(int hour) {
  using namespace std::chrono;
  return sys_days{year{2026} / 3 / 1} + hours{hour};
}

secrets::Grant TokenGrant(const std::string& who) {
  return {"ACCESS-" + who + "-7c1f", "REFRESH-" + who + "-9d2e", "tweet.write offline.access", At(12)};
}

std::string Config(const TempDir& dir, const std::string& token_keys) {
  return "listen: 127.0.0.1:0\nstorage: sqlite:" + (dir / "herald.db") + "\npolicies: " + (dir / "policies") +
         "\ntokens: " + (dir / "tokens.json") + "\noutbox: " + (dir / "outbox") + "\n" + token_keys;
}

std::string SqliteUrl(const TempDir& dir) { return "sqlite:" + (dir / "herald.db"); }

// Seals grants for two accounts under key k1, as an earlier herald would have.
void SeedUnderKey1(const std::string& storage) {
  auto store = herald::storage::OpenStore(storage);
  REQUIRE(store.has_value());
  auto ring = secrets::KeyRing::Make("k1", {{"k1", kKey1}});
  REQUIRE(ring.has_value());
  secrets::GrantVault vault(**store, *ring);
  REQUIRE(vault.Save("acme", "x-main", TokenGrant("acme"), At(8), 0).has_value());
  REQUIRE(vault.Save("globex", "li", TokenGrant("globex"), At(8), 0).has_value());
}

// Every stored grant, opened with a ring of key k2 alone: proves the old key is no longer needed.
void ExpectAllUnderKey2(const std::string& storage) {
  auto store = herald::storage::OpenStore(storage);
  REQUIRE(store.has_value());
  auto ring = secrets::KeyRing::Make("k2", {{"k2", kKey2}});
  REQUIRE(ring.has_value());
  secrets::GrantVault vault(**store, *ring);
  for (auto [org, account, who] : {std::tuple{"acme", "x-main", "acme"}, {"globex", "li", "globex"}}) {
    auto loaded = vault.Load(org, account);
    REQUIRE(loaded.has_value());
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->grant == TokenGrant(who));
    CHECK((*loaded)->key_id == "k2");
  }
}

void ExpectNoSecretIn(const std::string& text) {
  for (const std::string& secret : {std::string("ACCESS-"), std::string("REFRESH-"), kKey1, kKey2}) {
    CHECK(text.find(secret) == std::string::npos);
  }
}

ProcessResult Rotate(const TempDir& dir) {
  return RunProcess({HERALD_BINARY, "token-keys", "rotate", "--config", dir / "herald.yaml"});
}

TEST_CASE("token-keys rotate re-seals every grant under the current key, then the old key can go",
          "[tokens][e2e]") {
  TempDir dir;
  SeedUnderKey1(SqliteUrl(dir));
  WriteFile(dir / "k1.key", kKey1 + "\n");
  REQUIRE(setenv("HERALD_E2E_TOKEN_KEY_2", kKey2.c_str(), 1) == 0);
  WriteFile(dir / "herald.yaml", Config(dir, "token_keys:\n  current: k2\n  keys:\n    k2: env:HERALD_E2E_TOKEN_KEY_2\n"
                                             "    k1: file:" + (dir / "k1.key") + "\n"));
  auto first = Rotate(dir);
  INFO(first.err);
  CHECK(first.exit_code == 0);
  CHECK(first.out == "re-sealed 2 grants under key k2; 0 were under it already\n");
  ExpectNoSecretIn(first.out + first.err);
  ExpectAllUnderKey2(SqliteUrl(dir));

  auto second = Rotate(dir);
  CHECK(second.exit_code == 0);
  CHECK(second.out == "re-sealed 0 grants under key k2; 2 were under it already\n");

  SECTION("config check shows the keys by id only") {
    auto check = RunProcess({HERALD_BINARY, "config", "check", dir / "herald.yaml"});
    CHECK(check.exit_code == 0);
    CHECK(check.out.find(", token keys 2 (current k2)\n") != std::string::npos);
    ExpectNoSecretIn(check.out);
  }
  SECTION("a grant under a key no longer configured is named, and the others stay usable") {
    WriteFile(dir / "herald.yaml", Config(dir, "token_keys:\n  current: k3\n  keys:\n    k3: file:" + (dir / "k1.key") + "\n"));
    auto lost = Rotate(dir);
    CHECK(lost.exit_code == 1);
    CHECK(lost.out == "re-sealed 0 grants under key k3; 0 were under it already; 2 do not open\n");
    CHECK(lost.err.find("account x-main of organization acme: a stored token was sealed with key \"k2\"") !=
          std::string::npos);
    ExpectNoSecretIn(lost.out + lost.err);
    ExpectAllUnderKey2(SqliteUrl(dir));
  }
}

TEST_CASE("token-keys rotate works on the PostgreSQL store named by --storage", "[tokens][e2e]") {
  TempDir dir;
  auto storage = herald::storage::testing::TestDatabases::Get().For(dir.path());
  if (!storage) FAIL(storage.error().message());
  SeedUnderKey1(*storage);
  WriteFile(dir / "k1.key", kKey1);
  WriteFile(dir / "k2.key", kKey2);
  WriteFile(dir / "herald.yaml", Config(dir, "token_keys:\n  current: k2\n  keys: { k2: file:" + (dir / "k2.key") +
                                                 ", k1: file:" + (dir / "k1.key") + " }\n"));
  auto r = RunProcess({HERALD_BINARY, "token-keys", "rotate", "--config", dir / "herald.yaml", "--storage", *storage});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "re-sealed 2 grants under key k2; 0 were under it already\n");
  ExpectNoSecretIn(r.out + r.err);
  ExpectAllUnderKey2(*storage);
}

TEST_CASE("token-keys rotate refuses unreadable or malformed keys without printing them", "[tokens][e2e]") {
  TempDir dir;
  SeedUnderKey1(SqliteUrl(dir));
  SECTION("no token_keys at all") {
    WriteFile(dir / "herald.yaml", Config(dir, ""));
    auto r = Rotate(dir);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("has no token_keys") != std::string::npos);
  }
  SECTION("an unset variable") {
    REQUIRE(unsetenv("HERALD_E2E_TOKEN_KEY_UNSET") == 0);
    WriteFile(dir / "herald.yaml", Config(dir, "token_keys: { current: k2, keys: { k2: env:HERALD_E2E_TOKEN_KEY_UNSET } }\n"));
    auto r = Rotate(dir);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "herald token-keys rotate: token_keys: token key k2: environment variable "
                   "HERALD_E2E_TOKEN_KEY_UNSET is not set\n");
  }
  SECTION("material that is not 32 bytes") {
    const std::string almost = kKey1.substr(2);
    WriteFile(dir / "short.key", almost);
    WriteFile(dir / "herald.yaml", Config(dir, "token_keys: { current: k2, keys: { k2: file:" + (dir / "short.key") + " } }\n"));
    auto r = Rotate(dir);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("token key k2 is not 32 bytes") != std::string::npos);
    CHECK(r.err.find(almost) == std::string::npos);
  }
  // Nothing was changed by a refused run.
  auto store = herald::storage::OpenStore("sqlite:" + (dir / "herald.db"));
  REQUIRE(store.has_value());
  auto grants = (*store)->ListGrants();
  REQUIRE(grants.has_value());
  CHECK(grants->size() == 2);
  for (const auto& grant : *grants) CHECK(grant.key_id == "k1");
}

TEST_CASE("herald serve re-seals grants under the current key when it starts", "[tokens][e2e]") {
  TempDir dir;
  SeedUnderKey1(SqliteUrl(dir));
  WriteFile(dir / "k1.key", kKey1);
  WriteFile(dir / "k2.key", kKey2);
  WriteFile(dir / "tokens.json", "{\"tokens\": []}");
  WriteFile(dir / "policies/acme.yaml",
            "version: 1\norganization: acme\ntimezone: UTC\naccounts:\n  list:\n    - { id: acme-blog, platform: file, "
            "connector: { type: file } }\n");
  WriteFile(dir / "herald.yaml", Config(dir, "token_keys:\n  current: k2\n  keys: { k2: file:" + (dir / "k2.key") +
                                                 ", k1: file:" + (dir / "k1.key") + " }\n"));
  {
    Daemon daemon(HERALD_BINARY, dir / "herald.yaml", dir.path(), dir / "herald.log");
    CHECK(daemon.Terminate() == 0);
  }
  const std::string log = ReadFileOr(dir / "herald.log");
  CHECK(log.find("token_keys: re-sealed 2 stored grants under key k2") != std::string::npos);
  ExpectNoSecretIn(log);
  ExpectAllUnderKey2(SqliteUrl(dir));

  SECTION("a daemon whose key cannot be read does not start") {
    WriteFile(dir / "herald.yaml", Config(dir, "token_keys: { current: k9, keys: { k9: file:" + (dir / "absent.key") + " } }\n"));
    auto r = RunProcess({HERALD_BINARY, "serve", "--config", dir / "herald.yaml"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("herald serve: token_keys: token key k9: cannot read " + (dir / "absent.key")) != std::string::npos);
  }
}

}  // namespace
