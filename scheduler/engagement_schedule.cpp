#include "scheduler/engagement_schedule.h"

namespace herald::scheduler {

using namespace std::chrono;

EngagementSchedule EngagementSchedule::Default() { return {{hours{1}, hours{6}, hours{24}, days{3}, days{7}}}; }

std::optional<DueRead> NextEngagementRead(const EngagementSchedule& schedule, Instant published_at,
                                          std::optional<int> last_point, Instant now) {
  const int n = static_cast<int>(schedule.ages.size());
  int point = last_point ? *last_point + 1 : 0;
  if (point < 0) point = 0;
  if (point >= n) return std::nullopt;
  while (point + 1 < n && published_at + schedule.ages[static_cast<size_t>(point + 1)] <= now) ++point;
  return DueRead{point, published_at + schedule.ages[static_cast<size_t>(point)]};
}

}  // namespace herald::scheduler
