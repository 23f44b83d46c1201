// Words for the governor's reasons: how a rule reads to the person who has to act
// on it. Internal to scheduler/.
#pragma once

#include <string>

#include "core/time.h"
#include "policies/policy.h"
#include "policies/resolve.h"

namespace herald::scheduler::internal {

std::string DescribeCap(const policies::Cap& cap);                 // "3 per day", "1 per 2h [promotional]", "x: 200 per 15m"
std::string DescribePeriod(policies::Cap::Unit unit, LocalDays start);  // "2026-12-01", "week of 2026-11-30", "2026-12"
std::string DescribeClockRange(const policies::ClockRange& r);      // "21:00-08:00"
std::string DescribeDays(const policies::WeekdaySet& days, int today);  // "sun is not a posting day"
std::string DescribeBlackout(const policies::AccountRules::BlackoutSpan& b, const Zone& zone);
std::string DescribeLocal(Instant t, const Zone& zone);             // "2026-12-27T00:00 Europe/Berlin"
std::string DescribeMix(const policies::Mix& m);                    // "promotional at most 20% over 7d"

}  // namespace herald::scheduler::internal
