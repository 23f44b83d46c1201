#include "scheduler/internal/describe.h"

#include <cmath>
#include <cstdio>

namespace herald::scheduler::internal {
namespace {

using namespace std::chrono;

const char* const kDayNames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::string Two(int v) {
  if (v >= 0 && v < 100) return {static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10)};
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

std::string Date(LocalDays d) {
  year_month_day ymd{d};
  return std::to_string(static_cast<int>(ymd.year())) + "-" + Two(static_cast<unsigned>(ymd.month())) + "-" +
         Two(static_cast<unsigned>(ymd.day()));
}

std::string Wall(LocalTime t) {
  LocalDays d = floor<days>(t);
  auto m = duration_cast<minutes>(t - d).count();
  return Date(d) + "T" + Two(static_cast<int>(m / 60)) + ":" + Two(static_cast<int>(m % 60));
}

}  // namespace

std::string DescribeCap(const policies::Cap& cap) {
  std::string per;
  switch (cap.unit) {
    case policies::Cap::Unit::kRolling: per = FormatDuration(cap.window); break;
    case policies::Cap::Unit::kDay: per = "day"; break;
    case policies::Cap::Unit::kWeek: per = "week"; break;
    case policies::Cap::Unit::kMonth: per = "month"; break;
  }
  std::string out = std::to_string(cap.max) + " per " + per;
  if (!cap.label.empty()) out += " [" + cap.label + "]";
  if (cap.preset) {
    std::string name = cap.origin.starts_with("preset ") ? cap.origin.substr(7) : cap.origin;
    out = name + ": " + out;
  }
  return out;
}

std::string DescribePeriod(policies::Cap::Unit unit, LocalDays start) {
  switch (unit) {
    case policies::Cap::Unit::kWeek: return "week of " + Date(start);
    case policies::Cap::Unit::kMonth: return Date(start).substr(0, 7);
    default: return Date(start);
  }
}

std::string DescribeClockRange(const policies::ClockRange& r) {
  return Two(r.from_minute / 60) + ":" + Two(r.from_minute % 60) + "-" + Two(r.to_minute / 60) + ":" +
         Two(r.to_minute % 60);
}

std::string DescribeDays(const policies::WeekdaySet& days, int today) {
  std::string allowed;
  for (int i = 0; i < 7; ++i) {
    if (!days.test(i)) continue;
    if (!allowed.empty()) allowed += ",";
    allowed += kDayNames[i];
  }
  return std::string(kDayNames[today]) + " is not a posting day (" + allowed + ")";
}

std::string DescribeBlackout(const policies::AccountRules::BlackoutSpan& b, const Zone& zone) {
  std::string out = Wall(zone.ToLocal(b.from)) + " to " + Wall(zone.ToLocal(b.to));
  if (!b.reason.empty()) out += " (" + b.reason + ")";
  return out;
}

std::string DescribeLocal(Instant t, const Zone& zone) { return Wall(zone.ToLocal(t)) + " " + zone.name(); }

std::string DescribeMix(const policies::Mix& m) {
  long pct = std::lround(m.max_share * 100);
  return m.label + " at most " + std::to_string(pct) + "% of posts over " + FormatDuration(m.over);
}

}  // namespace herald::scheduler::internal
