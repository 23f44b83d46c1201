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
  ~PgAccountLock() override;

 private:
  PgAccountLock(std::shared_ptr<PgPool> pool, std::unique_ptr<PgConnection> conn, std::string key)
      : pool_(std::move(pool)), conn_(std::move(conn)), key_(std::move(key)) {}

  std::shared_ptr<PgPool> pool_;
  std::unique_ptr<PgConnection> conn_;
  std::string key_;
};

}  // namespace herald::storage::internal
