// The Service's read side: posts, accounts with their usage and pauses, free
// slots, the policy and the audit log; and what the daemon reports about
// itself (metrics, heartbeat, health).
#include <algorithm>

#include "core/refresh_window.h"
#include "scheduler/internal/describe.h"
#include "scheduler/runtime/internal/service_impl.h"
#include "scheduler/runtime/service.h"

namespace herald::runtime {

using internal::PauseKey;
using scheduler::Decision;
using scheduler::Governor;
using scheduler::Timeline;
using storage::AuditEntry;

Result<Post> Service::GetPost(const Caller& caller, int64_t id) {
  return impl_->store_.GetPost(caller.organization, id);
}

Result<std::vector<Post>> Service::ListPosts(const Caller& caller, storage::PostQuery query) {
  query.organization = caller.organization;
  if (query.account) {
    std::lock_guard lock(impl_->mu_);
    if (auto g = impl_->policies_.AccountOf(caller.organization, *query.account); !g) return std::unexpected(g.error());
  }
  return impl_->store_.ListPosts(query);
}

Result<std::string> Service::ConnectableAccount(const Caller& caller, const std::string& account) {
  std::lock_guard lock(impl_->mu_);
  if (auto g = impl_->policies_.AccountOf(caller.organization, account); !g) return std::unexpected(g.error());
  if (caller.role != Role::kManager && caller.role != Role::kAdmin) {
    return Error(Code::kPermissionDenied, "connecting an account needs a manager or admin token");
  }
  const policies::Policy* policy = impl_->policies_.PolicyOf(caller.organization);
  for (const auto& a : policy->accounts) {
    if (a.id == account) return a.platform;
  }
  return NotFound("no account " + account);
}

Result<policies::ConnectorConfig> Service::ConnectorOf(const std::string& organization, const std::string& account) {
  std::lock_guard lock(impl_->mu_);
  if (const policies::Policy* policy = impl_->policies_.PolicyOf(organization)) {
    for (const auto& a : policy->accounts) {
      if (a.id == account) return a.connector;
    }
  }
  return NotFound("no account " + account + " in organization " + organization);
}

Result<std::vector<AccountView>> Service::Accounts(const Caller& caller) {
  auto& s = *impl_;
  // Read before the plan lock: grants are the store's, not the plan's.
  auto grants = s.store_.ListGrants();
  if (!grants) return std::unexpected(grants.error());
  std::lock_guard lock(s.mu_);
  const policies::Policy* policy = s.policies_.PolicyOf(caller.organization);
  std::vector<AccountView> out;
  if (policy == nullptr) return out;
  Instant now = s.clock_.Now();
  for (const auto& account : policy->accounts) {
    AccountView v{account.id, account.platform, account.handle, account.timezone, {}, {}};
    if (const Governor* g = s.policies_.GovernorFor(account.id)) {
      const Timeline& tl = s.book_.TimelineOf(account.id);
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
        v.usage.push_back({scheduler::internal::DescribeCap(cap), static_cast<int>(tl.Count(from, to, bit, cap.preset)), cap.max});
      }
    }
    for (const auto& [id, p] : s.book_.posts()) {
      if (p.account() == account.id) ++v.posts_by_state[std::string(PostStateName(p.state()))];
    }
    v.connector = s.policies_.ConnectorOf(account.id);
    v.breaker = std::string(connectors::BreakerStateName(s.pauses_.Breaker(PauseKey::Account(account.id), now).state));
    v.connector_breaker =
        std::string(connectors::BreakerStateName(s.pauses_.Breaker(PauseKey::Connector(v.connector), now).state));
    if (const AccountPause* pause = s.PauseOf(account.id, now)) v.paused = *pause;
    for (const auto& g : *grants) {
      if (g.organization != caller.organization || g.account != account.id) continue;
      v.connection = AccountConnection{g.needs_reconnect.empty() ? "connected" : "needs_reconnect", g.expires_at,
                                       g.needs_reconnect};
      // A token inside its refresh window was not refreshed (none to refresh
      // it with, or the platform failing): it must be connected again before
      // it expires, and after that nothing is published.
      if (g.needs_reconnect.empty() && g.expires_at && *g.expires_at <= now) {
        v.connection->state = "expired";
        v.connection->why = "its access token expired at " + FormatRfc3339(*g.expires_at) +
                            " and was not refreshed; " + "a manager connects it again";
      } else if (g.needs_reconnect.empty() && g.expires_at && InRefreshWindow(g.updated_at, *g.expires_at, now)) {
        v.connection->state = "expires_soon";
      }
    }
    auto auth = account.connector.settings.find("auth");
    if (!v.connection && auth != account.connector.settings.end() && auth->second == "oauth") {
      v.connection = AccountConnection{"not_connected", std::nullopt, ""};
    }
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<scheduler::ClosedSpan>> Service::ClosedSpans(const Caller& caller, const std::string& account,
                                                                Instant from, Instant to) {
  if (to < from) return InvalidArgument("to is before from", Where{.path = "to"});
  if (to - from > std::chrono::days{62}) return InvalidArgument("at most 62 days at a time", Where{.path = "to"});
  std::lock_guard lock(impl_->mu_);
  auto g = impl_->policies_.AccountOf(caller.organization, account);
  if (!g) return std::unexpected(g.error());
  return scheduler::ClosedSpans((*g)->rules(), from, to);
}

Result<std::vector<Instant>> Service::Slots(const Caller& caller, const std::string& account, int count,
                                            std::optional<Instant> after) {
  auto& s = *impl_;
  if (count < 1 || count > 50) return InvalidArgument("count must be between 1 and 50", Where{.path = "count"});
  std::lock_guard lock(s.mu_);
  auto g = s.policies_.AccountOf(caller.organization, account);
  if (!g) return std::unexpected(g.error());
  Timeline tl = s.book_.TimelineOf(account);
  Instant t = std::max(after.value_or(s.clock_.Now()), s.clock_.Now());
  std::vector<Instant> out;
  for (int i = 0; i < count; ++i) {
    scheduler::PostRequest probe;
    probe.holder = scheduler::Holder::kProbe;
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
  auto it = impl_->policies_.orgs().find(caller.organization);
  if (it == impl_->policies_.orgs().end()) return NotFound("no policy for " + caller.organization);
  const auto& o = it->second;
  return PolicyView{caller.organization, o.policy.sha256, o.policy.source, o.loaded_at, o.errors};
}

Result<std::vector<AuditEntry>> Service::Audit(const Caller& caller, storage::AuditQuery query) {
  query.organization = caller.organization;
  return impl_->store_.ListAudit(query);
}

void Service::RecordPublish(const std::string& account, std::optional<double> lateness_seconds,
                            double latency_seconds, PublishOutcome outcome) {
  std::lock_guard lock(impl_->mu_);
  impl_->telemetry_.RecordPublish(impl_->policies_.ConnectorOf(account), lateness_seconds, latency_seconds, outcome);
}

void Service::Heartbeat(Instant now) {
  std::lock_guard lock(impl_->mu_);
  impl_->telemetry_.Heartbeat(now);
}

Health Service::CheckHealth(Duration max_silence) {
  Health h;
  if (auto r = impl_->store_.Ping(); !r) {
    h.ok = false;
    h.problems.push_back("storage unreachable: " + r.error().message());
  }
  std::lock_guard lock(impl_->mu_);
  if (auto problem = impl_->telemetry_.LoopProblem(impl_->clock_.Now(), max_silence)) {
    h.ok = false;
    h.problems.push_back(*problem);
  }
  return h;
}

Metrics Service::CurrentMetrics() {
  int64_t needing_reconnect = 0;
  if (auto grants = impl_->store_.ListGrants()) {
    Instant now = impl_->clock_.Now();
    for (const auto& g : *grants) {
      bool expired = g.expires_at && *g.expires_at <= now;
      needing_reconnect += g.needs_reconnect.empty() && !expired ? 0 : 1;
    }
  }
  auto pending_deliveries = impl_->store_.PendingDeliveries();
  Metrics m;
  {
    std::lock_guard lock(impl_->mu_);
    m = impl_->telemetry_.Snapshot();
  }
  AddInboxMetrics(m, impl_->clock_.Now());
  std::lock_guard lock(impl_->mu_);
  m.accounts_needing_reconnect = needing_reconnect;
  m.event_deliveries_pending = pending_deliveries.value_or(0);
  for (PostState st : {PostState::kPendingApproval, PostState::kScheduled, PostState::kPublishing,
                       PostState::kUnconfirmed}) {
    m.posts_by_state[std::string(PostStateName(st))] = 0;
  }
  for (const auto& [id, p] : impl_->book_.posts()) ++m.posts_by_state[std::string(PostStateName(p.state()))];
  Instant now = impl_->clock_.Now();
  for (const auto& [account, type] : impl_->policies_.connectors()) m.connectors[type];
  for (const auto& [key, view] : impl_->pauses_.OpenBreakers(now)) {
    if (key.kind == PauseKey::Kind::kConnector) {
      m.connectors[key.name].breaker_open = true;
    } else if (auto type = impl_->policies_.ConnectorOf(key.name); !type.empty()) {
      ++m.connectors[type].accounts_breaker_open;
    }
  }
  const auto& due = impl_->book_.due();
  if (!due.empty() && due.begin()->first < now) m.oldest_overdue_seconds = (now - due.begin()->first).count();
  return m;
}

}  // namespace herald::runtime
