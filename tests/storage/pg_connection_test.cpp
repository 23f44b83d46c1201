// PgConnection's prepared statements: each statement text is parsed and
// planned once per connection and run by name after that, and the cache never
// makes a statement fail that would have run unprepared (the server forgot it,
// a table changed under it, the connection died, the cache is full).
//
// These run against the private server of scripts/with-postgres.
#include "storage/internal/pg.h"

#include <catch2/catch.hpp>

#include <string>

#include "tests/storage/store_testing.h"

namespace herald::storage::internal {
namespace {

using testing::TempDir;

std::unique_ptr<PgConnection> Connect(const std::string& url) {
  auto conn = PgConnection::Open(url);
  if (!conn) FAIL("cannot connect: " << conn.error().message());
  return std::move(*conn);
}

std::string DatabaseUrl(const TempDir& dir) {
  auto url = testing::TestDatabases::Get().For(dir.path());
  if (!url) FAIL(url.error().message());
  return *url;
}

// Statements prepared on `conn`'s server session, as the server counts them.
int64_t ServerPrepared(PgConnection& conn) {
  auto r = conn.Exec("SELECT count(*) FROM pg_prepared_statements");
  REQUIRE(r.has_value());
  return r->Int(0, 0);
}

constexpr std::string_view kAddOne = "SELECT $1::bigint + 1";

TEST_CASE("PostgreSQL connection prepares a statement once and runs it by name after", "[store][postgresql]") {
  TempDir dir;
  auto conn = Connect(DatabaseUrl(dir));
  for (int64_t i = 0; i < 3; ++i) {
    auto r = conn->Exec(kAddOne, {P(i)});
    REQUIRE(r.has_value());
    CHECK(r->Int(0, 0) == i + 1);
  }
  CHECK(conn->prepared() == 1);
  CHECK(ServerPrepared(*conn) == 1);
  // A NULL parameter goes through the prepared statement too.
  auto null = conn->Exec(kAddOne, {std::nullopt});
  REQUIRE(null.has_value());
  CHECK(null->IsNull(0, 0));
  // Statements without parameters are not kept.
  REQUIRE(conn->Exec("SELECT 1").has_value());
  CHECK(conn->prepared() == 1);
}

TEST_CASE("PostgreSQL connection runs a statement again on a new connection after the old one dropped",
          "[store][postgresql]") {
  TempDir dir;
  const std::string url = DatabaseUrl(dir);
  auto old_conn = Connect(url);
  auto pid = old_conn->Exec("SELECT pg_backend_pid()");
  REQUIRE(pid.has_value());
  REQUIRE(old_conn->Exec(kAddOne, {P(int64_t{1})}).has_value());
  {
    auto admin = Connect(url);
    REQUIRE(admin->Exec("SELECT pg_terminate_backend($1::int)", {P(pid->Int(0, 0))}).has_value());
  }
  auto lost = old_conn->Exec(kAddOne, {P(int64_t{2})});
  REQUIRE_FALSE(lost.has_value());
  CHECK(lost.error().code() == Code::kUnavailable);
  CHECK_FALSE(old_conn->ok());

  auto new_conn = Connect(url);
  auto again = new_conn->Exec(kAddOne, {P(int64_t{2})});
  REQUIRE(again.has_value());
  CHECK(again->Int(0, 0) == 3);
  CHECK(ServerPrepared(*new_conn) == 1);
}

TEST_CASE("PostgreSQL connection prepares a statement again when the server forgot it", "[store][postgresql]") {
  TempDir dir;
  auto conn = Connect(DatabaseUrl(dir));
  REQUIRE(conn->Exec(kAddOne, {P(int64_t{1})}).has_value());
  REQUIRE(conn->ExecScript("DEALLOCATE ALL").has_value());
  CHECK(ServerPrepared(*conn) == 0);
  auto r = conn->Exec(kAddOne, {P(int64_t{41})});
  REQUIRE(r.has_value());
  CHECK(r->Int(0, 0) == 42);
  CHECK(ServerPrepared(*conn) == 1);
}

TEST_CASE("PostgreSQL connection prepares a statement again when its table changed columns", "[store][postgresql]") {
  TempDir dir;
  auto conn = Connect(DatabaseUrl(dir));
  REQUIRE(conn->ExecScript("CREATE TABLE shapes (id bigint); INSERT INTO shapes VALUES (1)").has_value());
  constexpr std::string_view kSelect = "SELECT * FROM shapes WHERE id = $1";
  REQUIRE(conn->Exec(kSelect, {P(int64_t{1})}).has_value());
  REQUIRE(conn->ExecScript("ALTER TABLE shapes ADD COLUMN name text DEFAULT 'square'").has_value());

  SECTION("outside a transaction it runs again at once") {
    auto r = conn->Exec(kSelect, {P(int64_t{1})});
    REQUIRE(r.has_value());
    CHECK(r->Text(0, 1) == "square");
  }
  SECTION("inside one the transaction fails, and the statement runs after it") {
    REQUIRE(conn->ExecScript("BEGIN").has_value());
    CHECK_FALSE(conn->Exec(kSelect, {P(int64_t{1})}).has_value());
    REQUIRE(conn->ExecScript("ROLLBACK").has_value());
    auto r = conn->Exec(kSelect, {P(int64_t{1})});
    REQUIRE(r.has_value());
    CHECK(r->Text(0, 1) == "square");
  }
}

TEST_CASE("PostgreSQL connection runs statements unprepared once its cache is full", "[store][postgresql]") {
  TempDir dir;
  auto conn = Connect(DatabaseUrl(dir));
  for (size_t i = 0; i <= PgConnection::kMaxPrepared; ++i) {
    auto r = conn->Exec("SELECT $1::bigint + " + std::to_string(i), {P(int64_t{1})});
    REQUIRE(r.has_value());
    REQUIRE(r->Int(0, 0) == static_cast<int64_t>(i) + 1);
  }
  CHECK(conn->prepared() == PgConnection::kMaxPrepared);
  CHECK(ServerPrepared(*conn) == static_cast<int64_t>(PgConnection::kMaxPrepared));
}

TEST_CASE("PostgreSQL connection reports a statement the server cannot prepare", "[store][postgresql]") {
  TempDir dir;
  auto conn = Connect(DatabaseUrl(dir));
  auto r = conn->Exec("SELECT missing_column FROM pg_class WHERE oid = $1", {P(int64_t{1})});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == Code::kInternal);
  CHECK_THAT(r.error().message(), Catch::Contains("missing_column"));
  CHECK(conn->prepared() == 0);
  CHECK(conn->reusable());
}

}  // namespace
}  // namespace herald::storage::internal
