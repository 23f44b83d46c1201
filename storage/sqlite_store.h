// SqliteStore: the embedded Store, one SQLite database file in WAL mode.
//
// Writes from every thread go through one writer thread that commits them in
// groups (see storage/internal/group_commit.h); each call returns after the
// group's COMMIT, fsynced under synchronous=FULL. Reads use a small pool of
// separate connections and see every write acknowledged before they began.
//
// Thread-safe: any thread may call any method. Destroying the store finishes
// the writes already queued; no call may be in progress or start after that.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "storage/store.h"

namespace herald::storage {

class SqliteStore final : public Store {
 public:
  // Opens the database at `path`, creating its folder and the file when
  // missing, and migrates it to the latest schema. Unavailable (naming the
  // path) when it cannot be created, opened or written; FailedPrecondition when
  // the file was written by a newer herald.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path);

  ~SqliteStore() override;

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

  // One process per file: the lock is a token (callers serialise threads
  // themselves), and there is nobody else to watch.
  Result<std::unique_ptr<AccountLock>> LockAccount(std::string_view organization,
                                                   std::string_view account) override;
  Result<std::vector<Post>> AccountChangesSince(std::string_view organization, std::string_view account,
                                                int64_t after_seq) override;
  void WatchChanges(std::function<void(ChangedAccounts accounts)> on_change) override;
  Result<void> RenewLease(std::string_view process, Instant until) override;
  Result<std::vector<Post>> OrphanedClaims(Instant now) override;

  // The schema version of the open database, and the newest this build knows.
  Result<int> SchemaVersion();
  static int LatestSchemaVersion();
  // Schema steps applied when this store was opened (0 when it was up to date).
  int migrations_applied() const;

  // Write transactions committed, and writes (calls) they held, since opening.
  // commits() < writes() when concurrent writes were grouped.
  int64_t commits() const;
  int64_t writes() const;

 private:
  struct Impl;
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::storage
