// The Service's settling side: what the connectors answered for claimed
// posts becomes their stored state, one post at a time (Settle) or many in
// one transaction (SettleMany), with the pauses and breakers it implies.
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
using internal::RequestOf;
using internal::Stored;
using nlohmann::json;
using scheduler::Decision;
using scheduler::Governor;
using storage::PostChange;
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

}  // namespace herald::runtime
