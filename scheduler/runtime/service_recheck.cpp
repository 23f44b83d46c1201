// The Service's side of re-checking unconfirmed posts: which are due (claimed
// durably, so two processes never ask about the same post at once), and what
// each answer makes of the post. The asking itself runs in the runtime
// (unconfirmed_recheck.cpp), on worker threads.
#include <map>
#include <utility>

#include "scheduler/runtime/internal/service_impl.h"
#include "scheduler/runtime/service.h"

namespace herald::runtime {

using internal::IdText;
using internal::RequestOf;
using internal::Stored;
using nlohmann::json;
using scheduler::Decision;
using scheduler::Governor;
using storage::PostChange;

namespace {

// A claimed check not settled within this (its process died mid-check, or the
// platform hung past every timeout) is due again, here or in another process.
constexpr Duration kRecheckLease = std::chrono::minutes{5};

void ClearRechecks(Post& p) {
  p.unconfirmed_since.reset();
  p.recheck_at.reset();
  p.rechecks = 0;
}

std::string Times(int n) { return n == 1 ? "once" : std::to_string(n) + " times"; }

}  // namespace

void Service::Impl::StartRechecks(Post& p, Instant now, bool answers_lookup) const {
  ClearRechecks(p);
  p.unconfirmed_since = now;
  const std::string type = policies_.ConnectorOf(p.account);
  if (!answers_lookup) {
    p.failure += "; the " + type + " connector has no way to find a post again, so herald will not ask later: "
                 "look for it on the platform";
    return;
  }
  if (!options_.recheck.enabled()) {
    p.failure += "; re-checks are off (recheck: [] in the server config): look for it on the platform";
    return;
  }
  p.recheck_at = scheduler::NextRecheck(options_.recheck, now, now);
  p.failure += "; herald asks the platform again at " + FormatRfc3339(*p.recheck_at) + ", for up to " +
               FormatDuration(options_.recheck.span());
}

json Service::Impl::PlanAgainAfterRecheck(Post& p, Instant now, const std::string& why,
                                          std::optional<Instant> resend_by) {
  ClearRechecks(p);
  // With a deadline the answer does not say the post is absent, only that
  // sending it again cannot make a second copy until then.
  const std::string answer = resend_by ? "safe to send again until " + FormatRfc3339(*resend_by) + " (" + why + ")"
                                       : "not on the platform (" + why + ")";
  const Governor* g = policies_.GovernorFor(p.account);
  if (g == nullptr) {
    p.state = PostState::kFailed;
    p.failure = answer + ", but account " + p.account + " is no longer in the policy";
    return {{"why", p.failure}};
  }
  if (p.planned_at && now - *p.planned_at > g->rules().missed_after) {
    p.state = PostState::kMissed;
    p.failure = answer + ", but too late to send now: not published within missed_after " +
                FormatDuration(g->rules().missed_after) + " of " + FormatRfc3339(*p.planned_at);
    return {{"why", p.failure}};
  }
  book_.Remember(p.id);
  book_.Untrack(p.id);
  Decision d = ScheduleOn(*g, p.account, book_.TimelineOf(p.account), RequestOf(p, now));
  if (resend_by && (!d.placed() || *d.planned_at > *resend_by)) {
    p.state = PostState::kFailed;
    p.failure = answer + ", but the plan's next slot is " + (d.placed() ? FormatRfc3339(*d.planned_at) : "none") +
                ", so herald does not send it; it may be on the platform: look for it there, and create it again "
                "if it is not";
    return {{"why", p.failure}};
  }
  p.failure.clear();
  p.reasons = Stored(d.reasons);
  p.reasons.insert(p.reasons.begin(), StoredReason{"recheck", answer + "; planned again", {}});
  p.planned_at = d.planned_at;
  p.state = d.placed() ? PostState::kScheduled : PostState::kRefused;
  return {{"why", answer}};
}

Result<std::vector<Post>> Service::ClaimRechecks(Instant now) {
  auto& s = *impl_;
  std::map<std::pair<std::string, std::string>, std::vector<int64_t>> due;
  {
    std::lock_guard lock(s.mu_);
    for (const auto& [id, packed] : s.book_.posts()) {
      if (packed.state() != PostState::kUnconfirmed) continue;
      if (auto at = packed.Unpack(id).recheck_at; at && *at <= now) {
        due[{packed.organization(), packed.account()}].push_back(id);
      }
    }
  }
  std::vector<Post> out;
  for (const auto& [key, ids] : due) {
    const auto& [org, account] = key;
    // Shared store: locked and synced, so a claim by another process is seen.
    auto account_lock = s.LockAccount(org, account);
    if (!account_lock) return std::unexpected(account_lock.error());
    std::lock_guard lock(s.mu_);
    if (s.PauseOf(account, now) != nullptr) continue;  // asked once the pause ends
    std::vector<PostChange> changes;
    for (int64_t id : ids) {
      std::optional<Post> held = s.book_.Find(id);
      if (!held || held->state != PostState::kUnconfirmed || !held->recheck_at || *held->recheck_at > now) {
        continue;
      }
      Post p = *held;
      p.recheck_at = now + kRecheckLease;
      PostChange change = s.book_.Change(p, {});
      change.audit.clear();  // the check's outcome is audited, not its claim
      changes.push_back(std::move(change));
    }
    if (changes.empty()) continue;
    std::vector<int64_t> claimed;
    for (const auto& c : changes) claimed.push_back(c.post.id);
    if (auto r = s.Persist(std::move(changes)); !r) return std::unexpected(r.error());
    for (int64_t id : claimed) {
      if (auto q = s.book_.Find(id)) out.push_back(std::move(*q));
    }
  }
  return out;
}

Result<Post> Service::SettleRecheck(const Post& claimed, const std::optional<connectors::PublishResult>& found) {
  auto& s = *impl_;
  auto account_lock = s.LockAccountOf(claimed.organization, claimed.id);
  if (!account_lock) return std::unexpected(account_lock.error());
  Post p;
  bool moved = false;  // left unconfirmed: the plan changed
  {
    std::lock_guard lock(s.mu_);
    std::optional<Post> held = s.book_.Find(claimed.id);
    if (!held) return NotFound("post " + IdText(claimed.id) + " is not known to this process");
    if (held->state != PostState::kUnconfirmed || held->version != claimed.version) {
      return Error(Code::kFailedPrecondition, "post " + IdText(claimed.id) +
                                                  " changed while the platform was asked (another process settled it)");
    }
    p = *held;
    const Instant now = s.clock_.Now();
    const Instant since = p.unconfirmed_since.value_or(p.updated_at);
    const int checks = p.rechecks + 1;
    p.updated_at = now;
    json detail = {{"check", checks}, {"unconfirmed_since", FormatRfc3339(since)}};
    if (found && !found->why.empty()) detail["answer"] = found->why;
    using Kind = connectors::PublishResult::Kind;
    RecheckOutcome outcome;
    if (found && found->kind == Kind::kPublished) {
      outcome = RecheckOutcome::kPublished;
      ClearRechecks(p);
      p.state = PostState::kPublished;
      p.remote_id = found->remote_id;
      p.remote_url = found->remote_url;
      p.published_at = now;
      p.failure.clear();
      detail["remote_id"] = p.remote_id;
      detail["remote_url"] = p.remote_url;
    } else if (found && found->kind == Kind::kFailed) {
      outcome = RecheckOutcome::kAbsent;
      detail.update(s.PlanAgainAfterRecheck(p, now, found->why, found->resend_by));
    } else if (auto next = scheduler::NextRecheck(s.options_.recheck, since, now)) {
      outcome = RecheckOutcome::kUnknown;
      p.rechecks = checks;
      p.recheck_at = next;
      p.failure = "the platform could not tell whether the post arrived (asked " + Times(checks) +
                  " since it became unconfirmed at " + FormatRfc3339(since) + "); herald asks again at " +
                  FormatRfc3339(*next);
      detail["next_check"] = FormatRfc3339(*next);
    } else {
      outcome = RecheckOutcome::kGaveUp;
      p.rechecks = checks;
      p.recheck_at.reset();
      p.failure = "herald asked the platform " + Times(checks) + " over " + FormatDuration(now - since) +
                  " whether the post arrived and it could not tell; herald no longer asks: look for the post on "
                  "the platform, and create it again if it is not there";
    }
    detail["outcome"] = RecheckOutcomeName(outcome);
    if (outcome == RecheckOutcome::kGaveUp) detail["why"] = p.failure;
    // The platform said how long to leave the account alone.
    if (found && found->hold && found->hold->until > now) {
      s.SetPause(internal::PauseKey::Account(p.account), {"rate_limit", found->hold->until, found->hold->why});
    }
    moved = p.state != PostState::kUnconfirmed;
    std::vector<PostChange> changes{s.book_.Change(p, s.Audit(p.organization, "herald", "recheck", p, detail))};
    if (auto r = s.Persist(std::move(changes)); !r) return std::unexpected(r.error());
    s.telemetry_.RecordRecheck(outcome);
    if (auto settled = s.book_.Find(p.id)) p = std::move(*settled);
  }
  if (moved && s.on_changed_) s.on_changed_();
  return p;
}

}  // namespace herald::runtime
