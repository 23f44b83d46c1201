#include "storage/internal/pg_pool.h"

namespace herald::storage::internal {

Result<std::unique_ptr<PgConnection>> PgPool::Acquire(bool limited, bool* reused) {
  if (reused) *reused = false;
  {
    std::unique_lock lock(mu_);
    int& used = limited ? in_use_ : locks_in_use_;
    const int most = limited ? max_in_use_ : max_locks_;
    freed_.wait(lock, [&] { return used < most; });
    ++used;
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (reused) *reused = true;
      return conn;
    }
  }
  auto opened = PgConnection::Open(url_);
  if (!opened) {
    std::lock_guard lock(mu_);
    --(limited ? in_use_ : locks_in_use_);
    freed_.notify_all();
  }
  return opened;
}

void PgPool::Release(std::unique_ptr<PgConnection> conn, bool keep, bool limited) {
  std::unique_ptr<PgConnection> closing;
  {
    std::lock_guard lock(mu_);
    --(limited ? in_use_ : locks_in_use_);
    if (keep && conn && conn->reusable() && idle_.size() < max_idle_) {
      idle_.push_back(std::move(conn));
    } else {
      closing = std::move(conn);
    }
  }
  // Waiters of both kinds share the condition: wake them all to find theirs.
  freed_.notify_all();
  // `closing` says goodbye to the server outside the lock.
}

}  // namespace herald::storage::internal

namespace herald::storage::internal {

void PgPool::Adopt(std::unique_ptr<PgConnection> conn) {
  std::lock_guard lock(mu_);
  if (conn && conn->reusable() && idle_.size() < max_idle_) idle_.push_back(std::move(conn));
}

void PgPool::DropIdle() {
  std::vector<std::unique_ptr<PgConnection>> closing;
  std::lock_guard lock(mu_);
  closing.swap(idle_);
}

}  // namespace herald::storage::internal
