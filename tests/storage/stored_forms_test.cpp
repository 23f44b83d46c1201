// What each store keeps of a post, its audit entries and its events is the
// packed form (storage/internal/packed_json.h, reasons as arrays), and every
// reader gets back what was written: rows written in the new form, and rows
// of the old form as herald wrote them before SQLite step 11 and PostgreSQL
// step 10 (put in by SQL here), on both stores.
#include <catch2/catch.hpp>

#include <string>

#include "storage/internal/event_rows.h"
#include "storage/internal/pg.h"
#include "storage/internal/sqlite.h"
#include "storage/store.h"
#include "tests/storage/store_testing.h"

namespace herald::storage {
namespace {

using testing::Day;
using testing::NewPost;
using testing::RawSql;
using testing::StoreFactory;
using testing::TempDir;


const std::string kCreateDetail =
    R"({"account":"acme-main","planned_at":"2026-03-02T10:00:00Z","reasons":[{"detail":"45m after post 3","posts":["3"],"rule":"min_spacing"}],"state":"scheduled","summary":"deferred 1h: min_spacing 45m after post 3","text":"hello"})";

Post Scheduled() {
  Post p = NewPost("acme", "acme-main", "hello");
  p.state = PostState::kScheduled;
  p.planned_at = Day(3, 2, 10);
  p.labels = {"launch"};
  p.reasons = {{"quiet_hours", "00:00-06:00", {}}, {"min_spacing", "45m after post 3", {"3"}}};
  return p;
}

AuditEntry CreateEntry() {
  AuditEntry entry = testing::Audit("alice", "create");
  entry.detail = kCreateDetail;
  return entry;
}

TEST_CASE("A new post's row, audit entry and event are stored packed and read back as written", "[store][packed]") {
  EACH_STORE();
  auto created = store->CreatePost(Scheduled(), {CreateEntry()}, std::nullopt);
  REQUIRE(created.has_value());
  const std::string id = std::to_string(created->id);

  CHECK(RawSql(factory, dir, "SELECT reasons FROM posts WHERE id = " + id) ==
        R"([["quiet_hours","00:00-06:00"],["min_spacing","45m after post 3",["3"]]])");
  // The create entry's text is the post's (created_text_test.cpp).
  const std::string detail = RawSql(factory, dir, "SELECT detail FROM audit WHERE post_id = " + id);
  CHECK(detail.starts_with("~2{"));
  CHECK(detail.find("hello") == std::string::npos);
  CHECK(RawSql(factory, dir, "SELECT payload FROM events").starts_with("~1{"));

  auto post = store->GetPost("acme", created->id);
  REQUIRE(post.has_value());
  CHECK(post->reasons == Scheduled().reasons);
  auto audit = store->ListAudit({.organization = "acme", .limit = 10});
  REQUIRE(audit.has_value());
  REQUIRE(audit->size() == 1);
  CHECK(audit->at(0).detail == kCreateDetail);

  // Listed and delivered: the body the current encoder makes of the stored post.
  auto expected = internal::PostEvent(std::nullopt, std::nullopt, *post);
  REQUIRE(expected.has_value());
  auto events = store->ListEvents({"acme", std::nullopt, std::nullopt, 0, 10});
  REQUIRE(events.has_value());
  REQUIRE(events->size() == 1);
  CHECK(events->at(0).payload == expected->payload);
  auto unrouted = store->UnroutedEvents(10);
  REQUIRE(unrouted.has_value());
  REQUIRE(unrouted->size() == 1);
  CHECK(unrouted->at(0).payload == expected->payload);
  REQUIRE(store->RouteEvent(events->at(0).id, "acme", {"https://hooks.example/a"}, Day(3, 1, 8)).value());
  auto claimed = store->ClaimDeliveries({"claim-1", Day(3, 1, 9), Day(3, 1, 10), 16});
  REQUIRE(claimed.has_value());
  REQUIRE(claimed->size() == 1);
  CHECK(claimed->at(0).event.payload == expected->payload);
}

TEST_CASE("Rows in the form of before the packing read back as they were written", "[store][packed]") {
  EACH_STORE();
  auto created = store->CreatePost(Scheduled(), {}, std::nullopt);
  REQUIRE(created.has_value());
  const std::string id = std::to_string(created->id);
  const std::string payload =
      R"({"organization":"acme","post":{"account":"acme-main","id":)" + id +
      R"(,"labels":["launch"],"planned_at":"2026-03-02T10:00:00Z","reasons":[{"detail":"00:00-06:00","rule":"quiet_hours"}],"state":"scheduled"}})";
  RawSql(factory, dir,
         R"(UPDATE posts SET reasons = '[{"detail":"00:00-06:00","posts":[],"rule":"quiet_hours"},{"detail":"45m after post 3","posts":["3"],"rule":"min_spacing"}]' WHERE id = )" +
             id);
  RawSql(factory, dir, "INSERT INTO audit (organization, at, actor, action, post_id, detail) VALUES ('acme', 1772352000, "
                       "'alice', 'create', " + id + ", '" + kCreateDetail + "')");
  RawSql(factory, dir, "DELETE FROM events");
  RawSql(factory, dir, "INSERT INTO events (id, organization, type, at, payload, routed) VALUES ('evt_old', 'acme', "
                       "'post.scheduled', 1772352000, '" + payload + "', 0)");

  auto post = store->GetPost("acme", created->id);
  REQUIRE(post.has_value());
  CHECK(post->reasons == Scheduled().reasons);
  auto audit = store->ListAudit({.organization = "acme", .post_id = created->id, .limit = 10});
  REQUIRE(audit.has_value());
  REQUIRE(audit->size() == 1);
  CHECK(audit->at(0).detail == kCreateDetail);
  auto events = store->ListEvents({"acme", std::nullopt, std::nullopt, 0, 10});
  REQUIRE(events.has_value());
  REQUIRE(events->size() == 1);
  CHECK(events->at(0).payload == payload);
  REQUIRE(store->RouteEvent("evt_old", "acme", {"https://hooks.example/a"}, Day(3, 1, 8)).value());
  auto claimed = store->ClaimDeliveries({"claim-1", Day(3, 1, 9), Day(3, 1, 10), 16});
  REQUIRE(claimed.has_value());
  REQUIRE(claimed->size() == 1);
  CHECK(claimed->at(0).event.payload == payload);
}

}  // namespace
}  // namespace herald::storage
