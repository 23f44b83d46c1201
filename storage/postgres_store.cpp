#include "storage/postgres_store.h"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>
#include <utility>

#include "storage/internal/engagement_rows.h"
#include "storage/internal/event_rows.h"
#include "storage/internal/grants.h"
#include "storage/internal/inbox_rows.h"
#include "storage/internal/pg.h"
#include "storage/internal/pg_account_changes.h"
#include "storage/internal/pg_account_lock.h"
#include "storage/internal/pg_change_listener.h"
#include "storage/internal/pg_migrations.h"
#include "storage/internal/pg_pool.h"
#include "storage/internal/pg_session.h"
#include "storage/internal/postgres_store_impl.h"
#include "storage/internal/rows.h"
#include "storage/internal/statements.h"
#include "storage/internal/writes.h"

namespace herald::storage {
namespace {

using internal::PgConnection;
using internal::PgRow;
using internal::PgSelectAll;
using internal::PgSelectOne;
using internal::PgWriteSession;
using internal::Statement;

// Other processes' notices are told to the watcher at most once per this
// interval, gathered: under a stream of creates each process then reads the
// accounts others changed a hundred times a second, in one statement each
// time, instead of once per notice. It bounds how far a process's view (its
// plan book, what it publishes next) lags behind another's commit; placement
// does not depend on it, since every change reads its account under the lock.
constexpr std::chrono::milliseconds kCatchUpInterval{10};

std::string RandomId() {
  std::random_device random;
  char buf[33];
  std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", random(), random(), random(), random());
  return buf;
}

constexpr auto kReadPost = [](const PgRow& row) { return internal::ReadPost(row); };

// Runs a statement that returns no rows.
Result<void> Run(PgConnection& db, const Statement& statement) {
  auto r = db.Exec(internal::NumberPlaceholders(statement.sql), internal::Params(statement.values));
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace

PostgresStore::PostgresStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PostgresStore::~PostgresStore() {
  std::unique_ptr<internal::PgChangeListener> listener;
  {
    std::lock_guard lock(impl_->mu);
    listener = std::move(impl_->listener);
  }
  listener.reset();  // joins its thread
}

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url) {
  auto conn = PgConnection::Open(url);
  if (!conn) return std::unexpected(conn.error());
  auto applied = internal::PgMigrate(**conn, internal::PgSchemaMigrations());
  if (!applied) return std::unexpected(applied.error());
  auto impl = std::make_unique<Impl>(url, *applied, RandomId());
  impl->pool->Adopt(std::move(*conn));
  return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(impl)));
}

Result<Post> PostgresStore::CreatePost(Post post, std::vector<AuditEntry> audit,
                                       std::optional<IdempotencyRecord> idempotency) {
  return impl_->Write<Post>(
      [&](PgWriteSession& db) { return internal::InsertPost(db, post, audit, idempotency); });
}

Result<std::vector<Post>> PostgresStore::UpdatePosts(std::vector<PostChange> changes) {
  if (changes.empty()) return std::vector<Post>();
  return impl_->Write<std::vector<Post>>([&](PgWriteSession& db) { return internal::ApplyChanges(db, changes); });
}

Result<void> PostgresStore::AppendAudit(std::vector<AuditEntry> entries) {
  if (entries.empty()) return {};
  return impl_->Write<void>([&](PgWriteSession& db) { return internal::InsertAudit(db, entries); });
}

Result<void> PostgresStore::RecordPolicyVersion(const PolicyVersion& version) {
  return impl_->pool->With(
      [&](PgConnection& db) { return Run(db, internal::InsertPolicyVersionStatement(version)); });
}

Result<Post> PostgresStore::GetPost(std::string_view organization, int64_t id) {
  return impl_->pool->With([&](PgConnection& db) -> Result<Post> {
    auto post = PgSelectOne(db, internal::GetPostStatement(organization, id), kReadPost);
    if (!post) return std::unexpected(post.error());
    if (!*post) return std::unexpected(internal::NotInOrganization(id, organization));
    return std::move(**post);
  });
}

Result<std::vector<Post>> PostgresStore::ListPosts(const PostQuery& q) {
  auto statement = internal::ListPostsStatement(q);
  if (!statement) return std::unexpected(statement.error());
  return impl_->pool->With([&](PgConnection& db) { return PgSelectAll(db, *statement, kReadPost); });
}

Result<std::vector<AuditEntry>> PostgresStore::ListAudit(const AuditQuery& q) {
  auto statement = internal::ListAuditStatement(q);
  if (!statement) return std::unexpected(statement.error());
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, *statement, [](const PgRow& row) { return internal::ReadAudit(row); });
  });
}

Result<std::vector<Post>> PostgresStore::LoadActive(Instant since) {
  return impl_->pool->With(
      [&](PgConnection& db) { return PgSelectAll(db, internal::LoadActiveStatement(since), kReadPost); });
}

Result<std::vector<StateChange>> PostgresStore::ListHistory(std::string_view organization, int64_t post_id) {
  return impl_->pool->With([&](PgConnection& db) -> Result<std::vector<StateChange>> {
    auto exists = PgSelectOne(db, internal::PostExistsStatement(organization, post_id),
                              [](const PgRow&) -> Result<bool> { return true; });
    if (!exists) return std::unexpected(exists.error());
    if (!*exists) return std::unexpected(internal::NotInOrganization(post_id, organization));
    return PgSelectAll(db, internal::HistoryStatement(post_id),
                       [&](const PgRow& row) { return internal::ReadStateChange(row, post_id); });
  });
}

Result<std::optional<IdempotencyRecord>> PostgresStore::FindIdempotency(std::string_view organization,
                                                                        std::string_view key) {
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectOne(db, internal::FindIdempotencyStatement(organization, key),
                       [&](const PgRow& row) { return internal::ReadIdempotency(row, organization, key); });
  });
}

Result<void> PostgresStore::Ping() {
  return impl_->pool->With([&](PgConnection& db) { return Run(db, {"SELECT 1", {}}); });
}

Result<std::unique_ptr<Store::AccountLock>> PostgresStore::LockAccount(std::string_view organization,
                                                                       std::string_view account) {
  return internal::PgAccountLock::Acquire(impl_->pool, organization, account);
}

Result<std::vector<Post>> PostgresStore::AccountChangesSince(std::string_view organization,
                                                             std::string_view account, int64_t after_seq) {
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, internal::AccountChangesStatement(organization, account, after_seq), kReadPost);
  });
}

Result<Store::LockedAccount> PostgresStore::LockAccountAndRead(std::string_view organization,
                                                              std::string_view account, int64_t after_seq) {
  return internal::PgAccountLock::AcquireAndRead(impl_->pool, organization, account, after_seq);
}

Result<std::unique_ptr<Store::AccountLocks>> PostgresStore::TryLockAccounts(
    const std::vector<std::pair<std::string, std::string>>& accounts) {
  return internal::PgAccountLocks::TryAcquire(impl_->pool, accounts);
}

Result<std::vector<Post>> PostgresStore::ChangesSince(const std::vector<AccountCursor>& cursors) {
  if (cursors.empty()) return std::vector<Post>();
  return impl_->pool->With([&](PgConnection& db) { return internal::PgChangesSince(db, cursors); });
}

void PostgresStore::WatchChanges(std::function<void(ChangedAccounts accounts)> on_change) {
  std::lock_guard lock(impl_->mu);
  if (impl_->listener) return;  // at most once
  impl_->listener = std::make_unique<internal::PgChangeListener>(impl_->url, impl_->instance_id, kCatchUpInterval,
                                                                 std::move(on_change));
}

Result<void> PostgresStore::RenewLease(std::string_view process, Instant until) {
  return impl_->pool->With([&](PgConnection& db) { return Run(db, internal::RenewLeaseStatement(process, until)); });
}

Result<void> PostgresStore::SavePause(const AccountPause& pause) {
  return impl_->pool->With([&](PgConnection& db) { return Run(db, internal::SavePauseStatement(pause)); });
}

Result<std::vector<AccountPause>> PostgresStore::ActivePauses(Instant now) {
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, internal::ActivePausesStatement(now),
                       [](const PgRow& row) { return internal::ReadPause(row); });
  });
}

Result<std::vector<Post>> PostgresStore::OrphanedClaims(Instant now) {
  return impl_->pool->With(
      [&](PgConnection& db) { return PgSelectAll(db, internal::OrphanedClaimsStatement(now), kReadPost); });
}

Result<SealedGrant> PostgresStore::SaveGrant(SealedGrant grant) {
  return impl_->Write<SealedGrant>([&](PgWriteSession& db) { return internal::SaveGrant(db, grant); });
}

Result<std::optional<SealedGrant>> PostgresStore::FindGrant(std::string_view organization,
                                                            std::string_view account) {
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectOne(db, internal::FindGrantStatement(organization, account),
                       [](const PgRow& row) { return internal::ReadGrant(row); });
  });
}

Result<std::vector<SealedGrant>> PostgresStore::ListGrants() {
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, internal::ListGrantsStatement(), [](const PgRow& row) { return internal::ReadGrant(row); });
  });
}

Result<void> PostgresStore::SaveAuthorization(const PendingAuthorization& authorization) {
  return impl_->Write<void>([&](PgWriteSession& db) { return internal::SaveAuthorization(db, authorization); });
}

Result<std::optional<PendingAuthorization>> PostgresStore::TakeAuthorization(std::string_view state_hash) {
  auto found = impl_->pool->With([&](PgConnection& db) {
    return PgSelectOne(db, internal::FindAuthorizationStatement(state_hash),
                       [](const PgRow& row) { return internal::ReadAuthorization(row); });
  });
  if (!found || !*found) return found;
  // Only the caller whose delete removed the row gets it.
  auto removed = impl_->Write<bool>([&](PgWriteSession& db) { return internal::RemoveAuthorization(db, state_hash); });
  if (!removed) return std::unexpected(removed.error());
  if (!*removed) return std::optional<PendingAuthorization>();
  return found;
}

Result<void> PostgresStore::DeleteGrant(std::string_view organization, std::string_view account) {
  return impl_->Write<void>([&](PgWriteSession& db) { return internal::DeleteGrant(db, organization, account); });
}

Result<int> PostgresStore::SchemaVersion() {
  return impl_->pool->With([&](PgConnection& db) { return internal::PgSchemaVersion(db); });
}

int PostgresStore::LatestSchemaVersion() { return static_cast<int>(internal::PgSchemaMigrations().size()); }

int PostgresStore::migrations_applied() const { return impl_->migrations_applied; }

const std::string& PostgresStore::instance_id() const { return impl_->instance_id; }

}  // namespace herald::storage
