// Exponential backoff with full jitter and a bound, for retrying a publish that
// failed for a passing reason (5xx, a dropped connection before sending).
// Attempt n (1-based) waits a uniformly random time in
// [base * 2^(n-1) / 2, base * 2^(n-1)], capped at `max`; after `max_attempts`
// the caller gives up. Pure apart from the random source it is given.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>

#include "core/time.h"

namespace herald::connectors {

struct Backoff {
  Duration base{std::chrono::seconds{5}};
  Duration max{std::chrono::minutes{30}};
  int max_attempts = 8;

  // REQUIRES: attempt >= 1. Whole seconds, at least one.
  template <typename Rng>
  Duration Delay(int attempt, Rng& rng) const {
    int64_t ceiling = base.count();
    for (int i = 1; i < attempt && ceiling < max.count(); ++i) ceiling *= 2;
    ceiling = std::min<int64_t>(ceiling, max.count());
    std::uniform_int_distribution<int64_t> pick(std::max<int64_t>(1, ceiling / 2), std::max<int64_t>(1, ceiling));
    return Duration{pick(rng)};
  }
};

}  // namespace herald::connectors
