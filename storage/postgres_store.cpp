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
#include "storage/internal/rows.h"
#include "storage/internal/statements.h"
#include "storage/internal/writes.h"

namespace herald::storage {
namespace {

using internal::Accounts;
using internal::P;
using internal::PgConnection;
using internal::PgPool;
using internal::PgRow;
using internal::PgSelectAll;
using internal::PgSelectOne;
using internal::PgWriteSession;
using internal::Statement;

// Three daemons on one server (plus each one's change listener) stay well
// under PostgreSQL's default max_connections of 100: 3 x (12 + 8 + 1) = 63.
constexpr int kMaxConnectionsInUse = 12;
constexpr int kMaxLockConnections = 8;
constexpr size_t kMaxIdleConnections = 8;
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

struct PostgresStore::Impl {
  Impl(std::string url, int applied)
      : pool(std::make_shared<PgPool>(url, kMaxConnectionsInUse, kMaxLockConnections, kMaxIdleConnections)),
        url(std::move(url)),
        migrations_applied(applied),
        instance_id(RandomId()) {}

  // Tells the other processes which accounts a committed write changed: on
  // the commit's round trip but after the commit, not inside it. A NOTIFY in
  // the transaction holds PostgreSQL's notification-queue lock through the
  // commit's flush, which serialised every writer (210 creates/s with 8
  // threads, 873/s without). Its own transaction need not wait for the disk
  // either: a notice lost to a crash is covered by the periodic catch-up
  // (Maintain), and waiting would hold that lock through a flush again.
  std::vector<internal::PgStatement> Notices(const Accounts& accounts) const {
    std::vector<internal::PgStatement> out;
    if (accounts.empty()) return out;
    out.push_back({"SELECT set_config('synchronous_commit', 'off', true)", {}});
    for (const auto& [organization, account] : accounts) {
      out.push_back({"SELECT pg_notify($1, $2)",
                     {P(internal::kChangeChannel), P(instance_id + "|" + organization + "|" + account)}});
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
        [&](PgConnection& db) {
          return internal::InTransaction<T>(
              db, [&](PgWriteSession& session) { return body(session); },
              [&](const PgWriteSession& session) { return Notices(session.touched()); });
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

  std::shared_ptr<PgPool> pool;
  const std::string url;
  const int migrations_applied;
  const std::string instance_id;
  std::mutex mu;
  std::unique_ptr<internal::PgChangeListener> listener;  // guarded by mu
};

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
  auto impl = std::make_unique<Impl>(url, *applied);
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

Result<std::vector<EngagementTarget>> PostgresStore::EngagementTargets(Instant since, int points, int limit) {
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, internal::EngagementTargetsStatement(since, points, limit),
                     [](const PgRow& row) { return internal::ReadEngagementTarget(row); });
  });
}

Result<bool> PostgresStore::ClaimEngagementRead(const EngagementClaim& claim) {
  return impl_->Write<bool>([&](PgWriteSession& db) { return internal::ClaimEngagementRead(db, claim); });
}

Result<void> PostgresStore::FinishEngagementRead(const EngagementRead& read, std::string_view process) {
  return impl_->Write<void>([&](PgWriteSession& db) { return internal::FinishEngagementRead(db, read, process); });
}

Result<void> PostgresStore::DeferEngagementRead(int64_t post_id, int point, std::string_view process, Instant until,
                                        std::string_view why) {
  return impl_->Write<void>(
      [&](PgWriteSession& db) { return internal::DeferEngagementRead(db, post_id, point, process, until, why); });
}

Result<std::vector<EngagementRead>> PostgresStore::ListEngagement(std::string_view organization, int64_t post_id) {
  return impl_->pool->With([&](PgConnection& db) -> Result<std::vector<EngagementRead>> {
    auto exists = PgSelectOne(db, internal::PostExistsStatement(organization, post_id),
                            [](const PgRow&) -> Result<bool> { return true; });
    if (!exists) return std::unexpected(exists.error());
    if (!*exists) return std::unexpected(internal::NotInOrganization(post_id, organization));
    return PgSelectAll(db, internal::ListEngagementStatement(organization, post_id),
                     [](const PgRow& row) { return internal::ReadEngagementRow(row); });
  });
}

Result<std::vector<EngagementSample>> PostgresStore::EngagementSamples(const EngagementQuery& query) {
  auto statement = internal::EngagementSamplesStatement(query);
  if (!statement) return std::unexpected(statement.error());
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, *statement, [](const PgRow& row) { return internal::ReadEngagementSample(row); });
  });
}

Result<bool> PostgresStore::ClaimInboxRead(const InboxReadClaim& claim) {
  return impl_->Write<bool>([&](PgWriteSession& db) { return internal::ClaimInboxRead(db, claim); });
}

Result<std::vector<InboxItem>> PostgresStore::SaveInboxPage(const InboxPage& page) {
  return impl_->Write<std::vector<InboxItem>>([&](PgWriteSession& db) { return internal::SaveInboxPage(db, page); });
}

Result<void> PostgresStore::ReleaseInboxRead(std::string_view organization, std::string_view account,
                                  std::string_view process, Instant next_at, std::string_view why) {
  return impl_->Write<void>(
      [&](PgWriteSession& db) { return internal::ReleaseInboxRead(db, organization, account, process, next_at, why); });
}

Result<std::optional<InboxReadState>> PostgresStore::FindInboxReadState(std::string_view organization,
                                                                 std::string_view account) {
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectOne(db, internal::InboxReadStateStatement(organization, account),
                     [](const PgRow& row) { return internal::ReadInboxReadState(row); });
  });
}

Result<InboxItem> PostgresStore::GetInboxItem(std::string_view organization, int64_t id) {
  auto found = impl_->pool->With([&](PgConnection& db) {
    return PgSelectOne(db, internal::GetInboxItemStatement(organization, id),
                     [](const PgRow& row) { return internal::ReadInboxItem(row); });
  });
  if (!found) return std::unexpected(found.error());
  if (!*found) {
    return std::unexpected(Status(Code::kNotFound, "no inbox item " + std::to_string(id) + " in organization " +
                                                       std::string(organization)));
  }
  return std::move(**found);
}

Result<std::vector<InboxItem>> PostgresStore::ListInbox(const InboxQuery& query) {
  auto statement = internal::ListInboxStatement(query);
  if (!statement) return std::unexpected(statement.error());
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, *statement, [](const PgRow& row) { return internal::ReadInboxItem(row); });
  });
}

Result<InboxItem> PostgresStore::UpdateInboxItem(InboxItem item, std::vector<AuditEntry> audit) {
  auto updated =
      impl_->Write<InboxItem>([&](PgWriteSession& db) { return internal::UpdateInboxItem(db, item, audit); });
  if (!updated && updated.error().code() == Code::kFailedPrecondition) {
    // Tell a missing item from one changed meanwhile.
    if (auto stored = GetInboxItem(item.organization, item.id); !stored) return std::unexpected(stored.error());
  }
  return updated;
}

Result<std::optional<InboxItem>> PostgresStore::FindInboxItemByReply(std::string_view organization,
                                                               int64_t reply_post_id) {
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectOne(db, internal::InboxItemByReplyStatement(organization, reply_post_id),
                     [](const PgRow& row) { return internal::ReadInboxItem(row); });
  });
}

Result<std::vector<InboxCount>> PostgresStore::CountInbox(Instant now) {
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, internal::CountInboxStatement(now),
                     [](const PgRow& row) { return internal::ReadInboxCount(row); });
  });
}

Result<void> PostgresStore::RecordEvents(std::vector<Event> events) {
  if (events.empty()) return {};
  return impl_->Write<void>([&](PgWriteSession& db) { return internal::InsertEvents(db, events); });
}

Result<std::vector<Event>> PostgresStore::UnroutedEvents(int limit) {
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, internal::UnroutedEventsStatement(limit), [](const PgRow& row) { return internal::ReadEvent(row); });
  });
}

Result<bool> PostgresStore::RouteEvent(std::string_view event_id, std::string_view organization,
                               const std::vector<std::string>& urls, Instant now) {
  return impl_->Write<bool>([&](PgWriteSession& db) { return internal::RouteEvent(db, event_id, organization, urls, now); });
}

Result<int> PostgresStore::RouteEvents(const std::vector<EventRoute>& routes, Instant now) {
  if (routes.empty()) return 0;
  return impl_->Write<int>([&](PgWriteSession& db) { return internal::RouteEvents(db, routes, now); });
}

Result<std::vector<ClaimedDelivery>> PostgresStore::ClaimDeliveries(const DeliveryClaim& claim) {
  auto claimed = impl_->Write<void>([&](PgWriteSession& db) { return internal::ClaimDeliveries(db, claim); });
  if (!claimed) return std::unexpected(claimed.error());
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, internal::ClaimedDeliveriesStatement(claim.token),
                     [](const PgRow& row) { return internal::ReadClaimedDelivery(row); });
  });
}

Result<void> PostgresStore::FinishDelivery(const DeliveryOutcome& outcome) {
  return impl_->Write<void>([&](PgWriteSession& db) { return internal::FinishDelivery(db, outcome); });
}

Result<std::vector<Event>> PostgresStore::ListEvents(const EventQuery& query) {
  auto statement = internal::ListEventsStatement(query);
  if (!statement) return std::unexpected(statement.error());
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, *statement, [](const PgRow& row) { return internal::ReadEvent(row); });
  });
}

Result<std::vector<EventDelivery>> PostgresStore::ListDeliveries(const DeliveryQuery& query) {
  auto statement = internal::ListDeliveriesStatement(query);
  if (!statement) return std::unexpected(statement.error());
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, *statement, [](const PgRow& row) { return internal::ReadDelivery(row); });
  });
}

Result<EventDelivery> PostgresStore::RetryDelivery(std::string_view organization, int64_t id, Instant now) {
  auto changed = impl_->Write<bool>([&](PgWriteSession& db) { return internal::RetryDelivery(db, organization, id, now); });
  if (!changed) return std::unexpected(changed.error());
  auto missing = [&] {
    return Status(Code::kNotFound, "delivery " + std::to_string(id) + " not found in organization " + std::string(organization));
  };
  if (!*changed) return std::unexpected(missing());
  auto found = impl_->pool->With([&](PgConnection& db) {
    return PgSelectOne(db, internal::FindDeliveryStatement(organization, id),
                     [](const PgRow& row) { return internal::ReadDelivery(row); });
  });
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::unexpected(missing());
  return **found;
}

Result<int64_t> PostgresStore::PendingDeliveries() {
  auto count = impl_->pool->With([&](PgConnection& db) {
    return PgSelectOne(db, internal::PendingDeliveriesStatement(), [](const PgRow& row) -> Result<int64_t> { return row.Int(0); });
  });
  if (!count) return std::unexpected(count.error());
  return count->value_or(0);
}

Result<int64_t> PostgresStore::PruneEvents(Instant before) {
  return impl_->Write<int64_t>([&](PgWriteSession& db) { return internal::PruneEvents(db, before); });
}

Result<int> PostgresStore::SchemaVersion() {
  return impl_->pool->With([&](PgConnection& db) { return internal::PgSchemaVersion(db); });
}

int PostgresStore::LatestSchemaVersion() { return static_cast<int>(internal::PgSchemaMigrations().size()); }

int PostgresStore::migrations_applied() const { return impl_->migrations_applied; }

const std::string& PostgresStore::instance_id() const { return impl_->instance_id; }

}  // namespace herald::storage
