// What `herald serve` sets up about its own process: the real clock (the only
// place that knows it), logging (text or JSON lines on stderr), the name its
// claims carry, and the open-file limit its connections need.
#pragma once

#include <chrono>
#include <string>

#include "core/clock.h"
#include "policies/server_config.h"

namespace herald::cli {

class SystemClock : public Clock {
 public:
  Instant Now() const override { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }
  std::chrono::system_clock::time_point NowPrecise() const override { return std::chrono::system_clock::now(); }
};

// The default logger: stderr, the config's level, `log.format` text or json
// (one object per line, the message escaped).
void SetUpLogging(const policies::ServerConfig& config);

// This process as named in its claims: host, pid and a random part (a pid is
// reused after a restart; the claims of the dead process must not look ours).
std::string ProcessName();

// Lifts the soft limit on open files to the hard one: each API connection is a
// descriptor, and a soft limit of 1024 (a common default) is below what
// limits.max_connections allows.
void RaiseOpenFileLimit();

}  // namespace herald::cli
