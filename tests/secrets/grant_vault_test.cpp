// GrantVault on every store: tokens stored sealed (never in clear), bound to
// their account, and re-sealed under the current key by a rotation.
#include "secrets/grant_vault.h"

#include <catch2/catch.hpp>

#include <functional>
#include <utility>

#include "tests/storage/store_testing.h"
#include "tests/support/delegating_store.h"

namespace herald::secrets {
namespace {

using storage::testing::Day;
using storage::testing::StoreFactories;
using storage::testing::StoreFactory;
using storage::testing::TempDir;

const std::string kOld = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kNew = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";

KeyRing Ring(std::string current, std::vector<TokenKey> keys) {
  auto ring = KeyRing::Make(current, keys);
  if (!ring) FAIL(ring.error().message());
  return *ring;
}

Grant XGrant(std::string suffix) {
  return {"AT-" + suffix + "-access-secret", "RT-" + suffix + "-refresh-secret", "tweet.write offline.access",
          Day(3, 1, 10)};
}

#define EACH_VAULT_STORE()                                                                                \
  const StoreFactory& factory = StoreFactories()[GENERATE(range(size_t{0}, StoreFactories().size()))]; \
  INFO("store: " << factory.name);                                                                    \
  TempDir dir;                                                                                        \
  auto opened = factory.open(dir.path());                                                             \
  if (!opened) FAIL(opened.error().message());                                                        \
  storage::Store& store = **opened

TEST_CASE("GrantVault stores tokens sealed and gives them back", "[secrets][grants]") {
  EACH_VAULT_STORE();
  GrantVault vault(store, Ring("k1", {{"k1", kOld}}));
  const Grant grant = XGrant("one");
  auto version = vault.Save("acme", "x-main", grant, Day(3, 1, 8), 0);
  REQUIRE(version.has_value());
  CHECK(*version == 1);

  auto raw = store.FindGrant("acme", "x-main");
  REQUIRE(raw.has_value());
  REQUIRE(raw->has_value());
  CHECK((*raw)->key_id == "k1");
  CHECK((*raw)->expires_at == grant.expires_at);
  CHECK((*raw)->sealed.find("secret") == std::string::npos);
  CHECK((*raw)->sealed.find("AT-") == std::string::npos);

  auto loaded = vault.Load("acme", "x-main");
  REQUIRE(loaded.has_value());
  REQUIRE(loaded->has_value());
  CHECK((*loaded)->grant == grant);
  CHECK((*loaded)->version == 1);
  CHECK_FALSE(vault.Load("acme", "other")->has_value());

  SECTION("a replacement needs the version it read") {
    Grant refreshed = XGrant("two");
    CHECK(vault.Save("acme", "x-main", refreshed, Day(3, 1, 9), 1) == 2);
    auto stale = vault.Save("acme", "x-main", XGrant("three"), Day(3, 1, 9), 1);
    REQUIRE_FALSE(stale.has_value());
    CHECK(stale.error().code() == Code::kFailedPrecondition);
    CHECK(vault.Load("acme", "x-main").value()->grant == refreshed);
  }
}

TEST_CASE("GrantVault refuses a sealed grant moved onto another account, without showing a token",
          "[secrets][grants]") {
  EACH_VAULT_STORE();
  GrantVault vault(store, Ring("k1", {{"k1", kOld}}));
  REQUIRE(vault.Save("acme", "x-main", XGrant("acme"), Day(3, 1, 8), 0).has_value());
  auto sealed = store.FindGrant("acme", "x-main").value().value();
  storage::SealedGrant moved = sealed;
  moved.organization = "globex";
  moved.version = 0;
  REQUIRE(store.SaveGrant(moved).has_value());

  auto stolen = vault.Load("globex", "x-main");
  REQUIRE_FALSE(stolen.has_value());
  CHECK(stolen.error().code() == Code::kFailedPrecondition);
  CHECK(stolen.error().message().find("account x-main of organization globex") != std::string::npos);
  CHECK(stolen.error().message().find("AT-") == std::string::npos);
  CHECK(vault.Load("acme", "x-main").has_value());
}

TEST_CASE("GrantVault rotation re-seals every grant under the current key", "[secrets][grants]") {
  EACH_VAULT_STORE();
  {
    GrantVault before(store, Ring("k1", {{"k1", kOld}}));
    REQUIRE(before.Save("acme", "x-main", XGrant("a"), Day(3, 1, 8), 0).has_value());
    REQUIRE(before.Save("globex", "li", XGrant("b"), Day(3, 1, 8), 0).has_value());
  }
  GrantVault after(store, Ring("k2", {{"k2", kNew}, {"k1", kOld}}));
  REQUIRE(after.Save("acme", "threads", XGrant("c"), Day(3, 1, 8), 0).has_value());

  auto rotation = after.Rotate(Day(3, 2));
  REQUIRE(rotation.has_value());
  CHECK(rotation->resealed == 2);
  CHECK(rotation->already_current == 1);
  CHECK(rotation->failed.empty());
  auto grants = store.ListGrants();
  REQUIRE(grants.has_value());
  for (const auto& grant : *grants) {
    CHECK(grant.key_id == "k2");
    CHECK(grant.updated_at == (grant.account == "threads" ? Day(3, 1, 8) : Day(3, 2)));
  }

  // The old key can now be dropped from the config.
  GrantVault only_new(store, Ring("k2", {{"k2", kNew}}));
  CHECK(only_new.Load("acme", "x-main").value()->grant == XGrant("a"));
  CHECK(only_new.Load("globex", "li").value()->grant == XGrant("b"));
  CHECK(only_new.Load("acme", "threads").value()->grant == XGrant("c"));

  SECTION("running it again changes nothing") {
    auto second = only_new.Rotate(Day(3, 3));
    REQUIRE(second.has_value());
    CHECK(second->resealed == 0);
    CHECK(second->already_current == 3);
  }
}

TEST_CASE("GrantVault rotation lists the grants it cannot open and re-seals the others", "[secrets][grants]") {
  EACH_VAULT_STORE();
  {
    GrantVault lost(store, Ring("lost", {{"lost", kOld}}));
    REQUIRE(lost.Save("acme", "x-main", XGrant("a"), Day(3, 1, 8), 0).has_value());
    GrantVault kept(store, Ring("k1", {{"k1", kOld}}));
    REQUIRE(kept.Save("acme", "li", XGrant("b"), Day(3, 1, 8), 0).has_value());
  }
  GrantVault vault(store, Ring("k2", {{"k2", kNew}, {"k1", kOld}}));
  auto rotation = vault.Rotate(Day(3, 2));
  REQUIRE(rotation.has_value());
  CHECK(rotation->resealed == 1);
  REQUIRE(rotation->failed.size() == 1);
  const std::string message = rotation->failed[0].message();
  CHECK(message.find("account x-main of organization acme") != std::string::npos);
  CHECK(message.find("\"lost\"") != std::string::npos);
  CHECK(message.find("AT-") == std::string::npos);
  CHECK(store.FindGrant("acme", "x-main").value()->key_id == "lost");
  CHECK(store.FindGrant("acme", "li").value()->key_id == "k2");
}

// A store on which a daemon refreshes one account's grant right after a
// rotation has listed the grants and before it writes them back.
class RefreshDuringRotation : public testing::DelegatingStore {
 public:
  using DelegatingStore::DelegatingStore;
  std::function<void()> after_list;
  Result<std::vector<storage::SealedGrant>> ListGrants() override {
    auto listed = DelegatingStore::ListGrants();
    if (after_list) std::exchange(after_list, nullptr)();
    return listed;
  }
};

TEST_CASE("GrantVault rotation never overwrites a grant refreshed while it ran", "[secrets][grants]") {
  const StoreFactory& factory = StoreFactories()[GENERATE(range(size_t{0}, StoreFactories().size()))];
  INFO("store: " << factory.name);
  TempDir dir;
  auto opened = factory.open(dir.path());
  if (!opened) FAIL(opened.error().message());
  RefreshDuringRotation store(std::move(*opened));
  {
    GrantVault before(store, Ring("k1", {{"k1", kOld}}));
    REQUIRE(before.Save("acme", "x-main", XGrant("a"), Day(3, 1, 8), 0).has_value());
    REQUIRE(before.Save("acme", "li", XGrant("b"), Day(3, 1, 8), 0).has_value());
  }
  GrantVault vault(store, Ring("k2", {{"k2", kNew}, {"k1", kOld}}));
  bool refreshed = false;
  store.after_list = [&] { refreshed = vault.Save("acme", "x-main", XGrant("rotated"), Day(3, 2), 1).has_value(); };
  auto rotation = vault.Rotate(Day(3, 2));
  REQUIRE(refreshed);
  REQUIRE(rotation.has_value());
  CHECK(rotation->resealed == 1);
  CHECK(rotation->changed_meanwhile == 1);
  CHECK(vault.Load("acme", "x-main").value()->grant == XGrant("rotated"));
  CHECK(vault.Load("acme", "li").value()->grant == XGrant("b"));
  for (const char* account : {"x-main", "li"}) CHECK(store.FindGrant("acme", account).value()->key_id == "k2");
}

}  // namespace
}  // namespace herald::secrets
