// The Service's publishing side: claims due posts for the runtime (durably
// `publishing` before any connector sees them) and reports posts left in
// flight; service_settle.cpp settles what the connectors answered.
#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <unordered_set>

#include "scheduler/runtime/internal/service_impl.h"
#include "scheduler/runtime/service.h"

namespace herald::runtime {

using internal::PauseKey;
using internal::ReasonsJson;
using internal::RequestOf;
using internal::Stored;
using scheduler::Governor;
using storage::PostChange;

Result<std::vector<Post>> Service::Impl::ClaimDueIn(Instant now, const std::unordered_set<std::string>* only) {
  auto& s = *this;
  std::vector<PostChange> changes;
  std::vector<Post> originals;
  std::vector<int64_t> claimed;
  {
    std::unique_lock lock(s.mu_);
    std::vector<std::pair<Instant, int64_t>> due;
    for (auto it = s.book_.due().begin(); it != s.book_.due().end() && it->first <= now; ++it) {
      if (only == nullptr) {
        due.push_back(*it);
      } else if (const auto* p = s.book_.Peek(it->second); p != nullptr && only->contains(p->account())) {
        due.push_back(*it);
      }
    }
    for (const auto& entry : due) {
      int64_t id = entry.second;
      // Its write (a settle that planned it again) is still in flight: the
      // version here is not the stored one yet. Claimed once that write is in.
      if (s.book_.Writing(id)) continue;
      s.book_.due().erase(entry);
      const auto* held = s.book_.Peek(id);
      if (held == nullptr || held->state() != PostState::kScheduled) continue;
      Post p = held->Unpack(id);
      originals.push_back(p);
      const Governor* g = s.policies_.GovernorFor(p.account);
      const policies::Policy* policy = s.policies_.PolicyOf(p.organization);
      if (g == nullptr || policy == nullptr) continue;
      p.updated_at = now;
      if (now - *p.planned_at > g->rules().missed_after) {
        p.state = PostState::kMissed;
        p.failure = "not published within missed_after " + FormatDuration(g->rules().missed_after) + " of " +
                    FormatRfc3339(*p.planned_at) + " (the daemon was not running)";
        changes.push_back(s.book_.Change(p, s.Audit(p.organization, "herald", "missed", p, {{"why", p.failure}})));
        continue;
      }
      // Re-check against what was actually published (and is publishing),
      // not against plans that may have changed: defer rather than violate.
      auto violations = g->Violations(s.book_.ActualOf(p.account), RequestOf(p, p.requested_at), *p.planned_at);
      if (!violations.empty()) {
        s.PlaceAgain(p, *g, now + std::chrono::seconds{1});
        changes.push_back({p, {s.Audit(p.organization, "herald", "defer", p, {{"violations", ReasonsJson(Stored(violations))}})}});
        continue;
      }
      // A pause in force (a platform's rate limit) or an open breaker: nothing
      // reaches the connector before it ends; the post moves past it.
      std::optional<AccountPause> blocked;
      if (const AccountPause* pause = s.PauseOf(p.account, now)) {
        blocked = *pause;
      } else {
        std::string type = s.policies_.ConnectorOf(p.account);
        for (const PauseKey& key : {PauseKey::Account(p.account), PauseKey::Connector(type)}) {
          if (auto until = s.pauses_.Admit(key, s.clock_.Now())) {
            blocked = s.pauses_.BreakerPause(key, *until, s.clock_.Now());
            s.SetPause(key, *blocked);
            break;
          }
        }
      }
      if (blocked) {
        s.PlaceAgain(p, *g, std::max(now, p.requested_at));
        changes.push_back({p, {s.Audit(p.organization, "herald", "defer", p, {{"paused", blocked->why}})}});
        continue;
      }
      p.state = PostState::kPublishing;
      p.claimed_by = s.options_.process;
      changes.push_back(s.book_.Change(p, s.Audit(p.organization, "herald", "publishing", p)));
      claimed.push_back(id);
    }
    // Durably `publishing` before any connector sees them.
    if (auto r = s.PersistUnlocked(lock, std::move(changes), originals); !r) return std::unexpected(r.error());
    std::vector<Post> out;
    for (int64_t id : claimed) {
      if (auto q = s.book_.Find(id)) out.push_back(std::move(*q));
    }
    return out;
  }
}

Result<std::vector<Post>> Service::ClaimDue(Instant now) {
  auto& s = *impl_;
  if (!s.shared_) return s.ClaimDueIn(now, nullptr);
  // Shared store: accounts locked and synced, so another process cannot claim
  // the same post or fill the same window meanwhile. Many at once (the top of
  // the hour): each group of accounts is locked in one statement, synced in
  // one read and claimed in one transaction. An account another process holds
  // is left for the next tick: that process is claiming or changing it. Each
  // process starts at its own group, so several share a burst.
  std::vector<std::pair<std::string, std::string>> accounts;
  {
    std::lock_guard lock(s.mu_);
    std::set<std::pair<std::string, std::string>> due;
    for (auto it = s.book_.due().begin(); it != s.book_.due().end() && it->first <= now; ++it) {
      if (const auto* p = s.book_.Peek(it->second)) due.insert({p->organization(), p->account()});
    }
    accounts.assign(due.begin(), due.end());
  }
  constexpr size_t kGroup = 500;
  const size_t groups = (accounts.size() + kGroup - 1) / kGroup;
  const size_t first = groups == 0 ? 0 : std::hash<std::string>{}(s.options_.process) % groups;
  std::vector<Post> out;
  for (size_t g = 0; g < groups; ++g) {
    const size_t from = (first + g) % groups * kGroup;
    std::vector<std::pair<std::string, std::string>> group(
        accounts.begin() + static_cast<ptrdiff_t>(from),
        accounts.begin() + static_cast<ptrdiff_t>(std::min(from + kGroup, accounts.size())));
    auto claimed = [&]() -> Result<std::vector<Post>> {
      auto locks = s.store_.TryLockAccounts(group);
      if (!locks) return std::unexpected(locks.error());
      std::vector<std::pair<std::string, std::string>> held;
      std::unordered_set<std::string> names;
      for (size_t i : (*locks)->held()) {
        held.push_back(group[i]);
        names.insert(group[i].second);
      }
      if (held.empty()) return std::vector<Post>();
      if (auto r = s.SyncAccounts(held); !r) return std::unexpected(r.error());
      return s.ClaimDueIn(now, &names);
    }();
    // Posts claimed by the earlier groups are durably this process's: they
    // go to the runtime even when a later group fails (it stays due).
    if (!claimed) {
      if (out.empty()) return claimed;
      break;
    }
    for (Post& p : *claimed) out.push_back(std::move(p));
  }
  return out;
}

std::optional<Instant> Service::NextDue() {
  std::lock_guard lock(impl_->mu_);
  // A post whose write is in flight is not claimable yet; the write's end
  // wakes the runtime (on_plan_changed), which asks again.
  for (const auto& [at, id] : impl_->book_.due()) {
    if (!impl_->book_.Writing(id)) return at;
  }
  return std::nullopt;
}

size_t Service::CountDue(Instant until, size_t cap) {
  std::lock_guard lock(impl_->mu_);
  size_t n = 0;
  for (auto it = impl_->book_.due().begin(); it != impl_->book_.due().end() && it->first <= until && n < cap; ++it) ++n;
  return n;
}

std::vector<Post> Service::InFlight() {
  std::lock_guard lock(impl_->mu_);
  std::vector<Post> out;
  for (const auto& [id, packed] : impl_->book_.posts()) {
    if (packed.state() != PostState::kPublishing) continue;
    Post p = packed.Unpack(id);
    if (!impl_->shared_ || p.claimed_by == impl_->options_.process) out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const Post& a, const Post& b) { return a.id < b.id; });
  return out;
}

int Service::Attempt(int64_t id) {
  std::lock_guard lock(impl_->mu_);
  return ++impl_->attempts_[id];
}

}  // namespace herald::runtime
