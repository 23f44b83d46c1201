// The indexes on posts and events hold only the rows their queries look for
// (SQLite step 11, PostgreSQL step 10), and the queries still find them
// through an index rather than by reading the whole table.
#include <catch2/catch.hpp>

#include <string>

#include "storage/internal/engagement_rows.h"
#include "storage/internal/event_rows.h"
#include "storage/internal/migrations.h"
#include "storage/internal/pg.h"
#include "storage/internal/pg_migrations.h"
#include "storage/internal/sqlite.h"
#include "storage/internal/statements.h"
#include "storage/postgres_store.h"
#include "storage/sqlite_store.h"
#include "tests/storage/store_testing.h"

namespace herald::storage {
namespace {

using testing::Day;
using testing::TempDir;

// SQLite's plan for `s`, one line per step.
std::string PlanOf(internal::Connection& db, const internal::Statement& s) {
  auto q = db.Prepare("EXPLAIN QUERY PLAN " + s.sql);
  REQUIRE(q.has_value());
  q->BindAll(s.values);
  std::string plan;
  while (true) {
    auto row = q->Step();
    REQUIRE(row.has_value());
    if (!*row) break;
    plan += q->Text(3) + "\n";
  }
  return plan;
}

TEST_CASE("SQLite finds posts and events through the narrowed indexes", "[store][sqlite][indexes]") {
  TempDir dir;
  auto db = internal::Connection::Open(dir.path() + "/herald.db", true);
  REQUIRE(db.has_value());
  REQUIRE(internal::Migrate(**db, internal::SchemaMigrations()).has_value());
  auto plan = [&](const internal::Statement& s) { return PlanOf(**db, s); };

  CHECK_THAT(plan(internal::OrphanedClaimsStatement(Day(3, 1))), Catch::Contains("posts_publishing"));
  CHECK_THAT(plan(internal::EngagementTargetsStatement(Day(3, 1), 3, 10)), Catch::Contains("posts_by_published"));
  CHECK_THAT(plan(internal::UnroutedEventsStatement(10)), Catch::Contains("events_unrouted"));
  CHECK_THAT(plan(internal::AccountChangesStatement("acme", "x", 0)), Catch::Contains("posts_by_account_change"));
  auto listed = internal::ListPostsStatement({.organization = "acme", .account = "x", .limit = 10});
  REQUIRE(listed.has_value());
  CHECK_THAT(plan(*listed), Catch::Contains("posts_by_account"));
  auto by_state = internal::ListPostsStatement({.organization = "acme", .state = PostState::kScheduled, .limit = 10});
  REQUIRE(by_state.has_value());
  CHECK_THAT(plan(*by_state), Catch::Contains("posts_by_organization"));
  // The inbox's lookup of the post an item answers names the partial index's condition.
  CHECK_THAT(plan({"SELECT p.id FROM posts p WHERE p.organization = ? AND p.account = ? AND p.remote_id = ?"
                   " AND p.remote_id <> '' ORDER BY p.id LIMIT 1",
                   {std::string("acme"), std::string("x"), std::string("123")}}),
             Catch::Contains("posts_by_remote_id"));
}

TEST_CASE("SQLite step 11 narrows the indexes of a database from before it, keeping its rows", "[store][sqlite][indexes]") {
  TempDir dir;
  const std::string path = dir.path() + "/herald.db";
  {
    auto db = internal::Connection::Open(path, true);
    REQUIRE(db.has_value());
    REQUIRE(internal::Migrate(**db, internal::SchemaMigrations().first(10)) == 10);
    REQUIRE((*db)->Exec(R"sql(
INSERT INTO posts (organization, account, author, text, labels, priority, media, requested_at,
  planned_at, state, reasons, approved_by, remote_id, remote_url, published_at, failure,
  created_at, updated_at, version)
VALUES ('acme', 'x-main', 'alice', 'kept', '[]', 'normal', '[]', 1772442000, 1772442000, 'published',
        '[]', '', 'r-1', 'https://x/r-1', 1772442000, '', 1772438400, 1772438400, 3))sql")
                .has_value());
  }
  auto store = SqliteStore::Open(path);
  REQUIRE(store.has_value());
  CHECK((*store)->migrations_applied() == 1);
  CHECK((*store)->GetPost("acme", 1)->remote_id == "r-1");
  // Found again through the rebuilt partial index.
  auto targets = (*store)->EngagementTargets(Day(1, 1), 3, 10);
  REQUIRE(targets.has_value());
  CHECK(targets->size() == 1);
}

TEST_CASE("PostgreSQL step 10 makes the posts and events indexes partial", "[store][postgresql][indexes]") {
  TempDir dir;
  auto url = testing::TestDatabases::Get().For(dir.path());
  REQUIRE(url.has_value());
  REQUIRE(OpenStore(*url).has_value());
  auto db = internal::PgConnection::Open(*url);
  REQUIRE(db.has_value());
  auto definition = [&](const std::string& index) {
    auto r = (*db)->Exec("SELECT indexdef FROM pg_indexes WHERE indexname = $1", {internal::P(index)});
    REQUIRE(r.has_value());
    REQUIRE(r->rows() == 1);
    return r->Text(0, 0);
  };
  CHECK_THAT(definition("posts_publishing"), Catch::Contains("WHERE (state = 'publishing'::text)"));
  CHECK_THAT(definition("posts_by_published"), Catch::Contains("WHERE (state = 'published'::text)"));
  CHECK_THAT(definition("posts_by_remote_id"), Catch::Contains("WHERE (remote_id <> ''::text)"));
  CHECK_THAT(definition("events_unrouted"), Catch::Contains("WHERE (routed = 0)"));
  auto gone = (*db)->Exec("SELECT 1 FROM pg_indexes WHERE indexname = 'posts_by_state'");
  REQUIRE(gone.has_value());
  CHECK(gone->rows() == 0);
}

}  // namespace
}  // namespace herald::storage
