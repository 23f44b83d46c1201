// PgPool: the PostgreSQL store's connections. A call takes one (an idle one,
// or a new one while fewer than the limit are in use), runs, and gives it
// back; a connection that broke is closed instead. Account locks hold their
// connection for longer, so they count against a limit of their own: holding
// many locks never starves the calls that the lock holders go on to make, and
// nobody holds two locks' connections at once, so neither limit can wait on
// the other. Connections open at once (idle ones included) never exceed the
// two limits together: a new one is opened only when none is idle.
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "storage/internal/pg.h"

namespace herald::storage::internal {

// The Status of a call's error; calls with richer errors (a transaction's, which
// also says how far it got) overload it beside their error type.
inline const Status& StatusOf(const Status& error) { return error; }

class PgPool {
 public:
  PgPool(std::string url, int max_in_use, int max_locks, size_t max_idle)
      : url_(std::move(url)), max_in_use_(max_in_use), max_locks_(max_locks), max_idle_(max_idle) {}

  // `limited`: for a call, counted against max_in_use; otherwise for an
  // account lock, counted against max_locks. Waits for a free slot. `reused`
  // (optional) tells whether the connection had been idle in the pool.
  Result<std::unique_ptr<PgConnection>> Acquire(bool limited = true, bool* reused = nullptr);
  // `keep`: false when the connection must not be reused (it broke, or holds
  // session state). `limited` as the Acquire's.
  void Release(std::unique_ptr<PgConnection> conn, bool keep, bool limited = true);
  // Takes a connection opened elsewhere (the one migrations ran on) as idle.
  void Adopt(std::unique_ptr<PgConnection> conn);
  // The most connections open at once.
  int max_open() const { return max_in_use_ + max_locks_; }

  // Closes every idle connection (after one turned out dead: the server
  // probably restarted or dropped them all).
  void DropIdle();

  // Runs `f(PgConnection&)` on a pooled connection; the connection is dropped
  // when it broke or the call reported Unavailable. When `f` failed with
  // Unavailable on a connection that had been idle and `retry_safe(error)`
  // says nothing can have been done, it runs once more on a new connection.
  // The error type is any with a StatusOf overload.
  template <class F, class Safe>
  auto With(F&& f, Safe&& retry_safe) -> decltype(f(std::declval<PgConnection&>())) {
    for (int attempt = 0;; ++attempt) {
      bool reused = false;
      auto conn = Acquire(true, &reused);
      if (!conn) return std::unexpected(conn.error());
      auto result = f(**conn);
      bool unavailable = !result && StatusOf(result.error()).code() == Code::kUnavailable;
      bool keep = (*conn)->ok() && !unavailable;
      Release(std::move(*conn), keep);
      if (unavailable && reused) {
        DropIdle();
        if (attempt == 0 && retry_safe(result.error())) continue;
      }
      return result;
    }
  }
  // For reads: always safe to run again.
  template <class F>
  auto With(F&& f) -> decltype(f(std::declval<PgConnection&>())) {
    return With(std::forward<F>(f), [](const auto&) { return true; });
  }

  const std::string& url() const { return url_; }

 private:
  const std::string url_;
  const int max_in_use_;
  const int max_locks_;
  const size_t max_idle_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // guarded by mu_
  int in_use_ = 0;                                   // calls' connections, guarded by mu_
  int locks_in_use_ = 0;                             // account locks' connections, guarded by mu_
};

}  // namespace herald::storage::internal
