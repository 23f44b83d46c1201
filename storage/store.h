// Store: herald's durable state behind one interface (posts with their state
// history, the audit log, idempotency keys, policy versions). SQLite is the embedded
// default (one process); PostgreSQL lets several herald processes share one database.
//
// Every method that changes something returns only after the change is durable
// (committed, and fsynced under SQLite's synchronous=FULL): callers may
// acknowledge to a user as soon as it returns OK. Implementations may group the
// writes of concurrent callers into one transaction, but never return before it
// commits. Thread-safe: any thread may call any method at any time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/post.h"
#include "core/status.h"
#include "core/time.h"
#include "storage/engagement_records.h"
#include "storage/event_records.h"
#include "storage/inbox_records.h"

namespace herald::storage {

struct AuditEntry {
  int64_t id = 0;  // assigned by the store
  std::string organization;
  Instant at;
  std::string actor;   // token name, or "herald" for the daemon's own decisions
  std::string action;  // create, edit, approve, reject, cancel, decision, move, urgent_bypass, publish, ...
  std::optional<int64_t> post_id;
  std::string detail;  // JSON object as text
  // `detail` as stored, when its writer built both from one value
  // (audit_detail.h): the store then writes it without parsing `detail`.
  // Empty: the store derives it from `detail`. Never read back; not compared.
  std::string stored_detail;

  friend bool operator==(const AuditEntry& a, const AuditEntry& b) {
    return a.id == b.id && a.organization == b.organization && a.at == b.at && a.actor == b.actor &&
           a.action == b.action && a.post_id == b.post_id && a.detail == b.detail;
  }
};

// How the first create with an idempotency key ended.
enum class FirstAnswer { kCreated, kRefused };

// What a create with an Idempotency-Key returned the first time.
struct IdempotencyRecord {
  std::string organization;
  std::string key;
  std::string request_hash;  // SHA-256 hex of the canonical request body
  int64_t post_id = 0;
  FirstAnswer first = FirstAnswer::kCreated;
  Instant created_at;

  friend bool operator==(const IdempotencyRecord&, const IdempotencyRecord&) = default;
};

struct PostQuery {
  std::string organization;  // required
  std::optional<std::string> account;
  std::optional<PostState> state;
  std::optional<Instant> from;  // planned_at (or requested_at when unplanned) >= from
  std::optional<Instant> to;    // ... < to
  int64_t after_id = 0;         // cursor: ids > after_id, ascending
  int limit = 50;               // 1..1000
};

struct AuditQuery {
  std::string organization;  // required
  std::optional<int64_t> post_id;
  std::optional<Instant> from;
  std::optional<Instant> to;
  int64_t after_id = 0;
  int limit = 100;
};

// One post changed in an update batch. `post.version` must equal the stored
// version; the store writes `post` with version + 1.
struct PostChange {
  Post post;
  std::vector<AuditEntry> audit;  // appended in the same transaction
};

// One row of a post's state history: written whenever CreatePost or
// UpdatePosts stores a post whose state differs from the stored one.
struct StateChange {
  int64_t post_id = 0;
  Instant at;                      // the post's created_at / updated_at
  std::optional<PostState> from;   // nullopt for the creation
  PostState to = PostState::kPendingApproval;
  std::string actor;               // the first audit entry's actor, else the author / "herald"

  friend bool operator==(const StateChange&, const StateChange&) = default;
};

// An account paused by its platform (a rate limit until its reset) or by an
// open circuit breaker: nothing is sent on it before `until`. Kept in the store
// so that a restart, or another process on the same database, honours it too.
struct AccountPause {
  std::string organization;
  std::string account;
  std::string rule;  // rate_limit | circuit_open
  Instant until;
  std::string why;

  friend bool operator==(const AccountPause&, const AccountPause&) = default;
};

// One account's OAuth grant (access and refresh tokens) as the store keeps it:
// sealed, so the store never holds a token in clear (secrets/grant_vault.h seals
// and opens it). `expires_at` (the access token's) is in clear so that due
// refreshes can be found without a key.
struct SealedGrant {
  std::string organization;
  std::string account;
  std::string key_id;  // the key that sealed it
  std::string sealed;  // nonce, ciphertext and tag, base64
  std::optional<Instant> expires_at;
  Instant updated_at;
  int64_t version = 0;  // assigned by the store: 0 for a grant not stored yet
  // Why the platform refused to refresh it (the account must be connected
  // again); empty while it works. In clear: it names no token.
  std::string needs_reconnect;

  friend bool operator==(const SealedGrant&, const SealedGrant&) = default;
};

// An OAuth authorization started for an account and waiting for its callback
// (oauth/authorization_flow.h). Kept in the store so that the callback may
// reach any daemon on the database, or one restarted meanwhile. The state
// itself is not stored, only its SHA-256; the PKCE verifier is sealed.
struct PendingAuthorization {
  std::string state_hash;  // SHA-256 of the state, hex
  std::string organization;
  std::string account;
  std::string platform;
  std::string caller;           // the token name that started it
  std::string key_id;           // the key that sealed the verifier
  std::string sealed_verifier;  // nonce, ciphertext and tag, base64
  Instant created_at;
  Instant expires_at;

  friend bool operator==(const PendingAuthorization&, const PendingAuthorization&) = default;
};

struct PolicyVersion {
  std::string organization;
  std::string sha256;
  Instant loaded_at;
  std::string source;
};

class Store {
 public:
  virtual ~Store() = default;

  // Inserts a new post (id, version 1 assigned), its audit entries and, when
  // given, its idempotency record, in one transaction. Audit entries and the
  // record get the new post's id (and its organisation when theirs is empty).
  // AlreadyExists when the idempotency key is taken (the caller then reads it
  // with FindIdempotency); nothing of the post is stored then.
  virtual Result<Post> CreatePost(Post post, std::vector<AuditEntry> audit,
                                  std::optional<IdempotencyRecord> idempotency) = 0;

  // Applies every change or none. FailedPrecondition (naming the post) when a
  // version does not match: somebody else changed it first; NotFound when a
  // post is not in its organisation. Returns the posts as stored (new
  // versions). A change of state adds a row to the post's history.
  virtual Result<std::vector<Post>> UpdatePosts(std::vector<PostChange> changes) = 0;

  virtual Result<void> AppendAudit(std::vector<AuditEntry> entries) = 0;

  // NotFound when there is no such post in this organisation.
  virtual Result<Post> GetPost(std::string_view organization, int64_t id) = 0;
  virtual Result<std::vector<Post>> ListPosts(const PostQuery& query) = 0;
  virtual Result<std::vector<AuditEntry>> ListAudit(const AuditQuery& query) = 0;

  // Every post the runtime must know at start: all posts not in a final state,
  // and final ones whose planned or published time is at or after `since`
  // (they still count against caps and spacing).
  virtual Result<std::vector<Post>> LoadActive(Instant since) = 0;

  // The post's state changes, oldest first. NotFound when there is no such
  // post in this organisation.
  virtual Result<std::vector<StateChange>> ListHistory(std::string_view organization,
                                                       int64_t post_id) = 0;

  virtual Result<std::optional<IdempotencyRecord>> FindIdempotency(std::string_view organization,
                                                                   std::string_view key) = 0;

  virtual Result<void> RecordPolicyVersion(const PolicyVersion& version) = 0;

  // A cheap round trip to the database, for /healthz.
  virtual Result<void> Ping() = 0;

  // Coordination between several processes on one database (docs/storage.md).
  // SQLite has one process per file, so its versions are cheap no-ops that
  // still honour the contracts; PostgreSQL implements them for real.

  // Serialises every change to one account's plan across processes: held until
  // the returned object is destroyed (PostgreSQL: a session advisory lock on a
  // dedicated connection, released if the process dies). A caller holding it
  // first reads AccountChangesSince, then decides, then writes, then releases,
  // so the next holder sees every committed change. Not re-entrant.
  class AccountLock {
   public:
    virtual ~AccountLock() = default;
  };
  virtual Result<std::unique_ptr<AccountLock>> LockAccount(std::string_view organization,
                                                           std::string_view account) = 0;

  // The account's posts whose change_seq is greater than `after_seq`, in
  // change_seq order (every write stamps the post with a new, larger number).
  virtual Result<std::vector<Post>> AccountChangesSince(std::string_view organization, std::string_view account,
                                                        int64_t after_seq) = 0;

  // LockAccount, then AccountChangesSince read under the lock: what every
  // holder reads first, in one round trip where the store can (PostgreSQL).
  // The default does the two in turn. Fails as they do; no lock is held then.
  struct LockedAccount {
    std::unique_ptr<AccountLock> lock;
    std::vector<Post> changes;
  };
  virtual Result<LockedAccount> LockAccountAndRead(std::string_view organization, std::string_view account,
                                                   int64_t after_seq);

  // Many accounts at once, for a burst of due posts: each lock is the one
  // LockAccount takes, so holders of either exclude each other.
  struct AccountCursor {
    std::string organization;
    std::string account;
    int64_t after_seq = 0;  // AccountChangesSince's
  };
  class AccountLocks {
   public:
    virtual ~AccountLocks() = default;
    // The accounts locked (by index into the request), in request order.
    virtual const std::vector<size_t>& held() const = 0;
  };
  // Locks those of `accounts` (organization, account) that no one holds now,
  // all at once, and never waits for the others: they are left out of
  // held(). Released together when the returned object is destroyed.
  // Unavailable when the server cannot be reached. The default takes the
  // locks one by one with LockAccount, waiting for each (right where locks
  // are no-ops, as on SQLite).
  virtual Result<std::unique_ptr<AccountLocks>> TryLockAccounts(
      const std::vector<std::pair<std::string, std::string>>& accounts);
  // AccountChangesSince for every cursor, in one read where the store can:
  // each account's posts in change_seq order. The default asks account by
  // account.
  virtual Result<std::vector<Post>> ChangesSince(const std::vector<AccountCursor>& cursors);

  // (organization, account) pairs whose posts another process changed.
  using ChangedAccounts = std::vector<std::pair<std::string, std::string>>;
  // Calls `on_change(accounts)` from a store thread soon after another process
  // commits a change to those accounts' posts (PostgreSQL: LISTEN/NOTIFY, at
  // most one call per few milliseconds, each account once per call; see
  // PostgresStore). Changes made through this Store object are not reported.
  // SQLite never calls it. Call at most once, before use.
  virtual void WatchChanges(std::function<void(ChangedAccounts accounts)> on_change) = 0;

  // Claims are leased: each process renews its lease (upsert) well before it
  // ends. A post `publishing` whose claimed_by names a process without a lease
  // or with a lease ending before `now` is an orphan (its process died).
  virtual Result<void> RenewLease(std::string_view process, Instant until) = 0;
  virtual Result<std::vector<Post>> OrphanedClaims(Instant now) = 0;

  // Records a pause; an existing pause of the account that lasts longer wins.
  virtual Result<void> SavePause(const AccountPause& pause) = 0;
  // Every pause still in force at `now`, by organisation then account.
  virtual Result<std::vector<AccountPause>> ActivePauses(Instant now) = 0;

  // Stores `grant` as the account's grant when the stored one is still at
  // grant.version (0: there is none yet) and returns it at version + 1.
  // FailedPrecondition when another writer changed or created it first (read
  // it again); InvalidArgument when it names no organisation or account.
  virtual Result<SealedGrant> SaveGrant(SealedGrant grant) = 0;
  // nullopt when the account has no grant.
  virtual Result<std::optional<SealedGrant>> FindGrant(std::string_view organization, std::string_view account) = 0;
  // Every grant of every organisation, by organisation then account.
  virtual Result<std::vector<SealedGrant>> ListGrants() = 0;
  // NotFound when the account has no grant.
  virtual Result<void> DeleteGrant(std::string_view organization, std::string_view account) = 0;

  // Stores a started authorization, and forgets those that expired more than
  // a day before it was made. AlreadyExists when its state hash is taken.
  virtual Result<void> SaveAuthorization(const PendingAuthorization& authorization) = 0;
  // Removes the authorization with this state hash and returns it: of callers
  // racing for one, exactly one gets it. nullopt when there is none (never
  // started, taken already, or forgotten).
  virtual Result<std::optional<PendingAuthorization>> TakeAuthorization(std::string_view state_hash) = 0;
  // Engagement read back (docs/engagement.md). Each read of a schedule point
  // is claimed first with a conditional write, so two processes on one
  // database never make the same read.

  // Published posts published at or after `since` that are not gone and whose
  // latest finished point is below `points - 1`, oldest first, at most `limit`.
  virtual Result<std::vector<EngagementTarget>> EngagementTargets(Instant since, int points, int limit) = 0;
  // True when this call claimed the point: nobody had, or a claim that was
  // never finished ended before claim.now. False when it is finished or
  // another claim is in force. InvalidArgument without an organization.
  virtual Result<bool> ClaimEngagementRead(const EngagementClaim& claim) = 0;
  // Stores how the claimed read ended. FailedPrecondition when `process` no
  // longer holds the claim (it ran out and another process took it).
  virtual Result<void> FinishEngagementRead(const EngagementRead& read, std::string_view process) = 0;
  // Keeps the claim until `until` without a result (the platform said to come
  // back later): nobody reads that point before. FailedPrecondition as above.
  virtual Result<void> DeferEngagementRead(int64_t post_id, int point, std::string_view process, Instant until,
                                           std::string_view why) = 0;
  // The post's finished reads, oldest first. NotFound when there is no such
  // post in this organisation.
  virtual Result<std::vector<EngagementRead>> ListEngagement(std::string_view organization, int64_t post_id) = 0;
  // Every post of the query's organisation published in [from, to) that has
  // been read at least once, with its latest counts, by post id.
  // InvalidArgument without an organization.
  virtual Result<std::vector<EngagementSample>> EngagementSamples(const EngagementQuery& query) = 0;

  // The inbox (docs/inbox.md). Reads of an account's inbox are claimed with a
  // conditional write, so two processes on one database never read the same
  // account at once, and items are stored once each.

  // True when this call claimed the account's next read: nobody had, or the
  // previous claim or pause ended at or before claim.now. InvalidArgument
  // without an organization, account or process.
  virtual Result<bool> ClaimInboxRead(const InboxReadClaim& claim) = 0;
  // In one transaction, while page.process holds the account's claim: stores
  // each item not stored yet (by organization, account and remote id; the
  // others change nothing), linking it to its post, and moves the account's
  // cursor to page.cursor. Returns the items it stored, as stored.
  // FailedPrecondition when the claim was lost (nothing is stored).
  virtual Result<std::vector<InboxItem>> SaveInboxPage(const InboxPage& page) = 0;
  // Ends `process`'s claim: nobody reads the account before `next_at` (now
  // to let the next read start at once, later to back off), `why` kept as
  // the state's detail. FailedPrecondition when the claim was lost.
  virtual Result<void> ReleaseInboxRead(std::string_view organization, std::string_view account,
                                        std::string_view process, Instant next_at, std::string_view why) = 0;
  // nullopt when the account's inbox was never claimed.
  virtual Result<std::optional<InboxReadState>> FindInboxReadState(std::string_view organization,
                                                                  std::string_view account) = 0;
  // NotFound when there is no such item in this organisation.
  virtual Result<InboxItem> GetInboxItem(std::string_view organization, int64_t id) = 0;
  // Newest first (by id). InvalidArgument without an organization.
  virtual Result<std::vector<InboxItem>> ListInbox(const InboxQuery& query) = 0;
  // Writes item's department, due_at, state, assignee, reply_post_id and
  // updated_at when the stored item is still at item.version, with `audit` in the same
  // transaction; returns it at version + 1. NotFound when there is no such
  // item in its organisation; FailedPrecondition when somebody changed it first.
  virtual Result<InboxItem> UpdateInboxItem(InboxItem item, std::vector<AuditEntry> audit) = 0;
  // The item that `reply_post_id` answers, nullopt when none.
  virtual Result<std::optional<InboxItem>> FindInboxItemByReply(std::string_view organization,
                                                                int64_t reply_post_id) = 0;
  // Every (organization, department, state) holding items, with how many are
  // overdue at `now`, for the metrics. Aggregates only.
  virtual Result<std::vector<InboxCount>> CountInbox(Instant now) = 0;

  // Events and their deliveries (docs/events.md). Every post write whose
  // state or planned time changes records its event (post.*) in the same
  // transaction; the rest come through RecordEvents.

  // Stores the events whose id is not stored yet (others are left as they
  // are). InvalidArgument when one names no organization or id.
  virtual Result<void> RecordEvents(std::vector<Event> events) = 0;
  // Events not routed yet (RouteEvent), oldest first, at most `limit`.
  virtual Result<std::vector<Event>> UnroutedEvents(int limit) = 0;
  // Marks the event routed and adds one pending delivery per URL, due at
  // `now`, in one transaction. False (nothing added) when it was routed
  // already, by this process or another.
  virtual Result<bool> RouteEvent(std::string_view event_id, std::string_view organization,
                                  const std::vector<std::string>& urls, Instant now) = 0;
  // One event to route and where it goes (RouteEvents).
  struct EventRoute {
    std::string event_id;
    std::string organization;
    std::vector<std::string> urls;
  };
  // RouteEvent for each, in order, in one transaction (one commit for a
  // round's events, not one each): how many it routed, the others having been
  // routed already. On failure none is routed.
  virtual Result<int> RouteEvents(const std::vector<EventRoute>& routes, Instant now) = 0;
  // Claims the pending deliveries due at claim.now that nobody holds, oldest
  // first, and returns them with their events.
  virtual Result<std::vector<ClaimedDelivery>> ClaimDeliveries(const DeliveryClaim& claim) = 0;
  // Stores how a claimed attempt ended and releases the claim.
  // FailedPrecondition when the claim is no longer held (it ran out).
  virtual Result<void> FinishDelivery(const DeliveryOutcome& outcome) = 0;
  virtual Result<std::vector<Event>> ListEvents(const EventQuery& query) = 0;
  virtual Result<std::vector<EventDelivery>> ListDeliveries(const DeliveryQuery& query) = 0;
  // Makes a delivery pending again, due at `now` (its attempts start over).
  // NotFound when there is no such delivery in this organisation.
  virtual Result<EventDelivery> RetryDelivery(std::string_view organization, int64_t id, Instant now) = 0;
  // Deliveries pending in every organisation.
  virtual Result<int64_t> PendingDeliveries() = 0;
  // Forgets what is finished and older than `before`, in every organisation:
  // delivered and failed deliveries last changed before it, then routed
  // events recorded before it that have no delivery left. Pending deliveries
  // and their events, and events not routed yet, stay. Returns how many rows
  // went.
  virtual Result<int64_t> PruneEvents(Instant before) = 0;

  // Whether other processes may write the same database (PostgreSQL): callers
  // then lock and sync accounts around every change. SQLite: false.
  virtual bool SharedByProcesses() const { return false; }
};

// Opens (creating and migrating as needed) the store named by `url`:
// "sqlite:path/to/file.db" (the folder must exist or is created), or
// "postgresql://user@host:port/db" (libpq connection URI; the database must exist).
// InvalidArgument for an unknown scheme, Unavailable when it cannot be opened.
Result<std::unique_ptr<Store>> OpenStore(std::string_view url);

}  // namespace herald::storage
