#include "storage/internal/pg_account_lock.h"

#include <utility>

#include "storage/internal/rows.h"
#include "storage/internal/statements.h"

namespace herald::storage::internal {
namespace {

constexpr std::string_view kLockSql = "SELECT pg_advisory_lock(hashtextextended($1, 0))";

}  // namespace

Result<std::unique_ptr<Store::AccountLock>> PgAccountLock::Acquire(std::shared_ptr<PgPool> pool,
                                                                   std::string_view organization,
                                                                   std::string_view account) {
  auto conn = pool->Acquire(/*limited=*/false);
  if (!conn) return std::unexpected(conn.error());
  std::string key = std::string(organization) + "/" + std::string(account);
  auto r = (*conn)->Exec(kLockSql, {P(key)});
  if (!r) {
    pool->Release(std::move(*conn), false, /*limited=*/false);
    return std::unexpected(r.error());
  }
  return std::unique_ptr<Store::AccountLock>(new PgAccountLock(std::move(pool), std::move(*conn), std::move(key)));
}

Result<Store::LockedAccount> PgAccountLock::AcquireAndRead(std::shared_ptr<PgPool> pool,
                                                           std::string_view organization, std::string_view account,
                                                           int64_t after_seq) {
  auto conn = pool->Acquire(/*limited=*/false);
  if (!conn) return std::unexpected(conn.error());
  std::string key = std::string(organization) + "/" + std::string(account);
  Statement changes = AccountChangesStatement(organization, account, after_seq);
  // One round trip: the read is a statement of its own, so its snapshot is
  // taken once the lock is granted and it sees every commit of the previous
  // holder.
  auto r = (*conn)->ExecBatch({{std::string(kLockSql), {P(key)}},
                               {NumberPlaceholders(changes.sql), Params(changes.values)}});
  if (!r) {
    // A session lock outlives a failed statement: closing the connection drops it.
    pool->Release(std::move(*conn), false, /*limited=*/false);
    return std::unexpected(std::move(r.error().status));
  }
  const PgResult& rows = (*r)[1];
  std::vector<Post> posts;
  posts.reserve(static_cast<size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i) {
    auto post = ReadPost(PgRow{rows, i});
    if (!post) {
      pool->Release(std::move(*conn), false, /*limited=*/false);
      return std::unexpected(post.error());
    }
    posts.push_back(std::move(*post));
  }
  std::unique_ptr<Store::AccountLock> lock(new PgAccountLock(std::move(pool), std::move(*conn), std::move(key)));
  return Store::LockedAccount{std::move(lock), std::move(posts)};
}

PgAccountLock::~PgAccountLock() {
  auto r = conn_->Exec("SELECT pg_advisory_unlock(hashtextextended($1, 0))", {P(key_)});
  bool released = r && r->rows() == 1 && r->Bool(0, 0);
  pool_->Release(std::move(conn_), released, /*limited=*/false);
}

std::string PgTextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

Result<std::unique_ptr<Store::AccountLocks>> PgAccountLocks::TryAcquire(
    std::shared_ptr<PgPool> pool, const std::vector<std::pair<std::string, std::string>>& accounts) {
  std::vector<std::string> keys;
  keys.reserve(accounts.size());
  for (const auto& [organization, account] : accounts) keys.push_back(organization + "/" + account);
  auto conn = pool->Acquire(/*limited=*/false);
  if (!conn) return std::unexpected(conn.error());
  // Session locks count per key: a key given twice (or two keys of one hash)
  // is taken once; unlock_all releases whatever this connection holds.
  auto r = (*conn)->Exec(
      "SELECT k.i FROM unnest($1::text[]) WITH ORDINALITY AS k(key, i)"
      " WHERE pg_try_advisory_lock(hashtextextended(k.key, 0)) ORDER BY k.i",
      {P(PgTextArray(keys))});
  if (!r) {
    pool->Release(std::move(*conn), false, /*limited=*/false);
    return std::unexpected(r.error());
  }
  std::vector<size_t> held;
  held.reserve(static_cast<size_t>(r->rows()));
  for (int row = 0; row < r->rows(); ++row) held.push_back(static_cast<size_t>(r->Int(row, 0) - 1));
  return std::unique_ptr<Store::AccountLocks>(new PgAccountLocks(std::move(pool), std::move(*conn), std::move(held)));
}

PgAccountLocks::~PgAccountLocks() {
  auto r = conn_->Exec("SELECT pg_advisory_unlock_all()");
  pool_->Release(std::move(conn_), r.has_value(), /*limited=*/false);
}

}  // namespace herald::storage::internal
