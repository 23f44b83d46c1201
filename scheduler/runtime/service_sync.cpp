// The Service's start and its multi-process side: on a store shared by several
// herald processes, each account is locked across processes and brought up to
// date before it changes, leases mark whose claims are whose, and the claims
// of a process whose lease ended are taken over.
#include <algorithm>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "scheduler/runtime/internal/service_impl.h"
#include "scheduler/runtime/service.h"

namespace herald::runtime {

using nlohmann::json;

Result<void> Service::Impl::SyncAccounts(const std::vector<std::pair<std::string, std::string>>& accounts) {
  constexpr size_t kGroup = 1000;
  for (size_t from = 0; from < accounts.size(); from += kGroup) {
    std::vector<storage::Store::AccountCursor> cursors;
    {
      std::lock_guard lock(mu_);
      for (size_t i = from; i < std::min(from + kGroup, accounts.size()); ++i) {
        cursors.push_back({accounts[i].first, accounts[i].second, cursors_[accounts[i].second]});
      }
    }
    auto changed = store_.ChangesSince(cursors);
    if (!changed) return std::unexpected(changed.error());
    if (changed->empty()) continue;
    std::lock_guard lock(mu_);
    for (const Post& p : *changed) Adopt(p);
  }
  return {};
}

void Service::Impl::Adopt(const Post& p) {
  int64_t& cursor = cursors_[p.account];
  cursor = std::max(cursor, p.change_seq);
  if (auto held = book_.Find(p.id); held && held->version >= p.version) return;
  book_.Untrack(p.id);
  if (!IsFinal(p.state) || p.state == PostState::kPublished) book_.Track(p);
}

Result<Service::Impl::AccountLock> Service::Impl::LockAccount(const std::string& org, const std::string& account) {
  if (!shared_) return AccountLock{};
  int64_t after;
  {
    std::lock_guard lock(mu_);
    after = cursors_[account];
  }
  // The cursor may move on while the lock is awaited (a notice caught up):
  // reading from the older one then only reads a few posts twice.
  auto locked = store_.LockAccountAndRead(org, account, after);
  if (!locked) return std::unexpected(locked.error());
  if (!locked->changes.empty()) {
    std::lock_guard lock(mu_);
    for (const Post& p : locked->changes) Adopt(p);
  }
  return std::move(locked->lock);
}

Result<Service::Impl::AccountLock> Service::Impl::LockAccountOf(const std::string& org, int64_t id) {
  if (!shared_) return AccountLock{};
  std::string account;
  {
    std::lock_guard lock(mu_);
    if (const auto* p = book_.Peek(id); p != nullptr && p->organization() == org) account = p->account();
  }
  if (account.empty()) {
    auto stored = store_.GetPost(org, id);
    if (!stored) return std::unexpected(stored.error());
    account = stored->account;
  }
  return LockAccount(org, account);
}

Result<void> Service::Impl::LoadPauses() {
  auto stored = store_.ActivePauses(clock_.Now());
  if (!stored) return std::unexpected(stored.error());
  std::lock_guard lock(mu_);
  pauses_.Load(*stored);
  return {};
}

Result<void> Service::Start() {
  auto& s = *impl_;
  if (auto r = s.LoadPauses(); !r) return r;
  std::lock_guard lock(s.mu_);
  const Instant now = s.clock_.Now();
  auto posts = s.store_.LoadActive(now - s.policies_.LongestHistory());
  if (!posts) return std::unexpected(posts.error());
  for (auto& p : *posts) {
    if (s.Keeps(p, now)) s.book_.Track(p);
    int64_t& cursor = s.cursors_[p.account];
    cursor = std::max(cursor, p.change_seq);
    // The loaded copy goes now, so the book's copies reuse its memory instead
    // of the whole load being held twice at its peak.
    p = Post{};
  }
  posts->clear();
  posts->shrink_to_fit();
  s.last_trim_ = now;
#ifdef __GLIBC__
  // The load is the daemon's largest transient allocation: give what it
  // freed back to the system rather than keep it resident for good.
  malloc_trim(0);
#endif
  if (s.shared_) {
    // The lease first: a claim by a process without one is an orphan to others.
    auto lease = s.store_.RenewLease(s.options_.process, s.clock_.Now() + s.options_.lease);
    if (!lease) return lease;
    // Other processes changed accounts: catch up and let the runtime re-arm.
    std::weak_ptr<Impl> weak = impl_;
    s.store_.WatchChanges([weak](storage::Store::ChangedAccounts accounts) {
      auto self = weak.lock();
      if (!self) return;
      if (auto r = self->SyncAccounts(accounts); !r) return;  // Maintain catches up later
      if (self->on_changed_) self->on_changed_();
    });
  }
  for (const auto& [org, o] : s.policies_.orgs()) {
    auto r = s.store_.RecordPolicyVersion({org, o.policy.sha256, o.loaded_at, o.policy.source});
    if (!r) return r;
  }
  return {};
}

bool Service::Impl::Keeps(const Post& p, Instant now) const {
  if (!IsFinal(p.state)) return true;
  return p.state == PostState::kPublished && p.planned_at &&
         *p.planned_at >= now - policies_.HistoryOf(p.organization);
}

Result<void> Service::Impl::ReadHistory(const std::string& org, Duration window, Instant now) {
  storage::PostQuery q{.organization = org, .state = PostState::kPublished, .from = now - window, .limit = 500};
  for (;;) {
    auto page = store_.ListPosts(q);
    if (!page) return std::unexpected(page.error());
    for (const Post& p : *page) {
      if (book_.Peek(p.id) == nullptr && Keeps(p, now)) book_.Track(p);
    }
    if (page->size() < static_cast<size_t>(q.limit)) return {};
    q.after_id = page->back().id;
  }
}

void Service::Impl::TrimHistory(Instant now) {
  std::vector<int64_t> gone;
  for (const auto& [id, p] : book_.posts()) {
    if (p.state() != PostState::kPublished) continue;
    auto at = p.planned_at();
    if (!at || *at < now - policies_.HistoryOf(p.organization())) gone.push_back(id);
  }
  for (int64_t id : gone) book_.Untrack(id);
  last_trim_ = now;
}

Result<std::vector<Post>> Service::Maintain() {
  auto& s = *impl_;
  std::vector<Post> recovered;
  Instant now = s.clock_.Now();
  {
    // Published posts age out of every rule's window: forget them hourly.
    std::lock_guard lock(s.mu_);
    if (now - s.last_trim_ >= std::chrono::hours{1}) s.TrimHistory(now);
  }
  if (!s.shared_) return recovered;
  if (auto r = s.store_.RenewLease(s.options_.process, now + s.options_.lease); !r) return std::unexpected(r.error());
  std::vector<std::pair<std::string, std::string>> accounts;
  {
    std::lock_guard lock(s.mu_);
    for (const auto& [account, org] : s.policies_.accounts()) accounts.push_back({org, account});
  }
  if (auto r = s.LoadPauses(); !r) return std::unexpected(r.error());
  // Notifications can be lost (a listener reconnecting): catch up regularly,
  // many accounts per read.
  if (auto r = s.SyncAccounts(accounts); !r) return std::unexpected(r.error());
  auto orphans = s.store_.OrphanedClaims(now);
  if (!orphans) return std::unexpected(orphans.error());
  for (const Post& orphan : *orphans) {
    auto account_lock = s.LockAccount(orphan.organization, orphan.account);
    if (!account_lock) return std::unexpected(account_lock.error());
    std::unique_lock lock(s.mu_);
    std::optional<Post> held = s.book_.Find(orphan.id);
    if (!held || held->state != PostState::kPublishing || held->claimed_by != orphan.claimed_by) {
      continue;  // someone else took it over first
    }
    Post p = *held;
    std::string from = p.claimed_by.empty() ? "an unknown process" : p.claimed_by;
    p.claimed_by = s.options_.process;
    p.updated_at = now;
    std::vector<storage::PostChange> changes{
        s.book_.Change(p, s.Audit(p.organization, "herald", "take_over", p, {{"from", from}, {"why", "its lease ended"}}))};
    if (auto r = s.Persist(std::move(changes)); !r) return std::unexpected(r.error());
    if (auto taken = s.book_.Find(orphan.id)) recovered.push_back(std::move(*taken));
  }
  return recovered;
}

}  // namespace herald::runtime
