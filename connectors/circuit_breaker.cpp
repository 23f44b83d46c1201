#include "connectors/circuit_breaker.h"

#include <algorithm>

namespace herald::connectors {

std::string_view BreakerStateName(BreakerState s) {
  switch (s) {
    case BreakerState::kClosed: return "closed";
    case BreakerState::kOpen: return "open";
    case BreakerState::kHalfOpen: return "half_open";
  }
  return "closed";
}

std::optional<Instant> CircuitBreakers::Admit(const std::string& key, Instant now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  Entry& e = it->second;
  if (!e.open_until) return std::nullopt;
  if (now < *e.open_until) return e.open_until;
  if (e.trial_out) return now + std::chrono::seconds{1};  // someone else is the trial
  e.trial_out = true;
  return std::nullopt;
}

bool CircuitBreakers::RecordFailure(const std::string& key, Instant now, const std::string& why) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[key];
  e.last_failure = why;
  ++e.failures;
  bool half_open = e.open_until.has_value();
  if (!half_open && e.failures < options_.threshold) return false;
  // Opening (or re-opening after a failed trial): longer each time in a row.
  Duration wait = options_.open_for;
  for (int i = 0; i < e.openings_in_a_row && wait < options_.max_open_for; ++i) wait *= 2;
  wait = std::min(wait, options_.max_open_for);
  ++e.openings_in_a_row;
  ++e.times_opened;
  e.open_until = now + wait;
  e.trial_out = false;
  return true;
}

void CircuitBreakers::RecordSuccess(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  e.failures = 0;
  e.openings_in_a_row = 0;
  e.open_until.reset();
  e.trial_out = false;
}

BreakerView CircuitBreakers::ViewOf(const Entry& e, Instant now) const {
  BreakerView v;
  v.consecutive_failures = e.failures;
  v.last_failure = e.last_failure;
  v.times_opened = e.times_opened;
  if (e.open_until) {
    v.state = now < *e.open_until ? BreakerState::kOpen : BreakerState::kHalfOpen;
    if (v.state == BreakerState::kOpen) v.open_until = e.open_until;
  }
  return v;
}

BreakerView CircuitBreakers::View(const std::string& key, Instant now) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? BreakerView{} : ViewOf(it->second, now);
}

std::map<std::string, BreakerView> CircuitBreakers::All(Instant now) const {
  std::lock_guard lock(mu_);
  std::map<std::string, BreakerView> out;
  for (const auto& [k, e] : entries_) out[k] = ViewOf(e, now);
  return out;
}

}  // namespace herald::connectors
