// Service::Impl: the Service's state and the steps its operations share.
//
// The parts, each with one job: PolicySet (the policies and what they say
// about accounts), PlanBook (the in-memory plan), Pauses (rate limits and
// circuit breakers), Telemetry (metrics and heartbeat), and the change cursors
// of multi-process sync. The Service's methods are split by job too:
// service.cpp (workflow), service_publishing.cpp (claim, settle, in flight),
// service_sync.cpp (start, shared stores), service_views.cpp (read models,
// metrics, health).
//
// Locking: one mutex, mu_, guards every mutable member. Store writes of the
// plan happen under it (so the plan and the database never disagree), except
// PersistUnlocked's, which releases it for posts nobody else may change. On a
// shared store an account lock (across processes) is taken BEFORE mu_, never
// while holding it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "scheduler/runtime/internal/pauses.h"
#include "scheduler/runtime/internal/plan_book.h"
#include "scheduler/runtime/internal/policy_set.h"
#include "scheduler/runtime/internal/telemetry.h"
#include "scheduler/runtime/service.h"
#include "storage/store.h"

namespace herald::runtime {
namespace internal {

std::string IdText(int64_t id);
std::vector<StoredReason> Stored(const std::vector<scheduler::Reason>& reasons);
nlohmann::json ReasonsJson(const std::vector<StoredReason>& reasons);
bool IsManager(Role r);
// Adds re-plan changes to a batch; a post already in the batch takes the newer
// value and keeps both audit entries (one write per post per transaction).
void MergeInto(std::vector<storage::PostChange>& batch, std::vector<storage::PostChange> more);

}  // namespace internal

class Service::Impl {
 public:
  Impl(storage::Store& store, const Clock& clock, std::function<void()> on_changed, ServiceOptions options);

 private:
  friend class Service;
  using AccountLock = std::unique_ptr<storage::Store::AccountLock>;
  using PostChange = storage::PostChange;

  // Multi-process sync (service_sync.cpp). -----------------------------------

  // Brings these accounts' (organization, account) posts up to what the store
  // holds (changes other processes made), up to 1,000 accounts per read.
  // REQUIRES: mu_ not held.
  Result<void> SyncAccounts(const std::vector<std::pair<std::string, std::string>>& accounts);
  // Takes a stored post as the truth unless this copy is as new. REQUIRES: mu_.
  void Adopt(const Post& p);
  // On a shared store: this account, locked across processes and up to date.
  // Elsewhere: nothing to do (null lock). REQUIRES: mu_ not held.
  Result<AccountLock> LockAccount(const std::string& org, const std::string& account);
  // As LockAccount, for the account of an existing post of the organisation
  // (NotFound when there is none). REQUIRES: mu_ not held.
  Result<AccountLock> LockAccountOf(const std::string& org, int64_t id);
  // Pauses recorded in the store (by an earlier run, or another process).
  // REQUIRES: mu_ not held.
  Result<void> LoadPauses();

  // Published history (service_sync.cpp). REQUIRES: mu_ for all. -------------

  // Whether the book keeps a post: every one not final, and published ones
  // while their organisation's rules still look back at them.
  bool Keeps(const Post& p, Instant now) const;
  // Reads the organisation's published posts of the last `window` that the
  // book does not hold (its policy now looks further back).
  Result<void> ReadHistory(const std::string& org, Duration window, Instant now);
  // Forgets published posts no rule looks back at any more.
  void TrimHistory(Instant now);

  // Placement (service_impl.cpp). REQUIRES: mu_ for all. ----------------------

  // The pause in force on the account at `now`: its own or its connector's.
  const AccountPause* PauseOf(const std::string& account, Instant now) const;
  // Sets a pause (the later one wins) and keeps it in the store, so a restart
  // or another process honours it. Returns whether it changed anything.
  bool SetPause(const internal::PauseKey& key, const AccountPause& pause);
  // The pause in force on the account, as the span the governor places nothing in.
  std::vector<scheduler::BlockedSpan> BlockedOn(const std::string& account) const;
  // Records the events of a pause just set (account.paused, or
  // account.breaker_open for an open breaker: for every account on a
  // connector whose breaker opened). Best effort, as SetPause's store write.
  void RecordPauseEvents(const internal::PauseKey& key, const AccountPause& pause);
  // Records account.credentials_broken for a 401 or 403 from the platform
  // (Service::ReportCredentialsRefused).
  void RecordCredentialsBroken(const std::string& account, int http_status, const std::string& why,
                               const std::string& key);
  // The governor's placement, except that nothing is placed inside a pause of
  // the account: the post is placed from its end, with a reason saying why.
  scheduler::Decision ScheduleOn(const scheduler::Governor& g, const std::string& account,
                                 const scheduler::Timeline& tl, const scheduler::PostRequest& request) const;
  // Places a tracked post again from `from` (scheduled, or refused when no
  // time is allowed), records the decision and tracks the result. Returns it.
  scheduler::Decision PlaceAgain(Post& p, const scheduler::Governor& g, Instant from);
  // Re-places every scheduled post of the account with the Planner (the same
  // re-plan `herald simulate` runs) against the fixed history, from now and
  // outside any pause; returns the changes (moves, refusals) with audit entries.
  std::vector<PostChange> ReplanAccount(const std::string& account, const std::string& actor, const std::string& why);
  storage::AuditEntry Audit(const std::string& org, const std::string& actor, std::string action, const Post& p,
                            nlohmann::json detail = nlohmann::json::object()) const;
  // A post of the caller's organisation, from memory or the store.
  Result<Post> Load(const Caller& caller, int64_t id);

  // Writes (service_impl.cpp). REQUIRES: mu_ held (by `lock` for PersistUnlocked).

  // Writes changes and brings the in-memory copies to the stored versions.
  Result<void> Persist(std::vector<PostChange> changes);
  // As Persist, but writes with mu_ released, so the runtime's publishing
  // traffic does not hold up creates while the store fsyncs. Only for posts
  // nobody else may change meanwhile (due posts being claimed, posts in
  // flight). On failure the in-memory posts go back to `originals`.
  Result<void> PersistUnlocked(std::unique_lock<std::mutex>& lock, std::vector<PostChange> changes,
                               const std::vector<Post>& originals);
  // After a write refused because a post changed in the store meanwhile,
  // memory takes the stored posts as they are.
  void Reload(const std::vector<int64_t>& ids, const Status& error);
  // After this process wrote `p` (holding its account, on a shared store).
  void AfterWrite(const Post& p);

  // Re-checks of unconfirmed posts (service_recheck.cpp). REQUIRES: mu_.

  // A post just settled unconfirmed at `now`: when it is asked about again
  // (never when its connector cannot answer, or re-checks are off), said in
  // its reason.
  void StartRechecks(Post& p, Instant now, bool answers_lookup) const;
  // The post, certainly not on the platform (`why`): planned again from `now`
  // as after a crash, unless that is no longer safe (`resend_by`) or too late
  // (missed_after). Returns the audit detail of what became of it.
  nlohmann::json PlanAgainAfterRecheck(Post& p, Instant now, const std::string& why, std::optional<Instant> resend_by);

  // Publishing steps (service_publishing.cpp). --------------------------------

  // What settling `id` with `outcome` writes: the post's change first, then
  // the moves of its account's other posts when the outcome paused it; and
  // the post as it was. Counts the outcome in the breakers and metrics (once:
  // see unwritten_outcomes_). REQUIRES: mu_; on a shared store the post's
  // account locked and synced. NotFound / FailedPrecondition as Settle's.
  struct SettleStep {
    std::vector<PostChange> changes;
    Post original;
  };
  Result<SettleStep> SettleChanges(int64_t id, const connectors::PublishResult& outcome, bool answers_lookup);
  // Writes settle steps' changes in one transaction: under mu_ when any moved
  // other posts, with it released otherwise (PersistUnlocked). On failure the
  // outcomes are marked unwritten. REQUIRES: mu_ held by `lock`.
  Result<void> PersistSettles(std::unique_lock<std::mutex>& lock, std::vector<SettleStep> steps);

  // Workflow and publishing steps that take the locks themselves.
  Result<Post> CloseOut(const Caller& caller, int64_t id, PostState to, const std::string& note,
                        std::initializer_list<PostState> from, const char* action);
  // Claims the due posts (of those accounts only when `only` is set).
  // REQUIRES: on a shared store, those accounts locked and synced; mu_ not held.
  Result<std::vector<Post>> ClaimDueIn(Instant now, const std::unordered_set<std::string>* only);

  // Constant after construction.
  storage::Store& store_;  // thread-safe on its own
  const Clock& clock_;
  const std::function<void()> on_changed_;  // called with mu_ NOT held
  const ServiceOptions options_;
  const bool shared_;  // other processes write the same database

  std::mutex mu_;
  internal::PolicySet policies_;                    // guarded by mu_
  internal::PlanBook book_{policies_};              // guarded by mu_
  internal::Pauses pauses_;                         // guarded by mu_
  internal::Telemetry telemetry_;                   // guarded by mu_
  std::map<std::string, int64_t> cursors_;          // guarded by mu_; by account: change_seq seen (shared stores)
  std::unordered_map<int64_t, int> attempts_;       // guarded by mu_; post -> publishes started in this process
  // Guarded by mu_. Posts whose outcome reached the breakers and metrics but
  // whose settle failed to write: a repeated settle does not count it again.
  std::set<int64_t> unwritten_outcomes_;
  // Guarded by mu_. Inbox items told overdue lately, (id, due time) -> when:
  // RecordInboxOverdue's windows overlap, and what one told the next skips.
  std::map<std::pair<int64_t, Instant>, Instant> overdue_told_;
  std::mt19937_64 rng_;                             // guarded by mu_; backoff jitter
  Instant last_trim_{};                             // guarded by mu_; TrimHistory's last run
  int64_t reservation_seq_ = 0;                     // guarded by mu_
};

}  // namespace herald::runtime
