// The Store contract: every implementation in StoreFactories() must pass it.
#include "storage/store.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/storage/store_testing.h"

namespace herald::storage {
namespace {

using testing::At;
using testing::Audit;
using testing::Day;
using testing::NewPost;
using testing::StoreFactories;
using testing::StoreFactory;
using testing::TempDir;

// A store of one implementation on a fresh folder, reopenable.
class OpenedStore {
 public:
  explicit OpenedStore(const StoreFactory& factory) : factory_(factory) { Reopen(); }
  void Reopen() {
    store_.reset();
    auto store = factory_.open(dir_.path());
    if (!store) FAIL("cannot open the " << factory_.name << " store: " << store.error().message());
    store_ = std::move(*store);
  }
  void Close() { store_.reset(); }
  Store* operator->() { return store_.get(); }
  Store& operator*() { return *store_; }

 private:
  const StoreFactory& factory_;
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

#define EACH_REOPENABLE_STORE()                                                                        \
  const StoreFactory& factory = StoreFactories()[GENERATE(range(size_t{0}, StoreFactories().size()))]; \
  INFO("store: " << factory.name);                                                          \
  OpenedStore store(factory)

Post Create(Store& store, Post post, std::vector<AuditEntry> audit = {}) {
  auto created = store.CreatePost(std::move(post), std::move(audit), std::nullopt);
  REQUIRE(created.has_value());
  return *created;
}

Post Get(Store& store, std::string_view organization, int64_t id) {
  auto post = store.GetPost(organization, id);
  REQUIRE(post.has_value());
  return *post;
}

std::vector<int64_t> Ids(const std::vector<Post>& posts) {
  std::vector<int64_t> ids;
  for (const Post& post : posts) ids.push_back(post.id);
  return ids;
}

std::vector<int64_t> ListIds(Store& store, PostQuery query) {
  auto posts = store.ListPosts(query);
  REQUIRE(posts.has_value());
  return Ids(*posts);
}

Post FullPost() {
  Post post = NewPost("acme", "acme-x", "Spring launch — ünïcode, \"quotes\" and\nnewlines");
  post.labels = {"launch", "q2"};
  post.priority = PostPriority::kUrgent;
  post.media = {{"https://example.com/a.png", "A rocket"}, {"https://example.com/b.png", ""}};
  post.planned_at = At("2026-03-02T10:15:00Z");
  post.state = PostState::kPublished;
  post.reasons = {{"quiet_hours", "moved past 22:00-07:00", {}},
                  {"spacing", "90m after another post", {"12", "14"}}};
  post.approved_by = "mallory";
  post.remote_id = "1767";
  post.remote_url = "https://x.example/acme/1767";
  post.published_at = At("2026-03-02T10:15:03Z");
  post.failure = "first attempt timed out";
  post.updated_at = At("2026-03-02T10:15:04Z");
  post.claimed_by = "herald@host-a:4242";
  post.unconfirmed_since = At("2026-03-02T10:15:05Z");
  post.recheck_at = At("2026-03-02T10:20:05Z");
  post.rechecks = 3;
  return post;
}

TEST_CASE("Store round-trips every field of a post", "[store]") {
  EACH_REOPENABLE_STORE();
  Post full = FullPost();
  Post created = Create(*store, full);
  CHECK(created.id > 0);
  CHECK(created.version == 1);
  CHECK(created.change_seq > 0);
  full.id = created.id;
  full.version = 1;
  full.change_seq = created.change_seq;
  CHECK(created == full);
  CHECK(Get(*store, "acme", created.id) == full);

  SECTION("optional times and lists left empty stay empty") {
    Post bare = NewPost("acme", "acme-x", "");
    Post stored = Get(*store, "acme", Create(*store, bare).id);
    CHECK_FALSE(stored.planned_at.has_value());
    CHECK_FALSE(stored.published_at.has_value());
    CHECK_FALSE(stored.unconfirmed_since.has_value());
    CHECK_FALSE(stored.recheck_at.has_value());
    CHECK(stored.rechecks == 0);
    CHECK(stored.labels.empty());
    CHECK(stored.media.empty());
    CHECK(stored.reasons.empty());
    CHECK(stored.priority == PostPriority::kNormal);
    CHECK(stored.state == PostState::kPendingApproval);
  }
}

TEST_CASE("Store assigns increasing ids across organisations", "[store]") {
  EACH_REOPENABLE_STORE();
  std::vector<int64_t> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(Create(*store, NewPost(i % 2 ? "acme" : "globex", "a", "p" + std::to_string(i))).id);
  }
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
}

TEST_CASE("Store keeps organisations apart", "[store]") {
  EACH_REOPENABLE_STORE();
  Post acme = Create(*store, NewPost("acme", "acme-x", "secret plans"), {Audit("alice", "create")});

  auto other = store->GetPost("globex", acme.id);
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().code() == Code::kNotFound);
  CHECK_THAT(other.error().message(), Catch::Contains(std::to_string(acme.id)));

  CHECK(ListIds(*store, {.organization = "globex"}).empty());
  auto audit = store->ListAudit({.organization = "globex"});
  REQUIRE(audit.has_value());
  CHECK(audit->empty());
  auto history = store->ListHistory("globex", acme.id);
  REQUIRE_FALSE(history.has_value());
  CHECK(history.error().code() == Code::kNotFound);

  SECTION("an update claiming another organisation does not touch the post") {
    Post stolen = acme;
    stolen.organization = "globex";
    stolen.text = "defaced";
    auto updated = store->UpdatePosts({{stolen, {}}});
    REQUIRE_FALSE(updated.has_value());
    CHECK(updated.error().code() == Code::kNotFound);
    CHECK(Get(*store, "acme", acme.id) == acme);
  }
  SECTION("listing requires an organisation") {
    auto posts = store->ListPosts({.organization = ""});
    REQUIRE_FALSE(posts.has_value());
    CHECK(posts.error().code() == Code::kInvalidArgument);
  }
}

TEST_CASE("Store refuses an update based on a stale version", "[store]") {
  EACH_REOPENABLE_STORE();
  Post post = Create(*store, NewPost("acme", "acme-x", "v1"));
  Post edit = post;
  edit.text = "v2";
  auto first = store->UpdatePosts({{edit, {}}});
  REQUIRE(first.has_value());
  REQUIRE(first->size() == 1);
  CHECK(first->front().version == 2);
  CHECK(first->front().text == "v2");
  CHECK(Get(*store, "acme", post.id) == first->front());

  Post stale = post;
  stale.text = "lost update";
  auto second = store->UpdatePosts({{stale, {}}});
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().code() == Code::kFailedPrecondition);
  CHECK_THAT(second.error().message(), Catch::Contains("post " + std::to_string(post.id)) &&
                                           Catch::Contains("version 1") && Catch::Contains("version 2"));
  CHECK(Get(*store, "acme", post.id).text == "v2");

  auto missing = store->UpdatePosts({{NewPost("acme", "acme-x", "ghost"), {}}});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == Code::kNotFound);
}

TEST_CASE("Store applies an update batch all or nothing", "[store]") {
  EACH_REOPENABLE_STORE();
  Post a = Create(*store, NewPost("acme", "acme-x", "a"));
  Post b = Create(*store, NewPost("acme", "acme-x", "b"));
  Post a_edit = a;
  a_edit.text = "a edited";
  a_edit.state = PostState::kScheduled;
  Post b_edit = b;
  b_edit.text = "b edited";

  SECTION("a stale second change") { b_edit.version = 7; }
  SECTION("a missing second change") { b_edit.id = b.id + 1000; }

  auto updated = store->UpdatePosts({{a_edit, {Audit("bob", "approve")}}, {b_edit, {Audit("bob", "edit")}}});
  REQUIRE_FALSE(updated.has_value());
  CHECK(Get(*store, "acme", a.id) == a);
  CHECK(Get(*store, "acme", b.id) == b);
  auto audit = store->ListAudit({.organization = "acme"});
  REQUIRE(audit.has_value());
  CHECK(audit->empty());
  auto history = store->ListHistory("acme", a.id);
  REQUIRE(history.has_value());
  CHECK(history->size() == 1);
}

// A batch larger than one statement's rows (PostgreSQL writes a batch in
// statements of up to 500 rows): every field, history row, audit entry and
// event is what changing each post alone stores.
TEST_CASE("Store writes a batch of many changes as it writes each alone", "[store]") {
  EACH_STORE();
  constexpr int kBatch = 520;
  std::vector<Post> together;
  std::vector<Post> alone;
  for (int i = 0; i < kBatch + 3; ++i) {
    Post post = NewPost(i % 2 ? "acme" : "globex", "acct-" + std::to_string(i % 7), "post " + std::to_string(i));
    post.state = PostState::kScheduled;
    post.planned_at = Day(3, 2, 9 + i % 10);
    (i < kBatch ? together : alone).push_back(Create(*store, post));
  }
  auto publish = [](Post post, int i) {
    post.state = i % 3 == 0 ? PostState::kFailed : PostState::kPublished;
    post.remote_id = "r-" + std::to_string(i);
    post.remote_url = "https://x.example/" + post.remote_id;
    post.published_at = Day(3, 2, 10);
    post.failure = i % 3 == 0 ? "refused, 'quoted' (and parenthesised)" : "";
    post.rechecks = i % 4;
    post.recheck_at = i % 2 ? std::optional<Instant>(Day(3, 3)) : std::nullopt;
    post.updated_at = Day(3, 2, 10);
    return post;
  };
  std::vector<PostChange> changes;
  for (int i = 0; i < kBatch; ++i) changes.push_back({publish(together[i], i), {Audit("herald", "settle", Day(3, 2, 10))}});
  auto stored = store->UpdatePosts(changes);
  REQUIRE(stored.has_value());
  REQUIRE(stored->size() == static_cast<size_t>(kBatch));
  for (int i = 0; i < 3; ++i) {
    auto one = store->UpdatePosts({{publish(alone[i], i), {Audit("herald", "settle", Day(3, 2, 10))}}});
    REQUIRE(one.has_value());
  }
  std::set<int64_t> seqs;
  for (int i = 0; i < kBatch; ++i) {
    const Post& post = (*stored)[i];
    INFO("post " << i);
    CHECK(post.id == together[i].id);
    CHECK(post.version == 2);
    CHECK(Get(*store, post.organization, post.id) == post);
    Post expected = publish(together[i], i);
    expected.version = 2;
    expected.change_seq = post.change_seq;
    CHECK(post == expected);
    seqs.insert(post.change_seq);
    auto history = store->ListHistory(post.organization, post.id);
    REQUIRE(history.has_value());
    REQUIRE(history->size() == 2);
    CHECK(history->back().to == expected.state);
    CHECK(history->back().actor == "herald");
  }
  CHECK(seqs.size() == static_cast<size_t>(kBatch));
  for (const std::string org : {"acme", "globex"}) {
    auto audit = store->ListAudit({.organization = org, .limit = 1000});
    REQUIRE(audit.has_value());
    std::set<int64_t> audited;
    for (const AuditEntry& e : *audit) {
      if (e.action == "settle" && e.post_id) audited.insert(*e.post_id);
    }
    std::set<int64_t> expected;
    for (const Post& p : together) if (p.organization == org) expected.insert(p.id);
    for (int i = 0; i < 3; ++i) if (alone[i].organization == org) expected.insert(alone[i].id);
    CHECK(audited == expected);
    // The same events for a post changed in the batch as for one changed alone.
    auto events = store->ListEvents({org, std::nullopt, std::nullopt, 0, 1000});
    REQUIRE(events.has_value());
    std::map<int64_t, std::string> kinds;  // post id -> the type of its event after create
    for (const Event& e : *events) {
      auto payload = nlohmann::json::parse(e.payload);
      if (e.type != EventType::kPostScheduled) kinds[payload["post"]["id"].get<int64_t>()] += EventTypeName(e.type);
    }
    for (int i = 0; i < kBatch; ++i) {
      if (together[i].organization != org) continue;
      const Post& twin = alone[i % 3];
      if (twin.organization != org) continue;
      CHECK(kinds[together[i].id] == kinds[twin.id]);
      CHECK_FALSE(kinds[twin.id].empty());
    }
  }
}

TEST_CASE("Only one of concurrent updates of the same version wins", "[store]") {
  EACH_REOPENABLE_STORE();
  Post post = Create(*store, NewPost("acme", "acme-x", "v1"));
  constexpr int kWriters = 8;
  std::vector<Result<std::vector<Post>>> results(kWriters);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      Post edit = post;
      edit.text = "writer " + std::to_string(i);
      results[i] = store->UpdatePosts({{edit, {Audit("w" + std::to_string(i), "edit")}}});
    });
  }
  for (auto& t : writers) t.join();
  int won = 0;
  for (const auto& r : results) {
    if (r) {
      ++won;
      CHECK(Get(*store, "acme", post.id) == r->front());
    } else {
      CHECK(r.error().code() == Code::kFailedPrecondition);
    }
  }
  CHECK(won == 1);
  auto audit = store->ListAudit({.organization = "acme"});
  REQUIRE(audit.has_value());
  CHECK(audit->size() == 1);
}

TEST_CASE("Store records each state change in the post's history", "[store]") {
  EACH_REOPENABLE_STORE();
  Post post = NewPost("acme", "acme-x", "hello");
  post.created_at = At("2026-03-01T08:00:00Z");
  post = Create(*store, post, {Audit("alice", "create")});

  Post approved = post;
  approved.state = PostState::kScheduled;
  approved.planned_at = At("2026-03-02T09:00:00Z");
  approved.updated_at = At("2026-03-01T09:00:00Z");
  auto r1 = store->UpdatePosts({{approved, {Audit("bob", "approve")}}});
  REQUIRE(r1.has_value());

  Post edited = r1->front();  // no state change: no history row
  edited.text = "hello again";
  auto r2 = store->UpdatePosts({{edited, {}}});
  REQUIRE(r2.has_value());

  Post publishing = r2->front();
  publishing.state = PostState::kPublishing;
  publishing.updated_at = At("2026-03-02T09:00:00Z");
  REQUIRE(store->UpdatePosts({{publishing, {}}}).has_value());

  auto history = store->ListHistory("acme", post.id);
  REQUIRE(history.has_value());
  std::vector<StateChange> expected = {
      {post.id, At("2026-03-01T08:00:00Z"), std::nullopt, PostState::kPendingApproval, "alice"},
      {post.id, At("2026-03-01T09:00:00Z"), PostState::kPendingApproval, PostState::kScheduled, "bob"},
      {post.id, At("2026-03-02T09:00:00Z"), PostState::kScheduled, PostState::kPublishing, "herald"},
  };
  CHECK(*history == expected);
}

TEST_CASE("Store refuses a taken idempotency key and keeps the first answer", "[store]") {
  EACH_REOPENABLE_STORE();
  IdempotencyRecord record{"acme", "key-1", "aa11", 0, FirstAnswer::kCreated, At("2026-03-01T08:00:00Z")};
  auto first = store->CreatePost(NewPost("acme", "acme-x", "first"), {}, record);
  REQUIRE(first.has_value());

  IdempotencyRecord again = record;
  again.request_hash = "bb22";
  auto second = store->CreatePost(NewPost("acme", "acme-x", "second"), {Audit("alice", "create")}, again);
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().code() == Code::kAlreadyExists);
  CHECK_THAT(second.error().message(), Catch::Contains("key-1"));

  auto found = store->FindIdempotency("acme", "key-1");
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  record.post_id = first->id;
  CHECK(**found == record);
  CHECK(ListIds(*store, {.organization = "acme"}) == std::vector<int64_t>{first->id});
  auto audit = store->ListAudit({.organization = "acme"});
  REQUIRE(audit.has_value());
  CHECK(audit->empty());

  SECTION("keys are per organisation") {
    auto globex = store->CreatePost(NewPost("globex", "g", "mine"), {},
                                    IdempotencyRecord{"globex", "key-1", "cc33", 0, FirstAnswer::kRefused, record.created_at});
    REQUIRE(globex.has_value());
    auto refused = store->FindIdempotency("globex", "key-1");
    REQUIRE(refused.has_value());
    REQUIRE(refused->has_value());
    CHECK((*refused)->first == FirstAnswer::kRefused);
    auto theirs = store->FindIdempotency("globex", "key-1");
    REQUIRE(theirs.has_value());
    REQUIRE(theirs->has_value());
    CHECK((*theirs)->post_id == globex->id);
  }
  SECTION("an unknown key is absent, not an error") {
    auto none = store->FindIdempotency("acme", "key-2");
    REQUIRE(none.has_value());
    CHECK_FALSE(none->has_value());
  }
}

TEST_CASE("Store pages through posts with a cursor", "[store]") {
  EACH_REOPENABLE_STORE();
  std::vector<int64_t> all;
  for (int i = 0; i < 23; ++i) {
    all.push_back(Create(*store, NewPost("acme", "acme-x", std::to_string(i))).id);
    Create(*store, NewPost("globex", "g", std::to_string(i)));
  }
  int page_size = GENERATE(1, 7, 23, 50);
  std::vector<int64_t> seen;
  PostQuery query{.organization = "acme", .limit = page_size};
  for (;;) {
    auto page = ListIds(*store, query);
    CHECK(page.size() <= static_cast<size_t>(page_size));
    if (page.empty()) break;
    seen.insert(seen.end(), page.begin(), page.end());
    query.after_id = page.back();
  }
  CHECK(seen == all);

  SECTION("a limit below 1 means 1") {
    CHECK(ListIds(*store, {.organization = "acme", .limit = 0}).size() == 1);
    CHECK(ListIds(*store, {.organization = "acme", .limit = -3}).size() == 1);
  }
}

TEST_CASE("Store filters posts by account, state and time", "[store]") {
  EACH_REOPENABLE_STORE();
  auto make = [&](std::string account, PostState state, std::optional<std::string> planned,
                  std::string requested) {
    Post post = NewPost("acme", std::move(account), "x");
    post.state = state;
    if (planned) post.planned_at = At(*planned);
    post.requested_at = At(requested);
    return Create(*store, post).id;
  };
  int64_t x_sched = make("x", PostState::kScheduled, "2026-03-02T09:00:00Z", "2026-03-01T00:00:00Z");
  int64_t x_pending = make("x", PostState::kPendingApproval, std::nullopt, "2026-03-03T09:00:00Z");
  int64_t y_sched = make("y", PostState::kScheduled, "2026-03-04T09:00:00Z", "2026-03-04T09:00:00Z");
  int64_t y_pub = make("y", PostState::kPublished, "2026-03-05T09:00:00Z", "2026-03-01T00:00:00Z");

  using V = std::vector<int64_t>;
  CHECK(ListIds(*store, {.organization = "acme", .account = "x"}) == V{x_sched, x_pending});
  CHECK(ListIds(*store, {.organization = "acme", .state = PostState::kScheduled}) == V{x_sched, y_sched});
  CHECK(ListIds(*store, {.organization = "acme", .account = "y", .state = PostState::kScheduled}) == V{y_sched});
  // Unplanned posts are placed at their requested time.
  CHECK(ListIds(*store, {.organization = "acme", .from = At("2026-03-03T00:00:00Z")}) ==
        V{x_pending, y_sched, y_pub});
  CHECK(ListIds(*store, {.organization = "acme", .to = At("2026-03-04T09:00:00Z")}) == V{x_sched, x_pending});
  CHECK(ListIds(*store, {.organization = "acme",
                         .from = At("2026-03-02T09:00:00Z"),
                         .to = At("2026-03-02T09:00:01Z")}) == V{x_sched});
  CHECK(ListIds(*store, {.organization = "acme", .account = "z"}).empty());
}

TEST_CASE("Store lists audit entries by post and time with a cursor", "[store]") {
  EACH_REOPENABLE_STORE();
  Post a = Create(*store, NewPost("acme", "x", "a"), {Audit("alice", "create", At("2026-03-01T08:00:00Z"))});
  Post b = Create(*store, NewPost("acme", "x", "b"), {Audit("alice", "create", At("2026-03-01T09:00:00Z"))});
  AuditEntry decision = Audit("herald", "decision", At("2026-03-01T10:00:00Z"));
  decision.organization = "acme";
  decision.post_id = a.id;
  decision.detail = R"({"rule":"spacing"})";
  AuditEntry reload = Audit("herald", "policy_reload", At("2026-03-01T11:00:00Z"));
  reload.organization = "acme";
  REQUIRE(store->AppendAudit({decision, reload}).has_value());
  AuditEntry other = Audit("eve", "create");
  other.organization = "globex";
  REQUIRE(store->AppendAudit({other}).has_value());

  auto all = store->ListAudit({.organization = "acme"});
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 4);
  CHECK(std::is_sorted(all->begin(), all->end(), [](auto& l, auto& r) { return l.id < r.id; }));
  CHECK((*all)[0].post_id == a.id);
  CHECK((*all)[0].organization == "acme");
  CHECK((*all)[1].post_id == b.id);
  decision.id = (*all)[2].id;
  CHECK((*all)[2] == decision);
  CHECK_FALSE((*all)[3].post_id.has_value());

  auto of_a = store->ListAudit({.organization = "acme", .post_id = a.id});
  REQUIRE(of_a.has_value());
  CHECK(of_a->size() == 2);
  auto window = store->ListAudit(
      {.organization = "acme", .from = At("2026-03-01T09:00:00Z"), .to = At("2026-03-01T11:00:00Z")});
  REQUIRE(window.has_value());
  REQUIRE(window->size() == 2);
  CHECK((*window)[0].post_id == b.id);
  auto page = store->ListAudit({.organization = "acme", .after_id = (*all)[1].id, .limit = 1});
  REQUIRE(page.has_value());
  REQUIRE(page->size() == 1);
  CHECK(page->front().id == (*all)[2].id);
}

TEST_CASE("Store loads active posts and final ones still inside the window", "[store]") {
  EACH_REOPENABLE_STORE();
  const Instant since = At("2026-03-01T00:00:00Z");
  auto make = [&](PostState state, std::optional<std::string> planned, std::optional<std::string> published) {
    Post post = NewPost("acme", "x", std::string(PostStateName(state)));
    post.state = state;
    if (planned) post.planned_at = At(*planned);
    if (published) post.published_at = At(*published);
    return Create(*store, post).id;
  };
  std::set<int64_t> expected = {
      make(PostState::kPendingApproval, std::nullopt, std::nullopt),
      make(PostState::kScheduled, "2026-03-05T00:00:00Z", std::nullopt),
      make(PostState::kPublishing, "2026-02-01T00:00:00Z", std::nullopt),
      make(PostState::kUnconfirmed, "2026-01-01T00:00:00Z", std::nullopt),
      make(PostState::kPublished, "2026-02-28T23:00:00Z", "2026-03-01T00:00:00Z"),
      make(PostState::kRefused, "2026-03-02T00:00:00Z", std::nullopt),
  };
  make(PostState::kPublished, "2026-02-01T00:00:00Z", "2026-02-28T23:59:59Z");
  make(PostState::kFailed, "2026-02-01T00:00:00Z", std::nullopt);
  make(PostState::kCancelled, std::nullopt, std::nullopt);
  make(PostState::kMissed, "2026-02-27T00:00:00Z", std::nullopt);

  auto active = store->LoadActive(since);
  REQUIRE(active.has_value());
  auto ids = Ids(*active);
  CHECK(std::set<int64_t>(ids.begin(), ids.end()) == expected);
  CHECK(ids.size() == expected.size());
}

TEST_CASE("Store keeps everything it acknowledged across a reopen", "[store]") {
  EACH_REOPENABLE_STORE();
  Post post = Create(*store, FullPost(), {Audit("alice", "create")});
  Post edit = post;
  edit.state = PostState::kFailed;
  edit.failure = "connector said no";
  auto updated = store->UpdatePosts({{edit, {Audit("herald", "publish")}}});
  REQUIRE(updated.has_value());
  IdempotencyRecord record{"acme", "k", "h", 0, FirstAnswer::kCreated, At("2026-03-01T08:00:00Z")};
  auto keyed = store->CreatePost(NewPost("acme", "x", "keyed"), {}, record);
  REQUIRE(keyed.has_value());
  REQUIRE(store->RecordPolicyVersion({"acme", "abc123", At("2026-03-01T07:00:00Z"), "examples/policies"})
              .has_value());
  auto audit_before = store->ListAudit({.organization = "acme"});
  auto history_before = store->ListHistory("acme", post.id);
  REQUIRE(audit_before.has_value());
  REQUIRE(history_before.has_value());

  store.Reopen();

  CHECK(Get(*store, "acme", post.id) == updated->front());
  CHECK(Get(*store, "acme", keyed->id) == *keyed);
  auto found = store->FindIdempotency("acme", "k");
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  CHECK((*found)->post_id == keyed->id);
  auto audit_after = store->ListAudit({.organization = "acme"});
  REQUIRE(audit_after.has_value());
  CHECK(*audit_after == *audit_before);
  auto history_after = store->ListHistory("acme", post.id);
  REQUIRE(history_after.has_value());
  CHECK(*history_after == *history_before);
  CHECK(history_after->size() == 2);
  // New ids continue after the old ones.
  CHECK(Create(*store, NewPost("acme", "x", "after")).id > keyed->id);
}

TEST_CASE("Store gives distinct ids to many concurrent writers", "[store]") {
  EACH_REOPENABLE_STORE();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::vector<std::vector<Post>> created(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto post = store->CreatePost(NewPost("acme", "a" + std::to_string(t), std::to_string(i)),
                                      {Audit("t" + std::to_string(t), "create")}, std::nullopt);
        if (post) created[t].push_back(*post);
      }
    });
  }
  for (auto& thread : threads) thread.join();

  std::set<int64_t> ids;
  for (const auto& mine : created) {
    CHECK(mine.size() == kPerThread);
    for (const Post& post : mine) ids.insert(post.id);
  }
  CHECK(ids.size() == kThreads * kPerThread);
  auto listed = store->ListPosts({.organization = "acme", .limit = 5000});
  REQUIRE(listed.has_value());
  CHECK(listed->size() == 1000);  // the limit is clamped
  for (const Post& post : *listed) CHECK(ids.count(post.id) == 1);
  for (const Post& post : created[3]) REQUIRE(Get(*store, "acme", post.id) == post);
}

TEST_CASE("Store answers a ping", "[store]") {
  EACH_REOPENABLE_STORE();
  CHECK(store->Ping().has_value());
}

Post Update(Store& store, Post post, std::vector<AuditEntry> audit = {}) {
  auto updated = store.UpdatePosts({{std::move(post), std::move(audit)}});
  REQUIRE(updated.has_value());
  REQUIRE(updated->size() == 1);
  return updated->front();
}

std::vector<int64_t> Seqs(const std::vector<Post>& posts) {
  std::vector<int64_t> seqs;
  for (const Post& post : posts) seqs.push_back(post.change_seq);
  return seqs;
}

TEST_CASE("Store stamps every write of a post with a larger change number", "[store][coordination]") {
  EACH_REOPENABLE_STORE();
  Post a = Create(*store, NewPost("acme", "x", "a"));
  Post b = Create(*store, NewPost("globex", "y", "b"));
  CHECK(a.change_seq > 0);
  CHECK(b.change_seq > a.change_seq);
  Post a2 = Update(*store, a);
  CHECK(a2.change_seq > b.change_seq);
  Post a3 = Update(*store, a2);
  CHECK(a3.change_seq > a2.change_seq);
  CHECK(Get(*store, "acme", a.id).change_seq == a3.change_seq);

  SECTION("a refused update stamps nothing") {
    REQUIRE_FALSE(store->UpdatePosts({{a, {}}}).has_value());
    CHECK(Get(*store, "acme", a.id) == a3);
  }
  SECTION("numbers keep growing after a reopen") {
    store.Reopen();
    CHECK(Create(*store, NewPost("acme", "x", "c")).change_seq > a3.change_seq);
  }
  SECTION("the posts of one batch all get new numbers") {
    auto both = store->UpdatePosts({{a3, {}}, {b, {}}});
    REQUIRE(both.has_value());
    REQUIRE(both->size() == 2);
    CHECK((*both)[0].change_seq > a3.change_seq);
    CHECK((*both)[1].change_seq > a3.change_seq);
    CHECK((*both)[0].change_seq != (*both)[1].change_seq);
  }
}

TEST_CASE("Store lists the changes of one account since a change number", "[store][coordination]") {
  EACH_REOPENABLE_STORE();
  Post x1 = Create(*store, NewPost("acme", "x", "x1"));
  Post y1 = Create(*store, NewPost("acme", "y", "y1"));
  Post x2 = Create(*store, NewPost("acme", "x", "x2"));
  Post other_org = Create(*store, NewPost("globex", "x", "same account name, other organisation"));
  Post x1b = Update(*store, x1);

  auto all = store->AccountChangesSince("acme", "x", 0);
  REQUIRE(all.has_value());
  CHECK(Ids(*all) == std::vector<int64_t>{x2.id, x1.id});  // in change order, x1 changed last
  std::vector<int64_t> seqs = Seqs(*all);
  CHECK(std::is_sorted(seqs.begin(), seqs.end()));
  REQUIRE(all->size() == 2);
  CHECK((*all)[0] == x2);
  CHECK((*all)[1] == x1b);

  auto after_x2 = store->AccountChangesSince("acme", "x", x2.change_seq);
  REQUIRE(after_x2.has_value());
  CHECK(Ids(*after_x2) == std::vector<int64_t>{x1.id});
  auto none = store->AccountChangesSince("acme", "x", x1b.change_seq);
  REQUIRE(none.has_value());
  CHECK(none->empty());
  auto y = store->AccountChangesSince("acme", "y", 0);
  REQUIRE(y.has_value());
  CHECK(Ids(*y) == std::vector<int64_t>{y1.id});
  auto globex = store->AccountChangesSince("globex", "x", 0);
  REQUIRE(globex.has_value());
  CHECK(Ids(*globex) == std::vector<int64_t>{other_org.id});
  auto unknown = store->AccountChangesSince("acme", "nobody", 0);
  REQUIRE(unknown.has_value());
  CHECK(unknown->empty());
}

TEST_CASE("Store lists the changes of many accounts since their own change numbers in one call", "[store][coordination]") {
  EACH_STORE();
  Post x1 = Create(*store, NewPost("acme", "x", "x1"));
  Post y1 = Create(*store, NewPost("acme", "y", "y1"));
  Post x2 = Create(*store, NewPost("acme", "x", "x2"));
  Post other_org = Create(*store, NewPost("globex", "x", "same account name, other organisation"));
  Post y1b = Update(*store, y1);

  auto changed = store->ChangesSince({{"acme", "x", x1.change_seq}, {"acme", "y", 0}, {"globex", "x", 0},
                                      {"acme", "nobody", 0}});
  REQUIRE(changed.has_value());
  std::vector<int64_t> ids = Ids(*changed);
  std::sort(ids.begin(), ids.end());
  std::vector<int64_t> expected{x2.id, y1.id, other_org.id};
  std::sort(expected.begin(), expected.end());
  CHECK(ids == expected);  // x1 is at or before its cursor
  for (const Post& p : *changed) {
    if (p.id == y1.id) CHECK(p == y1b);
  }
  // Each account's posts in change order.
  auto in_change_order = [](const std::vector<Post>& posts) {
    std::map<std::pair<std::string, std::string>, int64_t> last;
    for (const Post& p : posts) {
      int64_t& seq = last[{p.organization, p.account}];
      if (p.change_seq <= seq) return false;
      seq = p.change_seq;
    }
    return true;
  };
  CHECK(in_change_order(*changed));
  SECTION("many cursors at once (PostgreSQL reads them in another form)") {
    std::vector<Store::AccountCursor> many{{"acme", "x", x1.change_seq}, {"acme", "y", 0}, {"globex", "x", 0}};
    for (int i = 0; i < 40; ++i) many.push_back({"acme", "nobody-" + std::to_string(i), 0});
    auto all = store->ChangesSince(many);
    REQUIRE(all.has_value());
    std::vector<int64_t> all_ids = Ids(*all);
    std::sort(all_ids.begin(), all_ids.end());
    CHECK(all_ids == expected);
    CHECK(in_change_order(*all));
  }
  auto none = store->ChangesSince({{"acme", "x", x2.change_seq}, {"acme", "y", y1b.change_seq}});
  REQUIRE(none.has_value());
  CHECK(none->empty());
  auto empty = store->ChangesSince({});
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
}

TEST_CASE("Store keeps an unconfirmed post's next re-check and count across updates", "[store][coordination]") {
  EACH_REOPENABLE_STORE();
  Post post = NewPost("acme", "x", "maybe");
  post.state = PostState::kUnconfirmed;
  post.unconfirmed_since = At("2026-03-02T10:00:00Z");
  post.recheck_at = At("2026-03-02T10:01:00Z");
  post = Create(*store, post);
  Post checked = post;
  checked.rechecks = 1;
  checked.recheck_at = At("2026-03-02T10:05:00Z");
  checked = Update(*store, checked);
  CHECK(Get(*store, "acme", post.id) == checked);
  Post gave_up = checked;
  gave_up.rechecks = 7;
  gave_up.recheck_at.reset();
  gave_up = Update(*store, gave_up);
  Post stored = Get(*store, "acme", post.id);
  CHECK(stored.rechecks == 7);
  CHECK_FALSE(stored.recheck_at.has_value());
  CHECK(stored.unconfirmed_since == At("2026-03-02T10:00:00Z"));
}

TEST_CASE("Store keeps who claimed a post", "[store][coordination]") {
  EACH_REOPENABLE_STORE();
  Post post = NewPost("acme", "x", "claimed");
  post.state = PostState::kScheduled;
  post = Create(*store, post);
  CHECK(post.claimed_by.empty());
  Post claimed = post;
  claimed.state = PostState::kPublishing;
  claimed.claimed_by = "herald@a:1";
  claimed = Update(*store, claimed);
  CHECK(claimed.claimed_by == "herald@a:1");
  CHECK(Get(*store, "acme", post.id) == claimed);
  Post done = claimed;
  done.state = PostState::kPublished;
  done.claimed_by.clear();
  done = Update(*store, done);
  CHECK(Get(*store, "acme", post.id).claimed_by.empty());
}

TEST_CASE("Store finds publishing claims whose process lost its lease", "[store][coordination]") {
  EACH_REOPENABLE_STORE();
  const Instant now = At("2026-03-02T09:00:00Z");
  auto make = [&](PostState state, std::string claimed_by) {
    Post post = NewPost("acme", "x", claimed_by);
    post.state = state;
    post.claimed_by = std::move(claimed_by);
    return Create(*store, post).id;
  };
  REQUIRE(store->RenewLease("alive", now + std::chrono::seconds(60)).has_value());
  REQUIRE(store->RenewLease("expired", now - std::chrono::seconds(1)).has_value());
  REQUIRE(store->RenewLease("ends-now", now).has_value());
  make(PostState::kPublishing, "alive");
  int64_t expired = make(PostState::kPublishing, "expired");
  int64_t unknown = make(PostState::kPublishing, "never-leased");
  int64_t legacy = make(PostState::kPublishing, "");  // written before claims were recorded
  make(PostState::kPublishing, "ends-now");
  make(PostState::kScheduled, "expired");   // not publishing: not a claim
  make(PostState::kPublished, "");

  using V = std::vector<int64_t>;
  auto orphans = store->OrphanedClaims(now);
  REQUIRE(orphans.has_value());
  CHECK(Ids(*orphans) == V{expired, unknown, legacy});

  REQUIRE(store->RenewLease("expired", now + std::chrono::seconds(30)).has_value());
  orphans = store->OrphanedClaims(now);
  REQUIRE(orphans.has_value());
  CHECK(Ids(*orphans) == V{unknown, legacy});

  SECTION("every lease ends some time") {
    auto later = store->OrphanedClaims(now + std::chrono::hours(1));
    REQUIRE(later.has_value());
    CHECK(later->size() == 5);
  }
  SECTION("leases survive a reopen") {
    store.Reopen();
    auto again = store->OrphanedClaims(now);
    REQUIRE(again.has_value());
    CHECK(Ids(*again) == V{unknown, legacy});
  }
}

TEST_CASE("Store account locks can be taken, released and taken again", "[store][coordination]") {
  EACH_REOPENABLE_STORE();
  {
    auto x = store->LockAccount("acme", "x");
    REQUIRE(x.has_value());
    CHECK(*x != nullptr);
    auto y = store->LockAccount("acme", "y");  // another account is not blocked
    REQUIRE(y.has_value());
    auto other_org = store->LockAccount("globex", "x");
    REQUIRE(other_org.has_value());
  }
  auto again = store->LockAccount("acme", "x");
  REQUIRE(again.has_value());
  CHECK(*again != nullptr);
}

TEST_CASE("Store does not report its own changes to its watcher", "[store][coordination]") {
  EACH_REOPENABLE_STORE();
  std::atomic<int> calls{0};
  store->WatchChanges([&](Store::ChangedAccounts) { calls.fetch_add(1); });
  Post post = Create(*store, NewPost("acme", "x", "mine"));
  Update(*store, post);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  CHECK(calls.load() == 0);
}

}  // namespace
}  // namespace herald::storage

namespace herald::storage {
namespace {

TEST_CASE("Store keeps account pauses, the longer one winning, and forgets ended ones", "[store][coordination]") {
  EACH_REOPENABLE_STORE();
  const Instant now = At("2026-03-02T09:00:00Z");
  REQUIRE(store->SavePause({"acme", "acme-toot", "rate_limit", now + std::chrono::minutes(10), "429 until reset"}));
  REQUIRE(store->SavePause({"acme", "acme-sky", "circuit_open", now + std::chrono::minutes(1), "breaker"}));
  REQUIRE(store->SavePause({"globex", "globex-x", "rate_limit", now - std::chrono::seconds(1), "over"}));
  // A shorter pause does not shorten a longer one; a longer one replaces it.
  REQUIRE(store->SavePause({"acme", "acme-toot", "circuit_open", now + std::chrono::minutes(5), "shorter"}));
  REQUIRE(store->SavePause({"acme", "acme-sky", "rate_limit", now + std::chrono::minutes(20), "longer"}));
  auto active = store->ActivePauses(now);
  REQUIRE(active.has_value());
  REQUIRE(active->size() == 2);
  CHECK((*active)[0] == AccountPause{"acme", "acme-sky", "rate_limit", now + std::chrono::minutes(20), "longer"});
  CHECK((*active)[1] == AccountPause{"acme", "acme-toot", "rate_limit", now + std::chrono::minutes(10), "429 until reset"});
  // Ended at `now` exactly: no longer in force.
  auto later = store->ActivePauses(now + std::chrono::minutes(10));
  REQUIRE(later.has_value());
  REQUIRE(later->size() == 1);
  CHECK((*later)[0].account == "acme-sky");
}

}  // namespace
}  // namespace herald::storage
