#include "scheduler/runtime/service.h"

#include <algorithm>
#include <random>
#include <set>
#include <tuple>
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "policies/resolve.h"
#include "scheduler/internal/describe.h"
#include "scheduler/planner.h"

namespace herald::runtime {
namespace {

using nlohmann::json;
using scheduler::Decision;
using scheduler::Governor;
using scheduler::Timeline;
using storage::AuditEntry;
using storage::PostChange;

// How far back posts still count against rules when the daemon starts: longer
// than any calendar month, rolling window, mix window or duplicate window in use.
constexpr Duration kHistory = std::chrono::days{70};

std::string IdText(int64_t id) { return std::to_string(id); }

scheduler::PostRequest RequestOf(const Post& p, Instant requested) {
  scheduler::PostRequest r;
  r.id = IdText(p.id);
  r.text = p.text;
  r.requested_at = requested;
  r.labels = p.labels;
  r.priority = p.priority == PostPriority::kUrgent ? scheduler::Priority::kUrgent : scheduler::Priority::kNormal;
  r.media_count = static_cast<int>(p.media.size());
  return r;
}

std::vector<StoredReason> Stored(const std::vector<scheduler::Reason>& reasons) {
  std::vector<StoredReason> out;
  for (const auto& r : reasons) out.push_back({r.rule, r.detail, r.posts});
  return out;
}

json ReasonsJson(const std::vector<StoredReason>& reasons) {
  json out = json::array();
  for (const auto& r : reasons) out.push_back({{"rule", r.rule}, {"detail", r.detail}, {"posts", r.posts}});
  return out;
}

std::string Summary(const Post& p) {
  Decision d;
  d.requested_at = p.requested_at;
  d.planned_at = p.planned_at;
  d.outcome = p.state == PostState::kRefused ? Decision::Outcome::kRefused : Decision::Outcome::kPlaced;
  for (const auto& r : p.reasons) d.reasons.push_back({r.rule, r.detail, r.posts});
  return d.Summary();
}

bool IsManager(Role r) { return r == Role::kManager || r == Role::kAdmin; }

// Adds re-plan changes to a batch; a post already in the batch takes the newer
// value and keeps both audit entries (one write per post per transaction).
void MergeInto(std::vector<PostChange>& batch, std::vector<PostChange> more) {
  for (auto& c : more) {
    auto same = std::find_if(batch.begin(), batch.end(), [&](const PostChange& b) { return b.post.id == c.post.id; });
    if (same == batch.end()) {
      batch.push_back(std::move(c));
    } else {
      int64_t version = same->post.version;
      same->post = std::move(c.post);
      same->post.version = version;
      for (auto& a : c.audit) same->audit.push_back(std::move(a));
    }
  }
}

}  // namespace

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kViewer: return "viewer";
    case Role::kEditor: return "editor";
    case Role::kManager: return "manager";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kViewer, Role::kEditor, Role::kManager, Role::kAdmin})
    if (RoleName(r) == name) return r;
  return std::nullopt;
}

class Service::Impl {
 public:
  Impl(storage::Store& store, const Clock& clock, std::function<void()> on_changed, ServiceOptions options)
      : store_(store), clock_(clock), on_changed_(std::move(on_changed)), options_(options),
        breakers_(options.breaker), shared_(store.SharedByProcesses()), rng_(std::random_device{}()) {}

  using AccountLock = std::unique_ptr<storage::Store::AccountLock>;

  // Brings one account's posts up to what the store holds (changes other
  // processes made). REQUIRES: mu_ not held.
  Result<void> SyncAccount(const std::string& org, const std::string& account) {
    int64_t after;
    {
      std::lock_guard lock(mu_);
      after = cursors_[account];
    }
    auto changed = store_.AccountChangesSince(org, account, after);
    if (!changed) return std::unexpected(changed.error());
    if (changed->empty()) return {};
    std::lock_guard lock(mu_);
    for (const Post& p : *changed) Adopt(p);
    return {};
  }

  // Takes a stored post as the truth unless this copy is as new. REQUIRES: mu_.
  void Adopt(const Post& p) {
    int64_t& cursor = cursors_[p.account];
    cursor = std::max(cursor, p.change_seq);
    auto it = posts_.find(p.id);
    if (it != posts_.end() && it->second.version >= p.version) return;
    Untrack(p.id);
    if (!IsFinal(p.state) || p.state == PostState::kPublished) Track(p);
  }

  // On a shared store: this account, locked across processes and up to date.
  // Elsewhere: nothing to do (null lock). REQUIRES: mu_ not held.
  Result<AccountLock> LockAccount(const std::string& org, const std::string& account) {
    if (!shared_) return AccountLock{};
    auto lock = store_.LockAccount(org, account);
    if (!lock) return std::unexpected(lock.error());
    if (auto r = SyncAccount(org, account); !r) return std::unexpected(r.error());
    return std::move(*lock);
  }

  // As LockAccount, for the account of an existing post of the caller's
  // organisation (NotFound when there is none).
  Result<AccountLock> LockAccountOf(const std::string& org, int64_t id) {
    if (!shared_) return AccountLock{};
    std::string account;
    {
      std::lock_guard lock(mu_);
      if (auto it = posts_.find(id); it != posts_.end() && it->second.organization == org) account = it->second.account;
    }
    if (account.empty()) {
      auto stored = store_.GetPost(org, id);
      if (!stored) return std::unexpected(stored.error());
      account = stored->account;
    }
    return LockAccount(org, account);
  }

  // --- state, guarded by mu_ ---------------------------------------------
  struct Org {
    policies::Policy policy;
    Instant loaded_at;
    std::vector<std::string> errors;
  };

  storage::Store& store_;
  const Clock& clock_;
  std::function<void()> on_changed_;
  const ServiceOptions options_;
  connectors::CircuitBreakers breakers_;  // thread-safe on its own

  const bool shared_;  // other processes write the same database

  std::mutex mu_;
  std::map<std::string, int64_t> cursors_;                    // by account: change_seq seen (shared stores)
  std::map<std::string, AccountPause> pauses_;               // by account; rate limits in force
  std::map<std::string, std::string> connector_of_account_;  // account -> connector type
  std::unordered_map<int64_t, int> attempts_;                // post -> publishes started in this process
  std::set<int64_t> writing_;                                // posts whose PersistUnlocked write is in flight
  // The in-memory posts as they were before the changes not written yet (nullopt:
  // not tracked then). A failed write puts them back, so memory never runs
  // ahead of the store. REQUIRES: mu_.
  std::map<int64_t, std::optional<Post>> undo_;
  // Posts whose outcome reached the breakers and metrics but whose settle
  // failed to write: a repeated settle does not count it again.
  std::set<int64_t> unwritten_outcomes_;
  std::mt19937_64 rng_;                                       // backoff jitter
  std::map<std::string, Org> orgs_;                          // by organisation
  std::map<std::string, Governor> governors_;                // by account id
  std::map<std::string, std::string> org_of_account_;        // account -> organisation
  std::unordered_map<int64_t, Post> posts_;                  // every post the runtime still needs
  std::map<std::string, Timeline> timelines_;                // by account: posts holding capacity
  std::map<std::string, Timeline> actual_;                   // by account: publishing, published, unconfirmed
  std::set<std::pair<Instant, int64_t>> due_;                // scheduled posts by planned time
  std::map<std::string, int64_t> decisions_by_rule_;
  std::optional<Instant> last_heartbeat_;
  Metrics publish_metrics_;  // histograms and outcome counters
  int64_t reservation_seq_ = 0;

  void InstallPolicies(std::vector<policies::Policy> policies) {
    governors_.clear();
    org_of_account_.clear();
    connector_of_account_.clear();
    Instant now = clock_.Now();
    for (auto& p : policies) {
      for (auto& [id, rules] : policies::ResolveAll(p)) {
        governors_.emplace(id, Governor(std::move(rules)));
        org_of_account_[id] = p.organization;
      }
      for (const auto& a : p.accounts) connector_of_account_[a.id] = a.connector.type.empty() ? a.platform : a.connector.type;
      std::string org = p.organization;
      auto& slot = orgs_[org];
      if (slot.policy.sha256 != p.sha256 || slot.policy.organization.empty()) slot.loaded_at = now;
      slot.policy = std::move(p);
    }
  }

  std::string ConnectorOf(const std::string& account) const {
    auto it = connector_of_account_.find(account);
    return it == connector_of_account_.end() ? std::string() : it->second;
  }
  static std::string AccountKey(const std::string& account) { return "account:" + account; }
  static std::string ConnectorKey(const std::string& type) { return "connector:" + type; }

  // The pause in force on the account at `now`, if any: its own, or its
  // connector's (an open breaker of the connector type, in any process),
  // whichever ends later.
  const AccountPause* PauseOf(const std::string& account, Instant now) const {
    const AccountPause* found = nullptr;
    for (const std::string& key : {account, ConnectorKey(ConnectorOf(account))}) {
      auto it = pauses_.find(key);
      if (it != pauses_.end() && it->second.until > now && (found == nullptr || it->second.until > found->until)) {
        found = &it->second;
      }
    }
    return found;
  }

  // Sets the pause of an account, or of a connector type (key "connector:TYPE",
  // every account publishing through it); the later one wins. Kept in the store
  // (a connector's under organisation ""), so a restart or another process
  // honours it. REQUIRES: mu_.
  bool SetPause(const std::string& key, AccountPause pause) {
    AccountPause& current = pauses_[key];
    if (current.until >= pause.until) return false;
    current = pause;
    std::string org;
    if (!key.starts_with("connector:")) {
      auto found = org_of_account_.find(key);
      if (found == org_of_account_.end()) return true;
      org = found->second;
    }
    // Best effort: the pause holds in this process either way.
    (void)store_.SavePause({org, key, pause.rule, pause.until, pause.why});
    return true;
  }

  // The pause an open breaker (by key) puts on an account until `until`.
  AccountPause BreakerPause(const std::string& key, const std::string& account, Instant until) const {
    auto view = breakers_.View(key, clock_.Now());
    std::string whose = key.starts_with("account:") ? "account " + account : "connector " + ConnectorOf(account);
    return {"circuit_open", until,
            "circuit breaker of " + whose + " open after " + std::to_string(view.consecutive_failures) +
                " failures in a row (last: " + view.last_failure + ")"};
  }

  // Pauses recorded in the store (by an earlier run, or another process).
  Result<void> LoadPauses() {
    auto stored = store_.ActivePauses(clock_.Now());
    if (!stored) return std::unexpected(stored.error());
    std::lock_guard lock(mu_);
    for (const auto& p : *stored) {
      AccountPause& current = pauses_[p.account];
      if (current.until < p.until) current = {p.rule, p.until, p.why};
    }
    return {};
  }

  // The governor's placement, except that nothing is placed inside a pause of
  // the account: the post is placed from its end, with a reason saying why.
  Decision ScheduleOn(const Governor& g, const std::string& account, const Timeline& tl,
                      const scheduler::PostRequest& request) const {
    const AccountPause* pause = PauseOf(account, clock_.Now());
    if (pause == nullptr || request.requested_at >= pause->until) return g.Schedule(tl, request);
    scheduler::PostRequest shifted = request;
    shifted.requested_at = pause->until;
    Decision d = g.Schedule(tl, shifted);
    d.requested_at = request.requested_at;
    d.reasons.insert(d.reasons.begin(), {pause->rule, pause->why + "; nothing is sent before " + FormatRfc3339(pause->until), {}});
    return d;
  }

  const Governor* GovernorFor(const std::string& account) const {
    auto it = governors_.find(account);
    return it == governors_.end() ? nullptr : &it->second;
  }

  // The account, if it belongs to the caller's organisation; NotFound otherwise
  // (another organisation's account must look like no account at all).
  Result<const Governor*> AccountOf(const Caller& caller, const std::string& account) const {
    auto org = org_of_account_.find(account);
    if (org == org_of_account_.end() || org->second != caller.organization) {
      return NotFound("unknown account \"" + account + "\"", Where{.path = "account"});
    }
    return GovernorFor(account);
  }

  const policies::Policy* PolicyOf(const std::string& org) const {
    auto it = orgs_.find(org);
    return it == orgs_.end() ? nullptr : &it->second.policy;
  }

  static bool IsActual(PostState s) {
    return s == PostState::kPublishing || s == PostState::kPublished || s == PostState::kUnconfirmed;
  }

  void Track(const Post& p) {
    posts_[p.id] = p;
    if (HoldsCapacity(p.state) && p.planned_at) {
      if (auto* g = GovernorFor(p.account)) {
        auto entry = g->EntryFor(RequestOf(p, p.requested_at), *p.planned_at);
        if (IsActual(p.state)) actual_[p.account].Insert(entry);
        timelines_[p.account].Insert(std::move(entry));
      }
    }
    if (p.state == PostState::kScheduled && p.planned_at) due_.insert({*p.planned_at, p.id});
  }

  void Untrack(int64_t id) {
    auto it = posts_.find(id);
    if (it == posts_.end()) return;
    const Post& p = it->second;
    if (HoldsCapacity(p.state)) {
      if (p.planned_at) {
        timelines_[p.account].Remove(IdText(id), *p.planned_at);
        if (IsActual(p.state)) actual_[p.account].Remove(IdText(id), *p.planned_at);
      } else {
        timelines_[p.account].Remove(IdText(id));
      }
    }
    if (p.planned_at) due_.erase({*p.planned_at, id});
    posts_.erase(it);
  }

  void CountDecision(const std::vector<StoredReason>& reasons) {
    for (const auto& r : reasons) ++decisions_by_rule_[r.rule];
  }

  AuditEntry Audit(const std::string& org, const std::string& actor, std::string action, const Post& p,
                   json detail = json::object()) const {
    detail["state"] = PostStateName(p.state);
    if (p.planned_at) detail["planned_at"] = FormatRfc3339(*p.planned_at);
    if (!p.reasons.empty()) {
      detail["reasons"] = ReasonsJson(p.reasons);
      detail["summary"] = Summary(p);
    }
    // A post not stored yet has no id: the store fills it in with the new one.
    std::optional<int64_t> post_id = p.id != 0 ? std::optional<int64_t>(p.id) : std::nullopt;
    return AuditEntry{0, org, clock_.Now(), actor, std::move(action), post_id, detail.dump()};
  }

  // Re-places every scheduled post of the account in SPEC §2 order against the
  // fixed history; returns the changes (moves, refusals) with audit entries.
  std::vector<PostChange> ReplanAccount(const std::string& account, const std::string& actor, const std::string& why) {
    std::vector<PostChange> changes;
    const Governor* g = GovernorFor(account);
    if (g == nullptr) return changes;
    Instant now = clock_.Now();
    Timeline fresh;
    std::vector<Post*> movable;
    for (auto& [id, p] : posts_) {
      if (p.account != account) continue;
      // A post whose write is in flight without the lock keeps its place: its
      // stored version is about to change under a batch written from here.
      if (p.state == PostState::kScheduled && !writing_.contains(id)) {
        movable.push_back(&p);
      } else if (HoldsCapacity(p.state) && p.planned_at) {
        fresh.Insert(g->EntryFor(RequestOf(p, p.requested_at), *p.planned_at));
      }
    }
    std::sort(movable.begin(), movable.end(), [&](const Post* a, const Post* b) {
      return scheduler::Planner::PlacesBefore(RequestOf(*a, a->requested_at), RequestOf(*b, b->requested_at));
    });
    for (Post* p : movable) {
      if (p->planned_at) due_.erase({*p->planned_at, p->id});
      Instant from = std::max(p->requested_at, std::min(now, p->planned_at.value_or(now)));
      auto request = RequestOf(*p, from);
      request.requested_at = std::max(p->requested_at, now);
      Decision d = ScheduleOn(*g, account, fresh, request);
      std::optional<Instant> old = p->planned_at;
      if (d.placed()) {
        fresh.Insert(g->EntryFor(request, *d.planned_at));
        due_.insert({*d.planned_at, p->id});
      }
      if (d.placed() && d.planned_at == old) continue;
      Post changed = *p;
      changed.planned_at = d.planned_at;
      changed.reasons = Stored(d.reasons);
      if (!d.placed()) changed.state = PostState::kRefused;
      json detail = {{"why", why}, {"from", old ? json(FormatRfc3339(*old)) : json(nullptr)}};
      changes.push_back({changed, {Audit(org_of_account_[account], actor, d.placed() ? "move" : "refuse", changed, detail)}});
      CountDecision(changed.reasons);
      Remember(p->id);
      *p = changed;
    }
    timelines_[account] = std::move(fresh);
    return changes;
  }

  // Writes changes and brings the in-memory copies to the stored versions.
  Result<void> Persist(std::vector<PostChange> changes) {
    auto undo = std::exchange(undo_, {});
    if (changes.empty()) return {};
    std::vector<int64_t> ids = IdsOf(changes);
    auto stored = store_.UpdatePosts(std::move(changes));
    if (!stored) {
      RollBack(undo);
      Reload(ids, stored.error());
      return std::unexpected(WriteFailed(stored.error()));
    }
    for (const auto& p : *stored) AfterWrite(p);
    return {};
  }

  static std::vector<int64_t> IdsOf(const std::vector<PostChange>& changes) {
    std::vector<int64_t> ids;
    ids.reserve(changes.size());
    for (const auto& c : changes) ids.push_back(c.post.id);
    return ids;
  }

  // After a write refused because a post changed in the store meanwhile (its
  // version moved on), memory takes the stored posts as they are: put back as
  // they were, they would be refused the same way at every later try.
  // Called after the rollback: a post memory does not hold has no stale copy.
  // REQUIRES: mu_.
  void Reload(const std::vector<int64_t>& ids, const Status& error) {
    if (error.code() != Code::kFailedPrecondition) return;
    for (int64_t id : ids) {
      auto it = posts_.find(id);
      if (it == posts_.end()) continue;
      auto stored = store_.GetPost(it->second.organization, id);
      if (!stored) continue;  // the store fails again: the rolled-back copy stays
      if (it->second.version >= stored->version) continue;
      spdlog::warn("post {}: memory was at version {}, the store at {}; taking the stored post", id,
                   it->second.version, stored->version);
      Untrack(id);
      if (!IsFinal(stored->state) || stored->state == PostState::kPublished) Track(*stored);
    }
  }

  // After this process wrote `p` (holding its account, on a shared store).
  void AfterWrite(const Post& p) {
    int64_t& cursor = cursors_[p.account];
    cursor = std::max(cursor, p.change_seq);
    if (IsFinal(p.state) && p.state != PostState::kPublished) {
      Untrack(p.id);
    } else if (auto it = posts_.find(p.id); it != posts_.end()) {
      it->second.version = p.version;
      it->second.change_seq = p.change_seq;
    }
  }

  // As Persist, but writes with the plan lock released, so the runtime's
  // publishing traffic does not hold up creates while the store fsyncs. Only for
  // posts nobody else may change meanwhile (due posts being claimed, posts in
  // flight). On failure the in-memory posts go back to `originals`.
  Result<void> PersistUnlocked(std::unique_lock<std::mutex>& lock, std::vector<PostChange> changes,
                               const std::vector<Post>& originals) {
    auto undo = std::exchange(undo_, {});
    if (changes.empty()) return {};
    std::vector<int64_t> ids = IdsOf(changes);
    for (int64_t id : ids) writing_.insert(id);
    lock.unlock();
    auto stored = store_.UpdatePosts(std::move(changes));
    lock.lock();
    for (int64_t id : ids) writing_.erase(id);
    if (!stored) {
      RollBack(undo);
      for (const auto& o : originals) {
        Untrack(o.id);
        Track(o);
      }
      Reload(ids, stored.error());
      return std::unexpected(WriteFailed(stored.error()));
    }
    for (const auto& p : *stored) AfterWrite(p);
    return {};
  }

  // A write of the plan the store refused. A constraint it names is herald's
  // fault, not the caller's: reported as internal, never as a bad request.
  static Status WriteFailed(const Status& error) {
    if (error.code() != Code::kInvalidArgument) return error;
    return Status(Code::kInternal, "the store refused the write: " + error.message());
  }

  // Notes how post `id` is now, before a change that is written later.
  void Remember(int64_t id) {
    if (undo_.contains(id)) return;
    auto it = posts_.find(id);
    undo_[id] = it == posts_.end() ? std::nullopt : std::optional<Post>(it->second);
  }

  // Puts the remembered posts back (their write failed).
  void RollBack(const std::map<int64_t, std::optional<Post>>& undo) {
    for (const auto& [id, before] : undo) {
      Untrack(id);
      if (before) Track(*before);
    }
  }

  // Applies a change to one tracked post: the timeline and due set follow.
  PostChange Change(const Post& updated, AuditEntry audit) {
    Remember(updated.id);
    Untrack(updated.id);
    Track(updated);
    return PostChange{updated, {std::move(audit)}};
  }

  Result<Post> Load(const Caller& caller, int64_t id) {
    auto it = posts_.find(id);
    if (it != posts_.end()) {
      if (it->second.organization != caller.organization) return NotFound("no post " + IdText(id));
      return it->second;
    }
    return store_.GetPost(caller.organization, id);
  }
};

Service::Service(storage::Store& store, const Clock& clock, std::vector<policies::Policy> policies,
                 std::function<void()> on_plan_changed, ServiceOptions options)
    : impl_(std::make_shared<Impl>(store, clock, std::move(on_plan_changed), options)) {
  impl_->InstallPolicies(std::move(policies));
}

Result<void> Service::Start() {
  if (auto r = impl_->LoadPauses(); !r) return r;
  std::lock_guard lock(impl_->mu_);
  auto posts = impl_->store_.LoadActive(impl_->clock_.Now() - kHistory);
  if (!posts) return std::unexpected(posts.error());
  for (const auto& p : *posts) {
    impl_->Track(p);
    int64_t& cursor = impl_->cursors_[p.account];
    cursor = std::max(cursor, p.change_seq);
  }
  if (impl_->shared_) {
    // The lease first: a claim by a process without one is an orphan to others.
    auto lease = impl_->store_.RenewLease(impl_->options_.process, impl_->clock_.Now() + impl_->options_.lease);
    if (!lease) return lease;
    // Another process changed an account: catch up and let the runtime re-arm.
    std::weak_ptr<Impl> weak = impl_;
    impl_->store_.WatchChanges([weak](std::string org, std::string account) {
      auto s = weak.lock();
      if (!s) return;
      if (auto r = s->SyncAccount(org, account); !r) return;  // Maintain catches up later
      if (s->on_changed_) s->on_changed_();
    });
  }
  for (const auto& [org, o] : impl_->orgs_) {
    auto r = impl_->store_.RecordPolicyVersion({org, o.policy.sha256, o.loaded_at, o.policy.source});
    if (!r) return r;
  }
  return {};
}

Result<CreatePostResult> Service::CreatePost(const Caller& caller, const CreatePostRequest& request) {
  auto& s = *impl_;
  if (caller.role == Role::kViewer) {
    return Error(Code::kPermissionDenied, "viewers cannot create posts; ask for an editor token");
  }
  if (request.priority == PostPriority::kUrgent && !IsManager(caller.role)) {
    return Error(Code::kPermissionDenied, "only managers and admins may create urgent posts", Where{.path = "priority"});
  }
  if (request.text.empty() && request.media.empty()) {
    return InvalidArgument("a post needs text or media", Where{.path = "text"});
  }
  if (Status media = CheckMediaUrls(request.media, s.options_.media_allow); !media.ok()) return std::unexpected(media);
  if (request.idempotency_key) {
    auto found = s.store_.FindIdempotency(caller.organization, *request.idempotency_key);
    if (!found) return std::unexpected(found.error());
    if (*found) {
      if ((*found)->request_hash != request.request_hash) {
        return Error(Code::kAlreadyExists,
                     "Idempotency-Key \"" + *request.idempotency_key +
                         "\" was already used with a different body; use a new key for a new post");
      }
      auto post = s.store_.GetPost(caller.organization, (*found)->post_id);
      if (!post) return std::unexpected(post.error());
      return CreatePostResult{*post, 200};
    }
  }

  {
    std::lock_guard lock(s.mu_);
    if (auto g = s.AccountOf(caller, request.account); !g) return std::unexpected(g.error());
  }
  auto account_lock = s.LockAccount(caller.organization, request.account);
  if (!account_lock) return std::unexpected(account_lock.error());
  Post post;
  std::string reservation;
  {
    std::lock_guard lock(s.mu_);
    auto g = s.AccountOf(caller, request.account);
    if (!g) return std::unexpected(g.error());
    const Governor& gov = **g;
    const policies::Policy& policy = *s.PolicyOf(caller.organization);
    Instant now = s.clock_.Now();

    post.organization = caller.organization;
    post.account = request.account;
    post.author = caller.name;
    post.text = request.text;
    post.labels = request.labels;
    post.priority = request.priority;
    post.media = request.media;
    post.requested_at = std::max(request.at.value_or(now), now);
    post.created_at = post.updated_at = now;

    Timeline& tl = s.timelines_[request.account];
    auto pending_request = RequestOf(post, post.requested_at);
    auto refusals = gov.CheckContent(tl, pending_request);
    if (!refusals.empty()) {
      post.state = PostState::kRefused;
      post.reasons = Stored(refusals);
    } else {
      Decision d = s.ScheduleOn(gov, request.account, tl, pending_request);
      post.reasons = Stored(d.reasons);
      if (!d.placed()) {
        post.state = PostState::kRefused;
      } else {
        post.planned_at = d.planned_at;
        post.state = policy.approval.required ? PostState::kPendingApproval : PostState::kScheduled;
        if (post.state == PostState::kScheduled) {
          // Hold the slot while the store writes, so concurrent creates cannot take it.
          reservation = "~reserved-" + std::to_string(++s.reservation_seq_);
          pending_request.id = reservation;
          tl.Insert(gov.EntryFor(pending_request, *d.planned_at));
        }
      }
    }
    s.CountDecision(post.reasons);
  }

  std::vector<AuditEntry> audit{s.Audit(caller.organization, caller.name, "create", post,
                                        {{"account", post.account}, {"text", post.text}})};
  if (post.priority == PostPriority::kUrgent) {
    audit.push_back(s.Audit(caller.organization, caller.name, "urgent_bypass", post,
                            {{"bypassed", "caps, min_spacing, quiet_hours, days, ramp_up, mix"}}));
  }
  std::optional<storage::IdempotencyRecord> idem;
  if (request.idempotency_key) {
    idem = storage::IdempotencyRecord{caller.organization, *request.idempotency_key, request.request_hash, 0,
                                      post.state == PostState::kRefused ? 422 : 201, post.created_at};
  }
  auto stored = s.store_.CreatePost(post, std::move(audit), idem);

  std::vector<PostChange> moves;
  {
    std::lock_guard lock(s.mu_);
    if (!reservation.empty()) s.timelines_[post.account].Remove(reservation);
    if (!stored) {
      if (stored.error().code() == Code::kAlreadyExists && request.idempotency_key) {
        // A concurrent request with the same key won: answer as a replay.
        auto again = s.store_.FindIdempotency(caller.organization, *request.idempotency_key);
        if (again && *again && (*again)->request_hash == request.request_hash) {
          auto first = s.store_.GetPost(caller.organization, (*again)->post_id);
          if (first) return CreatePostResult{*first, 200};
        }
      }
      return std::unexpected(stored.error());
    }
    post = *stored;
    if (!IsFinal(post.state)) s.Track(post);
    s.AfterWrite(post);
    if (post.priority == PostPriority::kUrgent && post.state == PostState::kScheduled) {
      moves = s.ReplanAccount(post.account, "herald", "urgent post " + IdText(post.id) + " bypassed the policy");
      if (auto r = s.Persist(std::move(moves)); !r) return std::unexpected(r.error());
    }
  }
  if (s.on_changed_) s.on_changed_();
  return CreatePostResult{post, post.state == PostState::kRefused ? 422 : 201};
}

Result<Post> Service::GetPost(const Caller& caller, int64_t id) {
  return impl_->store_.GetPost(caller.organization, id);
}

Result<std::vector<Post>> Service::ListPosts(const Caller& caller, storage::PostQuery query) {
  query.organization = caller.organization;
  if (query.account) {
    std::lock_guard lock(impl_->mu_);
    if (auto g = impl_->AccountOf(caller, *query.account); !g) return std::unexpected(g.error());
  }
  return impl_->store_.ListPosts(query);
}

Result<Post> Service::EditPost(const Caller& caller, int64_t id, const EditPostRequest& request) {
  auto& s = *impl_;
  if (caller.role == Role::kViewer) return Error(Code::kPermissionDenied, "viewers cannot edit posts");
  auto account_lock = s.LockAccountOf(caller.organization, id);
  if (!account_lock) return std::unexpected(account_lock.error());
  std::vector<PostChange> changes;
  Post edited;
  {
    std::lock_guard lock(s.mu_);
    auto current = s.Load(caller, id);
    if (!current) return std::unexpected(current.error());
    if (caller.role == Role::kEditor && current->author != caller.name) {
      return Error(Code::kPermissionDenied, "editors may only edit their own posts; post " + IdText(id) + " is " +
                                                current->author + "'s");
    }
    if (current->state != PostState::kPendingApproval && current->state != PostState::kScheduled &&
        current->state != PostState::kRefused) {
      return Error(Code::kFailedPrecondition, "post " + IdText(id) + " is " + std::string(PostStateName(current->state)) +
                                                  "; only pending, scheduled or refused posts can be edited");
    }
    auto g = s.AccountOf(caller, current->account);
    if (!g) return std::unexpected(g.error());
    const policies::Policy& policy = *s.PolicyOf(caller.organization);
    Instant now = s.clock_.Now();
    edited = *current;
    if (request.text) edited.text = *request.text;
    if (request.labels) edited.labels = *request.labels;
    if (request.at) edited.requested_at = std::max(*request.at, now);
    edited.updated_at = now;
    edited.approved_by.clear();
    s.Remember(id);
    s.Untrack(id);
    Timeline& tl = s.timelines_[edited.account];
    auto req = RequestOf(edited, std::max(edited.requested_at, now));
    auto refusals = (*g)->CheckContent(tl, req);
    if (!refusals.empty()) {
      edited.state = PostState::kRefused;
      edited.planned_at.reset();
      edited.reasons = Stored(refusals);
    } else {
      Decision d = s.ScheduleOn(**g, edited.account, tl, req);
      edited.reasons = Stored(d.reasons);
      edited.planned_at = d.planned_at;
      edited.state = !d.placed() ? PostState::kRefused
                     : policy.approval.required ? PostState::kPendingApproval
                                                : PostState::kScheduled;
    }
    s.CountDecision(edited.reasons);
    s.Track(edited);
    changes.push_back({edited, {s.Audit(caller.organization, caller.name, "edit", edited)}});
    if (current->state == PostState::kScheduled) {
      MergeInto(changes, s.ReplanAccount(edited.account, "herald", "post " + IdText(id) + " was edited"));
    }
    if (auto r = s.Persist(std::move(changes)); !r) return std::unexpected(r.error());
  }
  if (s.on_changed_) s.on_changed_();
  return s.store_.GetPost(caller.organization, id);
}

Result<Post> Service::Approve(const Caller& caller, int64_t id, const std::string& note) {
  auto& s = *impl_;
  auto account_lock = s.LockAccountOf(caller.organization, id);
  if (!account_lock) return std::unexpected(account_lock.error());
  {
    std::lock_guard lock(s.mu_);
    auto current = s.Load(caller, id);
    if (!current) return std::unexpected(current.error());
    const policies::Policy& policy = *s.PolicyOf(caller.organization);
    const auto& approvers = policy.approval.approvers;
    if (std::find(approvers.begin(), approvers.end(), RoleName(caller.role)) == approvers.end()) {
      return Error(Code::kPermissionDenied,
                   std::string(RoleName(caller.role)) + "s may not approve posts in " + caller.organization);
    }
    if (policy.approval.four_eyes && current->author == caller.name) {
      return Error(Code::kPermissionDenied, "four-eyes rule: the author of post " + IdText(id) +
                                                " may not approve it; ask another approver");
    }
    if (current->state != PostState::kPendingApproval) {
      return Error(Code::kFailedPrecondition, "post " + IdText(id) + " is " + std::string(PostStateName(current->state)) +
                                                  "; only pending_approval posts can be approved");
    }
    auto g = s.AccountOf(caller, current->account);
    if (!g) return std::unexpected(g.error());
    Instant now = s.clock_.Now();
    Post approved = *current;
    approved.approved_by = caller.name;
    approved.updated_at = now;
    Decision d = s.ScheduleOn(**g, approved.account, s.timelines_[approved.account],
                              RequestOf(approved, std::max(approved.requested_at, now)));
    approved.reasons = Stored(d.reasons);
    approved.planned_at = d.planned_at;
    approved.state = d.placed() ? PostState::kScheduled : PostState::kRefused;
    s.CountDecision(approved.reasons);
    json detail = json::object();
    if (!note.empty()) detail["note"] = note;
    std::vector<PostChange> changes{
        s.Change(approved, s.Audit(caller.organization, caller.name, "approve", approved, std::move(detail)))};
    if (approved.priority == PostPriority::kUrgent && d.placed()) {
      MergeInto(changes, s.ReplanAccount(approved.account, "herald", "urgent post " + IdText(id) + " bypassed the policy"));
    }
    if (auto r = s.Persist(std::move(changes)); !r) return std::unexpected(r.error());
  }
  if (s.on_changed_) s.on_changed_();
  return s.store_.GetPost(caller.organization, id);
}

namespace {

Result<Post> CloseOut(Service::Impl& s, const Caller& caller, int64_t id, PostState to, const std::string& note,
                      std::initializer_list<PostState> from, const char* action) {
  auto account_lock = s.LockAccountOf(caller.organization, id);
  if (!account_lock) return std::unexpected(account_lock.error());
  std::lock_guard lock(s.mu_);
  auto current = s.Load(caller, id);
  if (!current) return std::unexpected(current.error());
  if (!IsManager(caller.role)) {
    return Error(Code::kPermissionDenied, std::string(action) + " needs a manager or admin token");
  }
  if (std::find(from.begin(), from.end(), current->state) == from.end()) {
    return Error(Code::kFailedPrecondition, "post " + IdText(id) + " is " + std::string(PostStateName(current->state)) +
                                                "; it cannot be " + action + "ed now");
  }
  Post closed = *current;
  bool held = closed.state == PostState::kScheduled;
  closed.state = to;
  closed.updated_at = s.clock_.Now();
  closed.failure = note;
  std::vector<PostChange> changes{s.Change(closed, s.Audit(caller.organization, caller.name, action, closed, {{"note", note}}))};
  if (held) MergeInto(changes, s.ReplanAccount(closed.account, "herald", "post " + IdText(id) + " was " + action + "ed"));
  if (auto r = s.Persist(std::move(changes)); !r) return std::unexpected(r.error());
  return s.store_.GetPost(caller.organization, id);
}

}  // namespace

Result<Post> Service::Reject(const Caller& caller, int64_t id, const std::string& note) {
  auto r = CloseOut(*impl_, caller, id, PostState::kRejected, note, {PostState::kPendingApproval}, "reject");
  if (r && impl_->on_changed_) impl_->on_changed_();
  return r;
}

Result<Post> Service::Cancel(const Caller& caller, int64_t id, const std::string& note) {
  auto r = CloseOut(*impl_, caller, id, PostState::kCancelled, note,
                    {PostState::kPendingApproval, PostState::kScheduled, PostState::kRefused}, "cancel");
  if (r && impl_->on_changed_) impl_->on_changed_();
  return r;
}

Result<std::vector<AccountView>> Service::Accounts(const Caller& caller) {
  auto& s = *impl_;
  std::lock_guard lock(s.mu_);
  const policies::Policy* policy = s.PolicyOf(caller.organization);
  std::vector<AccountView> out;
  if (policy == nullptr) return out;
  Instant now = s.clock_.Now();
  for (const auto& account : policy->accounts) {
    AccountView v{account.id, account.platform, account.handle, account.timezone, {}, {}};
    if (const Governor* g = s.GovernorFor(account.id)) {
      const Timeline& tl = s.timelines_[account.id];
      const auto& rules = g->rules();
      for (const auto& cap : rules.caps) {
        int bit = cap.label.empty() ? -1 : [&] {
          for (int b = 0; b < Timeline::kMaxLabels; ++b)
            if (g->LabelBits({cap.label}) == (1u << b)) return b;
          return -1;
        }();
        if (!cap.label.empty() && bit < 0) continue;
        Instant from = now, to = now + std::chrono::seconds{1};
        if (cap.unit == policies::Cap::Unit::kRolling) {
          from = now - cap.window + std::chrono::seconds{1};
        } else {
          LocalDays day = std::chrono::floor<std::chrono::days>(rules.zone.ToLocal(now));
          LocalDays start = cap.unit == policies::Cap::Unit::kDay    ? day
                            : cap.unit == policies::Cap::Unit::kWeek ? StartOfIsoWeek(day)
                                                                     : StartOfMonth(day);
          LocalDays end = cap.unit == policies::Cap::Unit::kDay    ? day + std::chrono::days{1}
                          : cap.unit == policies::Cap::Unit::kWeek ? start + std::chrono::days{7}
                                                                   : StartOfNextMonth(day);
          from = rules.zone.ToInstant(start);
          to = rules.zone.ToInstant(end);
        }
        v.usage.push_back({scheduler::internal::DescribeCap(cap), static_cast<int>(tl.Count(from, to, bit)), cap.max});
      }
    }
    for (const auto& [id, p] : s.posts_) {
      if (p.account == account.id) ++v.posts_by_state[std::string(PostStateName(p.state))];
    }
    v.connector = s.ConnectorOf(account.id);
    v.breaker = std::string(connectors::BreakerStateName(s.breakers_.View(Service::Impl::AccountKey(account.id), now).state));
    v.connector_breaker = std::string(connectors::BreakerStateName(s.breakers_.View(Service::Impl::ConnectorKey(v.connector), now).state));
    if (const AccountPause* pause = s.PauseOf(account.id, now)) v.paused = *pause;
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<Instant>> Service::Slots(const Caller& caller, const std::string& account, int count,
                                            std::optional<Instant> after) {
  auto& s = *impl_;
  if (count < 1 || count > 50) return InvalidArgument("count must be between 1 and 50", Where{.path = "count"});
  std::lock_guard lock(s.mu_);
  auto g = s.AccountOf(caller, account);
  if (!g) return std::unexpected(g.error());
  Timeline tl = s.timelines_[account];
  Instant t = std::max(after.value_or(s.clock_.Now()), s.clock_.Now());
  std::vector<Instant> out;
  for (int i = 0; i < count; ++i) {
    scheduler::PostRequest probe;
    probe.id = "~slot-" + std::to_string(i);
    probe.requested_at = t;
    probe.media_count = 1;
    Decision d = s.ScheduleOn(**g, account, tl, probe);
    if (!d.placed()) break;
    out.push_back(*d.planned_at);
    tl.Insert((*g)->EntryFor(probe, *d.planned_at));
    t = *d.planned_at + std::chrono::seconds{1};
  }
  return out;
}

Result<PolicyView> Service::Policy(const Caller& caller) {
  std::lock_guard lock(impl_->mu_);
  auto it = impl_->orgs_.find(caller.organization);
  if (it == impl_->orgs_.end()) return NotFound("no policy for " + caller.organization);
  const auto& o = it->second;
  return PolicyView{caller.organization, o.policy.sha256, o.policy.source, o.loaded_at, o.errors};
}

Result<std::vector<AuditEntry>> Service::Audit(const Caller& caller, storage::AuditQuery query) {
  query.organization = caller.organization;
  return impl_->store_.ListAudit(query);
}

Result<void> Service::ReplacePolicies(std::vector<policies::Policy> policies,
                                      std::map<std::string, std::vector<std::string>> errors_by_org) {
  auto& s = *impl_;
  std::vector<std::tuple<std::string, std::string, std::string>> replans;  // org, account, why
  {
    std::lock_guard lock(s.mu_);
    // Organisations whose file broke keep their active policy.
    std::set<std::string> given;
    for (const auto& p : policies) given.insert(p.organization);
    for (auto& [org, o] : s.orgs_) {
      if (!given.count(org)) policies.push_back(o.policy);
    }
    std::map<std::string, std::string> before;
    for (const auto& [org, o] : s.orgs_) before[org] = o.policy.sha256;
    s.InstallPolicies(std::move(policies));
    for (auto& [org, o] : s.orgs_) {
      auto e = errors_by_org.find(org);
      o.errors = e == errors_by_org.end() ? std::vector<std::string>{} : e->second;
    }
    // Rebuild capacity from the new rules (label bits may differ), then re-plan.
    std::vector<Post> all;
    for (auto& [id, p] : s.posts_) all.push_back(p);
    s.posts_.clear();
    s.timelines_.clear();
    s.actual_.clear();
    s.due_.clear();
    for (const auto& p : all) s.Track(p);
    std::vector<PostChange> changes;
    std::vector<AuditEntry> reloads;
    for (const auto& [org, o] : s.orgs_) {
      if (before[org] == o.policy.sha256) continue;
      reloads.push_back({0, org, s.clock_.Now(), "herald", "policy_reload", std::nullopt,
                         json{{"sha256", o.policy.sha256}, {"source", o.policy.source}}.dump()});
      if (auto r = s.store_.RecordPolicyVersion({org, o.policy.sha256, o.loaded_at, o.policy.source}); !r) return r;
      for (const auto& account : o.policy.accounts) {
        std::string why = "policy " + o.policy.sha256.substr(0, 12) + " loaded";
        if (s.shared_) {
          replans.push_back({org, account.id, why});
        } else {
          MergeInto(changes, s.ReplanAccount(account.id, "herald", why));
        }
      }
    }
    if (auto r = s.store_.AppendAudit(std::move(reloads)); !r) return r;
    if (auto r = s.Persist(std::move(changes)); !r) return r;
  }
  // Shared store: each account re-planned while holding it, against what every
  // process has written (the other processes re-plan too; the second finds
  // nothing to move).
  for (const auto& [org, account, why] : replans) {
    auto account_lock = s.LockAccount(org, account);
    if (!account_lock) return std::unexpected(account_lock.error());
    std::lock_guard lock(s.mu_);
    if (auto r = s.Persist(s.ReplanAccount(account, "herald", why)); !r) return r;
  }
  if (s.on_changed_) s.on_changed_();
  return {};
}

namespace {

// Claims the due posts (of one account when `only` is set). REQUIRES: on a
// shared store, that account locked and synced; mu_ not held.
Result<std::vector<Post>> ClaimDueIn(Service::Impl& s, Instant now, const std::string* only) {
  std::vector<PostChange> changes;
  std::vector<Post> originals;
  std::vector<int64_t> claimed;
  {
    std::unique_lock lock(s.mu_);
    std::vector<std::pair<Instant, int64_t>> due;
    for (auto it = s.due_.begin(); it != s.due_.end() && it->first <= now; ++it) {
      if (only == nullptr) {
        due.push_back(*it);
      } else if (auto p = s.posts_.find(it->second); p != s.posts_.end() && p->second.account == *only) {
        due.push_back(*it);
      }
    }
    for (const auto& entry : due) {
      int64_t id = entry.second;
      // Its write (a settle that planned it again) is still in flight: the
      // version here is not the stored one yet. Claimed once that write is in.
      if (s.writing_.contains(id)) continue;
      s.due_.erase(entry);
      auto it = s.posts_.find(id);
      if (it == s.posts_.end() || it->second.state != PostState::kScheduled) continue;
      Post p = it->second;
      originals.push_back(p);
      const Governor* g = s.GovernorFor(p.account);
      const policies::Policy* policy = s.PolicyOf(p.organization);
      if (g == nullptr || policy == nullptr) continue;
      p.updated_at = now;
      if (now - *p.planned_at > g->rules().missed_after) {
        p.state = PostState::kMissed;
        p.failure = "not published within missed_after " + FormatDuration(g->rules().missed_after) + " of " +
                    FormatRfc3339(*p.planned_at) + " (the daemon was not running)";
        changes.push_back(s.Change(p, s.Audit(p.organization, "herald", "missed", p, {{"why", p.failure}})));
        continue;
      }
      // Re-check against what was actually published (and is publishing),
      // not against plans that may have changed: defer rather than violate.
      auto violations = g->Violations(s.actual_[p.account], RequestOf(p, p.requested_at), *p.planned_at);
      if (!violations.empty()) {
        s.Remember(id);
        s.Untrack(id);
        Decision d = s.ScheduleOn(*g, p.account, s.timelines_[p.account], RequestOf(p, now + std::chrono::seconds{1}));
        p.reasons = Stored(d.reasons);
        p.planned_at = d.planned_at;
        p.state = d.placed() ? PostState::kScheduled : PostState::kRefused;
        s.CountDecision(p.reasons);
        s.Track(p);
        changes.push_back({p, {s.Audit(p.organization, "herald", "defer", p, {{"violations", ReasonsJson(Stored(violations))}})}});
        continue;
      }
      // A pause in force (a platform's rate limit) or an open breaker: nothing
      // reaches the connector before it ends; the post moves past it.
      std::optional<AccountPause> blocked;
      if (const AccountPause* pause = s.PauseOf(p.account, now)) {
        blocked = *pause;
      } else {
        std::string type = s.ConnectorOf(p.account);
        for (const std::string& key : {Service::Impl::AccountKey(p.account), Service::Impl::ConnectorKey(type)}) {
          if (auto until = s.breakers_.Admit(key, s.clock_.Now())) {
            blocked = s.BreakerPause(key, p.account, *until);
            s.SetPause(key.starts_with("connector:") ? key : p.account, *blocked);
            break;
          }
        }
      }
      if (blocked) {
        s.Remember(id);
        s.Untrack(id);
        Decision d = s.ScheduleOn(*g, p.account, s.timelines_[p.account], RequestOf(p, std::max(now, p.requested_at)));
        p.reasons = Stored(d.reasons);
        p.planned_at = d.planned_at;
        p.state = d.placed() ? PostState::kScheduled : PostState::kRefused;
        s.CountDecision(p.reasons);
        s.Track(p);
        changes.push_back({p, {s.Audit(p.organization, "herald", "defer", p, {{"paused", blocked->why}})}});
        continue;
      }
      p.state = PostState::kPublishing;
      p.claimed_by = s.options_.process;
      changes.push_back(s.Change(p, s.Audit(p.organization, "herald", "publishing", p)));
      claimed.push_back(id);
    }
    // Durably `publishing` before any connector sees them.
    if (auto r = s.PersistUnlocked(lock, std::move(changes), originals); !r) return std::unexpected(r.error());
    std::vector<Post> out;
    for (int64_t id : claimed) {
      if (auto it = s.posts_.find(id); it != s.posts_.end()) out.push_back(it->second);
    }
    return out;
  }
}

}  // namespace

Result<std::vector<Post>> Service::ClaimDue(Instant now) {
  auto& s = *impl_;
  if (!s.shared_) return ClaimDueIn(s, now, nullptr);
  // Shared store: one account at a time, locked and synced, so another process
  // cannot claim the same post or fill the same window meanwhile.
  std::set<std::pair<std::string, std::string>> accounts;
  {
    std::lock_guard lock(s.mu_);
    for (auto it = s.due_.begin(); it != s.due_.end() && it->first <= now; ++it) {
      if (auto p = s.posts_.find(it->second); p != s.posts_.end()) accounts.insert({p->second.organization, p->second.account});
    }
  }
  std::vector<Post> out;
  for (const auto& [org, account] : accounts) {
    auto account_lock = s.LockAccount(org, account);
    if (!account_lock) return std::unexpected(account_lock.error());
    auto claimed = ClaimDueIn(s, now, &account);
    if (!claimed) return claimed;
    for (Post& p : *claimed) out.push_back(std::move(p));
  }
  return out;
}

std::optional<Instant> Service::NextDue() {
  std::lock_guard lock(impl_->mu_);
  // A post whose write is in flight is not claimable yet; the write's end
  // wakes the runtime (on_plan_changed), which asks again.
  for (const auto& [at, id] : impl_->due_) {
    if (!impl_->writing_.contains(id)) return at;
  }
  return std::nullopt;
}

Result<Post> Service::Settle(int64_t id, const connectors::PublishResult& outcome) {
  auto& s = *impl_;
  std::string org;
  {
    std::lock_guard lock(s.mu_);
    if (auto it = s.posts_.find(id); it != s.posts_.end()) org = it->second.organization;
  }
  if (org.empty()) return NotFound("post " + IdText(id) + " is not in flight");
  auto account_lock = s.LockAccountOf(org, id);
  if (!account_lock) return std::unexpected(account_lock.error());
  Post p;
  {
    std::unique_lock lock(s.mu_);
    auto it = s.posts_.find(id);
    if (it == s.posts_.end()) return NotFound("post " + IdText(id) + " is not in flight");
    p = it->second;
    const Post original = p;
    if (p.state != PostState::kPublishing) {
      return Error(Code::kFailedPrecondition, "post " + IdText(id) + " is " + std::string(PostStateName(p.state)) + ", not publishing");
    }
    if (s.shared_ && p.claimed_by != s.options_.process) {
      return Error(Code::kFailedPrecondition, "post " + IdText(id) + " was taken over by " + p.claimed_by +
                                                  " (this process's lease had ended)");
    }
    p.claimed_by.clear();
    Instant now = s.clock_.Now();
    p.updated_at = now;
    std::string action = "publish";
    using Kind = connectors::PublishResult::Kind;
    switch (outcome.kind) {
      case Kind::kPublished:
        p.state = PostState::kPublished;
        p.remote_id = outcome.remote_id;
        p.remote_url = outcome.remote_url;
        p.published_at = now;
        break;
      case Kind::kFailed:
        p.state = PostState::kFailed;
        p.failure = outcome.why;
        action = "publish_failed";
        break;
      case Kind::kUnknown:
        p.state = PostState::kUnconfirmed;
        p.failure = outcome.why;
        action = "publish_unconfirmed";
        break;
      case Kind::kRetryLater: {
        const Governor* g = s.GovernorFor(p.account);
        std::optional<Instant> from;
        if (!outcome.attempted && g != nullptr && p.planned_at && now - *p.planned_at > g->rules().missed_after) {
          p.state = PostState::kMissed;
          p.failure = "not published within missed_after " + FormatDuration(g->rules().missed_after) + " of " +
                      FormatRfc3339(*p.planned_at) + " (" + outcome.why + ")";
          action = "missed";
          break;
        }
        if (outcome.retry_at) {
          from = std::max(*outcome.retry_at, now + std::chrono::seconds{1});
        } else if (!outcome.attempted) {
          from = std::max(p.planned_at.value_or(now), now);
        } else if (int attempt = s.attempts_[id]; attempt < s.options_.backoff.max_attempts) {
          from = now + s.options_.backoff.Delay(std::max(1, attempt), s.rng_);
        }
        if (!from || g == nullptr) {
          p.state = PostState::kFailed;
          p.failure = "gave up after " + std::to_string(s.attempts_[id]) + " attempts; last: " + outcome.why;
          action = "publish_failed";
          break;
        }
        s.Remember(id);
        s.Untrack(id);
        Decision d = s.ScheduleOn(*g, p.account, s.timelines_[p.account], RequestOf(p, *from));
        if (outcome.resend_by && (!d.placed() || *d.planned_at > *outcome.resend_by)) {
          // Maybe published already; sent again this late, the platform would
          // no longer recognise it: never re-sent, shown as unconfirmed.
          p.state = PostState::kUnconfirmed;
          p.failure = outcome.why + "; but it is safe to send again only until " +
                      FormatRfc3339(*outcome.resend_by) + " and the plan's next slot is " +
                      (d.placed() ? FormatRfc3339(*d.planned_at) : "none") + ", so it is not sent again";
          action = "publish_unconfirmed";
          break;
        }
        p.reasons = Stored(d.reasons);
        p.reasons.insert(p.reasons.begin(), StoredReason{"retry_after", outcome.why, {}});
        p.planned_at = d.planned_at;
        p.state = d.placed() ? PostState::kScheduled : PostState::kRefused;
        action = "publish_retry";
        break;
      }
    }
    if (p.state != PostState::kScheduled) s.attempts_.erase(id);
    const std::string type = s.ConnectorOf(p.account);
    bool paused_now = false;  // this outcome paused the account
    // A settle repeated after a failed write counts the outcome once.
    const bool counted = s.unwritten_outcomes_.contains(id);
    if (outcome.attempted && !counted) {
      bool transient = outcome.kind == Kind::kUnknown || (outcome.kind == Kind::kRetryLater && !outcome.hold);
      for (const std::string& key : {Service::Impl::AccountKey(p.account), Service::Impl::ConnectorKey(type)}) {
        if (!transient) {
          s.breakers_.RecordSuccess(key);  // the platform answered coherently
        } else if (s.breakers_.RecordFailure(key, now, outcome.why)) {
          ++s.publish_metrics_.connectors[type].breaker_openings;
          auto view = s.breakers_.View(key, now);
          // The account's breaker pauses the account; the connector's, every
          // account on that connector (here and in the other processes).
          const std::string& paused = key.starts_with("connector:") ? key : p.account;
          if (view.open_until && s.SetPause(paused, s.BreakerPause(key, p.account, *view.open_until))) {
            paused_now = true;
          }
        }
      }
      if (outcome.kind == Kind::kRetryLater && outcome.hold) ++s.publish_metrics_.connectors[type].rate_limit_hits;
    }
    if (outcome.hold && outcome.hold->until > now) {
      s.SetPause(p.account, {"rate_limit", outcome.hold->until, outcome.hold->why});
      paused_now = true;
    }
    // Repeated after a failed write: the pause is set already, but the moves
    // past it were not written.
    if (counted && s.PauseOf(p.account, now)) paused_now = true;
    json detail = {{"remote_id", p.remote_id}, {"remote_url", p.remote_url}};
    if (!outcome.why.empty()) detail["why"] = outcome.why;
    if (outcome.http_status != 0) detail["http_status"] = outcome.http_status;
    if (outcome.hold) detail["hold_until"] = FormatRfc3339(outcome.hold->until);
    std::vector<PostChange> changes{s.Change(p, s.Audit(p.organization, "herald", action, p, detail))};
    // The account's other posts planned inside the pause move past it now, so
    // the plan shows it (and nothing of theirs reaches the platform before).
    if (const AccountPause* pause = s.PauseOf(p.account, now); pause && paused_now) {
      MergeInto(changes, s.ReplanAccount(p.account, "herald", pause->why));
    }
    if (changes.size() > 1) {
      // Other posts moved too: they may change meanwhile, so write under the lock.
      if (auto r = s.Persist(std::move(changes)); !r) {
        s.unwritten_outcomes_.insert(id);
        return std::unexpected(r.error());
      }
    } else if (auto r = s.PersistUnlocked(lock, std::move(changes), {original}); !r) {
      s.unwritten_outcomes_.insert(id);
      return std::unexpected(r.error());
    }
    s.unwritten_outcomes_.erase(id);
    if (auto it2 = s.posts_.find(id); it2 != s.posts_.end()) p = it2->second;
  }
  if (s.on_changed_) s.on_changed_();
  return p;
}

std::vector<Post> Service::InFlight() {
  std::lock_guard lock(impl_->mu_);
  std::vector<Post> out;
  for (const auto& [id, p] : impl_->posts_)
    if (p.state == PostState::kPublishing && (!impl_->shared_ || p.claimed_by == impl_->options_.process)) out.push_back(p);
  std::sort(out.begin(), out.end(), [](const Post& a, const Post& b) { return a.id < b.id; });
  return out;
}

Result<std::vector<Post>> Service::Maintain() {
  auto& s = *impl_;
  std::vector<Post> recovered;
  if (!s.shared_) return recovered;
  Instant now = s.clock_.Now();
  if (auto r = s.store_.RenewLease(s.options_.process, now + s.options_.lease); !r) return std::unexpected(r.error());
  std::vector<std::pair<std::string, std::string>> accounts;
  {
    std::lock_guard lock(s.mu_);
    for (const auto& [account, org] : s.org_of_account_) accounts.push_back({org, account});
  }
  if (auto r = s.LoadPauses(); !r) return std::unexpected(r.error());
  // Notifications can be lost (a listener reconnecting): catch up regularly.
  for (const auto& [org, account] : accounts) {
    if (auto r = s.SyncAccount(org, account); !r) return std::unexpected(r.error());
  }
  auto orphans = s.store_.OrphanedClaims(now);
  if (!orphans) return std::unexpected(orphans.error());
  for (const Post& orphan : *orphans) {
    auto account_lock = s.LockAccount(orphan.organization, orphan.account);
    if (!account_lock) return std::unexpected(account_lock.error());
    std::unique_lock lock(s.mu_);
    auto it = s.posts_.find(orphan.id);
    if (it == s.posts_.end() || it->second.state != PostState::kPublishing || it->second.claimed_by != orphan.claimed_by) {
      continue;  // someone else took it over first
    }
    Post p = it->second;
    const Post original = p;
    std::string from = p.claimed_by.empty() ? "an unknown process" : p.claimed_by;
    p.claimed_by = s.options_.process;
    p.updated_at = now;
    std::vector<PostChange> changes{
        s.Change(p, s.Audit(p.organization, "herald", "take_over", p, {{"from", from}, {"why", "its lease ended"}}))};
    if (auto r = s.Persist(std::move(changes)); !r) return std::unexpected(r.error());
    recovered.push_back(s.posts_.at(orphan.id));
  }
  return recovered;
}

void Service::RecordPublish(const std::string& account, std::optional<double> lateness_seconds,
                            double latency_seconds, const std::string& outcome) {
  std::lock_guard lock(impl_->mu_);
  auto& m = impl_->publish_metrics_;
  if (lateness_seconds) m.lateness_seconds.Observe(std::max(0.0, *lateness_seconds));
  m.publish_latency_seconds.Observe(latency_seconds);
  ++m.publishes_by_outcome[outcome];
  if (outcome != "published" && outcome != "recovered") ++m.connector_errors_by_kind[outcome];
  std::string type = impl_->ConnectorOf(account);
  if (type.empty()) return;
  auto& c = m.connectors[type];
  c.latency_seconds.Observe(latency_seconds);
  ++c.publishes_by_outcome[outcome];
}

int Service::Attempt(int64_t id) {
  std::lock_guard lock(impl_->mu_);
  return ++impl_->attempts_[id];
}

void Service::Heartbeat(Instant now) {
  std::lock_guard lock(impl_->mu_);
  impl_->last_heartbeat_ = now;
}

Health Service::CheckHealth(Duration max_silence) {
  Health h;
  if (auto r = impl_->store_.Ping(); !r) {
    h.ok = false;
    h.problems.push_back("storage unreachable: " + r.error().message());
  }
  std::lock_guard lock(impl_->mu_);
  Instant now = impl_->clock_.Now();
  if (!impl_->last_heartbeat_ || now - *impl_->last_heartbeat_ > max_silence) {
    h.ok = false;
    h.problems.push_back(impl_->last_heartbeat_ ? "the firing loop has not ticked for " +
                                                      FormatDuration(now - *impl_->last_heartbeat_)
                                                : "the firing loop has not started");
  }
  return h;
}

Metrics Service::CurrentMetrics() {
  std::lock_guard lock(impl_->mu_);
  Metrics m = impl_->publish_metrics_;
  for (PostState st : {PostState::kPendingApproval, PostState::kScheduled, PostState::kPublishing,
                       PostState::kUnconfirmed}) {
    m.posts_by_state[std::string(PostStateName(st))] = 0;
  }
  for (const auto& [id, p] : impl_->posts_) ++m.posts_by_state[std::string(PostStateName(p.state))];
  m.decisions_by_rule = impl_->decisions_by_rule_;
  Instant now = impl_->clock_.Now();
  for (const auto& [account, type] : impl_->connector_of_account_) m.connectors[type];
  for (const auto& [key, view] : impl_->breakers_.All(now)) {
    if (view.state != connectors::BreakerState::kOpen) continue;
    if (key.starts_with("connector:")) {
      m.connectors[key.substr(10)].breaker_open = true;
    } else if (auto type = impl_->ConnectorOf(key.substr(8)); !type.empty()) {
      ++m.connectors[type].accounts_breaker_open;
    }
  }
  if (!impl_->due_.empty() && impl_->due_.begin()->first < now) {
    m.oldest_overdue_seconds = (now - impl_->due_.begin()->first).count();
  }
  return m;
}

}  // namespace herald::runtime
