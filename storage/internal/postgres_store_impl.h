// PostgresStore's insides, shared by the files that implement it
// (postgres_store.cpp: posts, accounts, leases, grants;
// postgres_store_loop.cpp: engagement, the inbox and events). Not for other
// modules.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "storage/internal/pg.h"
#include "storage/internal/pg_change_listener.h"
#include "storage/internal/pg_pool.h"
#include "storage/internal/pg_session.h"
#include "storage/postgres_store.h"

namespace herald::storage {
namespace internal {

// Three daemons on one server (plus each one's change listener) stay well
// under PostgreSQL's default max_connections of 100: 3 x (12 + 8 + 1) = 63.
inline constexpr int kMaxConnectionsInUse = 12;
inline constexpr int kMaxLockConnections = 8;
inline constexpr size_t kMaxIdleConnections = 8;

}  // namespace internal

struct PostgresStore::Impl {
  Impl(std::string url, int applied, std::string instance)
      : pool(std::make_shared<internal::PgPool>(url, internal::kMaxConnectionsInUse, internal::kMaxLockConnections,
                                                internal::kMaxIdleConnections)),
        url(std::move(url)),
        migrations_applied(applied),
        instance_id(std::move(instance)) {}

  // Tells the other processes which accounts a committed write changed: on
  // the commit's round trip but after the commit, not inside it. A NOTIFY in
  // the transaction holds PostgreSQL's notification-queue lock through the
  // commit's flush, which serialised every writer (210 creates/s with 8
  // threads, 873/s without). Its own transaction need not wait for the disk
  // either: a notice lost to a crash is covered by the periodic catch-up
  // (Maintain), and waiting would hold that lock through a flush again.
  std::vector<internal::PgStatement> Notices(const internal::Accounts& accounts) const {
    std::vector<internal::PgStatement> out;
    if (accounts.empty()) return out;
    out.push_back({"SELECT set_config('synchronous_commit', 'off', true)", {}});
    for (const auto& [organization, account] : accounts) {
      out.push_back({"SELECT pg_notify($1, $2)",
                     {internal::P(internal::kChangeChannel), internal::P(instance_id + "|" + organization + "|" + account)}});
    }
    return out;
  }

  // Runs `body(WriteSession&)` in a transaction and announces the accounts it
  // touched. A write that failed before the server answered any of it, on a
  // stale pooled connection, reached nothing and runs once more on a fresh
  // one; `body` must then start again from its inputs.
  template <class T, class F>
  Result<T> Write(F&& body) {
    auto result = pool->With(
        [&](internal::PgConnection& db) {
          return internal::InTransaction<T>(
              db, [&](internal::PgWriteSession& session) { return body(session); },
              [&](const internal::PgWriteSession& session) { return Notices(session.touched()); });
        },
        [](const internal::TransactionError& error) {
          return error.stage == internal::TransactionStage::kNotBegun;
        });
    if (!result) return std::unexpected(std::move(result.error().status));
    if constexpr (std::is_void_v<T>) {
      return {};
    } else {
      return std::move(*result);
    }
  }

  std::shared_ptr<internal::PgPool> pool;
  const std::string url;
  const int migrations_applied;
  const std::string instance_id;
  std::mutex mu;
  std::unique_ptr<internal::PgChangeListener> listener;  // guarded by mu
};

}  // namespace herald::storage
