// A clock for tests that moves only when told, to the nanosecond. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>

#include "core/clock.h"

namespace herald::testing {

class FakeClock : public Clock {
 public:
  explicit FakeClock(Instant start) { Set(start); }
  Instant Now() const override { return std::chrono::floor<std::chrono::seconds>(NowPrecise()); }
  std::chrono::system_clock::time_point NowPrecise() const override {
    return std::chrono::system_clock::time_point{
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds{ns_.load()})};
  }
  template <class D>
  void Set(std::chrono::time_point<std::chrono::system_clock, D> t) {
    ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  }
  template <class R, class P>
  void Advance(std::chrono::duration<R, P> d) {
    ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  }

 private:
  std::atomic<long long> ns_{0};
};

}  // namespace herald::testing
