// Time for herald: instants, durations, RFC 3339 and IANA time zones.
//
// Time is kept in whole seconds. An Instant is a UTC point (sys_seconds); a
// LocalTime is a wall-clock reading in some zone (local_seconds). Zones come from
// the operating system's tz database (Howard Hinnant's date/tz with USE_OS_TZDB).
//
// Local -> UTC rule (documented, tested; the same as RFC 5545 and JavaScript
// Temporal's "compatible" disambiguation):
//   * a local time that exists once maps to its instant;
//   * a local time that exists twice (clocks went back) maps to the EARLIER
//     instant, i.e. the first time the wall clock shows it;
//   * a local time that does not exist (clocks went forward) is read with the
//     offset in force BEFORE the gap, which lands the same distance past the gap's
//     end (02:30 on a New York spring-forward day is 03:30 EDT).
// Both cases are "the wall time read with the offset before the transition".
//
// All functions are pure and thread-safe; Zone is a cheap handle to immutable
// tz data that lives for the whole process.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/status.h"

namespace date {
class time_zone;
}

namespace herald {

using Instant = std::chrono::sys_seconds;
using LocalTime = std::chrono::local_seconds;
using LocalDays = std::chrono::local_days;
using Duration = std::chrono::seconds;

// Parses "30s", "45m", "2h", "14d", "1w": a non-negative integer and one unit.
// InvalidArgument names what is wrong ("unknown unit \"hr\"").
Result<Duration> ParseDuration(std::string_view text);

// The shortest exact form, largest units first: 4500s -> "1h15m", 0 -> "0s",
// 90000s -> "1d1h". Negative durations get a leading '-'.
std::string FormatDuration(Duration d);

// Parses an RFC 3339 date-time that carries an offset ("Z" or "+hh:mm"), e.g.
// 2026-12-01T09:00:00+01:00. Fractional seconds are accepted and truncated
// toward the earlier second. A time without offset is InvalidArgument.
Result<Instant> ParseRfc3339(std::string_view text);

// "2026-12-01T08:00:00Z".
std::string FormatRfc3339(Instant t);

class Zone;
// The instant as a wall time in `zone` with its offset: "2026-12-01T09:00:00+01:00".
std::string FormatRfc3339(Instant t, const Zone& zone);

// Parses "YYYY-MM-DD" (a valid calendar date).
Result<std::chrono::year_month_day> ParseDate(std::string_view text);

// Parses a local date-time without offset, "YYYY-MM-DDTHH:MM" or with ":SS".
Result<LocalTime> ParseLocalDateTime(std::string_view text);

// Parses "HH:MM" in 00:00..23:59 (and "24:00" when allow_24 is set) into minutes
// since midnight.
Result<int> ParseClock(std::string_view text, bool allow_24 = false);

class Zone {
 public:
  // Looks up an IANA zone name ("Europe/Berlin"); NotFound for unknown names.
  static Result<Zone> Find(std::string_view name);
  static Zone Utc();

  const std::string& name() const;

  // Wall-clock reading of an instant.
  LocalTime ToLocal(Instant t) const;
  // The instant of a wall-clock reading, by the rule in this header's comment.
  Instant ToInstant(LocalTime local) const;

  // The UTC offset in force at t, and the half-open range [begin, end) of
  // instants over which it stays in force (for callers that cache it).
  struct OffsetSpan {
    Duration offset;
    Instant begin;
    Instant end;
  };
  OffsetSpan OffsetAt(Instant t) const;

  // What a wall-clock reading is in this zone.
  enum class LocalKind { kUnique, kNonexistent, kAmbiguous };
  LocalKind Classify(LocalTime local) const;

  friend bool operator==(const Zone& a, const Zone& b) { return a.tz_ == b.tz_; }

 private:
  explicit Zone(const date::time_zone* tz) : tz_(tz) {}
  const date::time_zone* tz_;
};

// ISO weekday of a local date: Monday = 0 ... Sunday = 6.
int IsoWeekdayIndex(LocalDays day);

// Start of the ISO week (Monday) and of the month that contain a local day.
LocalDays StartOfIsoWeek(LocalDays day);
LocalDays StartOfMonth(LocalDays day);
LocalDays StartOfNextMonth(LocalDays day);

}  // namespace herald
