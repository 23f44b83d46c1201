#include "core/time.h"

#include <date/tz.h>

#include <charconv>
#include <cstdio>
#include <limits>

namespace herald {
namespace {

using namespace std::chrono;

// A tiny cursor over text for the fixed-width formats below.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool Digits(int count, int& out) {
    if (pos_ + count > s_.size()) return false;
    int v = 0;
    for (int i = 0; i < count; ++i) {
      char c = s_[pos_ + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    pos_ += count;
    out = v;
    return true;
  }
  bool Char(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool CharOf(std::string_view set, char& out) {
    if (pos_ < s_.size() && set.find(s_[pos_]) != std::string_view::npos) {
      out = s_[pos_++];
      return true;
    }
    return false;
  }
  bool Done() const { return pos_ == s_.size(); }
  std::string_view Rest() const { return s_.substr(pos_); }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool ScanDate(Scanner& sc, year_month_day& out) {
  int y, m, d;
  if (!sc.Digits(4, y) || !sc.Char('-') || !sc.Digits(2, m) || !sc.Char('-') || !sc.Digits(2, d)) return false;
  out = year{y} / month{static_cast<unsigned>(m)} / day{static_cast<unsigned>(d)};
  return true;
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  if (text.empty()) return InvalidArgument("empty duration; write an integer and a unit, e.g. 45m");
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0) {
    return InvalidArgument("invalid duration " + Quote(text) + "; write an integer and a unit s|m|h|d|w, e.g. 45m");
  }
  long long n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + i, n);
  if (ec != std::errc() || p != text.data() + i) return InvalidArgument("duration " + Quote(text) + " is too large");
  std::string_view unit = text.substr(i);
  long long scale;
  if (unit == "s") scale = 1;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  else if (unit == "d") scale = 86400;
  else if (unit == "w") scale = 7 * 86400;
  else if (unit.empty()) return InvalidArgument("duration " + Quote(text) + " has no unit; add one of s|m|h|d|w");
  else return InvalidArgument("unknown unit " + Quote(unit) + " in duration " + Quote(text) + "; use s|m|h|d|w");
  // Bound durations to about 100 years so that arithmetic on instants never overflows.
  constexpr long long kMaxSeconds = 100LL * 366 * 86400;
  if (n > kMaxSeconds / scale) return InvalidArgument("duration " + Quote(text) + " is too large (at most 100 years)");
  return Duration{n * scale};
}

std::string FormatDuration(Duration d) {
  long long s = d.count();
  if (s == 0) return "0s";
  std::string out;
  if (s < 0) {
    out = "-";
    s = -s;
  }
  const struct { long long size; char unit; } parts[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (auto [size, unit] : parts) {
    if (s >= size) {
      out += std::to_string(s / size);
      out += unit;
      s %= size;
    }
  }
  return out;
}

Result<Instant> ParseRfc3339(std::string_view text) {
  Scanner sc(text);
  year_month_day ymd;
  int hh, mm, ss;
  char sep;
  const std::string expect = "; expected RFC 3339 like 2026-12-01T09:00:00+01:00";
  if (!ScanDate(sc, ymd) || !sc.CharOf("Tt ", sep) || !sc.Digits(2, hh) || !sc.Char(':') || !sc.Digits(2, mm)) {
    return InvalidArgument("invalid time " + Quote(text) + expect);
  }
  if (!sc.Char(':') || !sc.Digits(2, ss)) {
    return InvalidArgument("invalid time " + Quote(text) + ": seconds are required" + expect);
  }
  if (sc.Char('.')) {
    int digit;
    if (!sc.Digits(1, digit)) return InvalidArgument("invalid fraction in time " + Quote(text) + expect);
    while (sc.Digits(1, digit)) {
    }
  }
  if (!ymd.ok()) return InvalidArgument("no such date in " + Quote(text));
  if (hh > 23 || mm > 59 || ss > 59) return InvalidArgument("time of day out of range in " + Quote(text));
  if (sc.Done()) {
    return InvalidArgument("time " + Quote(text) + " has no UTC offset; add Z or an offset such as +01:00");
  }
  char sign;
  int off_h = 0, off_m = 0;
  if (sc.CharOf("Zz", sign)) {
    sign = '+';
  } else if (sc.CharOf("+-", sign)) {
    if (!sc.Digits(2, off_h) || !sc.Char(':') || !sc.Digits(2, off_m) || off_h > 23 || off_m > 59) {
      return InvalidArgument("invalid UTC offset in time " + Quote(text) + "; write Z or +hh:mm");
    }
  } else {
    return InvalidArgument("invalid time " + Quote(text) + expect);
  }
  if (!sc.Done()) return InvalidArgument("unexpected " + Quote(sc.Rest()) + " after time " + Quote(text));
  seconds offset = hours{off_h} + minutes{off_m};
  if (sign == '-') offset = -offset;
  return sys_days{ymd} + hours{hh} + minutes{mm} + seconds{ss} - offset;
}

std::string FormatRfc3339(Instant t) {
  // Written by hand: date::format goes through an ostringstream, and every
  // audit entry and event of a create formats several times.
  auto day = floor<days>(t);
  year_month_day ymd{day};
  int y = static_cast<int>(ymd.year());
  if (y < 0 || y > 9999) return date::format("%Y-%m-%dT%H:%M:%SZ", t);
  long long secs = (t - day).count();
  auto two = [](char* at, unsigned v) {
    at[0] = static_cast<char>('0' + v / 10);
    at[1] = static_cast<char>('0' + v % 10);
  };
  std::string out(20, ' ');
  char* c = out.data();
  two(c, static_cast<unsigned>(y / 100));
  two(c + 2, static_cast<unsigned>(y % 100));
  c[4] = '-';
  two(c + 5, static_cast<unsigned>(ymd.month()));
  c[7] = '-';
  two(c + 8, static_cast<unsigned>(ymd.day()));
  c[10] = 'T';
  two(c + 11, static_cast<unsigned>(secs / 3600));
  c[13] = ':';
  two(c + 14, static_cast<unsigned>(secs % 3600 / 60));
  c[16] = ':';
  two(c + 17, static_cast<unsigned>(secs % 60));
  c[19] = 'Z';
  return out;
}

std::string FormatRfc3339(Instant t, const Zone& zone) {
  auto span = zone.OffsetAt(t);
  long long off = span.offset.count();
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  char buf[24];  // "+hh:mm"; room for any long long, so no truncation warning
  std::snprintf(buf, sizeof buf, "%c%02lld:%02lld", sign, off / 3600, (off % 3600) / 60);
  return date::format("%Y-%m-%dT%H:%M:%S", t + span.offset) + buf;
}

Result<year_month_day> ParseDate(std::string_view text) {
  Scanner sc(text);
  year_month_day ymd;
  if (!ScanDate(sc, ymd) || !sc.Done()) return InvalidArgument("invalid date " + Quote(text) + "; expected YYYY-MM-DD");
  if (!ymd.ok()) return InvalidArgument("no such date " + Quote(text));
  return ymd;
}

Result<LocalTime> ParseLocalDateTime(std::string_view text) {
  Scanner sc(text);
  year_month_day ymd;
  int hh, mm, ss = 0;
  char sep;
  if (!ScanDate(sc, ymd) || !sc.CharOf("Tt ", sep) || !sc.Digits(2, hh) || !sc.Char(':') || !sc.Digits(2, mm) ||
      (sc.Char(':') && !sc.Digits(2, ss)) || !sc.Done()) {
    return InvalidArgument("invalid local date-time " + Quote(text) + "; expected YYYY-MM-DDTHH:MM (local time, no offset)");
  }
  if (!ymd.ok()) return InvalidArgument("no such date in " + Quote(text));
  if (hh > 23 || mm > 59 || ss > 59) return InvalidArgument("time of day out of range in " + Quote(text));
  return local_days{ymd} + hours{hh} + minutes{mm} + seconds{ss};
}

Result<int> ParseClock(std::string_view text, bool allow_24) {
  Scanner sc(text);
  int hh, mm;
  if (!sc.Digits(2, hh) || !sc.Char(':') || !sc.Digits(2, mm) || !sc.Done()) {
    return InvalidArgument("invalid time of day " + Quote(text) + "; expected HH:MM");
  }
  if (allow_24 && hh == 24 && mm == 0) return 24 * 60;
  if (hh > 23 || mm > 59) return InvalidArgument("time of day " + Quote(text) + " out of range 00:00-23:59");
  return hh * 60 + mm;
}

Result<Zone> Zone::Find(std::string_view name) {
  if (name.empty()) return NotFound("empty time zone name");
  try {
    return Zone(date::locate_zone(name));
  } catch (const std::exception&) {
    return NotFound("unknown time zone " + Quote(name) + " (not in the tz database; e.g. Europe/Berlin)");
  }
}

Zone Zone::Utc() {
  static const date::time_zone* utc = date::locate_zone("UTC");
  return Zone(utc);
}

const std::string& Zone::name() const { return tz_->name(); }

LocalTime Zone::ToLocal(Instant t) const {
  auto info = tz_->get_info(t);
  return LocalTime{(t + info.offset).time_since_epoch()};
}

Instant Zone::ToInstant(LocalTime local) const {
  auto info = tz_->get_info(date::local_seconds{local.time_since_epoch()});
  // For unique times `first` is the only answer; for gaps and overlaps `first` is
  // the offset before the transition (see the rule in time.h).
  return Instant{local.time_since_epoch() - info.first.offset};
}

Zone::OffsetSpan Zone::OffsetAt(Instant t) const {
  auto info = tz_->get_info(t);
  return {duration_cast<seconds>(info.offset), time_point_cast<seconds>(info.begin),
          time_point_cast<seconds>(info.end)};
}

Zone::LocalKind Zone::Classify(LocalTime local) const {
  auto info = tz_->get_info(date::local_seconds{local.time_since_epoch()});
  switch (info.result) {
    case date::local_info::unique: return LocalKind::kUnique;
    case date::local_info::nonexistent: return LocalKind::kNonexistent;
    default: return LocalKind::kAmbiguous;
  }
}

int IsoWeekdayIndex(LocalDays d) { return static_cast<int>(weekday{d}.iso_encoding()) - 1; }

LocalDays StartOfIsoWeek(LocalDays d) { return d - days{IsoWeekdayIndex(d)}; }

LocalDays StartOfMonth(LocalDays d) {
  year_month_day ymd{d};
  return local_days{ymd.year() / ymd.month() / 1};
}

LocalDays StartOfNextMonth(LocalDays d) {
  year_month_day ymd{d};
  return local_days{(ymd.year() / ymd.month() + months{1}) / 1};
}

}  // namespace herald
