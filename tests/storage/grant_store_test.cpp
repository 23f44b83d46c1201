// The Store contract for sealed grants, on every store: compare-and-set by
// version, organisations apart, listing, deleting, surviving a reopen.
#include "storage/store.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "storage/internal/migrations.h"
#include "storage/internal/sqlite.h"
#include "storage/sqlite_store.h"
#include "tests/storage/store_testing.h"

namespace herald::storage {
namespace {

using testing::Day;
using testing::StoreFactories;
using testing::StoreFactory;
using testing::TempDir;

SealedGrant Grant(std::string organization, std::string account, std::string sealed) {
  return {std::move(organization), std::move(account), "k1", std::move(sealed), Day(3, 1, 10), Day(3, 1, 8), 0};
}

TEST_CASE("Store keeps a sealed grant per account and replaces it only at its version", "[store][grants]") {
  EACH_STORE();
  auto none = store->FindGrant("acme", "x-main");
  REQUIRE(none.has_value());
  CHECK_FALSE(none->has_value());

  auto first = store->SaveGrant(Grant("acme", "x-main", "blob-1"));
  REQUIRE(first.has_value());
  CHECK(first->version == 1);
  auto found = store->FindGrant("acme", "x-main");
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  CHECK(**found == *first);

  SECTION("a second creation is refused: somebody connected it meanwhile") {
    auto again = store->SaveGrant(Grant("acme", "x-main", "blob-2"));
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code() == Code::kFailedPrecondition);
  }
  SECTION("a replacement at the stored version wins once; the stale one is refused") {
    SealedGrant next = *first;
    next.sealed = "blob-2";
    next.key_id = "k2";
    next.expires_at = std::nullopt;
    next.updated_at = Day(3, 1, 9);
    auto second = store->SaveGrant(next);
    REQUIRE(second.has_value());
    CHECK(second->version == 2);
    next.sealed = "blob-3";
    auto stale = store->SaveGrant(next);
    REQUIRE_FALSE(stale.has_value());
    CHECK(stale.error().code() == Code::kFailedPrecondition);
    auto stored = store->FindGrant("acme", "x-main");
    REQUIRE(stored.has_value());
    REQUIRE(stored->has_value());
    CHECK((*stored)->sealed == "blob-2");
    CHECK((*stored)->key_id == "k2");
    CHECK_FALSE((*stored)->expires_at.has_value());
    CHECK((*stored)->version == 2);
  }
  SECTION("it survives a reopen") {
    store.reset();
    store = testing::OpenIn(factory, dir);
    auto reread = store->FindGrant("acme", "x-main");
    REQUIRE(reread.has_value());
    REQUIRE(reread->has_value());
    CHECK(**reread == *first);
  }
}

TEST_CASE("Store keeps grants of organisations apart, lists and deletes them", "[store][grants]") {
  EACH_STORE();
  REQUIRE(store->SaveGrant(Grant("globex", "x-main", "g")).has_value());
  REQUIRE(store->SaveGrant(Grant("acme", "x-main", "a")).has_value());
  REQUIRE(store->SaveGrant(Grant("acme", "li", "l")).has_value());

  auto acme = store->FindGrant("acme", "x-main");
  REQUIRE(acme.has_value());
  REQUIRE(acme->has_value());
  CHECK((*acme)->sealed == "a");
  CHECK_FALSE(store->FindGrant("initech", "x-main")->has_value());

  auto all = store->ListGrants();
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].organization == "acme");
  CHECK((*all)[0].account == "li");
  CHECK((*all)[1].account == "x-main");
  CHECK((*all)[2].organization == "globex");

  REQUIRE(store->DeleteGrant("acme", "x-main").has_value());
  CHECK_FALSE(store->FindGrant("acme", "x-main")->has_value());
  CHECK(store->FindGrant("globex", "x-main")->has_value());
  auto again = store->DeleteGrant("acme", "x-main");
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code() == Code::kNotFound);
  // A grant deleted is created anew from version 0.
  CHECK(store->SaveGrant(Grant("acme", "x-main", "b"))->version == 1);
}

TEST_CASE("Store refuses a grant that names no account or is not sealed", "[store][grants]") {
  EACH_STORE();
  CHECK(store->SaveGrant(Grant("acme", "", "a")).error().code() == Code::kInvalidArgument);
  CHECK(store->SaveGrant(Grant("", "x", "a")).error().code() == Code::kInvalidArgument);
  CHECK(store->SaveGrant(Grant("acme", "x", "")).error().code() == Code::kInvalidArgument);
  CHECK(store->ListGrants()->empty());
}

TEST_CASE("Only one of concurrent replacements of a grant's version wins", "[store][grants]") {
  EACH_STORE();
  auto first = store->SaveGrant(Grant("acme", "x-main", "v1"));
  REQUIRE(first.has_value());
  std::atomic<int> won{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      SealedGrant next = *first;
      next.sealed = "v2-" + std::to_string(i);
      auto r = store->SaveGrant(next);
      if (r) ++won;
      else if (r.error().code() == Code::kFailedPrecondition) ++refused;
      else ++other;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(won == 1);
  CHECK(refused == 7);
  CHECK(other == 0);
  CHECK(store->FindGrant("acme", "x-main").value()->version == 2);
}

TEST_CASE("Store keeps a grant's needs_reconnect mark until it is replaced", "[store][grants]") {
  EACH_STORE();
  SealedGrant g = Grant("acme", "x-main", "sealed-1");
  auto saved = store->SaveGrant(g);
  INFO((saved ? std::string() : saved.error().ToString()));
  REQUIRE(saved.has_value());
  SealedGrant marked = *saved;
  marked.needs_reconnect = "x token endpoint refused the refresh token: HTTP 400 invalid_request";
  auto stored = store->SaveGrant(marked);
  REQUIRE(stored.has_value());
  CHECK(store->FindGrant("acme", "x-main").value()->needs_reconnect == marked.needs_reconnect);
  CHECK(store->ListGrants().value().front().needs_reconnect == marked.needs_reconnect);
  SealedGrant fresh = *stored;
  fresh.needs_reconnect.clear();
  fresh.sealed = "sealed-2";
  REQUIRE(store->SaveGrant(fresh).has_value());
  CHECK(store->FindGrant("acme", "x-main").value()->needs_reconnect.empty());
}

PendingAuthorization Pending(std::string hash, Instant expires) {
  return {std::move(hash), "acme", "x-main", "x", "mona", "k1", "sealed-verifier", expires - std::chrono::minutes{10},
          expires};
}

TEST_CASE("Store gives a pending authorization to one taker, once", "[store][oauth]") {
  EACH_STORE();
  PendingAuthorization a = Pending("hash-a", Day(3, 1, 10));
  REQUIRE(store->SaveAuthorization(a).has_value());
  auto same = store->SaveAuthorization(a);
  REQUIRE_FALSE(same.has_value());
  CHECK(same.error().code() == Code::kAlreadyExists);
  CHECK(store->TakeAuthorization("hash-unknown").value() == std::nullopt);
  auto taken = store->TakeAuthorization("hash-a");
  REQUIRE(taken.has_value());
  REQUIRE(taken->has_value());
  CHECK(**taken == a);
  CHECK(store->TakeAuthorization("hash-a").value() == std::nullopt);
}

TEST_CASE("Store hands a pending authorization to exactly one of racing takers", "[store][oauth]") {
  EACH_STORE();
  REQUIRE(store->SaveAuthorization(Pending("hash-race", Day(3, 1, 10))).has_value());
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto taken = store->TakeAuthorization("hash-race");
      if (taken && *taken) ++winners;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(winners == 1);
}

TEST_CASE("Store forgets pending authorizations a day after they expired", "[store][oauth]") {
  EACH_STORE();
  REQUIRE(store->SaveAuthorization(Pending("hash-old", Day(3, 1, 10))).has_value());
  REQUIRE(store->SaveAuthorization(Pending("hash-recent", Day(3, 2, 9))).has_value());
  // Made a day and a bit after the first expired: the first is forgotten.
  REQUIRE(store->SaveAuthorization(Pending("hash-new", Day(3, 2, 11) + std::chrono::minutes{10})).has_value());
  CHECK(store->TakeAuthorization("hash-old").value() == std::nullopt);
  CHECK(store->TakeAuthorization("hash-recent").value().has_value());
  CHECK(store->TakeAuthorization("hash-new").value().has_value());
}

TEST_CASE("SQLite store adds the grants table to a database from before it, keeping its posts", "[store][grants][sqlite]") {
  TempDir dir;
  const std::string path = dir.path() + "/herald.db";
  // Step 5 made the grants table: a database at step 4 is from before it.
  const int before = 4;
  {
    auto db = internal::Connection::Open(path, true);
    REQUIRE(db.has_value());
    REQUIRE(internal::Migrate(**db, internal::SchemaMigrations().first(static_cast<size_t>(before))) == before);
    REQUIRE((*db)->Exec(R"sql(
INSERT INTO posts (organization, account, author, text, labels, priority, media, requested_at,
  planned_at, state, reasons, approved_by, remote_id, remote_url, published_at, failure,
  created_at, updated_at, version)
VALUES ('acme', 'x-main', 'alice', 'kept', '[]', 'normal', '[]', 1772442000, NULL, 'pending_approval',
        '[]', '', '', '', NULL, '', 1772438400, 1772438400, 1))sql")
                .has_value());
  }
  {
    auto upgraded = SqliteStore::Open(path);
    REQUIRE(upgraded.has_value());
    CHECK((*upgraded)->migrations_applied() == SqliteStore::LatestSchemaVersion() - before);
    REQUIRE((*upgraded)->SaveGrant(Grant("acme", "x-main", "sealed")).has_value());
  }
  auto store = SqliteStore::Open(path);
  REQUIRE(store.has_value());
  CHECK((*store)->migrations_applied() == 0);
  CHECK((*store)->GetPost("acme", 1)->text == "kept");
  CHECK((*store)->FindGrant("acme", "x-main").value()->sealed == "sealed");
}

}  // namespace
}  // namespace herald::storage
