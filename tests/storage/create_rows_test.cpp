// The Store contract for a create's rows, on every store: one CreatePost
// writes the post, its history row, its audit entries, its event and its
// idempotency key together (on PostgreSQL they travel in two round trips, most
// of them held back until the commit), and a create that fails on any of them
// leaves none behind and the store ready for the next.
#include "storage/store.h"

#include <catch2/catch.hpp>

#include "tests/storage/store_testing.h"

namespace herald::storage {
namespace {

using testing::Audit;
using testing::Day;
using testing::NewPost;
using testing::StoreFactories;
using testing::StoreFactory;
using testing::TempDir;

Post Scheduled(const std::string& text) {
  Post p = NewPost("acme", "acme-x", text);
  p.state = PostState::kScheduled;
  p.planned_at = Day(3, 2, 9);
  return p;
}

IdempotencyRecord Key(const std::string& key, const std::string& hash) {
  return {"acme", key, hash, 0, FirstAnswer::kCreated, Day(3, 1, 8)};
}

size_t CountPosts(Store& store) {
  auto posts = store.ListPosts({.organization = "acme"});
  REQUIRE(posts.has_value());
  return posts->size();
}

std::vector<AuditEntry> AllAudit(Store& store) {
  auto audit = store.ListAudit({.organization = "acme", .limit = 1000});
  REQUIRE(audit.has_value());
  return *audit;
}

std::vector<Event> AllEvents(Store& store) {
  auto events = store.ListEvents({"acme", std::nullopt, std::nullopt, 0, 1000});
  REQUIRE(events.has_value());
  return *events;
}

TEST_CASE("A create writes its post, history, audit, event and key together", "[store][create]") {
  EACH_STORE();
  // Several creates, so that statements prepared by the first are reused.
  for (int i = 0; i < 3; ++i) {
    INFO("create " << i);
    const std::string key = "key-" + std::to_string(i);
    auto created = store->CreatePost(Scheduled("post " + std::to_string(i)),
                                     {Audit("bob", "create"), Audit("herald", "urgent_bypass")}, Key(key, "h"));
    REQUIRE(created.has_value());
    const int64_t id = created->id;
    CHECK(created->version == 1);
    CHECK(created->change_seq > 0);

    auto stored = store->GetPost("acme", id);
    REQUIRE(stored.has_value());
    CHECK(stored->text == "post " + std::to_string(i));
    CHECK(stored->change_seq == created->change_seq);

    auto history = store->ListHistory("acme", id);
    REQUIRE(history.has_value());
    CHECK(*history == std::vector<StateChange>{{id, Day(3, 1, 8), std::nullopt, PostState::kScheduled, "bob"}});

    auto audit = store->ListAudit({.organization = "acme", .post_id = id});
    REQUIRE(audit.has_value());
    REQUIRE(audit->size() == 2);
    CHECK((*audit)[0].action == "create");
    CHECK((*audit)[0].actor == "bob");
    CHECK((*audit)[1].action == "urgent_bypass");
    CHECK((*audit)[1].post_id == id);

    auto events = AllEvents(*store);
    REQUIRE(events.size() == static_cast<size_t>(i + 1));
    CHECK(events.back().type == EventType::kPostScheduled);
    CHECK(events.back().id == "evt_post_" + std::to_string(id) + "_v1");

    auto found = store->FindIdempotency("acme", key);
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    CHECK((*found)->post_id == id);
  }
}

TEST_CASE("A create that fails on its key leaves none of its rows, and the next create works", "[store][create]") {
  EACH_STORE();
  auto first = store->CreatePost(Scheduled("first"), {Audit("bob", "create")}, Key("k", "h1"));
  REQUIRE(first.has_value());

  // The key is the create's last row: the post, history, audit and event
  // before it must all go with it.
  auto again = store->CreatePost(Scheduled("second"), {Audit("bob", "create")}, Key("k", "h2"));
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code() == Code::kAlreadyExists);
  CHECK_THAT(again.error().message(), Catch::Contains("idempotency key \"k\""));
  CHECK(CountPosts(*store) == 1);
  CHECK(AllAudit(*store).size() == 1);
  CHECK(AllEvents(*store).size() == 1);
  auto kept = store->FindIdempotency("acme", "k");
  REQUIRE(kept.has_value());
  REQUIRE(kept->has_value());
  CHECK((*kept)->request_hash == "h1");

  auto next = store->CreatePost(Scheduled("third"), {Audit("bob", "create")}, Key("k2", "h3"));
  REQUIRE(next.has_value());
  CHECK(CountPosts(*store) == 2);
  auto history = store->ListHistory("acme", next->id);
  REQUIRE(history.has_value());
  CHECK(history->size() == 1);
  CHECK(AllEvents(*store).size() == 2);
}

TEST_CASE("A create refused midway leaves none of its rows, and the next create works", "[store][create]") {
  EACH_STORE();
  AuditEntry foreign = Audit("bob", "create");
  foreign.organization = "globex";
  auto refused = store->CreatePost(Scheduled("mixed"), {foreign}, std::nullopt);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Code::kInvalidArgument);
  CHECK(CountPosts(*store) == 0);
  CHECK(AllEvents(*store).empty());
  auto next = store->CreatePost(Scheduled("fine"), {Audit("bob", "create")}, std::nullopt);
  REQUIRE(next.has_value());
  CHECK(CountPosts(*store) == 1);
}

TEST_CASE("A write of more statements than a batch holds stores them all, or none", "[store][create]") {
  EACH_STORE();
  auto post = store->CreatePost(Scheduled("audited"), {}, std::nullopt);
  REQUIRE(post.has_value());
  std::vector<AuditEntry> many;
  for (int i = 0; i < 150; ++i) {
    AuditEntry entry = Audit("bob", "note " + std::to_string(i));
    entry.organization = "acme";
    entry.post_id = post->id;
    many.push_back(entry);
  }
  SECTION("all of them") {
    REQUIRE(store->AppendAudit(many).has_value());
    auto audit = AllAudit(*store);
    REQUIRE(audit.size() == 150);
    CHECK(audit.front().action == "note 0");
    CHECK(audit.back().action == "note 149");
  }
  SECTION("none of them when the last one is refused") {
    many.back().organization = "";
    REQUIRE_FALSE(store->AppendAudit(many).has_value());
    CHECK(AllAudit(*store).empty());
  }
}

}  // namespace
}  // namespace herald::storage
