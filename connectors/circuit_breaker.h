// CircuitBreaker: stops sending to a platform (or one account on it) that keeps
// failing, instead of hammering it. Closed: requests pass; `threshold`
// consecutive failures open it for `open_for`, doubled on each re-opening up
// to `max_open_for`. When that time is over it is half-open: one request goes
// through; success closes it, failure opens it again for longer.
//
// What counts as a failure is the caller's choice (herald: transient errors and
// unknown outcomes; not rate limits, which have their own signal, nor a
// platform refusing one post). Time is passed in; no clock is read.
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/time.h"

namespace herald::connectors {

struct BreakerOptions {
  int threshold = 5;
  Duration open_for{std::chrono::seconds{60}};
  Duration max_open_for{std::chrono::minutes{30}};
};

enum class BreakerState { kClosed, kOpen, kHalfOpen };
std::string_view BreakerStateName(BreakerState s);  // "closed", "open", "half_open"

struct BreakerView {
  BreakerState state = BreakerState::kClosed;
  int consecutive_failures = 0;
  std::optional<Instant> open_until;  // kOpen
  std::string last_failure;
  int64_t times_opened = 0;
};

// Breakers by key ("account:acme/acme-mastodon", "platform:mastodon").
class CircuitBreakers {
 public:
  explicit CircuitBreakers(BreakerOptions options = {}) : options_(options) {}

  // nullopt: go ahead (half-open: this caller is the one trial). Otherwise the
  // instant before which nothing may be sent.
  std::optional<Instant> Admit(const std::string& key, Instant now);
  // Returns true when this failure opened the breaker.
  bool RecordFailure(const std::string& key, Instant now, const std::string& why);
  void RecordSuccess(const std::string& key);

  BreakerView View(const std::string& key, Instant now) const;
  std::map<std::string, BreakerView> All(Instant now) const;

 private:
  struct Entry {
    int failures = 0;
    int openings_in_a_row = 0;
    std::optional<Instant> open_until;
    bool trial_out = false;  // half-open and the trial request is in flight
    std::string last_failure;
    int64_t times_opened = 0;
  };
  BreakerView ViewOf(const Entry& e, Instant now) const;

  BreakerOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace herald::connectors
