// What only the SQLite store promises: group commit, schema migrations, where
// the file goes and how it fails to open. The shared contract is store_test.cpp.
#include "storage/sqlite_store.h"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "storage/internal/migrations.h"
#include "storage/internal/sqlite.h"
#include "tests/storage/store_testing.h"

namespace herald::storage {
namespace {

using testing::Audit;
using testing::NewPost;
using testing::TempDir;

std::unique_ptr<SqliteStore> OpenSqlite(const std::string& path) {
  auto store = SqliteStore::Open(path);
  REQUIRE(store.has_value());
  return std::move(*store);
}

Status OpenError(std::string_view url) {
  auto store = OpenStore(url);
  REQUIRE_FALSE(store.has_value());
  return store.error();
}

TEST_CASE("SQLite store commits concurrent writes in groups", "[store][sqlite]") {
  TempDir dir;
  auto store = OpenSqlite(dir.path() + "/herald.db");
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto post = store->CreatePost(NewPost("acme", "a", std::to_string(t * 1000 + i)),
                                      {Audit("t", "create")}, std::nullopt);
        if (!post) failed.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failed.load() == 0);
  CHECK(store->writes() == kThreads * kPerThread);
  CHECK(store->commits() < store->writes());
  CHECK(store->commits() > 0);
}

int64_t PageSize(internal::Connection& db) {
  auto query = db.Prepare("PRAGMA page_size");
  REQUIRE(query.has_value());
  auto row = query->Step();
  REQUIRE(row.has_value());
  REQUIRE(*row);
  return query->Int(0);
}

TEST_CASE("SQLite creates a database with small pages and keeps an existing file's", "[store][sqlite]") {
  TempDir dir;
  {
    auto store = OpenSqlite(dir.path() + "/new.db");
    REQUIRE(store->CreatePost(NewPost("acme", "a", "hello"), {Audit("t", "create")}, std::nullopt).has_value());
  }
  auto fresh = internal::Connection::Open(dir.path() + "/new.db", false);
  REQUIRE(fresh.has_value());
  CHECK(PageSize(**fresh) == internal::kNewPageSize);

  // A file made with SQLite's default pages (as herald made them before)
  // keeps them, and its posts read back.
  const std::string old_path = dir.path() + "/old.db";
  {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(old_path.c_str(), &raw) == SQLITE_OK);
    REQUIRE(sqlite3_exec(raw, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; CREATE TABLE t(x)", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    sqlite3_close(raw);
  }
  {
    auto store = OpenSqlite(old_path);
    auto post = store->CreatePost(NewPost("acme", "a", "kept"), {Audit("t", "create")}, std::nullopt);
    REQUIRE(post.has_value());
    CHECK(store->GetPost("acme", post->id)->text == "kept");
  }
  auto old = internal::Connection::Open(old_path, false);
  REQUIRE(old.has_value());
  CHECK(PageSize(**old) == 4096);
}

TEST_CASE("SQLite store failing write in a group rolls back only itself", "[store][sqlite]") {
  TempDir dir;
  auto store = OpenSqlite(dir.path() + "/herald.db");
  IdempotencyRecord record{"acme", "k", "h", 0, FirstAnswer::kCreated, testing::At("2026-03-01T08:00:00Z")};
  // Half the writers race for one key, the other half need none; whatever
  // the grouping, exactly one keyed post and every unkeyed post are stored.
  constexpr int kWriters = 16;
  std::vector<std::optional<Status>> errors(kWriters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      std::optional<IdempotencyRecord> key;
      if (i % 2 == 0) key = record;
      auto post = store->CreatePost(NewPost("acme", "a", std::to_string(i)), {}, key);
      if (!post) errors[i] = post.error();
    });
  }
  for (auto& thread : threads) thread.join();
  int taken = 0;
  for (int i = 0; i < kWriters; ++i) {
    if (i % 2 == 1) CHECK_FALSE(errors[i].has_value());
    if (errors[i]) {
      CHECK(errors[i]->code() == Code::kAlreadyExists);
      ++taken;
    }
  }
  CHECK(taken == kWriters / 2 - 1);
  auto posts = store->ListPosts({.organization = "acme", .limit = 100});
  REQUIRE(posts.has_value());
  CHECK(posts->size() == kWriters / 2 + 1);
}

TEST_CASE("SQLite store migrates a fresh database once", "[store][sqlite]") {
  TempDir dir;
  const std::string path = dir.path() + "/herald.db";
  {
    auto store = OpenSqlite(path);
    CHECK(store->migrations_applied() == SqliteStore::LatestSchemaVersion());
    auto version = store->SchemaVersion();
    REQUIRE(version.has_value());
    CHECK(*version == SqliteStore::LatestSchemaVersion());
  }
  auto reopened = OpenSqlite(path);
  CHECK(reopened->migrations_applied() == 0);
  CHECK(reopened->SchemaVersion() == SqliteStore::LatestSchemaVersion());
}

TEST_CASE("SQLite store refuses a database from a newer herald", "[store][sqlite]") {
  TempDir dir;
  const std::string path = dir.path() + "/herald.db";
  OpenSqlite(path).reset();
  {
    auto db = internal::Connection::Open(path, false);
    REQUIRE(db.has_value());
    auto known = internal::SchemaMigrations();
    std::vector<internal::Migration> newer(known.begin(), known.end());
    newer.push_back({static_cast<int>(known.size()) + 1, "from the future", "CREATE TABLE future (x)"});
    REQUIRE(internal::Migrate(**db, newer) == 1);
  }
  Status error = OpenError("sqlite:" + path);
  CHECK(error.code() == Code::kFailedPrecondition);
  CHECK_THAT(error.message(), Catch::Contains(path) && Catch::Contains("newer herald"));
}

TEST_CASE("Schema migrations apply in order, each step once and whole", "[store][sqlite]") {
  TempDir dir;
  auto db = internal::Connection::Open(dir.path() + "/m.db", true);
  REQUIRE(db.has_value());
  std::vector<internal::Migration> steps = {
      {1, "table", "CREATE TABLE t (x INTEGER)"},
      {2, "row", "INSERT INTO t VALUES (2)"},
  };
  CHECK(internal::Migrate(**db, steps) == 2);
  CHECK(internal::Migrate(**db, steps) == 0);
  steps.push_back({3, "row", "INSERT INTO t VALUES (3)"});
  CHECK(internal::Migrate(**db, steps) == 1);
  CHECK(internal::SchemaVersion(**db) == 3);

  auto sum = [&] {
    auto query = (*db)->Prepare("SELECT SUM(x) FROM t");
    REQUIRE(query.has_value());
    REQUIRE(query->Step() == true);
    return query->Int(0);
  };
  CHECK(sum() == 5);

  SECTION("a failing step leaves nothing of itself behind") {
    steps.push_back({4, "half", "INSERT INTO t VALUES (4); INSERT INTO missing VALUES (1)"});
    auto r = internal::Migrate(**db, steps);
    REQUIRE_FALSE(r.has_value());
    CHECK_THAT(r.error().message(), Catch::Contains("schema version 4"));
    CHECK(internal::SchemaVersion(**db) == 3);
    CHECK(sum() == 5);
  }
  SECTION("steps must be numbered 1..N") {
    steps[1].version = 5;
    auto r = internal::Migrate(**db, steps);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == Code::kInternal);
  }
}

TEST_CASE("SQLite store upgrades a database from before change numbers and claims", "[store][sqlite]") {
  TempDir dir;
  const std::string path = dir.path() + "/herald.db";
  {
    auto db = internal::Connection::Open(path, true);
    REQUIRE(db.has_value());
    REQUIRE(internal::Migrate(**db, internal::SchemaMigrations().first(1)) == 1);
    // Two posts as the first schema stored them: one in flight.
    REQUIRE((*db)->Exec(R"sql(
INSERT INTO posts (organization, account, author, text, labels, priority, media, requested_at,
  planned_at, state, reasons, approved_by, remote_id, remote_url, published_at, failure,
  created_at, updated_at, version)
VALUES ('acme', 'x', 'alice', 'old', '[]', 'normal', '[]', 1772442000, 1772442000, 'publishing',
        '[]', 'bob', '', '', NULL, '', 1772438400, 1772438400, 3),
       ('acme', 'x', 'alice', 'older', '[]', 'normal', '[]', 1772442000, NULL, 'pending_approval',
        '[]', '', '', '', NULL, '', 1772438400, 1772438400, 1))sql")
                .has_value());
  }
  auto store = OpenSqlite(path);
  CHECK(store->migrations_applied() == SqliteStore::LatestSchemaVersion() - 1);
  auto old = store->GetPost("acme", 1);
  REQUIRE(old.has_value());
  CHECK(old->text == "old");
  CHECK(old->version == 3);
  CHECK(old->claimed_by.empty());
  CHECK(old->change_seq > 0);
  auto changes = store->AccountChangesSince("acme", "x", 0);
  REQUIRE(changes.has_value());
  CHECK(changes->size() == 2);
  // Nobody holds a lease on a claim made before claims were recorded.
  auto orphans = store->OrphanedClaims(testing::At("2026-03-02T09:00:00Z"));
  REQUIRE(orphans.has_value());
  REQUIRE(orphans->size() == 1);
  CHECK(orphans->front().id == 1);
  // New writes get numbers above every migrated one.
  auto updated = store->UpdatePosts({{*old, {}}});
  REQUIRE(updated.has_value());
  CHECK(updated->front().change_seq > changes->back().change_seq);
  auto created = store->CreatePost(NewPost("acme", "x", "new"), {}, std::nullopt);
  REQUIRE(created.has_value());
  CHECK(created->change_seq > updated->front().change_seq);
}

TEST_CASE("SQLite store creates the database's folder", "[store][sqlite]") {
  TempDir dir;
  const std::string path = dir.path() + "/var/lib/herald/herald.db";
  auto store = OpenStore("sqlite:" + path);
  REQUIRE(store.has_value());
  CHECK(std::filesystem::exists(path));
}

TEST_CASE("SQLite store reports a database it cannot open as unavailable", "[store][sqlite]") {
  TempDir dir;
  std::string path;
  SECTION("the folder is a file") {
    std::ofstream(dir.path() + "/plain") << "not a folder";
    path = dir.path() + "/plain/herald.db";
  }
  SECTION("the database is a folder") {
    path = dir.path() + "/herald.db";
    std::filesystem::create_directory(path);
  }
  SECTION("the file is not a database") {
    path = dir.path() + "/herald.db";
    std::ofstream(path) << std::string(4096, 'x');
  }
  Status error = OpenError("sqlite:" + path);
  CHECK(error.code() == Code::kUnavailable);
  CHECK_THAT(error.message(), Catch::Contains(path));
}

TEST_CASE("OpenStore names the storage URLs it understands", "[store][sqlite]") {
  Status unknown = OpenError("mysql://db/herald");
  CHECK(unknown.code() == Code::kInvalidArgument);
  CHECK_THAT(unknown.message(), Catch::Contains("mysql://db/herald") && Catch::Contains("sqlite:PATH"));

  // PostgreSQL is understood: with no server there, it is unavailable.
  Status postgres = OpenError("postgresql://herald@127.0.0.1:1/herald");
  CHECK(postgres.code() == Code::kUnavailable);
  CHECK_THAT(postgres.message(), Catch::Contains("PostgreSQL"));

  CHECK(OpenError("sqlite:").code() == Code::kInvalidArgument);
}

}  // namespace
}  // namespace herald::storage
