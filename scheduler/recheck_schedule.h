// RecheckSchedule: when herald asks a platform again about a post left
// `unconfirmed` (neither the publish nor the lookup after it could say whether
// it arrived). The checks thin out with the post's age: by default 1 min,
// 5 min, 15 min, 1 h, 6 h, 12 h and 24 h after it became unconfirmed; the last
// check is the last: after it herald gives up and the post stays unconfirmed
// for good (docs/daemon.md, "Unconfirmed posts").
//
// Pure value type and functions; no clock is read here.
#pragma once

#include <optional>
#include <vector>

#include "core/time.h"

namespace herald::scheduler {

struct RecheckSchedule {
  // Ages (time since the post became unconfirmed) at which it is checked:
  // each longer than 0 and than the one before. Empty: never re-checked.
  std::vector<Duration> ages;

  static RecheckSchedule Default();
  bool enabled() const { return !ages.empty(); }
  // How long herald keeps asking: the last age (0 when disabled).
  Duration span() const { return ages.empty() ? Duration{0} : ages.back(); }
};

// The first scheduled check of a post unconfirmed since `since` that comes
// strictly after `after`; nullopt when none is left (herald gives up). Checks
// missed while the daemon was down collapse into one: after a check at `now`,
// the next is the first age past now, not the next in the list.
std::optional<Instant> NextRecheck(const RecheckSchedule& schedule, Instant since, Instant after);

}  // namespace herald::scheduler
