// PgAccountLock: Store::AccountLock on PostgreSQL, a session advisory lock on
// the key "organization/account" held on a connection of its own (taken from
// the pool outside its limit). Destroying it unlocks and gives the connection
// back; when the connection broke, the server has already dropped the lock.
//
// Thread-safety: one owner; destroy it on any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "storage/internal/pg.h"
#include "storage/internal/pg_pool.h"
#include "storage/store.h"

namespace herald::storage::internal {

class PgAccountLock final : public Store::AccountLock {
 public:
  // Waits until the lock is free. Unavailable when the server cannot be reached.
  static Result<std::unique_ptr<Store::AccountLock>> Acquire(std::shared_ptr<PgPool> pool,
                                                             std::string_view organization,
                                                             std::string_view account);
  // Acquire, then the account's changes after `after_seq` read on the lock's
  // connection once it is granted (Store::LockAccountAndRead), sent together.
  static Result<Store::LockedAccount> AcquireAndRead(std::shared_ptr<PgPool> pool, std::string_view organization,
                                                     std::string_view account, int64_t after_seq);
  ~PgAccountLock() override;

 private:
  PgAccountLock(std::shared_ptr<PgPool> pool, std::unique_ptr<PgConnection> conn, std::string key)
      : pool_(std::move(pool)), conn_(std::move(conn)), key_(std::move(key)) {}

  std::shared_ptr<PgPool> pool_;
  std::unique_ptr<PgConnection> conn_;
  std::string key_;
};

// Store::AccountLocks on PostgreSQL: the same advisory locks as PgAccountLock,
// taken with pg_try_advisory_lock in one statement on a connection of their
// own, and released together (pg_advisory_unlock_all) when destroyed.
class PgAccountLocks final : public Store::AccountLocks {
 public:
  // Unavailable when the server cannot be reached.
  static Result<std::unique_ptr<Store::AccountLocks>> TryAcquire(
      std::shared_ptr<PgPool> pool, const std::vector<std::pair<std::string, std::string>>& accounts);
  ~PgAccountLocks() override;
  const std::vector<size_t>& held() const override { return held_; }

 private:
  PgAccountLocks(std::shared_ptr<PgPool> pool, std::unique_ptr<PgConnection> conn, std::vector<size_t> held)
      : pool_(std::move(pool)), conn_(std::move(conn)), held_(std::move(held)) {}

  std::shared_ptr<PgPool> pool_;
  std::unique_ptr<PgConnection> conn_;
  std::vector<size_t> held_;
};

// A PostgreSQL text[] literal ({"a","b\"c"}) holding `items`.
std::string PgTextArray(const std::vector<std::string>& items);

}  // namespace herald::storage::internal
