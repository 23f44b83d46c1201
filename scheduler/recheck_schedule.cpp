#include "scheduler/recheck_schedule.h"

namespace herald::scheduler {

using namespace std::chrono;

RecheckSchedule RecheckSchedule::Default() {
  return {{minutes{1}, minutes{5}, minutes{15}, hours{1}, hours{6}, hours{12}, hours{24}}};
}

std::optional<Instant> NextRecheck(const RecheckSchedule& schedule, Instant since, Instant after) {
  for (Duration age : schedule.ages) {
    if (since + age > after) return since + age;
  }
  return std::nullopt;
}

}  // namespace herald::scheduler
