// Random account rules and posts for the governor's property tests: the oracle
// test (tests/scheduler/oracle_test.cpp) and the reasons' wording test draw
// from the same cases. Cases concentrate on the 2026 DST transitions of the
// zones below. A Generator is one seeded stream of cases; not thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "policies/resolve.h"
#include "scheduler/planner.h"

namespace herald::scheduler::random_plans {

using std::chrono::days;
using std::chrono::minutes;
using policies::AccountRules;
using policies::Cap;

inline const char* const kAccount = "acct";
inline const char* const kZones[] = {"America/New_York", "Europe/Berlin", "Australia/Lord_Howe",
                                     "America/Santiago", "UTC",          "Asia/Kolkata"};
inline const char* const kLabels[] = {"promo", "news"};

inline Zone FindZone(const std::string& name) {
  auto zone = Zone::Find(name);
  REQUIRE(zone.has_value());
  return *zone;
}

inline Instant Utc(int y, unsigned m, unsigned d) {
  return Instant{std::chrono::sys_days{std::chrono::year{y} / m / d}.time_since_epoch()};
}

// The zone's offset changes during 2026, found by walking OffsetAt spans.
inline std::vector<Instant> Transitions2026(const Zone& zone) {
  std::vector<Instant> out;
  Instant t = Utc(2026, 1, 1);
  const Instant end = Utc(2027, 1, 1);
  while (t < end) {
    auto span = zone.OffsetAt(t);
    if (span.end >= end || span.end <= t) break;
    out.push_back(span.end);
    t = span.end;
  }
  return out;
}

struct Case {
  AccountRules rules;
  std::vector<PlanInput> inputs;
};

class Generator {
 public:
  // With `history`, some cases start with published posts (fixed_at) that the
  // planner may not move.
  explicit Generator(uint64_t seed, bool history = false) : rng_(seed), history_(history) {
    for (const char* name : kZones) {
      Zone zone = FindZone(name);
      zones_.push_back(zone);
      transitions_.push_back(Transitions2026(zone));
    }
  }

  Case Next() {
    Case c;
    AccountRules& r = c.rules;
    r.account = kAccount;
    r.platform = "test";
    size_t zi = Pick(zones_.size());
    r.zone = zones_[zi];

    Instant anchor = transitions_[zi].empty() ? Utc(2026, 1, 1) + days{Int(0, 364)} + minutes{Int(0, 1439)}
                                              : transitions_[zi][Pick(transitions_[zi].size())];
    anchor = std::chrono::floor<minutes>(anchor);
    const Instant base = anchor - minutes{Int(0, 36 * 60)};
    static constexpr int kSpreads[] = {120, 720, 1440, 4320};
    const int spread = kSpreads[Pick(4)];

    int ncaps = Int(1, 4);
    for (int i = 0; i < ncaps; ++i) {
      Cap cap;
      cap.origin = "frequency.default.caps[" + std::to_string(i) + "]";
      if (Chance(0.6)) {
        cap.unit = Cap::Unit::kRolling;
        static constexpr int kWindows[] = {1, 5, 15, 30, 60, 90, 120, 180, 360};
        cap.window = Chance(0.7) ? minutes{kWindows[Pick(9)]} : minutes{Int(1, 360)};
        cap.max = Int(1, 3);
      } else {
        int u = Int(0, 5);
        cap.unit = u < 3 ? Cap::Unit::kDay : u < 5 ? Cap::Unit::kWeek : Cap::Unit::kMonth;
        cap.max = cap.unit == Cap::Unit::kDay ? Int(1, 5) : cap.unit == Cap::Unit::kWeek ? Int(2, 12) : Int(4, 20);
      }
      if (Chance(0.25)) cap.label = kLabels[Pick(2)];
      r.caps.push_back(cap);
    }
    if (Chance(0.2)) {
      Cap preset;
      preset.unit = Cap::Unit::kRolling;
      preset.window = minutes{Int(5, 120)};
      preset.max = Int(1, 3);
      preset.origin = "preset test";
      preset.preset = true;
      r.caps.push_back(preset);
    }
    r.min_spacing = Chance(0.4) ? minutes{0} : minutes{Int(1, 180)};
    int nquiet = Int(0, 2);
    for (int i = 0; i < nquiet; ++i) {
      policies::ClockRange q;
      q.from_minute = Int(0, 1439);
      do q.to_minute = Int(0, 1439);
      while (q.to_minute == q.from_minute);
      // Keep some of the day open most of the time: short ranges are more useful.
      if (Chance(0.7)) q.to_minute = (q.from_minute + Int(1, 12 * 60)) % 1440;
      if (q.to_minute == q.from_minute) q.to_minute = (q.from_minute + 1) % 1440;
      r.quiet_hours.push_back(q);
    }
    if (Chance(0.35)) {
      do r.days = policies::WeekdaySet(static_cast<unsigned long>(Int(1, 127)));
      while (r.days.none());
    }
    int nblack = Int(0, 2);
    for (int i = 0; i < nblack; ++i) {
      Instant from = base + minutes{Int(-12 * 60, spread + 24 * 60)};
      r.blackouts.push_back({from, from + minutes{Int(10, 12 * 60)}, "test"});
    }
    std::sort(r.blackouts.begin(), r.blackouts.end(),
              [](const auto& a, const auto& b) { return a.from < b.from; });
    if (Chance(0.3)) {
      AccountRules::RampUpWindow ramp;
      LocalDays opened = std::chrono::floor<days>(r.zone.ToLocal(base)) + days{Int(-10, 2)};
      ramp.begin = r.zone.ToInstant(LocalTime{opened.time_since_epoch()});
      ramp.end = ramp.begin + days{Int(1, 14)};
      int nrc = Int(0, 2);
      for (int i = 0; i < nrc; ++i) {
        Cap cap;
        cap.origin = "ramp_up.caps[" + std::to_string(i) + "]";
        if (Chance(0.5)) {
          cap.unit = Cap::Unit::kDay;
          cap.max = Int(1, 3);
        } else {
          cap.unit = Cap::Unit::kRolling;
          cap.window = minutes{Int(30, 6 * 60)};
          cap.max = Int(1, 2);
        }
        if (Chance(0.2)) cap.label = kLabels[Pick(2)];
        ramp.caps.push_back(cap);
      }
      if (Chance(0.6)) ramp.forbid_labels.push_back("promo");
      r.ramp_up = ramp;
    }
    if (Chance(0.3)) {
      static constexpr double kShares[] = {0.2, 0.25, 0.4, 0.5, 0.75};
      static constexpr int kOver[] = {60, 360, 1440, 7 * 1440};
      r.mix.push_back({kLabels[Pick(2)], kShares[Pick(5)], minutes{kOver[Pick(4)]}});
    }
    r.max_delay = minutes{Chance(0.3) ? Int(60, 360) : Int(60, 3 * 1440)};

    int nfixed = history_ && Chance(0.5) ? Int(1, 3) : 0;
    int nposts = Int(3, 25);
    for (int i = 0; i < nfixed + nposts; ++i) {
      PlanInput in;
      in.account = kAccount;
      in.post.id = std::to_string(i + 1);
      in.post.text = "post " + in.post.id;
      in.post.requested_at = base + minutes{Int(0, spread)};
      for (const char* label : kLabels)
        if (Chance(0.3)) in.post.labels.push_back(label);
      if (Chance(0.1)) in.post.priority = Priority::kUrgent;
      if (i < nfixed) {
        in.post.requested_at = base + minutes{Int(-6 * 60, spread)};
        in.fixed_at = in.post.requested_at;
      }
      c.inputs.push_back(in);
    }
    std::shuffle(c.inputs.begin(), c.inputs.end(), rng_);
    return c;
  }

 private:
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  size_t Pick(size_t n) { return static_cast<size_t>(Int(0, static_cast<int>(n) - 1)); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  std::mt19937_64 rng_;
  bool history_;
  std::vector<Zone> zones_;
  std::vector<std::vector<Instant>> transitions_;
};

}  // namespace herald::scheduler::random_plans
