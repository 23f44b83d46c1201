// Durable CreatePost throughput of the SQLite store (synchronous=FULL, real
// fsync) with one writer thread and with eight concurrent callers, whose
// writes the store commits in groups. The database lives in a fresh folder
// under the system temp folder.
//
// The same on PostgreSQL (synchronous_commit on, one transaction per call on
// pooled connections) when HERALD_TEST_POSTGRES names a server, e.g.
//   scripts/with-postgres build/bench/herald-bench --benchmark_filter=CreatePost
// Each run creates a fresh database next to the one the URL names.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>

#include "storage/internal/pg.h"
#include "storage/postgres_store.h"
#include "storage/sqlite_store.h"

namespace herald::storage {
namespace {

std::unique_ptr<SqliteStore> g_store;  // shared by the threads of one run
std::string g_dir;

Post BenchPost(int thread, int64_t i) {
  Post post;
  post.organization = "acme";
  post.account = "acme-" + std::to_string(thread);
  post.author = "bench";
  post.text = "Post number " + std::to_string(i) + " from the store benchmark, about tweet length.";
  post.labels = {"bench"};
  post.requested_at = Instant(std::chrono::seconds(1'780'000'000 + i));
  post.planned_at = post.requested_at;
  post.state = PostState::kScheduled;
  post.created_at = post.requested_at;
  post.updated_at = post.requested_at;
  return post;
}

void BM_CreatePostDurable(benchmark::State& state) {
  if (state.thread_index() == 0) {
    std::string pattern = (std::filesystem::temp_directory_path() / "herald-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      state.SkipWithError("cannot create a temp folder");
      return;
    }
    g_dir = pattern;
    auto store = SqliteStore::Open(g_dir + "/herald.db");
    if (!store) {
      state.SkipWithError(store.error().message().c_str());
      return;
    }
    g_store = std::move(*store);
  }
  int64_t i = 0;
  for (auto _ : state) {
    AuditEntry audit{0, "acme", Instant(std::chrono::seconds(1'780'000'000)), "bench", "create", {}, "{}"};
    auto post = g_store->CreatePost(BenchPost(state.thread_index(), i++), {audit}, std::nullopt);
    if (!post) state.SkipWithError(post.error().message().c_str());
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    state.counters["writes_per_commit"] =
        static_cast<double>(g_store->writes()) / static_cast<double>(std::max<int64_t>(1, g_store->commits()));
    g_store.reset();
    std::filesystem::remove_all(g_dir);
  }
}
BENCHMARK(BM_CreatePostDurable)->Threads(1)->Threads(8)->UseRealTime();

std::unique_ptr<PostgresStore> g_pg_store;
int g_pg_runs = 0;

// A fresh database on the server of HERALD_TEST_POSTGRES; its URL.
Result<std::string> FreshPostgresDatabase() {
  const char* base = std::getenv("HERALD_TEST_POSTGRES");
  if (base == nullptr || *base == '\0') {
    return std::unexpected(Status(Code::kFailedPrecondition,
                                  "HERALD_TEST_POSTGRES is not set; run under scripts/with-postgres"));
  }
  auto admin = internal::PgConnection::Open(base);
  if (!admin) return std::unexpected(admin.error());
  std::string name = "herald_bench_" + std::to_string(getpid()) + "_" + std::to_string(g_pg_runs++);
  if (auto r = (*admin)->ExecScript("CREATE DATABASE " + name); !r) return std::unexpected(r.error());
  std::string url = base;
  size_t query = url.find('?');
  std::string rest = query == std::string::npos ? "" : url.substr(query);
  url = url.substr(0, query);
  url.resize(url.rfind('/'));
  return url + "/" + name + rest;
}

void BM_CreatePostDurablePostgres(benchmark::State& state) {
  if (state.thread_index() == 0) {
    auto url = FreshPostgresDatabase();
    if (!url) {
      state.SkipWithError(url.error().message().c_str());
    } else if (auto store = PostgresStore::Open(*url); !store) {
      state.SkipWithError(store.error().message().c_str());
    } else {
      g_pg_store = std::move(*store);
    }
  }
  int64_t i = 0;
  for (auto _ : state) {
    if (!g_pg_store) break;
    AuditEntry audit{0, "acme", Instant(std::chrono::seconds(1'780'000'000)), "bench", "create", {}, "{}"};
    auto post = g_pg_store->CreatePost(BenchPost(state.thread_index(), i++), {audit}, std::nullopt);
    if (!post) state.SkipWithError(post.error().message().c_str());
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) g_pg_store.reset();
}
BENCHMARK(BM_CreatePostDurablePostgres)->Threads(1)->Threads(8)->UseRealTime();

}  // namespace
}  // namespace herald::storage
