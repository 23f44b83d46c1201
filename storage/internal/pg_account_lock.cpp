#include "storage/internal/pg_account_lock.h"

#include <utility>

namespace herald::storage::internal {

Result<std::unique_ptr<Store::AccountLock>> PgAccountLock::Acquire(std::shared_ptr<PgPool> pool,
                                                                   std::string_view organization,
                                                                   std::string_view account) {
  auto conn = pool->Acquire(/*limited=*/false);
  if (!conn) return std::unexpected(conn.error());
  std::string key = std::string(organization) + "/" + std::string(account);
  auto r = (*conn)->Exec("SELECT pg_advisory_lock(hashtextextended($1, 0))", {P(key)});
  if (!r) {
    pool->Release(std::move(*conn), false, /*limited=*/false);
    return std::unexpected(r.error());
  }
  return std::unique_ptr<Store::AccountLock>(new PgAccountLock(std::move(pool), std::move(*conn), std::move(key)));
}

PgAccountLock::~PgAccountLock() {
  auto r = conn_->Exec("SELECT pg_advisory_unlock(hashtextextended($1, 0))", {P(key_)});
  bool released = r && r->rows() == 1 && r->Bool(0, 0);
  pool_->Release(std::move(conn_), released, /*limited=*/false);
}

}  // namespace herald::storage::internal
