#include "core/time.h"

#include <catch2/catch.hpp>
#include <date/date.h>

#include <string>

namespace herald {
namespace {

using namespace std::chrono;

Instant Utc(std::string_view rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  REQUIRE(t.has_value());
  return *t;
}

LocalTime Local(std::string_view text) {
  auto t = ParseLocalDateTime(text);
  REQUIRE(t.has_value());
  return *t;
}

Zone FindZone(std::string_view name) {
  auto z = Zone::Find(name);
  REQUIRE(z.has_value());
  return *z;
}

std::string ErrorOf(const Result<Duration>& r) {
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == Code::kInvalidArgument);
  return r.error().message();
}

std::string ErrorOf(const Result<Instant>& r) {
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == Code::kInvalidArgument);
  return r.error().message();
}

// ---------------------------------------------------------------- durations

TEST_CASE("ParseDuration reads an integer and one unit", "[time]") {
  auto [text, secs] = GENERATE(table<std::string, long long>({
      {"30s", 30},
      {"45m", 45 * 60},
      {"2h", 7200},
      {"14d", 14 * 86400},
      {"1w", 7 * 86400},
      {"0s", 0},
      {"0w", 0},
      {"90m", 5400},
      {"007m", 420},
  }));
  CAPTURE(text);
  auto d = ParseDuration(text);
  REQUIRE(d.has_value());
  CHECK(d->count() == secs);
}

TEST_CASE("ParseDuration says what is wrong", "[time]") {
  auto [text, message] = GENERATE(table<std::string, std::string>({
      {"", "empty duration; write an integer and a unit, e.g. 45m"},
      {"1hr", "unknown unit \"hr\" in duration \"1hr\"; use s|m|h|d|w"},
      {"5M", "unknown unit \"M\" in duration \"5M\"; use s|m|h|d|w"},
      {"5 m", "unknown unit \" m\" in duration \"5 m\"; use s|m|h|d|w"},
      {"1.5h", "unknown unit \".5h\" in duration \"1.5h\"; use s|m|h|d|w"},
      {"45", "duration \"45\" has no unit; add one of s|m|h|d|w"},
      {"-5m", "invalid duration \"-5m\"; write an integer and a unit s|m|h|d|w, e.g. 45m"},
      {"+5m", "invalid duration \"+5m\"; write an integer and a unit s|m|h|d|w, e.g. 45m"},
      {"h", "invalid duration \"h\"; write an integer and a unit s|m|h|d|w, e.g. 45m"},
      {"99999999999999999999s", "duration \"99999999999999999999s\" is too large"},
      {"5300w", "duration \"5300w\" is too large (at most 100 years)"},
      {"3162240001s", "duration \"3162240001s\" is too large (at most 100 years)"},
  }));
  CAPTURE(text);
  CHECK(ErrorOf(ParseDuration(text)) == message);
}

TEST_CASE("ParseDuration accepts exactly 100 years", "[time]") {
  auto d = ParseDuration("3162240000s");
  REQUIRE(d.has_value());
  CHECK(d->count() == 100LL * 366 * 86400);
}

TEST_CASE("FormatDuration gives the shortest exact form", "[time]") {
  auto [secs, text] = GENERATE(table<long long, std::string>({
      {0, "0s"},
      {59, "59s"},
      {60, "1m"},
      {4500, "1h15m"},
      {90000, "1d1h"},
      {86400, "1d"},
      {7 * 86400, "7d"},
      {90061, "1d1h1m1s"},
      {-90, "-1m30s"},
  }));
  CHECK(FormatDuration(Duration{secs}) == text);
}

TEST_CASE("FormatDuration output parses back for single units", "[time]") {
  for (long long s : {1LL, 60LL, 3600LL, 86400LL}) {
    auto d = ParseDuration(FormatDuration(Duration{s}));
    REQUIRE(d.has_value());
    CHECK(d->count() == s);
  }
}

// ---------------------------------------------------------------- RFC 3339

TEST_CASE("ParseRfc3339 reads offsets and truncates fractions", "[time]") {
  auto [text, utc] = GENERATE(table<std::string, std::string>({
      {"2026-12-01T09:00:00Z", "2026-12-01T09:00:00Z"},
      {"2026-12-01T09:00:00+01:00", "2026-12-01T08:00:00Z"},
      {"2026-12-01T09:00:00-05:30", "2026-12-01T14:30:00Z"},
      {"2026-12-01T09:00:00+00:00", "2026-12-01T09:00:00Z"},
      {"2026-12-01T09:00:00-00:00", "2026-12-01T09:00:00Z"},
      {"2026-12-01t09:00:00z", "2026-12-01T09:00:00Z"},
      {"2026-12-01 09:00:00Z", "2026-12-01T09:00:00Z"},
      {"2026-12-01T09:00:00.999Z", "2026-12-01T09:00:00Z"},
      {"2026-12-01T09:00:59.123456789+01:00", "2026-12-01T08:00:59Z"},
      {"2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00Z"},
      {"2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00Z"},
      {"2028-02-29T12:00:00+14:00", "2028-02-28T22:00:00Z"},
      {"1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59Z"},  // toward the earlier second
  }));
  CAPTURE(text);
  auto t = ParseRfc3339(text);
  REQUIRE(t.has_value());
  CHECK(FormatRfc3339(*t) == utc);
}

TEST_CASE("ParseRfc3339 rejects what is not RFC 3339 with an offset", "[time]") {
  const std::string expect = "; expected RFC 3339 like 2026-12-01T09:00:00+01:00";
  auto [text, message] = GENERATE_REF(table<std::string, std::string>({
      {"2026-12-01T09:00:00",
       "time \"2026-12-01T09:00:00\" has no UTC offset; add Z or an offset such as +01:00"},
      {"2026-02-30T09:00:00Z", "no such date in \"2026-02-30T09:00:00Z\""},
      {"2026-13-01T09:00:00Z", "no such date in \"2026-13-01T09:00:00Z\""},
      {"2027-02-29T09:00:00Z", "no such date in \"2027-02-29T09:00:00Z\""},
      {"2026-12-01T24:00:00Z", "time of day out of range in \"2026-12-01T24:00:00Z\""},
      {"2026-12-01T09:60:00Z", "time of day out of range in \"2026-12-01T09:60:00Z\""},
      {"2026-12-31T23:59:60Z", "time of day out of range in \"2026-12-31T23:59:60Z\""},
      {"2026-12-01T09:00:00+24:00", "invalid UTC offset in time \"2026-12-01T09:00:00+24:00\"; write Z or +hh:mm"},
      {"2026-12-01T09:00:00+01:60", "invalid UTC offset in time \"2026-12-01T09:00:00+01:60\"; write Z or +hh:mm"},
      {"2026-12-01T09:00:00+0100", "invalid UTC offset in time \"2026-12-01T09:00:00+0100\"; write Z or +hh:mm"},
      {"2026-12-01T09:00:00+1:00", "invalid UTC offset in time \"2026-12-01T09:00:00+1:00\"; write Z or +hh:mm"},
      {"2026-12-01T09:00:00 CET", "invalid time \"2026-12-01T09:00:00 CET\"" + expect},
      {"2026-12-01T09:00Z", "invalid time \"2026-12-01T09:00Z\": seconds are required" + expect},
      {"2026-12-01T09:00:00.Z", "invalid fraction in time \"2026-12-01T09:00:00.Z\"" + expect},
      {"2026-12-01T09:00:00Zjunk", "unexpected \"junk\" after time \"2026-12-01T09:00:00Zjunk\""},
      {"2026-12-01", "invalid time \"2026-12-01\"" + expect},
      {"", "invalid time \"\"" + expect},
      {"26-12-01T09:00:00Z", "invalid time \"26-12-01T09:00:00Z\"" + expect},
  }));
  CAPTURE(text);
  CHECK(ErrorOf(ParseRfc3339(text)) == message);
}

TEST_CASE("FormatRfc3339 with a zone writes the local time and its offset", "[time]") {
  const Instant t = Utc("2026-12-01T08:00:00Z");
  CHECK(FormatRfc3339(t, FindZone("Europe/Berlin")) == "2026-12-01T09:00:00+01:00");
  CHECK(FormatRfc3339(t, FindZone("America/New_York")) == "2026-12-01T03:00:00-05:00");
  CHECK(FormatRfc3339(t, FindZone("Australia/Lord_Howe")) == "2026-12-01T19:00:00+11:00");
  CHECK(FormatRfc3339(Utc("2026-07-01T08:00:00Z"), FindZone("Australia/Lord_Howe")) == "2026-07-01T18:30:00+10:30");
  CHECK(FormatRfc3339(t, Zone::Utc()) == "2026-12-01T08:00:00+00:00");
}

TEST_CASE("ParseDate, ParseLocalDateTime and ParseClock", "[time]") {
  CHECK(ParseDate("2028-02-29").has_value());
  CHECK_FALSE(ParseDate("2026-02-29").has_value());
  CHECK_FALSE(ParseDate("2026-2-1").has_value());
  CHECK(ParseLocalDateTime("2026-12-24T00:00").value() == local_days{2026y / 12 / 24});
  CHECK(ParseLocalDateTime("2026-12-24T09:30:15").value() == local_days{2026y / 12 / 24} + 9h + 30min + 15s);
  CHECK_FALSE(ParseLocalDateTime("2026-12-24T09:30Z").has_value());
  CHECK_FALSE(ParseLocalDateTime("2026-12-24T24:00").has_value());
  CHECK(ParseClock("21:00").value() == 21 * 60);
  CHECK(ParseClock("00:00").value() == 0);
  CHECK_FALSE(ParseClock("24:00").has_value());
  CHECK(ParseClock("24:00", true).value() == 24 * 60);
  CHECK_FALSE(ParseClock("24:01", true).has_value());
  CHECK_FALSE(ParseClock("9:00").has_value());
}

// ---------------------------------------------------------------- zones

TEST_CASE("Zone::Find names unknown zones", "[time]") {
  auto z = Zone::Find("Mars/Olympus_Mons");
  REQUIRE_FALSE(z.has_value());
  CHECK(z.error().code() == Code::kNotFound);
  CHECK(z.error().message() == "unknown time zone \"Mars/Olympus_Mons\" (not in the tz database; e.g. Europe/Berlin)");
  auto empty = Zone::Find("");
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().message() == "empty time zone name");
  CHECK(FindZone("Europe/Berlin").name() == "Europe/Berlin");
  CHECK(FindZone("Europe/Berlin") == FindZone("Europe/Berlin"));
  CHECK_FALSE(FindZone("Europe/Berlin") == Zone::Utc());
}

// The transitions below were read from the tz database (2026):
//   America/New_York     2026-03-08T07:00Z -05 -> -04;  2026-11-01T06:00Z -04 -> -05
//   Europe/Berlin        2026-03-29T01:00Z +01 -> +02;  2026-10-25T01:00Z +02 -> +01
//   Australia/Lord_Howe  2026-04-04T15:00Z +11 -> +10:30 (local 02:00 -> 01:30 on 04-05);
//                        2026-10-03T15:30Z +10:30 -> +11 (local 02:00 -> 02:30 on 10-04)
//   America/Santiago     2026-04-05T03:00Z -03 -> -04 (local 00:00 -> 23:00 on 04-04);
//                        2026-09-06T04:00Z -04 -> -03 (local 00:00 -> 01:00 on 09-06)
TEST_CASE("ToInstant and Classify follow the documented DST rule", "[time]") {
  using K = Zone::LocalKind;
  auto [zone, local, kind, utc] = GENERATE(table<std::string, std::string, K, std::string>({
      // New York, spring forward: 02:00-02:59 do not exist and read as EST.
      {"America/New_York", "2026-03-08T01:59", K::kUnique, "2026-03-08T06:59:00Z"},
      {"America/New_York", "2026-03-08T02:00", K::kNonexistent, "2026-03-08T07:00:00Z"},
      {"America/New_York", "2026-03-08T02:30", K::kNonexistent, "2026-03-08T07:30:00Z"},
      {"America/New_York", "2026-03-08T02:59", K::kNonexistent, "2026-03-08T07:59:00Z"},
      {"America/New_York", "2026-03-08T03:00", K::kUnique, "2026-03-08T07:00:00Z"},
      // New York, fall back: 01:00-01:59 happen twice; the earlier (EDT) wins.
      {"America/New_York", "2026-11-01T00:59", K::kUnique, "2026-11-01T04:59:00Z"},
      {"America/New_York", "2026-11-01T01:00", K::kAmbiguous, "2026-11-01T05:00:00Z"},
      {"America/New_York", "2026-11-01T01:30", K::kAmbiguous, "2026-11-01T05:30:00Z"},
      {"America/New_York", "2026-11-01T01:59", K::kAmbiguous, "2026-11-01T05:59:00Z"},
      {"America/New_York", "2026-11-01T02:00", K::kUnique, "2026-11-01T07:00:00Z"},
      // Berlin.
      {"Europe/Berlin", "2026-03-29T01:59", K::kUnique, "2026-03-29T00:59:00Z"},
      {"Europe/Berlin", "2026-03-29T02:00", K::kNonexistent, "2026-03-29T01:00:00Z"},
      {"Europe/Berlin", "2026-03-29T02:30", K::kNonexistent, "2026-03-29T01:30:00Z"},
      {"Europe/Berlin", "2026-03-29T03:00", K::kUnique, "2026-03-29T01:00:00Z"},
      {"Europe/Berlin", "2026-10-25T01:59", K::kUnique, "2026-10-24T23:59:00Z"},
      {"Europe/Berlin", "2026-10-25T02:00", K::kAmbiguous, "2026-10-25T00:00:00Z"},
      {"Europe/Berlin", "2026-10-25T02:30", K::kAmbiguous, "2026-10-25T00:30:00Z"},
      {"Europe/Berlin", "2026-10-25T03:00", K::kUnique, "2026-10-25T02:00:00Z"},
      // Lord Howe: half-hour shifts.
      {"Australia/Lord_Howe", "2026-04-05T01:29", K::kUnique, "2026-04-04T14:29:00Z"},
      {"Australia/Lord_Howe", "2026-04-05T01:30", K::kAmbiguous, "2026-04-04T14:30:00Z"},
      {"Australia/Lord_Howe", "2026-04-05T01:59", K::kAmbiguous, "2026-04-04T14:59:00Z"},
      {"Australia/Lord_Howe", "2026-04-05T02:00", K::kUnique, "2026-04-04T15:30:00Z"},
      {"Australia/Lord_Howe", "2026-10-04T01:59", K::kUnique, "2026-10-03T15:29:00Z"},
      {"Australia/Lord_Howe", "2026-10-04T02:00", K::kNonexistent, "2026-10-03T15:30:00Z"},
      {"Australia/Lord_Howe", "2026-10-04T02:15", K::kNonexistent, "2026-10-03T15:45:00Z"},
      {"Australia/Lord_Howe", "2026-10-04T02:30", K::kUnique, "2026-10-03T15:30:00Z"},
      // Santiago: the shifts happen at midnight.
      {"America/Santiago", "2026-04-04T22:59", K::kUnique, "2026-04-05T01:59:00Z"},
      {"America/Santiago", "2026-04-04T23:00", K::kAmbiguous, "2026-04-05T02:00:00Z"},
      {"America/Santiago", "2026-04-04T23:59", K::kAmbiguous, "2026-04-05T02:59:00Z"},
      {"America/Santiago", "2026-04-05T00:00", K::kUnique, "2026-04-05T04:00:00Z"},
      {"America/Santiago", "2026-09-05T23:59", K::kUnique, "2026-09-06T03:59:00Z"},
      {"America/Santiago", "2026-09-06T00:00", K::kNonexistent, "2026-09-06T04:00:00Z"},
      {"America/Santiago", "2026-09-06T00:30", K::kNonexistent, "2026-09-06T04:30:00Z"},
      {"America/Santiago", "2026-09-06T01:00", K::kUnique, "2026-09-06T04:00:00Z"},
  }));
  CAPTURE(zone, local);
  const Zone z = FindZone(zone);
  const LocalTime l = Local(local);
  CHECK(z.Classify(l) == kind);
  CHECK(FormatRfc3339(z.ToInstant(l)) == utc);
}

TEST_CASE("A nonexistent local time lands the gap's length later", "[time]") {
  auto [zone, local, shown] = GENERATE(table<std::string, std::string, std::string>({
      {"America/New_York", "2026-03-08T02:30", "2026-03-08T03:30"},
      {"Europe/Berlin", "2026-03-29T02:30", "2026-03-29T03:30"},
      {"Australia/Lord_Howe", "2026-10-04T02:00", "2026-10-04T02:30"},
      {"Australia/Lord_Howe", "2026-10-04T02:15", "2026-10-04T02:45"},
      {"America/Santiago", "2026-09-06T00:00", "2026-09-06T01:00"},  // midnight maps to 01:00
      {"America/Santiago", "2026-09-06T00:45", "2026-09-06T01:45"},
  }));
  CAPTURE(zone, local);
  const Zone z = FindZone(zone);
  CHECK(z.ToLocal(z.ToInstant(Local(local))) == Local(shown));
}

TEST_CASE("OffsetAt gives the offset and the span it holds for", "[time]") {
  auto [zone, at, offset, begin, end] = GENERATE(table<std::string, std::string, long long, std::string, std::string>({
      {"America/New_York", "2026-03-08T06:59:59Z", -5 * 3600, "2025-11-02T06:00:00Z", "2026-03-08T07:00:00Z"},
      {"America/New_York", "2026-03-08T07:00:00Z", -4 * 3600, "2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z"},
      {"Europe/Berlin", "2026-07-01T00:00:00Z", 2 * 3600, "2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"},
      {"Australia/Lord_Howe", "2026-06-01T00:00:00Z", 10 * 3600 + 1800, "2026-04-04T15:00:00Z", "2026-10-03T15:30:00Z"},
      {"America/Santiago", "2026-09-06T04:00:00Z", -3 * 3600, "2026-09-06T04:00:00Z", "2027-04-04T03:00:00Z"},
  }));
  CAPTURE(zone, at);
  const auto span = FindZone(zone).OffsetAt(Utc(at));
  CHECK(span.offset.count() == offset);
  CHECK(FormatRfc3339(span.begin) == begin);
  CHECK(FormatRfc3339(span.end) == end);
}

struct DstDay {
  std::string zone;
  year_month_day day;
  minutes length;       // the local day's length
  minutes odd_minutes;  // nonexistent (short day) or ambiguous (long day) local minutes
};

TEST_CASE("Every local minute of a DST day round-trips by the documented rule", "[time]") {
  auto dst = GENERATE(values<DstDay>({
      {"America/New_York", 2026y / 3 / 8, 23h, 60min},
      {"America/New_York", 2026y / 11 / 1, 25h, 60min},
      {"Europe/Berlin", 2026y / 3 / 29, 23h, 60min},
      {"Europe/Berlin", 2026y / 10 / 25, 25h, 60min},
      {"Australia/Lord_Howe", 2026y / 4 / 5, 24h + 30min, 30min},
      {"Australia/Lord_Howe", 2026y / 10 / 4, 23h + 30min, 30min},
      {"America/Santiago", 2026y / 4 / 4, 25h, 60min},
      {"America/Santiago", 2026y / 9 / 6, 23h, 60min},
  }));
  CAPTURE(dst.zone, static_cast<int>(dst.day.month().operator unsigned()), static_cast<unsigned>(dst.day.day()));
  const Zone z = FindZone(dst.zone);
  const LocalTime midnight{local_days{dst.day}};
  const Instant start = z.ToInstant(midnight);
  const Instant next = z.ToInstant(midnight + days{1});
  CHECK(next - start == dst.length);

  int nonexistent = 0, ambiguous = 0;
  for (LocalTime l = midnight; l < midnight + days{1}; l += 1min) {
    const Instant t = z.ToInstant(l);
    switch (z.Classify(l)) {
      case Zone::LocalKind::kUnique:
        REQUIRE(z.ToLocal(t) == l);
        break;
      case Zone::LocalKind::kAmbiguous:
        ++ambiguous;
        REQUIRE(z.ToLocal(t) == l);
        // The earlier instant: the same reading one shift later exists too.
        REQUIRE(z.ToLocal(t + (dst.odd_minutes)) == l);
        REQUIRE(z.ToLocal(t - 1min) != l);
        break;
      case Zone::LocalKind::kNonexistent:
        ++nonexistent;
        REQUIRE(z.ToLocal(t) == l + dst.odd_minutes);
        break;
    }
  }
  const bool long_day = dst.length > 24h;
  CHECK(minutes{ambiguous} == (long_day ? dst.odd_minutes : 0min));
  CHECK(minutes{nonexistent} == (long_day ? 0min : dst.odd_minutes));

  // Every instant of the day reads as a local time that exists, and reading it
  // back gives the instant (or, for the second pass of an overlap, the first).
  for (Instant t = start; t < next; t += 1min) {
    const LocalTime l = z.ToLocal(t);
    REQUIRE(z.Classify(l) != Zone::LocalKind::kNonexistent);
    if (z.Classify(l) == Zone::LocalKind::kUnique) REQUIRE(z.ToInstant(l) == t);
    else REQUIRE(z.ToInstant(l) <= t);
  }
}

TEST_CASE("Local days start strictly later each day and last 23, 24 or 25 hours", "[time]") {
  auto [zone, short_day, long_day] = GENERATE(table<std::string, minutes, minutes>({
      {"America/New_York", 23h, 25h},
      {"Europe/Berlin", 23h, 25h},
      {"Australia/Lord_Howe", 23h + 30min, 24h + 30min},
      {"America/Santiago", 23h, 25h},
      {"UTC", 24h, 24h},
  }));
  CAPTURE(zone);
  const Zone z = FindZone(zone);
  int shorter = 0, longer = 0;
  minutes total{0};
  for (local_days d{2026y / 1 / 1}; d < local_days{2027y / 1 / 1}; d += days{1}) {
    const Instant start = z.ToInstant(LocalTime{d});
    const Instant next = z.ToInstant(LocalTime{d + days{1}});
    REQUIRE(next > start);
    const auto length = duration_cast<minutes>(next - start);
    total += length;
    if (length == 24h) continue;
    if (length == short_day) ++shorter;
    else if (length == long_day) ++longer;
    else FAIL("day of " << length.count() << " minutes");
  }
  CHECK(total == days{365});
  CHECK(shorter == (zone == "UTC" ? 0 : 1));
  CHECK(longer == (zone == "UTC" ? 0 : 1));
}

// ---------------------------------------------------------------- calendar

TEST_CASE("IsoWeekdayIndex counts from Monday", "[time]") {
  auto [day, index] = GENERATE(table<year_month_day, int>({
      {2026y / 1 / 1, 3},    // Thursday
      {2026y / 3 / 8, 6},    // Sunday
      {2026y / 12 / 28, 0},  // Monday
      {2027y / 1 / 3, 6},
      {1970y / 1 / 1, 3},
  }));
  CHECK(IsoWeekdayIndex(local_days{day}) == index);
}

TEST_CASE("StartOfIsoWeek, StartOfMonth, StartOfNextMonth", "[time]") {
  auto [day, week, month, next] = GENERATE(table<year_month_day, year_month_day, year_month_day, year_month_day>({
      {2026y / 1 / 1, 2025y / 12 / 29, 2026y / 1 / 1, 2026y / 2 / 1},      // ISO week across the year end
      {2027y / 1 / 3, 2026y / 12 / 28, 2027y / 1 / 1, 2027y / 2 / 1},
      {2026y / 12 / 31, 2026y / 12 / 28, 2026y / 12 / 1, 2027y / 1 / 1},    // next month in the next year
      {2026y / 12 / 28, 2026y / 12 / 28, 2026y / 12 / 1, 2027y / 1 / 1},    // a Monday is its own week start
      {2028y / 2 / 29, 2028y / 2 / 28, 2028y / 2 / 1, 2028y / 3 / 1},
      {2026y / 1 / 31, 2026y / 1 / 26, 2026y / 1 / 1, 2026y / 2 / 1},
      {2026y / 3 / 8, 2026y / 3 / 2, 2026y / 3 / 1, 2026y / 4 / 1},
  }));
  const local_days d{day};
  CHECK(StartOfIsoWeek(d) == local_days{week});
  CHECK(StartOfMonth(d) == local_days{month});
  CHECK(StartOfNextMonth(d) == local_days{next});
}

TEST_CASE("Calendar starts hold for every day of 2024-2028", "[time]") {
  for (local_days d{2024y / 1 / 1}; d < local_days{2029y / 1 / 1}; d += days{1}) {
    const year_month_day ymd{d};
    const local_days week = StartOfIsoWeek(d);
    REQUIRE(IsoWeekdayIndex(week) == 0);
    REQUIRE(week <= d);
    REQUIRE(d - week == days{IsoWeekdayIndex(d)});
    const year_month_day first{StartOfMonth(d)};
    REQUIRE(first.day() == day{1});
    REQUIRE(first.year() / first.month() == ymd.year() / ymd.month());
    const local_days next = StartOfNextMonth(d);
    REQUIRE(next > d);
    REQUIRE(next - StartOfMonth(d) == days{static_cast<unsigned>((ymd.year() / ymd.month() / last).day())});
  }
}

TEST_CASE("FormatRfc3339 writes what date::format writes across centuries and every second of a day", "[time]") {
  auto check = [](Instant t) {
    CAPTURE(t.time_since_epoch().count());
    CHECK(FormatRfc3339(t) == date::format("%Y-%m-%dT%H:%M:%SZ", t));
  };
  // Every 9,999,991 s (a prime: every time of day over the years) from 1600 to 2400.
  for (int64_t s = -11676096000; s < 13569465600; s += 9999991) check(Instant(seconds(s)));
  for (int64_t s = 0; s < 86400; ++s) check(Instant(seconds(1796083200 + s)));
  check(Instant(seconds(-62167219200)));    // 0000-01-01T00:00:00Z
  check(Instant(seconds(253402300799)));    // 9999-12-31T23:59:59Z
  check(Instant(seconds(253402300800)));    // 10000-01-01: past the fast path
  check(Instant(seconds(-62167219201)));    // before year 0
}

}  // namespace
}  // namespace herald
