// Service::SettleMany: many publish outcomes written in one transaction, on
// both stores (PostgreSQL needs HERALD_TEST_POSTGRES: scripts/with-postgres).
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "policies/loader.h"
#include "scheduler/runtime/service.h"
#include "storage/internal/pg.h"
#include "tests/support/delegating_store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/pg_database.h"
#include "tests/support/sqlite_exec.h"

namespace herald::runtime {
namespace {

using namespace std::chrono;
using testing::FakeClock;
using Kind = connectors::PublishResult::Kind;

Instant At(const char* s) { return *ParseRfc3339(s); }

const Caller kMona{"acme", "mona", Role::kManager};
constexpr int kAccounts = 6;

policies::Policy Policy() {
  std::string yaml = "version: 1\norganization: acme\ntimezone: UTC\naccounts:\n  list:\n";
  for (int i = 0; i < kAccounts; ++i) {
    yaml += "    - { id: acme-" + std::to_string(i) + ", platform: mastodon, connector: { type: file } }\n";
  }
  yaml += "frequency:\n  default:\n    min_spacing: 0s\n  max_delay: 48h\n  missed_after: 30m\napproval: { required: false }\n";
  auto p = policies::LoadPolicy(yaml, "acme.yaml");
  if (!p) FAIL(p.error().front().ToString());
  return *p;
}

// Counts the store's UpdatePosts calls and their sizes; after a write of
// several posts that failed, notes what the store then holds of each.
class RecordingStore : public testing::DelegatingStore {
 public:
  using DelegatingStore::DelegatingStore;
  Result<std::vector<Post>> UpdatePosts(std::vector<storage::PostChange> changes) override {
    std::vector<int64_t> ids;
    for (const auto& c : changes) ids.push_back(c.post.id);
    auto r = DelegatingStore::UpdatePosts(std::move(changes));
    std::lock_guard lock(mu);
    writes.push_back(ids.size());
    if (!r && ids.size() > 1) {
      for (int64_t id : ids) {
        auto stored = GetPost("acme", id);
        after_failed_batch[id] = stored ? stored->state : PostState::kFailed;
      }
    }
    return r;
  }
  std::mutex mu;
  std::vector<size_t> writes;                       // guarded by mu
  std::map<int64_t, PostState> after_failed_batch;  // guarded by mu
};

// One post per account, due now, created and claimed by `service`.
std::vector<int64_t> ClaimOnePerAccount(Service& service, const FakeClock& clock) {
  std::vector<int64_t> ids;
  for (int i = 0; i < kAccounts; ++i) {
    CreatePostRequest r;
    r.account = "acme-" + std::to_string(i);
    r.text = "top of the hour " + std::to_string(i);
    r.at = clock.Now();
    auto created = service.CreatePost(kMona, r);
    REQUIRE(created);
    ids.push_back(created->post.id);
  }
  auto claimed = service.ClaimDue(clock.Now());
  REQUIRE(claimed);
  REQUIRE(claimed->size() == ids.size());
  return ids;
}

std::vector<SettleRequest> Published(const std::vector<int64_t>& ids) {
  std::vector<SettleRequest> out;
  for (int64_t id : ids) out.push_back({id, {Kind::kPublished, "r" + std::to_string(id), "https://x/" + std::to_string(id), {}, {}}, true});
  return out;
}

// The two stores, each with a way to change a post behind the service's back
// (as another writer would): it becomes failed, its stored version moves on.
struct Bench {
  std::string url;
  std::function<void(int64_t)> fail_behind_its_back;
  std::string dir;
  ~Bench() {
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

std::unique_ptr<Bench> SqliteBench() {
  auto b = std::make_unique<Bench>();
  char tmpl[] = "/tmp/herald-settle-XXXXXX";
  b->dir = mkdtemp(tmpl);
  b->url = "sqlite:" + b->dir + "/h.db";
  std::string path = b->dir + "/h.db";
  b->fail_behind_its_back = [path](int64_t id) {
    testing::ExecSqlite(path, "UPDATE posts SET version = version + 1, state = 'failed' WHERE id = " + std::to_string(id));
  };
  return b;
}

std::unique_ptr<Bench> PostgresBench() {
  auto b = std::make_unique<Bench>();
  b->url = testing::FreshPostgresDatabase("herald_settle");
  std::string url = b->url;
  b->fail_behind_its_back = [url](int64_t id) {
    auto conn = storage::internal::PgConnection::Open(url);
    REQUIRE(conn);
    REQUIRE((*conn)->Exec("UPDATE posts SET version = version + 1, state = 'failed' WHERE id = $1",
                          {storage::internal::P(std::to_string(id))}));
  };
  return b;
}

void SettlesInOneTransaction(Bench& bench) {
  FakeClock clock{At("2026-12-01T09:00:00Z")};
  auto real = storage::OpenStore(bench.url);
  REQUIRE(real);
  RecordingStore store(std::move(*real));
  int changed = 0;
  Service service(store, clock, {Policy()}, [&] { ++changed; });
  REQUIRE(service.Start());
  auto ids = ClaimOnePerAccount(service, clock);

  SECTION("every outcome of the batch in one write") {
    {
      std::lock_guard lock(store.mu);
      store.writes.clear();
    }
    changed = 0;
    auto results = service.SettleMany(Published(ids));
    REQUIRE(results.size() == ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      REQUIRE(results[i]);
      CHECK(results[i]->id == ids[i]);
      CHECK(results[i]->state == PostState::kPublished);
      auto stored = store.GetPost("acme", ids[i]);
      REQUIRE(stored);
      CHECK(stored->state == PostState::kPublished);
      CHECK(stored->remote_id == "r" + std::to_string(ids[i]));
    }
    std::lock_guard lock(store.mu);
    CHECK(store.writes == std::vector<size_t>{ids.size()});
    CHECK(changed == 1);  // the runtime is woken once per batch
    // Settled already: a second settle of the same outcome is refused, not repeated.
    auto again = service.SettleMany(Published({ids[0]}));
    REQUIRE_FALSE(again[0]);
    CHECK(again[0].error().code() == Code::kFailedPrecondition);
  }
  SECTION("a post another writer changed fails the batch's write: nothing of it is stored, the rest settle alone") {
    const int64_t moved = ids[2];
    bench.fail_behind_its_back(moved);
    auto results = service.SettleMany(Published(ids));
    {
      std::lock_guard lock(store.mu);
      REQUIRE(store.after_failed_batch.size() == ids.size());
      for (const auto& [id, state] : store.after_failed_batch) {
        CHECK(state == (id == moved ? PostState::kFailed : PostState::kPublishing));
      }
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      auto stored = store.GetPost("acme", ids[i]);
      REQUIRE(stored);
      if (ids[i] == moved) {
        REQUIRE_FALSE(results[i]);
        // No longer this process's to settle: never tried again.
        CHECK((results[i].error().code() == Code::kFailedPrecondition || results[i].error().code() == Code::kNotFound));
        CHECK(stored->state == PostState::kFailed);  // as the other writer left it
      } else {
        REQUIRE(results[i]);
        CHECK(results[i]->state == PostState::kPublished);
        CHECK(stored->state == PostState::kPublished);
      }
    }
  }
  SECTION("outcomes of several kinds in one batch") {
    std::vector<SettleRequest> mixed = Published(ids);
    mixed[1].outcome = {Kind::kFailed, {}, {}, std::nullopt, "refused by the platform"};
    mixed[3].outcome = {Kind::kUnknown, {}, {}, std::nullopt, "no answer"};
    mixed[4].outcome = {Kind::kRetryLater, {}, {}, clock.Now() + minutes{10}, "busy"};
    mixed.push_back({999999, mixed[0].outcome, true});  // not a post in flight
    auto results = service.SettleMany(mixed);
    REQUIRE(results.size() == mixed.size());
    REQUIRE(results[0]);
    CHECK(results[0]->state == PostState::kPublished);
    INFO((results[1] ? std::string("ok") : results[1].error().ToString()));
    REQUIRE(results[1]);
    CHECK(results[1]->state == PostState::kFailed);
    REQUIRE(results[3]);
    CHECK(results[3]->state == PostState::kUnconfirmed);
    REQUIRE(results[4]);
    CHECK(results[4]->state == PostState::kScheduled);
    CHECK(results[4]->planned_at == clock.Now() + minutes{10});
    REQUIRE_FALSE(results.back());
    CHECK(results.back().error().code() == Code::kNotFound);
    CHECK(store.GetPost("acme", ids[4])->state == PostState::kScheduled);
  }
}

TEST_CASE("SettleMany on SQLite: one write for many outcomes, and a failed write leaves nothing half-written",
          "[settle]") {
  auto bench = SqliteBench();
  SettlesInOneTransaction(*bench);
}

TEST_CASE("SettleMany on PostgreSQL: one write for many outcomes, and a failed write leaves nothing half-written",
          "[settle][postgres]") {
  auto bench = PostgresBench();
  SettlesInOneTransaction(*bench);
}

TEST_CASE("SettleMany on PostgreSQL: an account another process holds is settled once it lets go", "[settle][postgres]") {
  auto bench = PostgresBench();
  FakeClock clock{At("2026-12-01T09:00:00Z")};
  auto store_a = storage::OpenStore(bench->url);
  auto store_b = storage::OpenStore(bench->url);
  REQUIRE(store_a);
  REQUIRE(store_b);
  ServiceOptions options;
  options.process = "herald-a";
  Service a(**store_a, clock, {Policy()}, [] {}, options);
  REQUIRE(a.Start());
  auto ids = ClaimOnePerAccount(a, clock);
  // The other process holds acme-0 (as while it creates a post there).
  auto held = (*store_b)->LockAccount("acme", "acme-0");
  REQUIRE(held);
  auto released = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(milliseconds{300});
    held->reset();
  });
  auto started = steady_clock::now();
  auto results = a.SettleMany(Published(ids));
  CHECK(steady_clock::now() - started >= milliseconds{250});  // it waited for the lock
  released.get();
  for (size_t i = 0; i < ids.size(); ++i) {
    REQUIRE(results[i]);
    CHECK(results[i]->state == PostState::kPublished);
    CHECK((*store_b)->GetPost("acme", ids[i])->state == PostState::kPublished);
  }
}

}  // namespace
}  // namespace herald::runtime
