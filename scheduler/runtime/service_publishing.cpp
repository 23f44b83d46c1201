// The Service's publishing side: claims due posts for the runtime (durably
// `publishing` before any connector sees them), settles what the connectors
// answered, and reports posts left in flight.
#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <unordered_set>

#include "scheduler/runtime/internal/service_impl.h"
#include "scheduler/runtime/service.h"

namespace herald::runtime {

using internal::IdText;
using internal::MergeInto;
using internal::PauseKey;
using internal::ReasonsJson;
using internal::RequestOf;
using internal::Stored;
using nlohmann::json;
using scheduler::Decision;
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

Result<Service::Impl::SettleStep> Service::Impl::SettleChanges(int64_t id, const connectors::PublishResult& outcome,
                                                               bool answers_lookup) {
  auto& s = *this;
  std::optional<Post> held = s.book_.Find(id);
  if (!held) return NotFound("post " + IdText(id) + " is not in flight");
  Post p = std::move(*held);
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
      const Governor* g = s.policies_.GovernorFor(p.account);
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
      s.book_.Remember(id);
      s.book_.Untrack(id);
      Decision d = s.ScheduleOn(*g, p.account, s.book_.TimelineOf(p.account), RequestOf(p, *from));
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
  if (p.state == PostState::kUnconfirmed) s.StartRechecks(p, now, answers_lookup);
  if (outcome.attempted) {
    s.RecordCredentialsBroken(p.account, outcome.http_status, outcome.why,
                              "post" + std::to_string(p.id) + "v" + std::to_string(p.version));
  }
  if (p.state != PostState::kScheduled) s.attempts_.erase(id);
  const std::string type = s.policies_.ConnectorOf(p.account);
  bool paused_now = false;  // this outcome paused the account
  // A settle repeated after a failed write counts the outcome once.
  const bool counted = s.unwritten_outcomes_.contains(id);
  if (outcome.attempted && !counted) {
    bool transient = outcome.kind == Kind::kUnknown || (outcome.kind == Kind::kRetryLater && !outcome.hold);
    for (const PauseKey& key : {PauseKey::Account(p.account), PauseKey::Connector(type)}) {
      if (!transient) {
        s.pauses_.RecordSuccess(key);  // the platform answered coherently
      } else if (s.pauses_.RecordFailure(key, now, outcome.why)) {
        s.telemetry_.RecordBreakerOpening(type);
        auto view = s.pauses_.Breaker(key, now);
        // The account's breaker pauses the account; the connector's, every
        // account on that connector (here and in the other processes).
        if (view.open_until && s.SetPause(key, s.pauses_.BreakerPause(key, *view.open_until, now))) {
          paused_now = true;
        }
      }
    }
    if (outcome.kind == Kind::kRetryLater && outcome.hold) s.telemetry_.RecordRateLimitHit(type);
  }
  if (outcome.hold && outcome.hold->until > now) {
    s.SetPause(PauseKey::Account(p.account), {outcome.hold->rule, outcome.hold->until, outcome.hold->why});
    paused_now = true;
  }
  // Repeated after a failed write: the pause is set already, but the moves
  // past it were not written.
  if (counted && s.PauseOf(p.account, now)) paused_now = true;
  json detail = {{"remote_id", p.remote_id}, {"remote_url", p.remote_url}};
  if (!outcome.why.empty()) detail["why"] = outcome.why;
  if (outcome.http_status != 0) detail["http_status"] = outcome.http_status;
  if (outcome.hold) detail["hold_until"] = FormatRfc3339(outcome.hold->until);
  if (p.recheck_at) detail["next_check"] = FormatRfc3339(*p.recheck_at);
  std::vector<PostChange> changes{s.book_.Change(p, s.Audit(p.organization, "herald", action, p, detail))};
  // The account's other posts planned inside the pause move past it now, so
  // the plan shows it (and nothing of theirs reaches the platform before).
  if (const AccountPause* pause = s.PauseOf(p.account, now); pause && paused_now) {
    MergeInto(changes, s.ReplanAccount(p.account, "herald", pause->why));
  }
  return SettleStep{std::move(changes), original};
}

Result<void> Service::Impl::PersistSettles(std::unique_lock<std::mutex>& lock, std::vector<SettleStep> steps) {
  std::vector<PostChange> changes;
  std::vector<Post> originals;
  std::vector<int64_t> ids;
  bool moved_others = false;
  for (SettleStep& step : steps) {
    ids.push_back(step.original.id);
    originals.push_back(std::move(step.original));
    moved_others = moved_others || step.changes.size() > 1;
    MergeInto(changes, std::move(step.changes));
  }
  // Other posts moved too: they may change meanwhile, so write under the lock.
  auto written = moved_others ? Persist(std::move(changes)) : PersistUnlocked(lock, std::move(changes), originals);
  for (int64_t id : ids) {
    if (written) {
      unwritten_outcomes_.erase(id);
    } else {
      unwritten_outcomes_.insert(id);
    }
  }
  return written;
}

Result<Post> Service::Settle(int64_t id, const connectors::PublishResult& outcome, bool answers_lookup) {
  auto& s = *impl_;
  std::string org;
  {
    std::lock_guard lock(s.mu_);
    if (const auto* held = s.book_.Peek(id)) org = held->organization();
  }
  if (org.empty()) return NotFound("post " + IdText(id) + " is not in flight");
  auto account_lock = s.LockAccountOf(org, id);
  if (!account_lock) return std::unexpected(account_lock.error());
  Post p;
  {
    std::unique_lock lock(s.mu_);
    auto step = s.SettleChanges(id, outcome, answers_lookup);
    if (!step) return std::unexpected(step.error());
    p = step->changes.front().post;
    std::vector<Impl::SettleStep> steps;
    steps.push_back(std::move(*step));
    if (auto r = s.PersistSettles(lock, std::move(steps)); !r) return std::unexpected(r.error());
    if (auto settled = s.book_.Find(id)) p = std::move(*settled);
  }
  if (s.on_changed_) s.on_changed_();
  return p;
}

std::vector<Result<Post>> Service::SettleMany(const std::vector<SettleRequest>& requests) {
  auto& s = *impl_;
  std::vector<std::optional<Result<Post>>> out(requests.size());
  std::vector<size_t> batch;   // settled together
  std::vector<size_t> alone;   // settled one by one afterwards
  {
    std::unique_ptr<storage::Store::AccountLocks> locks;
    if (!s.shared_) {
      for (size_t i = 0; i < requests.size(); ++i) batch.push_back(i);
    } else {
      // The accounts, locked in one statement (try-locks: one another process
      // holds now is settled alone afterwards, waiting for it) and synced in
      // one read.
      std::vector<std::pair<std::string, std::string>> accounts;
      std::vector<size_t> asked;
      {
        std::lock_guard lock(s.mu_);
        for (size_t i = 0; i < requests.size(); ++i) {
          const auto* held = s.book_.Peek(requests[i].id);
          if (held == nullptr) {
            out[i] = NotFound("post " + IdText(requests[i].id) + " is not in flight");
            continue;
          }
          accounts.emplace_back(held->organization(), held->account());
          asked.push_back(i);
        }
      }
      if (!accounts.empty()) {
        auto taken = s.store_.TryLockAccounts(accounts);
        if (!taken) {
          for (size_t i : asked) out[i] = std::unexpected(taken.error());
          asked.clear();
        } else {
          locks = std::move(*taken);
        }
      }
      std::vector<bool> is_held(accounts.size(), false);
      if (locks) {
        for (size_t k : locks->held()) is_held[k] = true;
      }
      std::vector<std::pair<std::string, std::string>> held_accounts;
      for (size_t k = 0; k < asked.size(); ++k) {
        if (is_held[k]) {
          batch.push_back(asked[k]);
          held_accounts.push_back(accounts[k]);
        } else {
          alone.push_back(asked[k]);
        }
      }
      if (!batch.empty()) {
        if (auto synced = s.SyncAccounts(held_accounts); !synced) {
          for (size_t i : batch) out[i] = std::unexpected(synced.error());
          batch.clear();
        }
      }
    }
    if (!batch.empty()) {
      std::unique_lock lock(s.mu_);
      std::vector<Impl::SettleStep> steps;
      std::vector<size_t> stepped;
      std::vector<Post> settled_as;  // by step: the post as settled (memory may drop a finished one)
      for (size_t i : batch) {
        auto step = s.SettleChanges(requests[i].id, requests[i].outcome, requests[i].answers_lookup);
        if (!step) {
          out[i] = std::unexpected(step.error());
          continue;
        }
        settled_as.push_back(step->changes.front().post);
        steps.push_back(std::move(*step));
        stepped.push_back(i);
      }
      if (!steps.empty()) {
        auto written = s.PersistSettles(lock, std::move(steps));
        for (size_t k = 0; k < stepped.size(); ++k) {
          const size_t i = stepped[k];
          if (!written) {
            // Nothing of the batch is stored. Alone, each gets its own answer
            // (one post another process changed must not hold up the rest).
            if (stepped.size() > 1) {
              alone.push_back(i);
            } else {
              out[i] = std::unexpected(written.error());
            }
          } else if (auto settled = s.book_.Find(requests[i].id)) {
            out[i] = std::move(*settled);
          } else {
            out[i] = std::move(settled_as[k]);
          }
        }
      }
    }
    // The locks end here: settling alone locks each account again, and on
    // PostgreSQL a lock this process holds on another connection would wait
    // for itself.
  }
  if (s.on_changed_ && !batch.empty()) s.on_changed_();
  std::sort(alone.begin(), alone.end());
  for (size_t i : alone) out[i] = Settle(requests[i].id, requests[i].outcome, requests[i].answers_lookup);
  std::vector<Result<Post>> results;
  results.reserve(out.size());
  for (auto& r : out) results.push_back(std::move(*r));
  return results;
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
