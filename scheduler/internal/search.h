// Governor::Search: one placement (or one re-check) of one post, the candidate
// loop and every rule's "when could I hold next" answer (docs/governor.md).
// Lives for one call and is used by one thread. Caches the zone offset, the
// calendar periods of the current local day and each timeline's position of
// the candidate, since successive candidates only move forward. Reasons are
// kept as small records (internal/unworded_reasons.h), handed over at the end
// and put into words when read (TakeUnworded), or at once (TakeReasons).
//
// The caches are in search.cpp, Check and the rules in rule_checks.cpp,
// the records' hand-over and words in search_reasons.cpp. Internal to scheduler/.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "scheduler/governor.h"
#include "scheduler/internal/unworded_reasons.h"

namespace herald::scheduler {

class Governor::Search {
 public:
  Search(const Governor& g, const Timeline& tl, const PostRequest& post, std::span<const BlockedSpan> blocked = {});

  // The latest lower bound on a feasible instant among the rules that block `t`,
  // or nullopt when every rule holds at `t`.
  std::optional<Instant> Check(Instant t);

  // Every rule that blocked a candidate so far, in the order met: in words,
  // or as records worded when read (Decision::reasons).
  std::vector<Reason> TakeReasons();
  Reasons TakeUnworded();
  // Adds the refusal for want of a slot within max_delay.
  void RefuseForMaxDelay() { Block(kNever, Record::kMaxDelay, Rule{}); }

 private:
  using Record = internal::ReasonRecord;
  using Kind = Record::Kind;
  using Rule = Record::Rule;
  using enum Record::Kind;

  // Instants of the local day, ISO week and month that hold `t` (the week's
  // and month's only when a cap counts them).
  struct Periods {
    LocalDays day{};
    Instant day_begin, day_end, week_begin, week_end, month_begin, month_end;
    LocalDays week_start{}, month_start{};
  };

  static constexpr Instant kNever = Instant::max();
  static constexpr Instant kNoPost = Instant::min();
  // The list number (see Find) of Timeline::posts(): the policy's own rules
  // do not count replies; the presets (list 0 and the labels') do.
  static constexpr int kPostsList = Timeline::kMaxLabels + 1;
  static constexpr size_t kNoHint = std::numeric_limits<size_t>::max();

  bool Carries(int bit) const { return bit < 0 || ((bits_ >> bit) & 1u); }

  void Block(Instant next, Kind kind, Rule what, int64_t key = 0, Instant related = kNoPost, int bit = -1);

  // search.cpp: the candidate's local time, periods and positions.
  LocalTime Local(Instant t);
  Instant ToInstant(LocalTime local);
  Instant WallBound(Instant t, LocalTime wall);
  const Periods& PeriodsAt(Instant t);
  size_t AnchorOf(std::span<const Instant> v, int list);
  const TimelineEntry* EntryAt(Instant at, int bit);
  bool IsUrgentAt(Instant at, int bit);

  // Index of the first element of v that is >= x (kUpper: > x), found by
  // galloping out from `hint`, the previous answer to the same question (the
  // same list, the same offset from the candidate): candidates move forward in
  // small steps, so this is a few comparisons, not log n. Each question keeps
  // its own hint, so answers far apart in one list do not pull it back and forth.
  // A hint of kNoHint (no previous answer) starts from where the requested time
  // lies in v (`list`: 0 all posts, b + 1 label bit b, kPostsList all but
  // replies), found once per list:
  // every question is asked about a time near it.
  template <bool kUpper>
  size_t Find(std::span<const Instant> v, int list, size_t& hint, Instant x) {
    if (hint == kNoHint) hint = AnchorOf(v, list);
    return Gallop<kUpper>(v, hint, x);
  }

  template <bool kUpper>
  static size_t Gallop(std::span<const Instant> v, size_t& hint, Instant x) {
    auto before = [&](size_t i) { return kUpper ? v[i] <= x : v[i] < x; };
    const size_t n = v.size();
    size_t h = std::min(hint, n), lo, hi;
    if (h < n && before(h)) {
      lo = h + 1;
      size_t step = 1;
      while (h + step < n && before(h + step)) {
        lo = h + step + 1;
        step <<= 1;
      }
      hi = std::min(h + step, n);
    } else {
      hi = h;
      size_t step = 1;
      while (step <= h && !before(h - step)) {
        hi = h - step;
        step <<= 1;
      }
      lo = step <= h ? h - step + 1 : 0;
    }
    size_t a = std::partition_point(v.begin() + lo, v.begin() + hi, [&](Instant y) { return kUpper ? y <= x : y < x; }) -
               v.begin();
    hint = a;
    return a;
  }

  // rule_checks.cpp: one function per rule; each calls Block when the rule
  // does not hold at `t`.
  bool CheckBlockedSpans(Instant t);
  void CheckBlackouts(Instant t);
  void CheckQuietHours(Instant t);
  void CheckDays(Instant t);
  void CheckSpacing(Instant t);
  // A cap over the posts (with `bit`, -1 all) restricted to [lo, hi) in time.
  // `slot` (< kCachedCaps, -1 none) names the cap's own hints and counts.
  void CheckCap(Instant t, const policies::Cap& cap, int bit, Instant lo, Instant hi, Record::Kind kind, int slot = -1);
  void CheckRampUp(Instant t);
  void CheckMix(Instant t);

  // search_reasons.cpp: the related posts and the blocked spans copied into
  // the records, since neither outlives the call.
  void CaptureRelated(std::vector<Reason>& spans);

  const Governor& g_;
  const policies::AccountRules& rules_;
  const Timeline& tl_;
  const PostRequest& post_;
  const std::span<const BlockedSpan> blocked_spans_;
  const uint32_t bits_;
  const bool urgent_;
  const bool reply_;

  Zone::OffsetSpan span_{};
  bool span_valid_ = false;
  Periods periods_{};
  bool periods_valid_ = false;
  // Whether any cap counts ISO weeks, or months: PeriodsAt computes only those.
  bool weeks_ = false, months_ = false;
  // Hints for Find, one per question: [kSpacingHint] the spacing's, then two
  // per cap (its window's or period's start and end), then kMixHintsEach per
  // mix rule. Caps and mixes beyond the cached ones search without a hint.
  static constexpr size_t kCachedCaps = 16, kCachedMixes = 4, kMixHintsEach = 5;
  static constexpr size_t kSpacingHint = 0, kCapHints = 1, kMixHints = kCapHints + 2 * kCachedCaps;
  // Entries the rules do not use are left unset (see the constructor).
  std::array<size_t, kMixHints + kMixHintsEach * kCachedMixes> hints_;
  std::array<size_t, kPostsList + 1> anchors_;  // see AnchorOf
  // Per cached calendar cap: the start of the period last counted, and its count.
  std::array<LocalDays, kCachedCaps> periods_seen_;
  std::array<size_t, kCachedCaps> period_counts_;  // read only where periods_seen_ matches
  Instant next_{};
  bool blocked_ = false;
  std::vector<Record> pending_;
};

}  // namespace herald::scheduler
