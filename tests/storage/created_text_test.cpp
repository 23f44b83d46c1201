// A create audit entry's detail leaves out the post's text and reasons while
// the post keeps them, and keeps those it was created with once an update
// changes the post's (storage/internal/created_text.h): every reader gets the bytes the
// entry was written with, on both stores, through one-post and batched
// updates, and for rows of the forms written before.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "storage/audit_detail.h"
#include "storage/internal/created_text.h"
#include "storage/internal/migrations.h"
#include "storage/internal/pg.h"
#include "storage/internal/pg_migrations.h"
#include "storage/internal/sqlite.h"
#include "storage/postgres_store.h"
#include "storage/sqlite_store.h"
#include "storage/store.h"
#include "tests/storage/store_testing.h"

namespace herald::storage {
namespace {

using testing::Day;
using testing::NewPost;
using testing::RawSql;
using testing::StoreFactory;
using testing::TempDir;


// What the service writes for a create, for a post of `text`.
std::string CreateDetail(const std::string& text_json) {
  return R"({"account":"acme-main","planned_at":"2026-03-02T10:00:00Z","reasons":[{"detail":"45m after post 3","posts":["3"],"rule":"min_spacing"}],"state":"scheduled","summary":"deferred 1h: min_spacing 45m after post 3","text":)" +
         text_json + "}";
}

AuditEntry Entry(std::string action, std::string detail) {
  AuditEntry entry = testing::Audit("alice", std::move(action));
  entry.detail = std::move(detail);
  return entry;
}

Post Scheduled(std::string text) {
  Post p = NewPost("acme", "acme-main", std::move(text));
  p.state = PostState::kScheduled;
  p.planned_at = Day(3, 2, 10);
  return p;
}

// The details of the post's audit entries, listed by post and by organisation.
std::vector<std::string> Details(Store& store, int64_t post_id) {
  auto by_post = store.ListAudit({.organization = "acme", .post_id = post_id, .limit = 100});
  REQUIRE(by_post.has_value());
  auto all = store.ListAudit({.organization = "acme", .limit = 1000});
  REQUIRE(all.has_value());
  std::vector<std::string> details, listed;
  for (const AuditEntry& e : *by_post) details.push_back(e.detail);
  for (const AuditEntry& e : *all) {
    if (e.post_id == post_id) listed.push_back(e.detail);
  }
  CHECK(listed == details);
  return details;
}

Post Edited(Post post, std::string text) {
  post.text = std::move(text);
  post.updated_at = Day(3, 1, 9);
  return post;
}

TEST_CASE("A create entry reads the text it was created with, before and after the post's text is edited",
          "[store][created_text]") {
  EACH_STORE();
  // Quotes, a line break and letters of more than one byte: the kept text is counted in bytes.
  const std::string text = "h\xc3\xa9llo \"w\xc3\xb6rld\"\nbye";
  const std::string written = CreateDetail("\"h\xc3\xa9llo \\\"w\xc3\xb6rld\\\"\\nbye\"");
  auto post = store->CreatePost(Scheduled(text), {Entry("create", written)}, std::nullopt);
  REQUIRE(post.has_value());
  const std::string id = std::to_string(post->id);
  const std::string raw = RawSql(factory, dir, "SELECT detail FROM audit WHERE post_id = " + id);
  CHECK(raw.starts_with("~2{"));
  CHECK(raw.find("llo") == std::string::npos);
  CHECK(Details(*store, post->id) == std::vector<std::string>{written});

  SECTION("a change that keeps the text keeps the entry as it is") {
    Post approved = *post;
    approved.updated_at = Day(3, 1, 9);
    auto stored = store->UpdatePosts({{approved, {Entry("approve", "{}")}}});
    REQUIRE(stored.has_value());
    CHECK(RawSql(factory, dir, "SELECT detail FROM audit WHERE post_id = " + id + " AND action = 'create'") == raw);
    CHECK(Details(*store, post->id) == std::vector<std::string>{written, "{}"});
  }
  SECTION("an edit moves the old text into the entry, and later edits leave it") {
    auto first = store->UpdatePosts({{Edited(*post, "second"), {Entry("edit", R"({"text":"second"})")}}});
    REQUIRE(first.has_value());
    CHECK(RawSql(factory, dir, "SELECT detail FROM audit WHERE post_id = " + id + " AND action = 'create'")
              .starts_with("~3"));
    CHECK(Details(*store, post->id) == std::vector<std::string>{written, R"({"text":"second"})"});
    auto second = store->UpdatePosts({{Edited(first->at(0), "third"), {}}});
    REQUIRE(second.has_value());
    CHECK(Details(*store, post->id) == std::vector<std::string>{written, R"({"text":"second"})"});
    auto now = store->GetPost("acme", post->id);
    REQUIRE(now.has_value());
    CHECK(now->text == "third");
  }
  SECTION("edits of several posts in one batch") {
    auto other = store->CreatePost(Scheduled("other"), {Entry("create", CreateDetail("\"other\""))}, std::nullopt);
    REQUIRE(other.has_value());
    auto both = store->UpdatePosts({{Edited(*post, "one"), {}}, {Edited(*other, "two"), {}}});
    REQUIRE(both.has_value());
    CHECK(Details(*store, post->id) == std::vector<std::string>{written});
    CHECK(Details(*store, other->id) == std::vector<std::string>{CreateDetail("\"other\"")});
  }
}

TEST_CASE("A create entry reads the reasons it was created with, before and after the post is moved",
          "[store][created_text]") {
  EACH_STORE();
  Post deferred = Scheduled("hello");
  deferred.reasons = {{"min_spacing", "45m after post 3", {"3"}}};
  const std::string written = CreateDetail("\"hello\"");
  auto post = store->CreatePost(deferred, {Entry("create", written)}, std::nullopt);
  REQUIRE(post.has_value());
  const std::string id = std::to_string(post->id);
  const std::string raw = RawSql(factory, dir, "SELECT detail FROM audit WHERE post_id = " + id);
  CHECK(raw.starts_with("~4{"));
  CHECK(raw.find("min_spacing") == std::string::npos);
  CHECK(Details(*store, post->id) == std::vector<std::string>{written});

  SECTION("moved: other reasons, the same text") {
    Post moved = Edited(*post, "hello");
    moved.reasons = {{"quiet_hours", "00:00-06:00", {}}};
    moved.planned_at = Day(3, 2, 11);
    auto stored = store->UpdatePosts({{moved, {Entry("move", "{}")}}});
    REQUIRE(stored.has_value());
    CHECK(RawSql(factory, dir, "SELECT detail FROM audit WHERE post_id = " + id + " AND action = 'create'")
              .starts_with("~5"));
    CHECK(Details(*store, post->id) == std::vector<std::string>{written, "{}"});
    auto again = store->UpdatePosts({{Edited(stored->at(0), "edited"), {}}});
    REQUIRE(again.has_value());
    CHECK(Details(*store, post->id) == std::vector<std::string>{written, "{}"});
  }
  SECTION("edited: other text, the same reasons, in a batch with another post") {
    auto other = store->CreatePost(Scheduled("other"), {}, std::nullopt);
    REQUIRE(other.has_value());
    auto both = store->UpdatePosts({{Edited(*post, "edited"), {}}, {Edited(*other, "other edited"), {}}});
    REQUIRE(both.has_value());
    CHECK(Details(*store, post->id) == std::vector<std::string>{written});
  }
  SECTION("a state change keeps the entry as it is") {
    Post approved = *post;
    approved.state = PostState::kPublishing;
    auto stored = store->UpdatePosts({{approved, {}}});
    REQUIRE(stored.has_value());
    CHECK(RawSql(factory, dir, "SELECT detail FROM audit WHERE post_id = " + id + " AND action = 'create'") == raw);
    CHECK(Details(*store, post->id) == std::vector<std::string>{written});
  }
}

TEST_CASE("A create entry packed by its writer from the value is stored without the post's text and reasons too",
          "[store][created_text]") {
  EACH_STORE();
  Post deferred = Scheduled("hello");
  deferred.reasons = {{"min_spacing", "45m after post 3", {"3"}}};
  const std::string written = CreateDetail("\"hello\"");
  // The way the daemon writes it: text and stored form made from one value.
  AuditEntry entry = Entry("create", "");
  entry.organization = "acme";
  SetAuditDetail(entry, nlohmann::json::parse(written));
  REQUIRE(entry.detail == written);
  REQUIRE(entry.stored_detail.starts_with("~1"));
  auto post = store->CreatePost(deferred, {entry}, std::nullopt);
  REQUIRE(post.has_value());
  const std::string raw = RawSql(factory, dir, "SELECT detail FROM audit WHERE post_id = " + std::to_string(post->id));
  CHECK(raw.starts_with("~4{"));
  CHECK(raw.find("hello") == std::string::npos);
  CHECK(Details(*store, post->id) == std::vector<std::string>{written});
}

TEST_CASE("A create entry whose text is not the post's is kept whole", "[store][created_text]") {
  EACH_STORE();
  const std::string detail = CreateDetail("\"not the post's\"");
  auto post = store->CreatePost(Scheduled("the post's"), {Entry("create", detail), Entry("note", R"({"text":"the post's"})")},
                                std::nullopt);
  REQUIRE(post.has_value());
  CHECK(RawSql(factory, dir, "SELECT detail FROM audit WHERE action = 'create'").starts_with("~1{"));
  CHECK(Details(*store, post->id) == std::vector<std::string>{detail, R"({"text":"the post's"})"});
  auto edited = store->UpdatePosts({{Edited(*post, "new"), {}}});
  REQUIRE(edited.has_value());
  CHECK(Details(*store, post->id) == std::vector<std::string>{detail, R"({"text":"the post's"})"});
}

// A store opened (migrated) on kOlderRows: its create entries read as written,
// before and after an edit of the post's text.
void CheckOlderForms(Store& store) {
  const std::vector<std::string> details = {CreateDetail("\"kept\""), CreateDetail("\"kept\"")};
  CHECK(Details(store, 1) == details);
  auto post = store.GetPost("acme", 1);
  REQUIRE(post.has_value());
  auto edited = store.UpdatePosts({{Edited(*post, "changed"), {}}});
  REQUIRE(edited.has_value());
  CHECK(Details(store, 1) == details);
}

constexpr std::string_view kOlderRows = R"sql(
INSERT INTO posts (organization, account, author, text, labels, priority, media, requested_at, planned_at,
  state, reasons, approved_by, remote_id, remote_url, published_at, failure, created_at, updated_at, version)
VALUES ('acme', 'acme-main', 'alice', 'kept', '[]', 'normal', '[]', 1772442000, 1772442000, 'scheduled', '[]',
        '', '', '', NULL, '', 1772438400, 1772438400, 1);
INSERT INTO audit (organization, at, actor, action, post_id, detail)
VALUES ('acme', 1772438400, 'alice', 'create', 1, '{"account":"acme-main","planned_at":"2026-03-02T10:00:00Z","reasons":[{"detail":"45m after post 3","posts":["3"],"rule":"min_spacing"}],"state":"scheduled","summary":"deferred 1h: min_spacing 45m after post 3","text":"kept"}'),
       ('acme', 1772438400, 'alice', 'create', 1, '~1{"S":"deferred 1h","a":"acme-main","p":1772445600,"r":[["min_spacing","45m after post 3",["3"]]],"s":1,"x":"kept"}');
)sql";

TEST_CASE("SQLite step 12 reads the create entries written before it, and an edit leaves them",
          "[store][sqlite][created_text]") {
  TempDir dir;
  const std::string path = dir.path() + "/herald.db";
  {
    auto db = internal::Connection::Open(path, true);
    REQUIRE(db.has_value());
    REQUIRE(internal::Migrate(**db, internal::SchemaMigrations().first(11)) == 11);
    REQUIRE((*db)->Exec(std::string(kOlderRows)).has_value());
  }
  auto store = SqliteStore::Open(path);
  REQUIRE(store.has_value());
  CHECK((*store)->migrations_applied() == SqliteStore::LatestSchemaVersion() - 11);
  CheckOlderForms(**store);
}

TEST_CASE("PostgreSQL step 11 reads the create entries written before it, and an edit leaves them",
          "[store][postgresql][created_text]") {
  TempDir dir;
  auto [url, db] = testing::PostgresAtStep(dir, 10);
  REQUIRE(db->ExecScript(kOlderRows).has_value());
  db.reset();
  auto store = PostgresStore::Open(url);
  REQUIRE(store.has_value());
  CHECK((*store)->migrations_applied() == PostgresStore::LatestSchemaVersion() - 10);
  CheckOlderForms(**store);
}

TEST_CASE("A stored create detail that cannot be read back is an internal error", "[created_text]") {
  using internal::UnpackDetail;
  const std::string detail = CreateDetail("\"hello\"");
  const std::string reasons = R"([["min_spacing","45m after post 3",["3"]]])";
  const std::string stored = internal::PackCreateDetail(detail, "acme", "hello", "[]");
  REQUIRE(stored.starts_with("~2{"));
  CHECK(UnpackDetail(stored, "acme", std::string("hello"), std::nullopt) == detail);
  CHECK(UnpackDetail(stored, "acme", std::nullopt, std::nullopt).error().code() == Code::kInternal);
  const std::string kept = "~35:hello" + stored.substr(2);
  CHECK(UnpackDetail(kept, "acme", std::nullopt, std::nullopt) == detail);
  CHECK(UnpackDetail(kept, "acme", std::string("edited"), std::nullopt) == detail);
  CHECK(UnpackDetail("~39:hello" + stored.substr(2), "acme", std::nullopt, std::nullopt).error().code() ==
        Code::kInternal);
  CHECK(UnpackDetail("~3x:hello", "acme", std::nullopt, std::nullopt).error().code() == Code::kInternal);
  CHECK(UnpackDetail("~35", "acme", std::nullopt, std::nullopt).error().code() == Code::kInternal);

  const std::string both = internal::PackCreateDetail(detail, "acme", "hello", reasons);
  REQUIRE(both.starts_with("~4{"));
  CHECK(UnpackDetail(both, "acme", std::string("hello"), reasons) == detail);
  CHECK(UnpackDetail(both, "acme", std::string("hello"), std::nullopt).error().code() == Code::kInternal);
  const std::string kept_both = "~55:hello" + std::to_string(reasons.size()) + ":" + reasons + both.substr(2);
  CHECK(UnpackDetail(kept_both, "acme", std::nullopt, std::nullopt) == detail);
  CHECK(UnpackDetail("~55:hello99:[]" + both.substr(2), "acme", std::nullopt, std::nullopt).error().code() ==
        Code::kInternal);
  // Not for this post's text, not an object: packed as any detail.
  CHECK(internal::PackCreateDetail(detail, "acme", "other", reasons).starts_with("~1{"));
  CHECK(internal::PackCreateDetail("[1]", "acme", "hello", "[]") == "[1]");
}

}  // namespace
}  // namespace herald::storage
