#include "scheduler/closed_spans.h"

#include <algorithm>

#include "scheduler/internal/describe.h"

namespace herald::scheduler {

std::vector<ClosedSpan> ClosedSpans(const policies::AccountRules& rules, Instant from, Instant to) {
  using namespace std::chrono;
  std::vector<ClosedSpan> out;
  auto add = [&](Instant a, Instant b, std::string rule, std::string why) {
    a = std::max(a, from);
    b = std::min(b, to);
    if (a < b) out.push_back({a, b, std::move(rule), std::move(why)});
  };
  const Zone& zone = rules.zone;
  // A day before and after: a quiet range from the evening before reaches in.
  LocalDays first = floor<days>(zone.ToLocal(from)) - days{1};
  LocalDays last = floor<days>(zone.ToLocal(to)) + days{1};
  for (LocalDays day = first; day <= last; day += days{1}) {
    int weekday = IsoWeekdayIndex(day);
    if (!rules.days.test(weekday)) {
      add(zone.ToInstant(LocalTime{day}), zone.ToInstant(LocalTime{day + days{1}}), "days",
          internal::DescribeDays(rules.days, weekday));
    }
    for (const auto& q : rules.quiet_hours) {
      LocalTime begin = LocalTime{day} + minutes{q.from_minute};
      LocalTime end = LocalTime{q.from_minute < q.to_minute ? day : day + days{1}} + minutes{q.to_minute};
      add(zone.ToInstant(begin), zone.ToInstant(end), "quiet_hours", internal::DescribeClockRange(q));
    }
  }
  for (const auto& b : rules.blackouts) add(b.from, b.to, "blackout", internal::DescribeBlackout(b, zone));
  std::stable_sort(out.begin(), out.end(), [](const ClosedSpan& a, const ClosedSpan& b) { return a.from < b.from; });
  return out;
}

}  // namespace herald::scheduler
