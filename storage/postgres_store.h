// PostgresStore: the Store on a PostgreSQL server (libpq), shared by several
// herald processes.
//
// Each call takes a connection from a small pool, runs its statements (a
// transaction for every write, committed with synchronous_commit on) and puts
// the connection back; a connection that broke is dropped, and the next call
// opens a new one. Coordination between processes (see docs/storage.md):
// session advisory locks per account, a change number from a sequence on every
// post write, NOTIFY herald_changes after each committed write, and leases.
//
// Thread-safe: any thread may call any method. Destroying the store stops the
// watcher thread; no call may be in progress or start after that, and every
// AccountLock must have been released.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "storage/store.h"

namespace herald::storage {

class PostgresStore final : public Store {
 public:
  // Connects to `url` (postgresql://user@host:port/db; the database must
  // exist) and migrates it to the latest schema. Unavailable, naming the server,
  // when it cannot connect; FailedPrecondition when the schema is from a newer
  // herald.
  static Result<std::unique_ptr<PostgresStore>> Open(const std::string& url);

  ~PostgresStore() override;

  Result<Post> CreatePost(Post post, std::vector<AuditEntry> audit,
                          std::optional<IdempotencyRecord> idempotency) override;
  Result<std::vector<Post>> UpdatePosts(std::vector<PostChange> changes) override;
  Result<void> AppendAudit(std::vector<AuditEntry> entries) override;
  Result<Post> GetPost(std::string_view organization, int64_t id) override;
  Result<std::vector<Post>> ListPosts(const PostQuery& query) override;
  Result<std::vector<AuditEntry>> ListAudit(const AuditQuery& query) override;
  Result<std::vector<Post>> LoadActive(Instant since) override;
  Result<std::vector<StateChange>> ListHistory(std::string_view organization, int64_t post_id) override;
  Result<std::optional<IdempotencyRecord>> FindIdempotency(std::string_view organization,
                                                           std::string_view key) override;
  Result<void> RecordPolicyVersion(const PolicyVersion& version) override;
  Result<void> Ping() override;
  Result<void> SavePause(const AccountPause& pause) override;
  Result<std::vector<AccountPause>> ActivePauses(Instant now) override;
  Result<SealedGrant> SaveGrant(SealedGrant grant) override;
  Result<std::optional<SealedGrant>> FindGrant(std::string_view organization, std::string_view account) override;
  Result<std::vector<SealedGrant>> ListGrants() override;
  Result<void> DeleteGrant(std::string_view organization, std::string_view account) override;
  Result<void> SaveAuthorization(const PendingAuthorization& authorization) override;
  Result<std::optional<PendingAuthorization>> TakeAuthorization(std::string_view state_hash) override;
  Result<std::vector<EngagementTarget>> EngagementTargets(Instant since, int points, int limit) override;
  Result<bool> ClaimEngagementRead(const EngagementClaim& claim) override;
  Result<void> FinishEngagementRead(const EngagementRead& read, std::string_view process) override;
  Result<void> DeferEngagementRead(int64_t post_id, int point, std::string_view process, Instant until,
                                   std::string_view why) override;
  Result<std::vector<EngagementRead>> ListEngagement(std::string_view organization, int64_t post_id) override;
  Result<std::vector<EngagementSample>> EngagementSamples(const EngagementQuery& query) override;
  Result<bool> ClaimInboxRead(const InboxReadClaim& claim) override;
  Result<std::vector<InboxItem>> SaveInboxPage(const InboxPage& page) override;
  Result<void> ReleaseInboxRead(std::string_view organization, std::string_view account, std::string_view process,
                                Instant next_at, std::string_view why) override;
  Result<std::optional<InboxReadState>> FindInboxReadState(std::string_view organization,
                                                          std::string_view account) override;
  Result<InboxItem> GetInboxItem(std::string_view organization, int64_t id) override;
  Result<std::vector<InboxItem>> ListInbox(const InboxQuery& query) override;
  Result<InboxItem> UpdateInboxItem(InboxItem item, std::vector<AuditEntry> audit) override;
  Result<std::optional<InboxItem>> FindInboxItemByReply(std::string_view organization,
                                                        int64_t reply_post_id) override;
  Result<std::vector<InboxCount>> CountInbox(Instant now) override;
  Result<void> RecordEvents(std::vector<Event> events) override;
  Result<std::vector<Event>> UnroutedEvents(int limit) override;
  Result<bool> RouteEvent(std::string_view event_id, std::string_view organization,
                          const std::vector<std::string>& urls, Instant now) override;
  Result<int> RouteEvents(const std::vector<EventRoute>& routes, Instant now) override;
  Result<std::vector<ClaimedDelivery>> ClaimDeliveries(const DeliveryClaim& claim) override;
  Result<void> FinishDelivery(const DeliveryOutcome& outcome) override;
  Result<std::vector<Event>> ListEvents(const EventQuery& query) override;
  Result<std::vector<EventDelivery>> ListDeliveries(const DeliveryQuery& query) override;
  Result<EventDelivery> RetryDelivery(std::string_view organization, int64_t id, Instant now) override;
  Result<int64_t> PendingDeliveries() override;
  Result<int64_t> PruneEvents(Instant before) override;

  Result<std::unique_ptr<AccountLock>> LockAccount(std::string_view organization,
                                                   std::string_view account) override;
  Result<std::vector<Post>> AccountChangesSince(std::string_view organization, std::string_view account,
                                                int64_t after_seq) override;
  Result<LockedAccount> LockAccountAndRead(std::string_view organization, std::string_view account,
                                           int64_t after_seq) override;
  Result<std::unique_ptr<AccountLocks>> TryLockAccounts(
      const std::vector<std::pair<std::string, std::string>>& accounts) override;
  Result<std::vector<Post>> ChangesSince(const std::vector<AccountCursor>& cursors) override;
  void WatchChanges(std::function<void(ChangedAccounts accounts)> on_change) override;
  Result<void> RenewLease(std::string_view process, Instant until) override;
  Result<std::vector<Post>> OrphanedClaims(Instant now) override;
  bool SharedByProcesses() const override { return true; }

  // The schema version of the database, and the newest this build knows.
  Result<int> SchemaVersion();
  static int LatestSchemaVersion();
  // Schema steps this store applied when it was opened (0 when up to date).
  int migrations_applied() const;
  // The random id this store puts in its notifications.
  const std::string& instance_id() const;

 private:
  struct Impl;
  explicit PostgresStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::storage
