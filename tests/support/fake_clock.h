// A clock for tests that moves only when told. Thread-safe.
#pragma once

#include <atomic>

#include "core/clock.h"

namespace herald::testing {

class FakeClock : public Clock {
 public:
  explicit FakeClock(Instant start) : now_(start.time_since_epoch().count()) {}
  Instant Now() const override { return Instant{std::chrono::seconds{now_.load()}}; }
  void Set(Instant t) { now_ = t.time_since_epoch().count(); }
  void Advance(Duration d) { now_ += d.count(); }

 private:
  std::atomic<long long> now_;
};

}  // namespace herald::testing
