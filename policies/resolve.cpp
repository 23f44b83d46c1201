#include "policies/resolve.h"

#include <algorithm>

namespace herald::policies {

namespace {

// The most specific level that sets a field wins (account > platform > default).
template <class T>
std::optional<T> Pick(std::optional<T> RuleSet::*field, const RuleSet* account, const RuleSet* platform,
                      const RuleSet& defaults) {
  if (account && (account->*field)) return account->*field;
  if (platform && (platform->*field)) return platform->*field;
  return defaults.*field;
}

// X's 24h cap of the API tier the connector names (platforms.md, "Posting caps").
std::optional<Cap> XTierCap(const Account& account) {
  if (account.platform != "x") return std::nullopt;
  auto tier = account.connector.settings.find("tier");
  if (tier == account.connector.settings.end()) return std::nullopt;
  int max = tier->second == "free" ? 17 : tier->second == "basic" ? 100 : 0;
  if (max == 0) return std::nullopt;
  Cap cap;
  cap.max = max;
  cap.window = std::chrono::hours{24};
  cap.origin = "preset x tier " + tier->second;
  cap.preset = true;
  return cap;
}

AccountRules Resolve(const Policy& policy, const Account& account) {
  const Frequency& f = policy.frequency;
  const RuleSet* by_account = nullptr;
  const RuleSet* by_platform = nullptr;
  if (auto it = f.accounts.find(account.id); it != f.accounts.end()) by_account = &it->second;
  if (auto it = f.platforms.find(account.platform); it != f.platforms.end()) by_platform = &it->second;

  AccountRules rules;
  rules.account = account.id;
  rules.platform = account.platform;
  if (auto zone = Zone::Find(account.timezone.empty() ? policy.timezone : account.timezone)) rules.zone = *zone;

  rules.caps = Pick(&RuleSet::caps, by_account, by_platform, f.defaults).value_or(std::vector<Cap>{});
  rules.min_spacing = Pick(&RuleSet::min_spacing, by_account, by_platform, f.defaults).value_or(Duration{0});
  rules.quiet_hours = Pick(&RuleSet::quiet_hours, by_account, by_platform, f.defaults).value_or(std::vector<ClockRange>{});
  rules.days = Pick(&RuleSet::days, by_account, by_platform, f.defaults).value_or(WeekdaySet{}.set());
  for (const Blackout& b : Pick(&RuleSet::blackouts, by_account, by_platform, f.defaults).value_or(std::vector<Blackout>{}))
    rules.blackouts.push_back({rules.zone.ToInstant(b.from), rules.zone.ToInstant(b.to), b.reason});
  std::stable_sort(rules.blackouts.begin(), rules.blackouts.end(),
                   [](const auto& a, const auto& b) { return a.from < b.from; });

  const PlatformPreset* preset = FindPreset(account.platform);
  if (preset) {
    rules.caps.insert(rules.caps.end(), preset->caps.begin(), preset->caps.end());
    rules.length = preset->length;
    rules.needs_media = preset->needs_media;
  }
  if (auto tier = XTierCap(account)) rules.caps.push_back(*tier);
  if (account.platform == "mastodon") {
    auto max_characters = account.connector.settings.find("max_characters");
    if (max_characters != account.connector.settings.end()) {
      for (LengthRule& rule : rules.length)
        if (rule.unit == LengthUnit::kGraphemes) rule.max = std::stoi(max_characters->second);
    }
  }

  if (f.ramp_up && account.opened) {
    Instant begin = rules.zone.ToInstant(LocalTime(LocalDays(*account.opened)));
    rules.ramp_up = AccountRules::RampUpWindow{begin, begin + f.ramp_up->period, f.ramp_up->caps, f.ramp_up->forbid_labels};
  }
  rules.mix = f.mix;
  rules.max_delay = f.max_delay;
  rules.missed_after = f.missed_after;
  rules.content = policy.content;
  return rules;
}

}  // namespace

std::map<std::string, AccountRules> ResolveAll(const Policy& policy) {
  std::map<std::string, AccountRules> all;
  for (const Account& account : policy.accounts) all.emplace(account.id, Resolve(policy, account));
  return all;
}

}  // namespace herald::policies
