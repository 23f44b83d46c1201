#include "storage/sqlite_store.h"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>

#include "storage/internal/engagement_rows.h"
#include "storage/internal/event_rows.h"
#include "storage/internal/grants.h"
#include "storage/internal/inbox_rows.h"
#include "storage/internal/group_commit.h"
#include "storage/internal/migrations.h"
#include "storage/internal/rows.h"
#include "storage/internal/sqlite.h"
#include "storage/internal/sqlite_session.h"
#include "storage/internal/statements.h"
#include "storage/internal/writes.h"

namespace herald::storage {
namespace {

using internal::Connection;
using internal::Query;
using internal::SelectAll;
using internal::SelectOne;
using internal::WriteSession;

// Idle reader connections kept open; more are opened while many threads read.
constexpr size_t kMaxIdleReaders = 4;

constexpr auto kReadPost = [](const Query& row) { return internal::ReadPost(row); };

}  // namespace

struct SqliteStore::Impl {
  Impl(std::string path, std::unique_ptr<Connection> writer, int applied)
      : path(std::move(path)), migrations_applied(applied), committer(std::move(writer)) {}

  // Runs `read` on an idle reader connection, opening one when none is idle.
  template <class F>
  auto Read(F&& read) -> decltype(read(std::declval<Connection&>())) {
    std::unique_ptr<Connection> db;
    {
      std::lock_guard lock(mu);
      if (!idle_readers.empty()) {
        db = std::move(idle_readers.back());
        idle_readers.pop_back();
      }
    }
    if (!db) {
      auto opened = Connection::Open(path, /*create=*/false);
      if (!opened) return std::unexpected(opened.error());
      if (auto r = (*opened)->Exec("PRAGMA query_only = ON"); !r) return std::unexpected(r.error());
      db = std::move(*opened);
    }
    auto result = read(*db);
    // A connection that failed to reach the file is not kept for the next caller.
    if (result || result.error().code() != Code::kUnavailable) {
      std::lock_guard lock(mu);
      if (idle_readers.size() < kMaxIdleReaders) idle_readers.push_back(std::move(db));
    }
    return result;
  }

  // Runs `write` in the writer's next group and returns its answer.
  template <class T, class F>
  Result<T> Write(F&& write) {
    std::optional<Result<T>> answer;
    Status status = committer.Run([&](Connection& db) {
      internal::SqliteWriteSession session(db);
      answer = write(session);
      return *answer ? Status() : answer->error();
    });
    if (!status.ok()) return std::unexpected(std::move(status));
    return std::move(*answer);
  }

  const std::string path;
  const int migrations_applied;
  std::mutex mu;
  std::vector<std::unique_ptr<Connection>> idle_readers;  // guarded by mu
  internal::GroupCommitter committer;  // last: its thread stops first on destruction
};

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  if (path.empty()) {
    return std::unexpected(Status(Code::kInvalidArgument, "the SQLite database path is empty; use sqlite:PATH"));
  }
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (!folder.empty()) {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error) {
      return std::unexpected(Status(Code::kUnavailable, "cannot create folder " + folder.string() +
                                                            " for database " + path + ": " +
                                                            error.message()));
    }
  }
  auto writer = Connection::Open(path, /*create=*/true);
  if (!writer) return std::unexpected(writer.error());
  auto applied = internal::Migrate(**writer, internal::SchemaMigrations());
  if (!applied) return std::unexpected(applied.error());
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::make_unique<Impl>(path, std::move(*writer), *applied)));
}

Result<Post> SqliteStore::CreatePost(Post post, std::vector<AuditEntry> audit,
                                     std::optional<IdempotencyRecord> idempotency) {
  // Not on the single writer's thread: the rest of the write waits for it there.
  internal::PrepareCreateAudit(post, audit);
  return impl_->Write<Post>([&](WriteSession& db) {
    return internal::InsertPost(db, std::move(post), std::move(audit), std::move(idempotency));
  });
}

Result<std::vector<Post>> SqliteStore::UpdatePosts(std::vector<PostChange> changes) {
  if (changes.empty()) return std::vector<Post>();
  return impl_->Write<std::vector<Post>>(
      [&](WriteSession& db) { return internal::ApplyChanges(db, std::move(changes)); });
}

Result<void> SqliteStore::AppendAudit(std::vector<AuditEntry> entries) {
  if (entries.empty()) return {};
  return impl_->Write<void>([&](WriteSession& db) { return internal::InsertAudit(db, entries); });
}

Result<void> SqliteStore::RecordPolicyVersion(const PolicyVersion& version) {
  return impl_->Write<void>([&](WriteSession& db) { return internal::InsertPolicyVersion(db, version); });
}

Result<Post> SqliteStore::GetPost(std::string_view organization, int64_t id) {
  return impl_->Read([&](Connection& db) -> Result<Post> {
    auto post = SelectOne(db, internal::GetPostStatement(organization, id), kReadPost);
    if (!post) return std::unexpected(post.error());
    if (!*post) return std::unexpected(internal::NotInOrganization(id, organization));
    return std::move(**post);
  });
}

Result<std::vector<Post>> SqliteStore::ListPosts(const PostQuery& q) {
  auto statement = internal::ListPostsStatement(q);
  if (!statement) return std::unexpected(statement.error());
  return impl_->Read([&](Connection& db) { return SelectAll(db, *statement, kReadPost); });
}

Result<std::vector<AuditEntry>> SqliteStore::ListAudit(const AuditQuery& q) {
  auto statement = internal::ListAuditStatement(q);
  if (!statement) return std::unexpected(statement.error());
  return impl_->Read([&](Connection& db) {
    return SelectAll(db, *statement, [](const Query& row) { return internal::ReadAudit(row); });
  });
}

Result<std::vector<Post>> SqliteStore::LoadActive(Instant since) {
  return impl_->Read([&](Connection& db) { return SelectAll(db, internal::LoadActiveStatement(since), kReadPost); });
}

Result<std::vector<StateChange>> SqliteStore::ListHistory(std::string_view organization, int64_t post_id) {
  return impl_->Read([&](Connection& db) -> Result<std::vector<StateChange>> {
    auto exists = SelectOne(db, internal::PostExistsStatement(organization, post_id),
                            [](const Query&) -> Result<bool> { return true; });
    if (!exists) return std::unexpected(exists.error());
    if (!*exists) return std::unexpected(internal::NotInOrganization(post_id, organization));
    return SelectAll(db, internal::HistoryStatement(post_id),
                     [&](const Query& row) { return internal::ReadStateChange(row, post_id); });
  });
}

Result<std::optional<IdempotencyRecord>> SqliteStore::FindIdempotency(std::string_view organization,
                                                                      std::string_view key) {
  return impl_->Read([&](Connection& db) {
    return SelectOne(db, internal::FindIdempotencyStatement(organization, key),
                     [&](const Query& row) { return internal::ReadIdempotency(row, organization, key); });
  });
}

Result<void> SqliteStore::Ping() {
  return impl_->Read([&](Connection& db) -> Result<void> {
    auto query = db.Prepare("SELECT 1");
    if (!query) return std::unexpected(query.error());
    return query->Run();
  });
}

namespace {
class NoLock final : public Store::AccountLock {};
}  // namespace

Result<std::unique_ptr<Store::AccountLock>> SqliteStore::LockAccount(std::string_view, std::string_view) {
  return std::unique_ptr<AccountLock>(std::make_unique<NoLock>());
}

Result<std::vector<Post>> SqliteStore::AccountChangesSince(std::string_view organization,
                                                           std::string_view account, int64_t after_seq) {
  return impl_->Read([&](Connection& db) {
    return SelectAll(db, internal::AccountChangesStatement(organization, account, after_seq), kReadPost);
  });
}

void SqliteStore::WatchChanges(std::function<void(ChangedAccounts)>) {}

Result<void> SqliteStore::RenewLease(std::string_view process, Instant until) {
  return impl_->Write<void>(
      [&](WriteSession& db) { return db.Run(internal::RenewLeaseStatement(process, until)); });
}

Result<std::vector<Post>> SqliteStore::OrphanedClaims(Instant now) {
  return impl_->Read([&](Connection& db) { return SelectAll(db, internal::OrphanedClaimsStatement(now), kReadPost); });
}

Result<void> SqliteStore::SavePause(const AccountPause& pause) {
  return impl_->Write<void>([&](WriteSession& db) { return db.Run(internal::SavePauseStatement(pause)); });
}

Result<std::vector<AccountPause>> SqliteStore::ActivePauses(Instant now) {
  return impl_->Read([&](Connection& db) {
    return SelectAll(db, internal::ActivePausesStatement(now), [](const Query& row) { return internal::ReadPause(row); });
  });
}

Result<SealedGrant> SqliteStore::SaveGrant(SealedGrant grant) {
  return impl_->Write<SealedGrant>([&](WriteSession& db) { return internal::SaveGrant(db, grant); });
}

Result<std::optional<SealedGrant>> SqliteStore::FindGrant(std::string_view organization, std::string_view account) {
  return impl_->Read([&](Connection& db) {
    return SelectOne(db, internal::FindGrantStatement(organization, account),
                     [](const Query& row) { return internal::ReadGrant(row); });
  });
}

Result<std::vector<SealedGrant>> SqliteStore::ListGrants() {
  return impl_->Read([&](Connection& db) {
    return SelectAll(db, internal::ListGrantsStatement(), [](const Query& row) { return internal::ReadGrant(row); });
  });
}

Result<void> SqliteStore::SaveAuthorization(const PendingAuthorization& authorization) {
  return impl_->Write<void>([&](WriteSession& db) { return internal::SaveAuthorization(db, authorization); });
}

Result<std::optional<PendingAuthorization>> SqliteStore::TakeAuthorization(std::string_view state_hash) {
  auto found = impl_->Read([&](Connection& db) {
    return SelectOne(db, internal::FindAuthorizationStatement(state_hash),
                     [](const Query& row) { return internal::ReadAuthorization(row); });
  });
  if (!found || !*found) return found;
  // Only the caller whose delete removed the row gets it.
  auto removed = impl_->Write<bool>([&](WriteSession& db) { return internal::RemoveAuthorization(db, state_hash); });
  if (!removed) return std::unexpected(removed.error());
  if (!*removed) return std::optional<PendingAuthorization>();
  return found;
}

Result<void> SqliteStore::DeleteGrant(std::string_view organization, std::string_view account) {
  return impl_->Write<void>([&](WriteSession& db) { return internal::DeleteGrant(db, organization, account); });
}

Result<std::vector<EngagementTarget>> SqliteStore::EngagementTargets(Instant since, int points, int limit) {
  return impl_->Read([&](Connection& db) {
    return SelectAll(db, internal::EngagementTargetsStatement(since, points, limit),
                     [](const Query& row) { return internal::ReadEngagementTarget(row); });
  });
}

Result<bool> SqliteStore::ClaimEngagementRead(const EngagementClaim& claim) {
  return impl_->Write<bool>([&](WriteSession& db) { return internal::ClaimEngagementRead(db, claim); });
}

Result<void> SqliteStore::FinishEngagementRead(const EngagementRead& read, std::string_view process) {
  return impl_->Write<void>([&](WriteSession& db) { return internal::FinishEngagementRead(db, read, process); });
}

Result<void> SqliteStore::DeferEngagementRead(int64_t post_id, int point, std::string_view process, Instant until,
                                        std::string_view why) {
  return impl_->Write<void>(
      [&](WriteSession& db) { return internal::DeferEngagementRead(db, post_id, point, process, until, why); });
}

Result<std::vector<EngagementRead>> SqliteStore::ListEngagement(std::string_view organization, int64_t post_id) {
  return impl_->Read([&](Connection& db) -> Result<std::vector<EngagementRead>> {
    auto exists = SelectOne(db, internal::PostExistsStatement(organization, post_id),
                            [](const Query&) -> Result<bool> { return true; });
    if (!exists) return std::unexpected(exists.error());
    if (!*exists) return std::unexpected(internal::NotInOrganization(post_id, organization));
    return SelectAll(db, internal::ListEngagementStatement(organization, post_id),
                     [](const Query& row) { return internal::ReadEngagementRow(row); });
  });
}

Result<std::vector<EngagementSample>> SqliteStore::EngagementSamples(const EngagementQuery& query) {
  auto statement = internal::EngagementSamplesStatement(query);
  if (!statement) return std::unexpected(statement.error());
  return impl_->Read([&](Connection& db) {
    return SelectAll(db, *statement, [](const Query& row) { return internal::ReadEngagementSample(row); });
  });
}

Result<bool> SqliteStore::ClaimInboxRead(const InboxReadClaim& claim) {
  return impl_->Write<bool>([&](WriteSession& db) { return internal::ClaimInboxRead(db, claim); });
}

Result<std::vector<InboxItem>> SqliteStore::SaveInboxPage(const InboxPage& page) {
  return impl_->Write<std::vector<InboxItem>>([&](WriteSession& db) { return internal::SaveInboxPage(db, page); });
}

Result<void> SqliteStore::ReleaseInboxRead(std::string_view organization, std::string_view account,
                                  std::string_view process, Instant next_at, std::string_view why) {
  return impl_->Write<void>(
      [&](WriteSession& db) { return internal::ReleaseInboxRead(db, organization, account, process, next_at, why); });
}

Result<std::optional<InboxReadState>> SqliteStore::FindInboxReadState(std::string_view organization,
                                                                 std::string_view account) {
  return impl_->Read([&](Connection& db) {
    return SelectOne(db, internal::InboxReadStateStatement(organization, account),
                     [](const Query& row) { return internal::ReadInboxReadState(row); });
  });
}

Result<InboxItem> SqliteStore::GetInboxItem(std::string_view organization, int64_t id) {
  auto found = impl_->Read([&](Connection& db) {
    return SelectOne(db, internal::GetInboxItemStatement(organization, id),
                     [](const Query& row) { return internal::ReadInboxItem(row); });
  });
  if (!found) return std::unexpected(found.error());
  if (!*found) {
    return std::unexpected(Status(Code::kNotFound, "no inbox item " + std::to_string(id) + " in organization " +
                                                       std::string(organization)));
  }
  return std::move(**found);
}

Result<std::vector<InboxItem>> SqliteStore::ListInbox(const InboxQuery& query) {
  auto statement = internal::ListInboxStatement(query);
  if (!statement) return std::unexpected(statement.error());
  return impl_->Read([&](Connection& db) {
    return SelectAll(db, *statement, [](const Query& row) { return internal::ReadInboxItem(row); });
  });
}

Result<InboxItem> SqliteStore::UpdateInboxItem(InboxItem item, std::vector<AuditEntry> audit) {
  auto updated =
      impl_->Write<InboxItem>([&](WriteSession& db) { return internal::UpdateInboxItem(db, item, audit); });
  if (!updated && updated.error().code() == Code::kFailedPrecondition) {
    // Tell a missing item from one changed meanwhile.
    if (auto stored = GetInboxItem(item.organization, item.id); !stored) return std::unexpected(stored.error());
  }
  return updated;
}

Result<std::optional<InboxItem>> SqliteStore::FindInboxItemByReply(std::string_view organization,
                                                               int64_t reply_post_id) {
  return impl_->Read([&](Connection& db) {
    return SelectOne(db, internal::InboxItemByReplyStatement(organization, reply_post_id),
                     [](const Query& row) { return internal::ReadInboxItem(row); });
  });
}

Result<std::vector<InboxCount>> SqliteStore::CountInbox(Instant now) {
  return impl_->Read([&](Connection& db) {
    return SelectAll(db, internal::CountInboxStatement(now),
                     [](const Query& row) { return internal::ReadInboxCount(row); });
  });
}

Result<void> SqliteStore::RecordEvents(std::vector<Event> events) {
  if (events.empty()) return {};
  return impl_->Write<void>([&](WriteSession& db) { return internal::InsertEvents(db, events); });
}

Result<std::vector<Event>> SqliteStore::UnroutedEvents(int limit) {
  return impl_->Read([&](Connection& db) {
    return SelectAll(db, internal::UnroutedEventsStatement(limit), [](const Query& row) { return internal::ReadEvent(row); });
  });
}

Result<bool> SqliteStore::RouteEvent(std::string_view event_id, std::string_view organization,
                               const std::vector<std::string>& urls, Instant now) {
  return impl_->Write<bool>([&](WriteSession& db) { return internal::RouteEvent(db, event_id, organization, urls, now); });
}

Result<int> SqliteStore::RouteEvents(const std::vector<EventRoute>& routes, Instant now) {
  if (routes.empty()) return 0;
  return impl_->Write<int>([&](WriteSession& db) { return internal::RouteEvents(db, routes, now); });
}

Result<std::vector<ClaimedDelivery>> SqliteStore::ClaimDeliveries(const DeliveryClaim& claim) {
  auto claimed = impl_->Write<void>([&](WriteSession& db) { return internal::ClaimDeliveries(db, claim); });
  if (!claimed) return std::unexpected(claimed.error());
  return impl_->Read([&](Connection& db) {
    return SelectAll(db, internal::ClaimedDeliveriesStatement(claim.token),
                     [](const Query& row) { return internal::ReadClaimedDelivery(row); });
  });
}

Result<void> SqliteStore::FinishDelivery(const DeliveryOutcome& outcome) {
  return impl_->Write<void>([&](WriteSession& db) { return internal::FinishDelivery(db, outcome); });
}

Result<std::vector<Event>> SqliteStore::ListEvents(const EventQuery& query) {
  auto statement = internal::ListEventsStatement(query);
  if (!statement) return std::unexpected(statement.error());
  return impl_->Read([&](Connection& db) {
    return SelectAll(db, *statement, [](const Query& row) { return internal::ReadEvent(row); });
  });
}

Result<std::vector<EventDelivery>> SqliteStore::ListDeliveries(const DeliveryQuery& query) {
  auto statement = internal::ListDeliveriesStatement(query);
  if (!statement) return std::unexpected(statement.error());
  return impl_->Read([&](Connection& db) {
    return SelectAll(db, *statement, [](const Query& row) { return internal::ReadDelivery(row); });
  });
}

Result<EventDelivery> SqliteStore::RetryDelivery(std::string_view organization, int64_t id, Instant now) {
  auto changed = impl_->Write<bool>([&](WriteSession& db) { return internal::RetryDelivery(db, organization, id, now); });
  if (!changed) return std::unexpected(changed.error());
  auto missing = [&] {
    return Status(Code::kNotFound, "delivery " + std::to_string(id) + " not found in organization " + std::string(organization));
  };
  if (!*changed) return std::unexpected(missing());
  auto found = impl_->Read([&](Connection& db) {
    return SelectOne(db, internal::FindDeliveryStatement(organization, id),
                     [](const Query& row) { return internal::ReadDelivery(row); });
  });
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::unexpected(missing());
  return **found;
}

Result<int64_t> SqliteStore::PendingDeliveries() {
  auto count = impl_->Read([&](Connection& db) {
    return SelectOne(db, internal::PendingDeliveriesStatement(), [](const Query& row) -> Result<int64_t> { return row.Int(0); });
  });
  if (!count) return std::unexpected(count.error());
  return count->value_or(0);
}

Result<int64_t> SqliteStore::PruneEvents(Instant before) {
  return impl_->Write<int64_t>([&](WriteSession& db) { return internal::PruneEvents(db, before); });
}

Result<int> SqliteStore::SchemaVersion() {
  return impl_->Read([&](Connection& db) { return internal::SchemaVersion(db); });
}

int SqliteStore::LatestSchemaVersion() { return static_cast<int>(internal::SchemaMigrations().size()); }

int SqliteStore::migrations_applied() const { return impl_->migrations_applied; }

int64_t SqliteStore::commits() const { return impl_->committer.commits(); }

int64_t SqliteStore::writes() const { return impl_->committer.writes(); }

}  // namespace herald::storage
