// Closed spans: the times an account's calendar rules (quiet hours, posting
// days, blackouts) allow nothing, over a range, with the reason the governor
// would give. The console shades them; a script can ask before choosing a time.
// Pure: no clock, no I/O; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "core/time.h"
#include "policies/resolve.h"

namespace herald::scheduler {

struct ClosedSpan {
  Instant from;
  Instant until;     // exclusive
  std::string rule;  // "quiet_hours" | "days" | "blackout", as in a decision's reasons
  std::string why;   // "21:00-08:00", "sun is not a posting day", the blackout's reason
};

// The spans inside [from, to) in which `rules` forbid every post, sorted by
// `from`; spans of different rules may overlap. Local times are turned into
// instants by the zone's rule for gaps and repeats (core/time.h).
// REQUIRES: from <= to.
std::vector<ClosedSpan> ClosedSpans(const policies::AccountRules& rules, Instant from, Instant to);

}  // namespace herald::scheduler
