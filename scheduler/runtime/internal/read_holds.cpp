#include "scheduler/runtime/internal/read_holds.h"

#include <algorithm>

namespace herald::runtime::internal {

ReadHolds::ReadHolds(Service& service, connectors::Backoff backoff) : service_(service), backoff_(backoff) {}

std::optional<Instant> ReadHolds::HeldUntil(const std::string& account, Instant now) {
  std::optional<Instant> held = service_.PausedUntil(account, now);
  std::lock_guard lock(mu_);
  auto it = held_until_.find(account);
  if (it != held_until_.end()) {
    if (it->second > now) {
      held = std::max(held.value_or(it->second), it->second);
    } else {
      held_until_.erase(it);
    }
  }
  return held;
}

Instant ReadHolds::PutOff(const std::string& account, std::optional<Instant> retry_at, Instant now, bool hold) {
  std::lock_guard lock(mu_);
  const int failures = ++failures_[account];
  const Instant until = std::max(retry_at.value_or(now + backoff_.Delay(failures, rng_)), now + std::chrono::seconds{1});
  if (hold) held_until_[account] = std::max(held_until_[account], until);
  return until;
}

void ReadHolds::Succeeded(const std::string& account, std::optional<Instant> hold_until) {
  std::lock_guard lock(mu_);
  failures_.erase(account);
  if (hold_until) held_until_[account] = std::max(held_until_[account], *hold_until);
}

bool PublishingBusy(Service& service, const std::function<int64_t()>& publishes_in_flight, Duration margin,
                    Instant now) {
  if (publishes_in_flight && publishes_in_flight() > 0) return true;
  auto next = service.NextDue();
  return next && *next <= now + margin;
}

}  // namespace herald::runtime::internal
