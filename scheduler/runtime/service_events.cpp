// The Service's events side (docs/events.md): the account events it records
// where pauses, breakers and refused credentials happen, and the caller's
// view of events and deliveries. Post events are recorded by the store with
// each post write.
#include <spdlog/spdlog.h>

#include "scheduler/runtime/internal/service_impl.h"
#include "scheduler/runtime/service.h"
#include "storage/event_payloads.h"

namespace herald::runtime {
namespace {

std::string UnixText(Instant t) { return std::to_string(t.time_since_epoch().count()); }

bool IsCredentialsRefusal(int status) { return status == 401 || status == 403; }

// The organisation, account and platform of an account, when a policy names it.
std::optional<storage::AccountFacts> FactsOf(const internal::PolicySet& policies, const std::string& account) {
  auto org = policies.OrganizationOf(account);
  if (!org) return std::nullopt;
  const policies::Policy* policy = policies.PolicyOf(*org);
  const policies::Account* a = policy != nullptr ? policy->FindAccount(account) : nullptr;
  return storage::AccountFacts{*org, account, a != nullptr ? a->platform : "", "", std::nullopt, "", std::nullopt};
}

// The accounts a pause holds: its account, or every account on its connector.
std::vector<storage::AccountFacts> PausedAccounts(const internal::PolicySet& policies, const internal::PauseKey& key) {
  std::vector<storage::AccountFacts> out;
  auto add = [&](const std::string& account) {
    if (auto facts = FactsOf(policies, account)) out.push_back(std::move(*facts));
  };
  if (key.kind == internal::PauseKey::Kind::kAccount) {
    add(key.name);
  } else {
    for (const auto& [account, connector] : policies.connectors())
      if (connector == key.name) add(account);
  }
  return out;
}

}  // namespace

void Service::Impl::RecordPauseEvents(const internal::PauseKey& key, const AccountPause& pause) {
  const bool breaker = pause.rule == "circuit_open";
  const EventType type = breaker ? EventType::kAccountBreakerOpen : EventType::kAccountPaused;
  std::vector<storage::Event> events;
  const Instant now = clock_.Now();
  for (storage::AccountFacts facts : PausedAccounts(policies_, key)) {
    facts.rule = pause.rule;
    facts.until = pause.until;
    facts.why = pause.why;
    events.push_back(storage::AccountEvent(type, facts, now, UnixText(pause.until)));
  }
  if (auto r = store_.RecordEvents(std::move(events)); !r) {
    spdlog::warn("events of the pause of {} not recorded: {}", key.Describe(), r.error().message());
  }
}

void Service::Impl::RecordCredentialsBroken(const std::string& account, int http_status, const std::string& why,
                                            const std::string& key) {
  if (!IsCredentialsRefusal(http_status)) return;
  auto facts = FactsOf(policies_, account);
  if (!facts) return;
  facts->why = why;
  facts->http_status = http_status;
  auto event = storage::AccountEvent(EventType::kAccountCredentialsBroken, *facts, clock_.Now(), key);
  if (auto r = store_.RecordEvents({event}); !r) {
    spdlog::warn("account.credentials_broken of {} not recorded: {}", account, r.error().message());
  }
}

void Service::ReportCredentialsRefused(const std::string& account, int http_status, const std::string& why,
                                       const std::string& key) {
  std::lock_guard lock(impl_->mu_);
  impl_->RecordCredentialsBroken(account, http_status, why, key);
}

void Service::RecordEventDelivery(const std::string& outcome) {
  std::lock_guard lock(impl_->mu_);
  impl_->telemetry_.RecordEventDelivery(outcome);
}

std::vector<policies::EventSubscription> Service::Subscriptions(const std::string& organization) {
  std::lock_guard lock(impl_->mu_);
  const policies::Policy* policy = impl_->policies_.PolicyOf(organization);
  if (policy == nullptr) return {};
  return policy->events;
}

Result<void> Service::RecordResumes(Instant now) {
  auto& s = *impl_;
  std::vector<storage::Event> events;
  {
    std::lock_guard lock(s.mu_);
    for (const auto& [key, pause] : s.pauses_.TakeEnded(now)) {
      // A breaker's pause ends in half-open: the account is tried again.
      for (storage::AccountFacts facts : PausedAccounts(s.policies_, key)) {
        facts.rule = pause.rule;
        facts.until = pause.until;
        facts.why = "the " + pause.rule + " pause ended";
        events.push_back(storage::AccountEvent(EventType::kAccountResumed, facts, now, UnixText(pause.until)));
      }
    }
  }
  return s.store_.RecordEvents(std::move(events));
}

Result<std::vector<storage::Event>> Service::Events(const Caller& caller, storage::EventQuery query) {
  query.organization = caller.organization;
  return impl_->store_.ListEvents(query);
}

Result<std::vector<storage::EventDelivery>> Service::Deliveries(const Caller& caller, storage::DeliveryQuery query) {
  query.organization = caller.organization;
  return impl_->store_.ListDeliveries(query);
}

Result<storage::EventDelivery> Service::RetryDelivery(const Caller& caller, int64_t id) {
  if (!internal::IsManager(caller.role)) {
    return Error(Code::kPermissionDenied, "only managers and admins may retry a delivery");
  }
  auto retried = impl_->store_.RetryDelivery(caller.organization, id, impl_->clock_.Now());
  if (retried) {
    (void)impl_->store_.AppendAudit({storage::AuditEntry{0, caller.organization, impl_->clock_.Now(), caller.name,
                                                         "event_delivery_retry", std::nullopt,
                                                         "{\"delivery\":" + std::to_string(id) + "}"}});
  }
  return retried;
}

}  // namespace herald::runtime
