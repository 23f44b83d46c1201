// EngagementSchedule: when herald reads a published post's engagement back.
// The reads thin out with the post's age: by default 1 h, 6 h, 24 h, 3 d and
// 7 d after it was published; the last read is the last (docs/engagement.md).
//
// Pure value type and function; no clock is read here.
#pragma once

#include <optional>
#include <vector>

#include "core/time.h"

namespace herald::scheduler {

struct EngagementSchedule {
  // Ages (time since publishing) of the reads: each longer than 0 and than
  // the one before. Empty: nothing is read.
  std::vector<Duration> ages;

  static EngagementSchedule Default();
  // How long after publishing herald keeps reading: the last age (0 when empty).
  Duration span() const { return ages.empty() ? Duration{0} : ages.back(); }
};

// One read to make: the schedule point (an index into `ages`) and when.
struct DueRead {
  int point = 0;
  Instant at;
  friend bool operator==(const DueRead&, const DueRead&) = default;
};

// The next read of a post published at `published_at` whose points up to
// `last_point` are done (nullopt: none yet), as seen at `now`: nullopt when
// none is left. Points whose time passed while nobody read (the daemon was
// down) collapse into the latest of them, so a late read is not filed under
// an age it does not have. The result may lie in the future (not due yet).
std::optional<DueRead> NextEngagementRead(const EngagementSchedule& schedule, Instant published_at,
                                          std::optional<int> last_point, Instant now);

}  // namespace herald::scheduler
