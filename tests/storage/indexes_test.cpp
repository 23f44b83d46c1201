// The indexes on posts and events hold only the rows their queries look for
// (SQLite step 11, PostgreSQL step 10), PostgreSQL keeps one index fewer on
// posts, audit, history and events (step 11), and the queries still find their
// rows through an index rather than by reading the whole table.
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
  CHECK((*store)->migrations_applied() == SqliteStore::LatestSchemaVersion() - 10);
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

// PostgreSQL's plan for `s` on `db`, its lines joined.
std::string PgPlanOf(internal::PgConnection& db, const internal::Statement& s) {
  auto r = db.Exec("EXPLAIN " + internal::NumberPlaceholders(s.sql), internal::Params(s.values));
  REQUIRE(r.has_value());
  std::string plan;
  for (int i = 0; i < r->rows(); ++i) plan += r->Text(i, 0) + "\n";
  return plan;
}

TEST_CASE("PostgreSQL step 11 keys audit, history and events by the index their reads use, keeping their rows",
          "[store][postgresql][indexes]") {
  TempDir dir;
  auto [url, db] = testing::PostgresAtStep(dir, 10);
  // Rows as step 10 keeps them, two organisations interleaved.
  REQUIRE(db->ExecScript(R"sql(
INSERT INTO posts (organization, account, author, text, labels, priority, media, requested_at, planned_at,
  state, reasons, approved_by, remote_id, remote_url, published_at, failure, created_at, updated_at, version)
VALUES ('acme', 'x', 'alice', 'one', '[]', 'normal', '[]', 1772442000, 1772442000, 'scheduled', '[]', '', '', '',
        NULL, '', 1772438400, 1772438400, 1),
       ('other', 'x', 'bob', 'two', '[]', 'normal', '[]', 1772442000, 1772442000, 'scheduled', '[]', '', '', '',
        NULL, '', 1772438400, 1772438400, 1),
       ('acme', 'y', 'alice', 'three', '[]', 'normal', '[]', 1772442000, 1772442000, 'scheduled', '[]', '', '', '',
        NULL, '', 1772438400, 1772438400, 1),
       ('acme', 'x', 'alice', 'four', '[]', 'normal', '[]', 1772445600, 1772445600, 'scheduled', '[]', '', '', '',
        NULL, '', 1772438400, 1772438400, 1);
INSERT INTO post_history (post_id, at, from_state, to_state, actor)
VALUES (4, 1772438400, NULL, 'pending_approval', 'alice'), (1, 1772438400, NULL, 'scheduled', 'alice'),
       (4, 1772438460, 'pending_approval', 'scheduled', 'carol');
INSERT INTO audit (organization, at, actor, action, post_id, detail)
VALUES ('acme', 1772438400, 'alice', 'create', 1, '{"text":"one"}'),
       ('other', 1772438400, 'bob', 'create', 2, '{"text":"two"}'),
       ('acme', 1772438400, 'alice', 'create', 4, '~1{"x":"four"}'),
       ('acme', 1772438460, 'carol', 'approve', 4, '{}'),
       ('acme', 1772438500, 'carol', 'policy.reload', NULL, '{"sha256":"ab"}');
INSERT INTO events (id, organization, type, at, payload, routed)
VALUES ('evt_post_1_v1', 'acme', 'post.scheduled', 1772438400, '{"organization":"acme"}', 1),
       ('evt_post_2_v1', 'other', 'post.scheduled', 1772438400, '{"organization":"other"}', 0),
       ('evt_post_4_v2', 'acme', 'post.scheduled', 1772438460, '~1{"o":0}', 0);
)sql").has_value());

  auto store = PostgresStore::Open(url);
  REQUIRE(store.has_value());
  CHECK((*store)->migrations_applied() == PostgresStore::LatestSchemaVersion() - 10);

  auto posts = (*store)->ListPosts({.organization = "acme", .account = "x"});
  REQUIRE(posts.has_value());
  REQUIRE(posts->size() == 2);
  CHECK((*posts)[0].text == "one");
  CHECK((*posts)[1].text == "four");
  auto after = (*store)->ListPosts({.organization = "acme", .account = "x", .after_id = 1});
  REQUIRE(after.has_value());
  REQUIRE(after->size() == 1);
  CHECK((*after)[0].id == 4);

  auto history = (*store)->ListHistory("acme", 4);
  REQUIRE(history.has_value());
  REQUIRE(history->size() == 2);
  CHECK((*history)[0].to == PostState::kPendingApproval);
  CHECK((*history)[1].to == PostState::kScheduled);
  CHECK((*history)[1].actor == "carol");

  auto audit = (*store)->ListAudit({.organization = "acme"});
  REQUIRE(audit.has_value());
  REQUIRE(audit->size() == 4);
  CHECK((*audit)[0].detail == R"({"text":"one"})");
  CHECK((*audit)[1].detail == R"({"text":"four"})");
  CHECK((*audit)[2].action == "approve");
  CHECK(!(*audit)[3].post_id);
  auto of_post = (*store)->ListAudit({.organization = "acme", .post_id = 4});
  REQUIRE(of_post.has_value());
  REQUIRE(of_post->size() == 2);
  CHECK((*of_post)[0].id == 3);
  CHECK((*of_post)[1].id == 4);
  auto foreign = (*store)->ListAudit({.organization = "acme", .post_id = 2});
  REQUIRE(foreign.has_value());
  CHECK(foreign->empty());

  auto events = (*store)->ListEvents({.organization = "acme", .limit = 10});
  REQUIRE(events.has_value());
  REQUIRE(events->size() == 2);
  CHECK((*events)[0].id == "evt_post_1_v1");
  CHECK((*events)[1].id == "evt_post_4_v2");
  CHECK((*events)[1].payload == R"({"organization":"acme"})");
  auto unrouted = (*store)->UnroutedEvents(10);
  REQUIRE(unrouted.has_value());
  CHECK(unrouted->size() == 2);

  // With enough rows that a whole-table read costs more, each read takes its index.
  REQUIRE(db->ExecScript(R"sql(
INSERT INTO audit (organization, at, actor, action, post_id, detail)
  SELECT 'acme', 1772438400, 'alice', 'create', 1 + g % 4, '{}' FROM generate_series(1, 5000) g;
INSERT INTO events (id, organization, type, at, payload, routed)
  SELECT 'evt_' || g, 'acme', 'post.scheduled', 1772438400, '{}', 1 FROM generate_series(1, 5000) g;
INSERT INTO post_history (post_id, at, from_state, to_state, actor)
  SELECT 1 + g % 4, 1772438400, NULL, 'scheduled', 'alice' FROM generate_series(1, 5000) g;
ANALYZE;
)sql").has_value());
  auto plan = [&](const internal::Statement& s) { return PgPlanOf(*db, s); };
  auto listed = internal::ListAuditStatement({.organization = "acme", .limit = 10});
  REQUIRE(listed.has_value());
  CHECK_THAT(plan(*listed), Catch::Contains("audit_pkey"));
  auto by_post = internal::ListAuditStatement({.organization = "acme", .post_id = 4, .after_id = 4990, .limit = 10});
  REQUIRE(by_post.has_value());
  CHECK_THAT(plan(*by_post), Catch::Contains("audit_by_post"));
  CHECK_THAT(plan(internal::HistoryStatement(4)), Catch::Contains("post_history_pkey"));
  auto event_list = internal::ListEventsStatement({.organization = "acme", .limit = 10});
  REQUIRE(event_list.has_value());
  CHECK_THAT(plan(*event_list), Catch::Contains("events_pkey"));
  auto gone = db->Exec(
      "SELECT indexname FROM pg_indexes WHERE indexname IN ('posts_by_account', 'audit_by_organization',"
      " 'post_history_by_post', 'events_by_organization')");
  REQUIRE(gone.has_value());
  CHECK(gone->rows() == 0);
}

}  // namespace
}  // namespace herald::storage
