// PolicySet: the active policy of every organisation, and what it says about
// each account (its governor, its organisation, its connector type).
//
// Not thread-safe: the Service holds it under its plan mutex.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "policies/policy.h"
#include "scheduler/governor.h"
#include "scheduler/planner.h"

namespace herald::runtime::internal {

// How far back published posts still count against the account's rules when
// a post is placed now or later: its longest rule window (a rolling cap's
// window; a local day, ISO week or month for a calendar cap, with an hour for
// a day that DST lengthens; min_spacing; a mix's `over`; the duplicate
// window; ramp-up caps), plus missed_after, since a due post is re-checked at
// a planned time up to that far in the past.
Duration HistoryWindow(const policies::AccountRules& rules);

// One organisation's policy as the daemon holds it.
struct OrgPolicy {
  policies::Policy policy;
  Instant loaded_at;                // when this version (by sha256) was first installed
  std::vector<std::string> errors;  // the last reload's errors for its file; empty when clean
};

class PolicySet {
 public:
  // Replaces every account's rules with those of `policies`; an organisation
  // whose policy changed (by sha256) is stamped as loaded at `now`. An
  // organisation missing from `policies` keeps its entry in orgs() but no accounts.
  void Install(std::vector<policies::Policy> policies, Instant now);

  // nullptr when no policy names the account.
  const scheduler::Governor* GovernorFor(const std::string& account) const;
  // The account's governor if it belongs to `organization`; NotFound otherwise
  // (another organisation's account must look like no account at all).
  Result<const scheduler::Governor*> AccountOf(const std::string& organization, const std::string& account) const;
  const policies::Policy* PolicyOf(const std::string& organization) const;
  std::optional<std::string> OrganizationOf(const std::string& account) const;
  // The connector type that publishes for the account; empty when unknown.
  std::string ConnectorOf(const std::string& account) const;
  // The organisation's history: the longest HistoryWindow of its accounts
  // (zero when no policy names it).
  Duration HistoryOf(const std::string& organization) const;
  // The longest history of any organisation.
  Duration LongestHistory() const;

  std::map<std::string, OrgPolicy>& orgs() { return orgs_; }
  const std::map<std::string, OrgPolicy>& orgs() const { return orgs_; }
  // account -> organisation
  const std::map<std::string, std::string>& accounts() const { return org_of_account_; }
  // account -> connector type
  const std::map<std::string, std::string>& connectors() const { return connector_of_account_; }
  // The planner over every account's governor: the daemon's re-plan.
  const scheduler::Planner& planner() const { return planner_; }

 private:
  std::map<std::string, OrgPolicy> orgs_;                    // by organisation
  scheduler::Planner planner_{{}};                           // owns the governors, by account
  std::map<std::string, std::string> org_of_account_;
  std::map<std::string, std::string> connector_of_account_;
  std::map<std::string, Duration> history_;  // by organisation
};

}  // namespace herald::runtime::internal
