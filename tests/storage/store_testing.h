// Helpers shared by the Store tests: a temporary folder removed afterwards,
// the list of Store implementations the contract suite runs against, and
// builders for posts and audit entries, and EACH_STORE() to run a test case on
// every store.
#pragma once

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/post.h"
#include "core/time.h"
#include "storage/internal/pg.h"
#include "storage/internal/pg_migrations.h"
#include "storage/internal/sqlite.h"
#include "storage/store.h"
#include "tests/support/pg_database.h"

namespace herald::storage::testing {

// A fresh folder under the system temp folder, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "herald-store-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One Store implementation: how to open (or reopen) it on a folder.
struct StoreFactory {
  std::string name;
  std::function<Result<std::unique_ptr<Store>>(const std::string& dir)> open;
};

// ---- PostgreSQL: one database per test folder on the server that
// scripts/with-postgres starts (HERALD_TEST_POSTGRES). ----

inline constexpr std::string_view kNoTestPostgres =
    "HERALD_TEST_POSTGRES is not set, so the PostgreSQL store tests cannot run: run them through "
    "scripts/test, or as scripts/with-postgres build/tests/herald-tests ..., which start a private "
    "PostgreSQL server";

// The maintenance URL, or an error saying how to get one.
inline Result<std::string> TestPostgresUrl() {
  const char* url = std::getenv("HERALD_TEST_POSTGRES");
  if (url == nullptr || *url == '\0') {
    return std::unexpected(Status(Code::kFailedPrecondition, std::string(kNoTestPostgres)));
  }
  return std::string(url);
}

using herald::testing::WithDatabase;

// One database per test folder. They are not dropped (DROP DATABASE forces a
// checkpoint, about a second each): they live in the throwaway cluster of
// scripts/with-postgres, removed with it.
class TestDatabases {
 public:
  static TestDatabases& Get() {
    static TestDatabases databases;
    return databases;
  }
  // The URL of the database for `dir`, created when new.
  Result<std::string> For(const std::string& dir) {
    auto url = TestPostgresUrl();
    if (!url) return std::unexpected(url.error());
    char name[40];
    std::snprintf(name, sizeof name, "herald_t_%016zx", std::hash<std::string>()(dir));
    std::lock_guard lock(mu_);
    auto admin = internal::PgConnection::Open(*url);
    if (!admin) return std::unexpected(admin.error());
    auto exists = (*admin)->Exec("SELECT 1 FROM pg_database WHERE datname = $1", {internal::P(name)});
    if (!exists) return std::unexpected(exists.error());
    if (exists->rows() == 0) {
      if (auto r = (*admin)->ExecScript(std::string("CREATE DATABASE ") + name); !r) {
        return std::unexpected(r.error());
      }
    }
    return WithDatabase(*url, name);
  }

 private:
  std::mutex mu_;  // one creation at a time
};

inline Result<std::unique_ptr<Store>> OpenTestPostgres(const std::string& dir) {
  auto url = TestDatabases::Get().For(dir);
  if (!url) return std::unexpected(url.error());
  return OpenStore(*url);
}

// Every implementation the contract suite covers.
inline const std::vector<StoreFactory>& StoreFactories() {
  static const std::vector<StoreFactory> factories = {
      {"sqlite", [](const std::string& dir) { return OpenStore("sqlite:" + dir + "/herald.db"); }},
      {"postgresql", OpenTestPostgres},
  };
  return factories;
}

// A fresh store of `factory` in `dir`; the test fails when it cannot open.
inline std::unique_ptr<Store> OpenIn(const StoreFactory& factory, const TempDir& dir) {
  auto store = factory.open(dir.path());
  if (!store) FAIL("cannot open the " << factory.name << " store: " << store.error().message());
  return std::move(*store);
}

// Runs `sql` on the database of `factory`'s store in `dir` through a
// connection of its own, and returns the first column of its first row (""
// without rows).
inline std::string RawSql(const StoreFactory& factory, const TempDir& dir, const std::string& sql) {
  if (factory.name == "sqlite") {
    auto db = internal::Connection::Open(dir.path() + "/herald.db", false);
    REQUIRE(db.has_value());
    auto q = (*db)->Prepare(sql);
    REQUIRE(q.has_value());
    auto row = q->Step();
    REQUIRE(row.has_value());
    return *row ? q->Text(0) : "";
  }
  auto url = TestDatabases::Get().For(dir.path());
  REQUIRE(url.has_value());
  auto db = internal::PgConnection::Open(*url);
  REQUIRE(db.has_value());
  auto r = (*db)->Exec(sql);
  REQUIRE(r.has_value());
  return r->rows() > 0 ? r->Text(0, 0) : "";
}

// The URL of a PostgreSQL database for `dir` migrated to its first `steps`
// steps, and a connection to it.
inline std::pair<std::string, std::unique_ptr<internal::PgConnection>> PostgresAtStep(const TempDir& dir, int steps) {
  auto url = TestDatabases::Get().For(dir.path());
  REQUIRE(url.has_value());
  auto db = internal::PgConnection::Open(*url);
  REQUIRE(db.has_value());
  REQUIRE(internal::PgMigrate(**db, internal::PgSchemaMigrations().first(steps)) == steps);
  return {*url, std::move(*db)};
}

inline Instant At(std::string_view rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  REQUIRE(t.has_value());
  return *t;
}

// Builders below never assert (Catch2 assertions are not thread-safe): the
// concurrency tests call them from many threads.
inline Instant Day(int month, int day, int hour = 0) {
  using namespace std::chrono;
  return sys_days{year{2026} / month / day} + hours{hour};
}

inline Post NewPost(std::string organization, std::string account, std::string text) {
  Post post;
  post.organization = std::move(organization);
  post.account = std::move(account);
  post.author = "alice";
  post.text = std::move(text);
  post.requested_at = Day(3, 2, 9);
  post.created_at = Day(3, 1, 8);
  post.updated_at = post.created_at;
  return post;
}

inline AuditEntry Audit(std::string actor, std::string action, Instant at = Day(3, 1, 8)) {
  AuditEntry entry;
  entry.at = at;
  entry.actor = std::move(actor);
  entry.action = std::move(action);
  entry.detail = "{}";
  return entry;
}

}  // namespace herald::storage::testing

// Runs the rest of the test case once per store, each on a fresh one:
// `factory`, `dir` and `store` (a std::unique_ptr<Store>) name it.
#define EACH_STORE()                                                                                    \
  const ::herald::storage::testing::StoreFactory& factory = ::herald::storage::testing::StoreFactories()[ \
      GENERATE(range(size_t{0}, ::herald::storage::testing::StoreFactories().size()))];                   \
  INFO("store: " << factory.name);                                                                      \
  ::herald::storage::testing::TempDir dir;                                                              \
  auto store = ::herald::storage::testing::OpenIn(factory, dir)
