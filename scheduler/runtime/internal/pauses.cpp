#include "scheduler/runtime/internal/pauses.h"

#include <algorithm>

namespace herald::runtime::internal {
namespace {

constexpr std::string_view kConnectorPrefix = "connector:";
constexpr std::string_view kAccountPrefix = "account:";

std::string BreakerKey(const PauseKey& key) {
  return std::string(key.kind == PauseKey::Kind::kConnector ? kConnectorPrefix : kAccountPrefix) + key.name;
}

}  // namespace

std::string PauseKey::StoreKey() const {
  return kind == Kind::kConnector ? std::string(kConnectorPrefix) + name : name;
}

PauseKey PauseKey::FromStoreKey(std::string_view key) {
  if (key.starts_with(kConnectorPrefix)) return Connector(std::string(key.substr(kConnectorPrefix.size())));
  return Account(std::string(key));
}

std::string PauseKey::Describe() const { return (kind == Kind::kConnector ? "connector " : "account ") + name; }

const AccountPause* Pauses::Of(const std::string& account, const std::string& connector, Instant now) const {
  const AccountPause* found = nullptr;
  for (const PauseKey& key : {PauseKey::Account(account), PauseKey::Connector(connector)}) {
    auto it = pauses_.find(key);
    if (it != pauses_.end() && it->second.until > now && (found == nullptr || it->second.until > found->until)) {
      found = &it->second;
    }
  }
  return found;
}

bool Pauses::Set(const PauseKey& key, const AccountPause& pause) {
  AccountPause& current = pauses_[key];
  if (current.until >= pause.until) return false;
  current = pause;
  return true;
}

bool Pauses::End(const PauseKey& key, const std::vector<std::string>& rules, Instant now) {
  auto it = pauses_.find(key);
  if (it == pauses_.end() || it->second.until <= now) return false;
  if (std::find(rules.begin(), rules.end(), it->second.rule) == rules.end()) return false;
  it->second.until = now;
  return true;
}

void Pauses::Load(const std::vector<storage::AccountPause>& stored) {
  for (const auto& p : stored) {
    AccountPause& current = pauses_[PauseKey::FromStoreKey(p.account)];
    if (current.until < p.until) current = {p.rule, p.until, p.why};
  }
}

std::vector<std::pair<PauseKey, AccountPause>> Pauses::TakeEnded(Instant now) {
  std::vector<std::pair<PauseKey, AccountPause>> out;
  for (const auto& [key, pause] : pauses_) {
    if (pause.until > now || pause.until == Instant{}) continue;
    auto [it, fresh] = ended_.emplace(key, pause.until);
    if (!fresh && it->second >= pause.until) continue;
    it->second = pause.until;
    out.push_back({key, pause});
  }
  return out;
}

std::optional<Instant> Pauses::Admit(const PauseKey& key, Instant now) { return breakers_.Admit(BreakerKey(key), now); }

bool Pauses::RecordFailure(const PauseKey& key, Instant now, const std::string& why) {
  return breakers_.RecordFailure(BreakerKey(key), now, why);
}

void Pauses::RecordSuccess(const PauseKey& key) { breakers_.RecordSuccess(BreakerKey(key)); }

connectors::BreakerView Pauses::Breaker(const PauseKey& key, Instant now) const {
  return breakers_.View(BreakerKey(key), now);
}

std::vector<std::pair<PauseKey, connectors::BreakerView>> Pauses::OpenBreakers(Instant now) const {
  std::vector<std::pair<PauseKey, connectors::BreakerView>> out;
  for (const auto& [key, view] : breakers_.All(now)) {
    if (view.state != connectors::BreakerState::kOpen) continue;
    if (key.starts_with(kConnectorPrefix)) {
      out.push_back({PauseKey::Connector(key.substr(kConnectorPrefix.size())), view});
    } else if (key.starts_with(kAccountPrefix)) {
      out.push_back({PauseKey::Account(key.substr(kAccountPrefix.size())), view});
    }
  }
  return out;
}

AccountPause Pauses::BreakerPause(const PauseKey& key, Instant until, Instant now) const {
  auto view = breakers_.View(BreakerKey(key), now);
  return {"circuit_open", until,
          "circuit breaker of " + key.Describe() + " open after " + std::to_string(view.consecutive_failures) +
              " failures in a row (last: " + view.last_failure + ")"};
}

}  // namespace herald::runtime::internal
