// Clock: wall time for the service and the runtime. The real one lives in the
// composition root (cli/); tests use a fake that moves only when told.
//
// Implementations must be thread-safe: the HTTP server's threads and the
// runtime's event loop read the same clock.
#pragma once

#include <chrono>

#include "core/time.h"

namespace herald {

class Clock {
 public:
  virtual ~Clock() = default;
  // Whole seconds (the governor's resolution).
  virtual Instant Now() const = 0;
  // With sub-second precision, for arming timers.
  virtual std::chrono::system_clock::time_point NowPrecise() const { return Now(); }
};

}  // namespace herald
