// Service: the workflow over the governor and a real SQLite store, with a fake clock.
#include "scheduler/runtime/service.h"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "policies/loader.h"
#include "tests/support/delegating_store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/sqlite_exec.h"

namespace herald::runtime {
namespace {

using namespace std::chrono;
using testing::FakeClock;

Instant At(const char* s) { return *ParseRfc3339(s); }

policies::Policy MakePolicy(const std::string& org, const std::string& account, const std::string& extra = "") {
  std::string yaml = "version: 1\norganization: " + org + "\ntimezone: UTC\naccounts:\n  list:\n    - id: " + account +
                     "\n      platform: mastodon\n      connector: { type: file }\n"
                     "frequency:\n  default:\n    min_spacing: 1h\n" + extra +
                     "  max_delay: 48h\n  missed_after: 30m\n"
                     "content:\n  banned_terms: [RivalCorp]\n"
                     "approval: { required: true, approvers: [manager, admin], four_eyes: true }\n";
  auto p = policies::LoadPolicy(yaml, org + ".yaml");
  if (!p) FAIL(p.error().front().ToString());
  return *p;
}

struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/herald-svc-XXXXXX";
    dir = mkdtemp(tmpl);
    Open();
  }
  ~Fixture() {
    service.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  void Open(std::vector<policies::Policy> policies = {}) {
    service.reset();
    store.reset();
    if (policies.empty()) policies = {MakePolicy("acme", "acme-blog"), MakePolicy("globex", "globex-blog")};
    store = std::move(*storage::OpenStore("sqlite:" + dir + "/h.db"));
    if (wrap) store = wrap(std::move(store));
    service = std::make_unique<Service>(*store, clock, std::move(policies), [this] { ++changes; });
    REQUIRE(service->Start());
  }
  Post Create(const Caller& who, const std::string& text, std::optional<Instant> at = std::nullopt,
              PostPriority priority = PostPriority::kNormal) {
    CreatePostRequest r;
    r.account = who.organization + "-blog";
    r.text = text;
    r.at = at;
    r.priority = priority;
    auto created = service->CreatePost(who, r);
    REQUIRE(created);
    return created->post;
  }

  std::string dir;
  // Wraps the real store (set before calling Open again).
  std::function<std::unique_ptr<storage::Store>(std::unique_ptr<storage::Store>)> wrap;
  FakeClock clock{At("2026-12-01T09:00:00Z")};
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Service> service;
  int changes = 0;

  Caller alice{"acme", "alice", Role::kEditor};
  Caller mona{"acme", "mona", Role::kManager};
  Caller vic{"acme", "vic", Role::kViewer};
  Caller gus{"globex", "gus", Role::kAdmin};
};

TEST_CASE("Service: create, four-eyes approval, publish", "[service]") {
  Fixture f;
  Post p = f.Create(f.alice, "Hello world");
  CHECK(p.state == PostState::kPendingApproval);
  CHECK(p.planned_at == At("2026-12-01T09:00:00Z"));  // the time it would get now
  CHECK(p.author == "alice");

  auto self = f.service->Approve(f.alice, p.id);
  REQUIRE_FALSE(self);
  CHECK(self.error().code() == Code::kPermissionDenied);  // editors may not approve

  Post own = f.Create(f.mona, "Manager's own post");
  auto four_eyes = f.service->Approve(f.mona, own.id);
  REQUIRE_FALSE(four_eyes);
  CHECK(four_eyes.error().message().find("four-eyes") != std::string::npos);

  auto approved = f.service->Approve(f.mona, p.id);
  REQUIRE(approved);
  CHECK(approved->state == PostState::kScheduled);
  CHECK(approved->approved_by == "mona");
  CHECK(f.service->NextDue() == At("2026-12-01T09:00:00Z"));

  auto claimed = f.service->ClaimDue(f.clock.Now());
  REQUIRE(claimed);
  REQUIRE(claimed->size() == 1);
  CHECK((*claimed)[0].state == PostState::kPublishing);
  auto settled = f.service->Settle(p.id, {connectors::PublishResult::Kind::kPublished, "r1", "file://x", {}, {}});
  REQUIRE(settled);
  CHECK(settled->state == PostState::kPublished);
  auto stored = f.service->GetPost(f.vic, p.id);
  REQUIRE(stored);
  CHECK(stored->remote_id == "r1");
  CHECK(stored->published_at == f.clock.Now());

  // Editing or approving a published post never publishes it again.
  auto edit = f.service->EditPost(f.mona, p.id, {std::string("changed"), {}, {}});
  REQUIRE_FALSE(edit);
  CHECK(edit.error().code() == Code::kFailedPrecondition);
  CHECK_FALSE(f.service->Approve(f.mona, p.id));
  CHECK(f.service->ClaimDue(f.clock.Now() + hours{1})->empty());
}

TEST_CASE("Service: roles, urgent priority and content refusals", "[service]") {
  Fixture f;
  CreatePostRequest r{"acme-blog", "hi", {}, {}, PostPriority::kNormal, {}, {}, {}};
  CHECK(f.service->CreatePost(f.vic, r).error().code() == Code::kPermissionDenied);
  r.priority = PostPriority::kUrgent;
  CHECK(f.service->CreatePost(f.alice, r).error().code() == Code::kPermissionDenied);
  CHECK(f.service->CreatePost(f.mona, r));

  CreatePostRequest bad{"acme-blog", "We beat RivalCorp!", {}, {}, PostPriority::kNormal, {}, {}, {}};
  auto refused = f.service->CreatePost(f.alice, bad);
  REQUIRE(refused);
  CHECK(refused->outcome == runtime::CreateOutcome::kRefused);
  CHECK(refused->post.state == PostState::kRefused);
  REQUIRE(refused->post.reasons.size() == 1);
  CHECK(refused->post.reasons[0].rule == "content.banned_term");
  auto audit = f.service->Audit(f.mona, {"", refused->post.id});
  REQUIRE(audit);
  CHECK_FALSE(audit->empty());
}

TEST_CASE("Service: an approval's note is kept in the audit", "[service]") {
  Fixture f;
  Post p = f.Create(f.alice, "Launch day");
  REQUIRE(f.service->Approve(f.mona, p.id, "checked with legal"));
  auto audit = f.service->Audit(f.mona, {"", p.id});
  REQUIRE(audit);
  int approvals = 0;
  for (const auto& e : *audit) {
    if (e.action != "approve") continue;
    ++approvals;
    CHECK(e.actor == "mona");
    CHECK(e.detail.find("\"note\":\"checked with legal\"") != std::string::npos);
  }
  CHECK(approvals == 1);
}

TEST_CASE("Service: another organisation sees nothing", "[service]") {
  Fixture f;
  Post p = f.Create(f.alice, "acme only");
  CHECK(f.service->GetPost(f.gus, p.id).error().code() == Code::kNotFound);
  CHECK(f.service->Approve(f.gus, p.id).error().code() == Code::kNotFound);
  CHECK(f.service->Cancel(f.gus, p.id, "").error().code() == Code::kNotFound);
  CHECK(f.service->EditPost(f.gus, p.id, {std::string("x"), {}, {}}).error().code() == Code::kNotFound);
  CreatePostRequest r{"acme-blog", "sneaky", {}, {}, PostPriority::kNormal, {}, {}, {}};
  CHECK(f.service->CreatePost(f.gus, r).error().code() == Code::kNotFound);
  CHECK(f.service->Slots(f.gus, "acme-blog", 3, {}).error().code() == Code::kNotFound);
  auto list = f.service->ListPosts(f.gus, {});
  REQUIRE(list);
  CHECK(list->empty());
  auto audit = f.service->Audit(f.gus, {});
  REQUIRE(audit);
  CHECK(audit->empty());
  auto accounts = f.service->Accounts(f.gus);
  REQUIRE(accounts);
  REQUIRE(accounts->size() == 1);
  CHECK((*accounts)[0].id == "globex-blog");
}

TEST_CASE("Service: idempotency keys replay or conflict", "[service]") {
  Fixture f;
  CreatePostRequest r{"acme-blog", "once", {}, {}, PostPriority::kNormal, {}, std::string("key-1"), "hash-a"};
  auto first = f.service->CreatePost(f.alice, r);
  REQUIRE(first);
  CHECK(first->outcome == runtime::CreateOutcome::kCreated);
  auto again = f.service->CreatePost(f.alice, r);
  REQUIRE(again);
  CHECK(again->outcome == runtime::CreateOutcome::kReplayed);
  CHECK(again->post.id == first->post.id);
  r.request_hash = "hash-b";
  auto conflict = f.service->CreatePost(f.alice, r);
  REQUIRE_FALSE(conflict);
  CHECK(conflict.error().code() == Code::kAlreadyExists);
  CHECK(f.service->ListPosts(f.alice, {})->size() == 1);
}

TEST_CASE("Service: cancelling a scheduled post re-plans the later ones, with audit", "[service]") {
  Fixture f;
  Post a = f.Create(f.alice, "first");
  Post b = f.Create(f.alice, "second");
  REQUIRE(f.service->Approve(f.mona, a.id));
  auto b2 = f.service->Approve(f.mona, b.id);
  REQUIRE(b2);
  CHECK(b2->planned_at == At("2026-12-01T10:00:00Z"));  // 1h spacing after `first`
  CHECK(b2->reasons.at(0).rule == "min_spacing");
  REQUIRE(f.service->Cancel(f.mona, a.id, "wrong date"));
  auto moved = f.service->GetPost(f.alice, b.id);
  REQUIRE(moved);
  CHECK(moved->planned_at == At("2026-12-01T09:00:00Z"));
  auto audit = f.service->Audit(f.mona, {"", b.id});
  REQUIRE(audit);
  bool has_move = false;
  for (const auto& e : *audit) has_move |= e.action == "move";
  CHECK(has_move);
}

// The store refuses a write (a trigger in the real SQLite file makes every
// update of posts abort): the caller gets the error, and the plan in memory is
// what the store holds, so nothing runs ahead of what was written.
TEST_CASE("Service: a failed write leaves the plan as the store has it", "[service]") {
  Fixture f;
  const std::string db = f.dir + "/h.db";
  Post a = f.Create(f.alice, "first");
  Post b = f.Create(f.alice, "second");
  Post c = f.Create(f.alice, "third");
  REQUIRE(f.service->Approve(f.mona, a.id));
  REQUIRE(f.service->Approve(f.mona, b.id));
  REQUIRE(f.service->NextDue() == At("2026-12-01T09:00:00Z"));
  testing::ExecSqlite(db, testing::FailPostUpdates());

  SECTION("approve") {
    auto approved = f.service->Approve(f.mona, c.id);
    REQUIRE_FALSE(approved);
    CHECK(approved.error().message().find("injected write failure") != std::string::npos);
    CHECK(approved.error().code() == Code::kInternal);  // not the caller's fault
    CHECK(f.service->GetPost(f.mona, c.id)->state == PostState::kPendingApproval);
    testing::ExecSqlite(db, testing::kStopFailingPostUpdates);
    // Had memory kept the failed approval, `third` would hold 11:00 already and
    // this approval would fail as not pending.
    auto again = f.service->Approve(f.mona, c.id);
    REQUIRE(again);
    CHECK(again->planned_at == At("2026-12-01T11:00:00Z"));
  }
  SECTION("cancel, with the re-plan it causes") {
    REQUIRE_FALSE(f.service->Cancel(f.mona, a.id, "wrong date"));
    testing::ExecSqlite(db, testing::kStopFailingPostUpdates);
    CHECK(f.service->GetPost(f.mona, b.id)->planned_at == At("2026-12-01T10:00:00Z"));
    // `first` is still the one due at 09:00, not `second` moved into its place.
    auto claimed = f.service->ClaimDue(At("2026-12-01T09:00:00Z"));
    REQUIRE(claimed);
    REQUIRE(claimed->size() == 1);
    CHECK((*claimed)[0].id == a.id);
    CHECK(f.service->GetPost(f.mona, a.id)->state == PostState::kPublishing);
  }
  SECTION("edit") {
    EditPostRequest edit;
    edit.text = "second, edited";
    REQUIRE_FALSE(f.service->EditPost(f.mona, b.id, edit));
    testing::ExecSqlite(db, testing::kStopFailingPostUpdates);
    CHECK(f.service->GetPost(f.mona, b.id)->text == "second");
    // Still scheduled at 10:00 in memory too: claimed then, with its old text.
    REQUIRE(f.service->ClaimDue(At("2026-12-01T09:00:00Z"))->size() == 1);
    f.clock.Set(At("2026-12-01T10:00:00Z"));
    auto claimed = f.service->ClaimDue(At("2026-12-01T10:00:00Z"));
    REQUIRE(claimed);
    REQUIRE(claimed->size() == 1);
    CHECK((*claimed)[0].id == b.id);
    CHECK((*claimed)[0].text == "second");
  }
  SECTION("claim") {
    REQUIRE_FALSE(f.service->ClaimDue(At("2026-12-01T09:00:00Z")));
    testing::ExecSqlite(db, testing::kStopFailingPostUpdates);
    auto claimed = f.service->ClaimDue(At("2026-12-01T09:00:00Z"));
    REQUIRE(claimed);
    REQUIRE(claimed->size() == 1);
    CHECK((*claimed)[0].id == a.id);
  }
  SECTION("settle: the outcome can be settled again once the store is back") {
    testing::ExecSqlite(db, testing::kStopFailingPostUpdates);
    REQUIRE(f.service->ClaimDue(At("2026-12-01T09:00:00Z"))->size() == 1);
    testing::ExecSqlite(db, testing::FailPostUpdates());
    connectors::PublishResult published{connectors::PublishResult::Kind::kPublished, "r1", "file://x", {}, {}};
    REQUIRE_FALSE(f.service->Settle(a.id, published));
    CHECK(f.service->GetPost(f.mona, a.id)->state == PostState::kPublishing);
    testing::ExecSqlite(db, testing::kStopFailingPostUpdates);
    auto settled = f.service->Settle(a.id, published);
    REQUIRE(settled);
    CHECK(settled->state == PostState::kPublished);
    CHECK(settled->remote_id == "r1");
  }
  SECTION("settle: a rate limit settled again after a failed write is counted once") {
    testing::ExecSqlite(db, testing::kStopFailingPostUpdates);
    REQUIRE(f.service->ClaimDue(At("2026-12-01T09:00:00Z"))->size() == 1);
    testing::ExecSqlite(db, testing::FailPostUpdates());
    connectors::PublishResult limited{connectors::PublishResult::Kind::kRetryLater, {}, {},
                                      At("2026-12-01T09:30:00Z"), "429 from the platform"};
    limited.hold = connectors::RateLimitHold{At("2026-12-01T09:30:00Z"), "no requests left until 09:30"};
    REQUIRE_FALSE(f.service->Settle(a.id, limited));
    testing::ExecSqlite(db, testing::kStopFailingPostUpdates);
    auto settled = f.service->Settle(a.id, limited);
    REQUIRE(settled);
    CHECK(settled->state == PostState::kScheduled);
    CHECK(*settled->planned_at >= At("2026-12-01T09:30:00Z"));
    CHECK(f.service->CurrentMetrics().connectors["file"].rate_limit_hits == 1);
    // `second` (10:00) is past the pause already and stays; nothing was left inside it.
    CHECK(*f.service->GetPost(f.mona, b.id)->planned_at >= At("2026-12-01T09:30:00Z"));
  }
}

// Holds the write that puts post `gated` back to `scheduled`, after the real
// store took it and before the caller hears so: a settle's write in flight.
class GatedStore : public testing::DelegatingStore {
 public:
  using DelegatingStore::DelegatingStore;

  Result<std::vector<Post>> UpdatePosts(std::vector<storage::PostChange> changes) override {
    bool gate = false;
    for (const auto& c : changes) gate = gate || (c.post.id == gated && c.post.state == PostState::kScheduled);
    auto stored = DelegatingStore::UpdatePosts(std::move(changes));
    if (gate) {
      std::unique_lock lock(mu_);
      written_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return released_; });
    }
    return stored;
  }
  void WaitUntilWritten() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return written_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

  std::atomic<int64_t> gated{0};

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool written_ = false;
  bool released_ = false;
};

TEST_CASE("Service: a post a settle plans again is claimed only once that write is in", "[service]") {
  Fixture f;
  GatedStore* gate = nullptr;
  f.wrap = [&](std::unique_ptr<storage::Store> real) -> std::unique_ptr<storage::Store> {
    auto g = std::make_unique<GatedStore>(std::move(real));
    gate = g.get();
    return g;
  };
  f.Open();
  Post a = f.Create(f.alice, "first");
  REQUIRE(f.service->Approve(f.mona, a.id));
  const Instant nine = At("2026-12-01T09:00:00Z");
  REQUIRE(f.service->ClaimDue(nine)->size() == 1);

  // Not sent (the daemon was stopping): back in the plan at its own second,
  // due at once, while that write is still on its way.
  gate->gated = a.id;
  connectors::PublishResult back{connectors::PublishResult::Kind::kRetryLater, {}, {}, nine, "herald stopped first"};
  back.attempted = false;
  std::optional<Result<Post>> settled;
  std::thread settle([&] { settled = f.service->Settle(a.id, back); });
  gate->WaitUntilWritten();
  // Claimed now, the claim would be based on the version before the settle's
  // and be refused, and the plan would keep the stale copy.
  CHECK_FALSE(f.service->NextDue().has_value());
  auto during = f.service->ClaimDue(nine + 1min);
  gate->Release();
  settle.join();
  REQUIRE(during);
  CHECK(during->empty());
  REQUIRE(settled.has_value());
  REQUIRE(settled->has_value());
  CHECK((*settled)->state == PostState::kScheduled);
  CHECK(*(*settled)->planned_at < nine + 1min);

  CHECK(f.service->NextDue() == (*settled)->planned_at);
  auto after = f.service->ClaimDue(nine + 1min);
  REQUIRE(after);
  REQUIRE(after->size() == 1);
  connectors::PublishResult published{connectors::PublishResult::Kind::kPublished, "r1", "file://x", {}, {}};
  REQUIRE(f.service->Settle(a.id, published));
  CHECK(f.store->GetPost("acme", a.id)->state == PostState::kPublished);
}

TEST_CASE("Service: a write refused because the stored post moved on takes the stored post", "[service]") {
  Fixture f;
  Post a = f.Create(f.alice, "first");
  REQUIRE(f.service->Approve(f.mona, a.id));
  // Changed behind the service's back (an operator with sqlite3).
  testing::ExecSqlite(f.dir + "/h.db", "UPDATE posts SET version = version + 1, text = 'mended' WHERE id = " +
                                           std::to_string(a.id));
  const Instant nine = At("2026-12-01T09:00:00Z");
  auto refused = f.service->ClaimDue(nine);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message().find("changed by someone else") != std::string::npos);
  // Put back as it was, the claim would be refused the same way forever.
  auto claimed = f.service->ClaimDue(nine);
  REQUIRE(claimed);
  REQUIRE(claimed->size() == 1);
  CHECK((*claimed)[0].text == "mended");
  CHECK(f.store->GetPost("acme", a.id)->state == PostState::kPublishing);
}

TEST_CASE("Service: after downtime, posts past missed_after are missed, and state survives a restart", "[service]") {
  Fixture f;
  Post a = f.Create(f.alice, "will be missed");
  REQUIRE(f.service->Approve(f.mona, a.id));
  Post b = f.Create(f.alice, "still on time", At("2026-12-01T11:00:00Z"));
  REQUIRE(f.service->Approve(f.mona, b.id));

  f.clock.Set(At("2026-12-01T11:10:00Z"));
  f.Open();  // a restart on the same database
  auto claimed = f.service->ClaimDue(f.clock.Now());
  REQUIRE(claimed);
  REQUIRE(claimed->size() == 1);
  CHECK((*claimed)[0].id == b.id);
  auto missed = f.service->GetPost(f.alice, a.id);
  REQUIRE(missed);
  CHECK(missed->state == PostState::kMissed);
  CHECK(missed->failure.find("missed_after 30m") != std::string::npos);

  f.Open();  // crashed while publishing b
  auto in_flight = f.service->InFlight();
  REQUIRE(in_flight.size() == 1);
  CHECK(in_flight[0].id == b.id);
  auto unknown = f.service->Settle(b.id, {connectors::PublishResult::Kind::kUnknown, {}, {}, {}, "lost"});
  REQUIRE(unknown);
  CHECK(unknown->state == PostState::kUnconfirmed);
  CHECK(f.service->CurrentMetrics().posts_by_state.at("unconfirmed") == 1);
}

TEST_CASE("Service: a retry-later answer re-plans after the reset with a reason", "[service]") {
  Fixture f;
  Post a = f.Create(f.alice, "rate limited");
  REQUIRE(f.service->Approve(f.mona, a.id));
  REQUIRE(f.service->ClaimDue(f.clock.Now())->size() == 1);
  Instant reset = f.clock.Now() + minutes{10};
  auto later = f.service->Settle(a.id, {connectors::PublishResult::Kind::kRetryLater, {}, {}, reset, "429 until reset"});
  REQUIRE(later);
  CHECK(later->state == PostState::kScheduled);
  CHECK(later->planned_at == reset);
  CHECK(later->reasons.at(0).rule == "retry_after");
}

TEST_CASE("Service: a recovered post is sent again only while the platform would recognise it", "[service]") {
  Fixture f;
  Post a = f.Create(f.alice, "maybe sent before the crash");
  Post b = f.Create(f.alice, "next");
  REQUIRE(f.service->Approve(f.mona, a.id));
  REQUIRE(f.service->Approve(f.mona, b.id));  // 10:00, one hour after `a`
  const Instant nine = At("2026-12-01T09:00:00Z");
  REQUIRE(f.service->ClaimDue(nine)->size() == 1);
  // What the runtime makes of a Lookup that says "send again with the same key":
  // `b` holds 10:00, so with one hour of spacing the next slot for `a` is 11:00.
  connectors::PublishResult recovered{connectors::PublishResult::Kind::kRetryLater, {}, {}, nine, "key remembered"};
  recovered.attempted = false;

  SECTION("the next slot is after the key is forgotten: unconfirmed, never sent again") {
    recovered.resend_by = At("2026-12-01T09:45:00Z");
    auto settled = f.service->Settle(a.id, recovered);
    REQUIRE(settled);
    CHECK(settled->state == PostState::kUnconfirmed);
    CHECK(settled->planned_at == nine);  // it still counts where it was sent
    CHECK(settled->failure.find("safe to send again only until 2026-12-01T09:45:00Z") != std::string::npos);
    CHECK(settled->failure.find("2026-12-01T11:00:00Z") != std::string::npos);
    CHECK(f.store->GetPost("acme", a.id)->state == PostState::kUnconfirmed);
    auto next = f.service->ClaimDue(At("2026-12-01T10:00:00Z"));
    REQUIRE(next->size() == 1);
    CHECK((*next)[0].id == b.id);
  }
  SECTION("the next slot is in time: planned again") {
    recovered.resend_by = At("2026-12-01T11:30:00Z");
    auto settled = f.service->Settle(a.id, recovered);
    REQUIRE(settled);
    CHECK(settled->state == PostState::kScheduled);
    CHECK(settled->planned_at == At("2026-12-01T11:00:00Z"));
  }
}

TEST_CASE("Service: a stricter policy re-plans scheduled posts, and broken reloads keep the old one", "[service]") {
  Fixture f;
  Post a = f.Create(f.alice, "one");
  Post b = f.Create(f.alice, "two");
  REQUIRE(f.service->Approve(f.mona, a.id));
  REQUIRE(f.service->Approve(f.mona, b.id));
  CHECK(f.service->GetPost(f.alice, b.id)->planned_at == At("2026-12-01T10:00:00Z"));
  auto strict = MakePolicy("acme", "acme-blog");
  strict.frequency.defaults.min_spacing = hours{3};
  strict.sha256 = "changed";
  REQUIRE(f.service->ReplacePolicies({strict}, {{"globex", {"globex.yaml:3:1: broken"}}}));
  CHECK(f.service->GetPost(f.alice, b.id)->planned_at == At("2026-12-01T12:00:00Z"));
  auto globex = f.service->Policy(f.gus);
  REQUIRE(globex);
  REQUIRE(globex->last_reload_errors.size() == 1);
  CHECK(f.service->Accounts(f.gus)->size() == 1);  // globex still has its policy
}

TEST_CASE("Service: slots are the next free times", "[service]") {
  Fixture f;
  auto slots = f.service->Slots(f.alice, "acme-blog", 3, std::nullopt);
  REQUIRE(slots);
  REQUIRE(slots->size() == 3);
  CHECK((*slots)[0] == At("2026-12-01T09:00:00Z"));
  CHECK((*slots)[1] == At("2026-12-01T10:00:00Z"));
  CHECK((*slots)[2] == At("2026-12-01T11:00:00Z"));
  CHECK(f.service->Slots(f.alice, "acme-blog", 0, std::nullopt).error().code() == Code::kInvalidArgument);
}

TEST_CASE("Service: health needs a heartbeat", "[service]") {
  Fixture f;
  CHECK_FALSE(f.service->CheckHealth().ok);
  f.service->Heartbeat(f.clock.Now());
  CHECK(f.service->CheckHealth().ok);
  f.clock.Advance(seconds{30});
  auto h = f.service->CheckHealth();
  CHECK_FALSE(h.ok);
  CHECK(h.problems.at(0) == "the firing loop has not ticked for 30s");
}

}  // namespace
}  // namespace herald::runtime
