// What only the PostgreSQL store promises: several Store objects (standing in
// for several herald processes) on one database coordinate through it, it
// migrates safely when they start at once, and it reports a server it cannot
// reach. The shared contract, run on PostgreSQL too, is store_test.cpp.
//
// These run against the private server of scripts/with-postgres (scripts/test
// uses it); without HERALD_TEST_POSTGRES they fail and say so.
#include "storage/postgres_store.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/internal/pg.h"
#include "storage/internal/pg_change_listener.h"
#include "tests/storage/store_testing.h"

namespace herald::storage {
namespace {

using namespace std::chrono_literals;
using testing::NewPost;
using testing::TempDir;

std::string DatabaseUrl(const TempDir& dir) {
  auto url = testing::TestDatabases::Get().For(dir.path());
  if (!url) FAIL(url.error().message());
  return *url;
}

std::unique_ptr<PostgresStore> OpenPostgres(const std::string& url) {
  auto store = PostgresStore::Open(url);
  if (!store) FAIL("cannot open the PostgreSQL store: " << store.error().message());
  return std::move(*store);
}

// Notifications a watcher received, for the test thread to wait on.
class Received {
 public:
  // A watcher's whole call at once, so that a waiter never sees half of it.
  void AddAll(Store::ChangedAccounts accounts) {
    std::lock_guard lock(mu_);
    for (auto& a : accounts) seen_.push_back(std::move(a));
    cv_.notify_all();
  }
  // True when `account` was seen within `timeout`.
  bool WaitFor(const std::string& account, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return Count(account) > 0; });
  }
  int CountOf(const std::string& account) {
    std::lock_guard lock(mu_);
    return Count(account);
  }
  std::vector<std::pair<std::string, std::string>> All() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  int Count(const std::string& account) const {
    int n = 0;
    for (const auto& [org, acc] : seen_) n += acc == account;
    return n;
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<std::string, std::string>> seen_;
};

TEST_CASE("PostgreSQL tests need the server of scripts/with-postgres", "[store][postgresql]") {
  auto url = testing::TestPostgresUrl();
  if (!url) FAIL(url.error().message());
  SUCCEED("HERALD_TEST_POSTGRES=" << *url);
}

TEST_CASE("PostgreSQL account lock excludes another process until released", "[store][postgresql]") {
  TempDir dir;
  const std::string url = DatabaseUrl(dir);
  auto a = OpenPostgres(url);
  auto b = OpenPostgres(url);

  auto held = a->LockAccount("acme", "x");
  REQUIRE(held.has_value());

  // Another account, and the same account name in another organisation, are free.
  {
    auto other = b->LockAccount("acme", "y");
    REQUIRE(other.has_value());
    auto other_org = b->LockAccount("globex", "x");
    REQUIRE(other_org.has_value());
  }

  std::promise<void> acquired;
  std::future<void> acquired_future = acquired.get_future();
  std::promise<void> release_b;
  std::thread waiter([&] {
    auto lock = b->LockAccount("acme", "x");
    acquired.set_value();
    release_b.get_future().wait();
    // `lock` is released here.
  });
  // While A holds it, B waits.
  bool acquired_early = acquired_future.wait_for(300ms) == std::future_status::ready;
  held->reset();  // A releases
  bool acquired_after = acquired_future.wait_for(10s) == std::future_status::ready;
  release_b.set_value();
  waiter.join();
  CHECK_FALSE(acquired_early);
  CHECK(acquired_after);

  // And once B let go, A gets it again at once.
  auto again = a->LockAccount("acme", "x");
  REQUIRE(again.has_value());
}

TEST_CASE("PostgreSQL lock-and-read sees what the previous holder committed before letting go",
          "[store][postgresql]") {
  TempDir dir;
  const std::string url = DatabaseUrl(dir);
  auto a = OpenPostgres(url);
  auto b = OpenPostgres(url);
  auto before = a->CreatePost(NewPost("acme", "x", "before"), {}, std::nullopt);
  REQUIRE(before.has_value());

  auto held = a->LockAccount("acme", "x");
  REQUIRE(held.has_value());
  // B asks while A holds the lock: its read must wait for the lock too.
  auto waiting = std::async(std::launch::async, [&] { return b->LockAccountAndRead("acme", "x", before->change_seq); });
  bool early = waiting.wait_for(300ms) == std::future_status::ready;
  auto during = a->CreatePost(NewPost("acme", "x", "while held"), {}, std::nullopt);
  REQUIRE(during.has_value());
  REQUIRE(a->CreatePost(NewPost("acme", "y", "another account"), {}, std::nullopt).has_value());
  held->reset();
  REQUIRE(waiting.wait_for(10s) == std::future_status::ready);
  auto locked = waiting.get();
  CHECK_FALSE(early);
  REQUIRE(locked.has_value());
  REQUIRE(locked->changes.size() == 1);
  CHECK(locked->changes[0].id == during->id);
  CHECK(locked->changes[0].text == "while held");

  // B holds it now: A waits until B lets go.
  auto a_waiting = std::async(std::launch::async, [&] { return a->LockAccountAndRead("acme", "x", 0); });
  CHECK(a_waiting.wait_for(300ms) == std::future_status::timeout);
  locked->lock.reset();
  REQUIRE(a_waiting.wait_for(10s) == std::future_status::ready);
  auto again = a_waiting.get();
  REQUIRE(again.has_value());
  CHECK(again->changes.size() == 2);
}

TEST_CASE("PostgreSQL locks many accounts at once, leaving out those another process holds", "[store][postgresql]") {
  TempDir dir;
  const std::string url = DatabaseUrl(dir);
  auto a = OpenPostgres(url);
  auto b = OpenPostgres(url);

  auto single = a->LockAccount("acme", "y");
  REQUIRE(single.has_value());
  const std::vector<std::pair<std::string, std::string>> wanted{
      {"acme", "x"}, {"acme", "y"}, {"globex", "y"}, {"acme", "z\"q"}};
  auto many = b->TryLockAccounts(wanted);
  REQUIRE(many.has_value());
  // Every account but the one A holds, without waiting for it.
  CHECK((*many)->held() == std::vector<size_t>{0, 2, 3});

  // What B holds, A can take neither one by one nor in a group.
  auto none = a->TryLockAccounts({{"acme", "x"}, {"acme", "z\"q"}});
  REQUIRE(none.has_value());
  CHECK((*none)->held().empty());
  std::promise<void> acquired;
  std::future<void> acquired_future = acquired.get_future();
  std::thread waiter([&] {
    auto lock = a->LockAccount("globex", "y");
    acquired.set_value();
  });
  bool acquired_early = acquired_future.wait_for(300ms) == std::future_status::ready;
  many->reset();  // B releases them all together
  bool acquired_after = acquired_future.wait_for(10s) == std::future_status::ready;
  waiter.join();
  CHECK_FALSE(acquired_early);
  CHECK(acquired_after);
  auto again = a->TryLockAccounts({{"acme", "x"}, {"acme", "z\"q"}});
  REQUIRE(again.has_value());
  CHECK((*again)->held() == std::vector<size_t>{0, 1});
}

TEST_CASE("PostgreSQL account lock dies with its process", "[store][postgresql]") {
  TempDir dir;
  const std::string url = DatabaseUrl(dir);
  auto b = OpenPostgres(url);
  {
    auto a = OpenPostgres(url);
    auto held = a->LockAccount("acme", "x");
    REQUIRE(held.has_value());
    // The session that holds the lock goes away without unlocking.
    auto admin = internal::PgConnection::Open(url);
    REQUIRE(admin.has_value());
    auto killed = (*admin)->Exec(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
    REQUIRE(killed.has_value());
    CHECK(killed->rows() == 1);
    held->reset();  // finds the connection broken and drops it
  }
  std::promise<void> acquired;
  auto future = acquired.get_future();
  std::thread waiter([&] {
    auto lock = b->LockAccount("acme", "x");
    CHECK(lock.has_value());
    acquired.set_value();
  });
  bool got = future.wait_for(10s) == std::future_status::ready;
  waiter.join();
  CHECK(got);
}

// The watcher starts listening on its own thread: `writer` writes until
// `heard` has heard it.
void WriteUntilHeard(Store& writer, Received& heard) {
  bool listening = false;
  for (int i = 0; i < 100 && !listening; ++i) {
    REQUIRE(writer.CreatePost(NewPost("acme", "warmup", "w"), {}, std::nullopt).has_value());
    listening = heard.WaitFor("warmup", 100ms);
  }
  REQUIRE(listening);
}

TEST_CASE("PostgreSQL watcher hears other processes' writes, not its own", "[store][postgresql]") {
  TempDir dir;
  const std::string url = DatabaseUrl(dir);
  auto a = OpenPostgres(url);
  auto b = OpenPostgres(url);
  Received heard;
  b->WatchChanges([&](Store::ChangedAccounts accounts) { heard.AddAll(std::move(accounts)); });

  WriteUntilHeard(*a, heard);

  SECTION("a creation and an update through another store") {
    auto created = a->CreatePost(NewPost("acme", "x", "hello"), {}, std::nullopt);
    REQUIRE(created.has_value());
    CHECK(heard.WaitFor("x", 5s));
    Post moved = *created;
    moved.account = "z";  // both accounts changed
    REQUIRE(a->UpdatePosts({{moved, {}}}).has_value());
    CHECK(heard.WaitFor("z", 5s));
    auto all = heard.All();
    CHECK(std::find(all.begin(), all.end(), std::make_pair(std::string("acme"), std::string("x"))) != all.end());
  }
  SECTION("its own writes stay quiet") {
    auto own = b->CreatePost(NewPost("acme", "own", "mine"), {}, std::nullopt);
    REQUIRE(own.has_value());
    REQUIRE(b->UpdatePosts({{*own, {}}}).has_value());
    // Notifications arrive in commit order: once A's later write is heard,
    // B's would have been too.
    REQUIRE(a->CreatePost(NewPost("acme", "marker", "m"), {}, std::nullopt).has_value());
    REQUIRE(heard.WaitFor("marker", 5s));
    CHECK(heard.CountOf("own") == 0);
  }
  SECTION("a refused write says nothing") {
    auto created = a->CreatePost(NewPost("acme", "refused", "v1"), {}, std::nullopt);
    REQUIRE(created.has_value());
    REQUIRE(heard.WaitFor("refused", 5s));
    Post stale = *created;
    stale.version = 7;
    stale.account = "never";
    REQUIRE_FALSE(a->UpdatePosts({{stale, {}}}).has_value());
    REQUIRE(a->CreatePost(NewPost("acme", "marker", "m"), {}, std::nullopt).has_value());
    REQUIRE(heard.WaitFor("marker", 5s));
    CHECK(heard.CountOf("never") == 0);
  }
}

TEST_CASE("PostgreSQL watcher tells an account once for notices that waited together", "[store][postgresql]") {
  TempDir dir;
  const std::string url = DatabaseUrl(dir);
  auto a = OpenPostgres(url);
  auto b = OpenPostgres(url);
  Received heard;
  std::promise<void> entered_gate;
  std::promise<void> open_gate;
  std::shared_future<void> gate = open_gate.get_future().share();
  std::atomic<bool> gated{false};
  b->WatchChanges([&](Store::ChangedAccounts accounts) {
    for (const auto& [organization, account] : accounts) {
      if (account == "gate" && !gated.exchange(true)) {
        entered_gate.set_value();
        gate.wait();  // the watcher's thread is busy: notices queue up behind it
      }
    }
    heard.AddAll(std::move(accounts));
  });
  WriteUntilHeard(*a, heard);

  REQUIRE(a->CreatePost(NewPost("acme", "gate", "g"), {}, std::nullopt).has_value());
  REQUIRE(entered_gate.get_future().wait_for(5s) == std::future_status::ready);
  for (int i = 0; i < 5; ++i) REQUIRE(a->CreatePost(NewPost("acme", "x", "busy"), {}, std::nullopt).has_value());
  REQUIRE(a->CreatePost(NewPost("acme", "marker", "m"), {}, std::nullopt).has_value());
  open_gate.set_value();
  REQUIRE(heard.WaitFor("marker", 5s));
  CHECK(heard.CountOf("x") >= 1);
  CHECK(heard.CountOf("x") < 5);
}

// Batches a PgChangeListener told, each with the steady time it was told at.
class Told {
 public:
  void Add(Store::ChangedAccounts accounts) {
    std::lock_guard lock(mu_);
    batches_.push_back({std::chrono::steady_clock::now(), std::move(accounts)});
    cv_.notify_all();
  }
  // Waits until `n` batches were told; false after `timeout`.
  bool WaitForBatches(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return batches_.size() >= n; });
  }
  struct Batch {
    std::chrono::steady_clock::time_point at;
    Store::ChangedAccounts accounts;
  };
  std::vector<Batch> All() {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Batch> batches_;
};

TEST_CASE("PostgreSQL watcher tells the first notice at once and gathers the rest for one interval",
          "[store][postgresql]") {
  TempDir dir;
  const std::string url = DatabaseUrl(dir);
  auto sender = internal::PgConnection::Open(url);
  REQUIRE(sender.has_value());
  auto notify = [&](const std::string& account) {
    REQUIRE((*sender)->Exec("SELECT pg_notify($1, $2)", {internal::P(internal::kChangeChannel),
                                                          internal::P("other|acme|" + account)}).has_value());
  };
  constexpr auto kInterval = 2000ms;
  Told told;
  internal::PgChangeListener listener(url, "me", kInterval,
                                      [&](Store::ChangedAccounts accounts) { told.Add(std::move(accounts)); });
  // It listens once its thread has connected: notify until it hears.
  bool listening = false;
  for (int i = 0; i < 100 && !listening; ++i) {
    notify("warmup");
    listening = told.WaitForBatches(1, 100ms);
  }
  REQUIRE(listening);
  // Quiet for an interval, so the next notice is the first of a stream.
  std::this_thread::sleep_for(kInterval + 200ms);
  const size_t quiet = told.All().size();

  auto first_sent = std::chrono::steady_clock::now();
  notify("a");
  REQUIRE(told.WaitForBatches(quiet + 1, kInterval / 2));  // at once, not after an interval
  CHECK(told.All().back().accounts == Store::ChangedAccounts{{"acme", "a"}});
  CHECK(told.All().back().at - first_sent < kInterval / 2);

  // A stream right after it: gathered, each account once, told one interval
  // after the first batch.
  for (int i = 0; i < 5; ++i) {
    notify("b");
    notify("c");
  }
  (void)(*sender)->Exec("SELECT pg_notify($1, $2)", {internal::P(internal::kChangeChannel), internal::P("me|acme|own")});
  auto stream_sent = std::chrono::steady_clock::now();
  CHECK_FALSE(told.WaitForBatches(quiet + 2, kInterval / 4));
  REQUIRE(told.WaitForBatches(quiet + 2, 2 * kInterval));
  auto batches = told.All();
  REQUIRE(batches.size() == quiet + 2);
  Store::ChangedAccounts gathered = batches.back().accounts;
  std::sort(gathered.begin(), gathered.end());
  CHECK(gathered == Store::ChangedAccounts{{"acme", "b"}, {"acme", "c"}});  // not its own
  CHECK(batches.back().at - batches[quiet].at >= kInterval - 100ms);
  CHECK(batches.back().at - stream_sent <= kInterval + 1000ms);
}

TEST_CASE("PostgreSQL stores opening a fresh database at once migrate it once", "[store][postgresql]") {
  TempDir dir;
  const std::string url = DatabaseUrl(dir);
  constexpr int kProcesses = 4;
  std::vector<Result<std::unique_ptr<PostgresStore>>> opened;
  for (int i = 0; i < kProcesses; ++i) opened.emplace_back(std::unexpected(Status(Code::kInternal, "not run")));
  std::vector<std::thread> threads;
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  for (int i = 0; i < kProcesses; ++i) {
    threads.emplace_back([&, i] {
      start.wait();
      opened[i] = PostgresStore::Open(url);
    });
  }
  go.set_value();
  for (auto& t : threads) t.join();
  int applied = 0;
  for (auto& store : opened) {
    if (!store) FAIL(store.error().message());
    applied += (*store)->migrations_applied();
  }
  CHECK(applied == PostgresStore::LatestSchemaVersion());
  CHECK((*opened[0])->SchemaVersion() == PostgresStore::LatestSchemaVersion());
  // All of them work on the one schema.
  for (auto& store : opened) CHECK((*store)->CreatePost(NewPost("acme", "x", "p"), {}, std::nullopt).has_value());
  auto listed = (*opened[3])->ListPosts({.organization = "acme"});
  REQUIRE(listed.has_value());
  CHECK(listed->size() == kProcesses);
}

TEST_CASE("PostgreSQL store refuses a schema from a newer herald", "[store][postgresql]") {
  TempDir dir;
  const std::string url = DatabaseUrl(dir);
  OpenPostgres(url).reset();
  {
    auto admin = internal::PgConnection::Open(url);
    REQUIRE(admin.has_value());
    REQUIRE((*admin)
                ->Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from the future', 0)",
                       {internal::P(int64_t{PostgresStore::LatestSchemaVersion() + 1})})
                .has_value());
  }
  auto store = OpenStore(url);
  REQUIRE_FALSE(store.has_value());
  CHECK(store.error().code() == Code::kFailedPrecondition);
  CHECK_THAT(store.error().message(), Catch::Contains("newer herald"));
}

TEST_CASE("PostgreSQL store reports a server it cannot reach as unavailable", "[store][postgresql]") {
  // Nothing listens on port 1; the password must not show in the message.
  auto store = OpenStore("postgresql://herald:s3cret@127.0.0.1:1/herald");
  REQUIRE_FALSE(store.has_value());
  CHECK(store.error().code() == Code::kUnavailable);
  CHECK_THAT(store.error().message(), Catch::Contains("PostgreSQL") && Catch::Contains("127.0.0.1:1"));
  CHECK_THAT(store.error().message(), !Catch::Contains("s3cret"));

  auto bad = OpenStore("postgres://127.0.0.1:notaport/herald");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code() == Code::kUnavailable);
  CHECK_THAT(bad.error().message(), Catch::Contains("PostgreSQL"));
}

TEST_CASE("PostgreSQL store recovers when the server drops its connections", "[store][postgresql]") {
  TempDir dir;
  const std::string url = DatabaseUrl(dir);
  auto store = OpenPostgres(url);
  // Several idle connections in the pool.
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) readers.emplace_back([&] { (void)store->Ping(); });
  for (auto& t : readers) t.join();
  {
    auto admin = internal::PgConnection::Open(url);
    REQUIRE(admin.has_value());
    REQUIRE((*admin)
                ->Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
                .has_value());
  }
  // Reads and writes find the dead connections, drop them and go on.
  CHECK(store->Ping().has_value());
  auto created = store->CreatePost(NewPost("acme", "x", "after the drop"), {}, std::nullopt);
  REQUIRE(created.has_value());
  CHECK(store->GetPost("acme", created->id).has_value());
}

}  // namespace
}  // namespace herald::storage
