#include "scheduler/runtime/internal/policy_set.h"

#include <algorithm>

#include "policies/resolve.h"

namespace herald::runtime::internal {
namespace {

Duration WindowOf(const policies::Cap& cap) {
  using namespace std::chrono;
  using Unit = policies::Cap::Unit;
  switch (cap.unit) {
    case Unit::kRolling:
      return cap.window;
    case Unit::kDay:
      return days{1} + hours{1};
    case Unit::kWeek:
      return days{7} + hours{1};
    case Unit::kMonth:
      return days{31} + hours{1};
  }
  return days{31} + hours{1};
}

}  // namespace

Duration HistoryWindow(const policies::AccountRules& rules) {
  Duration longest = rules.min_spacing;
  for (const auto& cap : rules.caps) longest = std::max(longest, WindowOf(cap));
  if (rules.ramp_up) {
    for (const auto& cap : rules.ramp_up->caps) longest = std::max(longest, WindowOf(cap));
  }
  for (const auto& mix : rules.mix) longest = std::max(longest, mix.over);
  if (rules.content.duplicate_window) longest = std::max(longest, *rules.content.duplicate_window);
  return longest + rules.missed_after;
}

void PolicySet::Install(std::vector<policies::Policy> policies, Instant now) {
  std::map<std::string, scheduler::Governor> governors;
  org_of_account_.clear();
  connector_of_account_.clear();
  history_.clear();
  for (auto& p : policies) {
    Duration& history = history_[p.organization];
    for (auto& [id, rules] : policies::ResolveAll(p)) {
      history = std::max(history, HistoryWindow(rules));
      governors.emplace(id, scheduler::Governor(std::move(rules)));
      org_of_account_[id] = p.organization;
    }
    for (const auto& a : p.accounts) connector_of_account_[a.id] = a.connector.type.empty() ? a.platform : a.connector.type;
    std::string org = p.organization;
    auto& slot = orgs_[org];
    if (slot.policy.sha256 != p.sha256 || slot.policy.organization.empty()) slot.loaded_at = now;
    slot.policy = std::move(p);
  }
  planner_ = scheduler::Planner(std::move(governors));
}

const scheduler::Governor* PolicySet::GovernorFor(const std::string& account) const {
  return planner_.FindGovernor(account);
}

Result<const scheduler::Governor*> PolicySet::AccountOf(const std::string& organization,
                                                        const std::string& account) const {
  auto org = org_of_account_.find(account);
  if (org == org_of_account_.end() || org->second != organization) {
    return NotFound("unknown account \"" + account + "\"", Where{.path = "account"});
  }
  return GovernorFor(account);
}

const policies::Policy* PolicySet::PolicyOf(const std::string& organization) const {
  auto it = orgs_.find(organization);
  return it == orgs_.end() ? nullptr : &it->second.policy;
}

std::optional<std::string> PolicySet::OrganizationOf(const std::string& account) const {
  auto it = org_of_account_.find(account);
  if (it == org_of_account_.end()) return std::nullopt;
  return it->second;
}

Duration PolicySet::HistoryOf(const std::string& organization) const {
  auto it = history_.find(organization);
  return it == history_.end() ? Duration{0} : it->second;
}

Duration PolicySet::LongestHistory() const {
  Duration longest{0};
  for (const auto& [org, d] : history_) longest = std::max(longest, d);
  return longest;
}

std::string PolicySet::ConnectorOf(const std::string& account) const {
  auto it = connector_of_account_.find(account);
  return it == connector_of_account_.end() ? std::string() : it->second;
}

}  // namespace herald::runtime::internal
