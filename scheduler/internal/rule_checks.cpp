// Every rule asked at one candidate instant (Search::Check), one function per
// rule, in one file so the compiler sees the whole loop.
#include "scheduler/internal/search.h"

namespace herald::scheduler {
namespace {

bool HasLabel(const std::vector<std::string>& labels, const std::string& label) {
  return std::find(labels.begin(), labels.end(), label) != labels.end();
}

}  // namespace

using namespace std::chrono;
using policies::Cap;

std::optional<Instant> Governor::Search::Check(Instant t) {
  next_ = t;
  blocked_ = false;
  // Inside a blocked span no rule is asked: the span's end is the bound, and
  // the rules speak from there (as if the post had been asked for then).
  if (CheckBlockedSpans(t)) return next_;
  CheckBlackouts(t);
  // Urgent posts and replies answer only to blackouts and the presets.
  const bool policy_rules = !urgent_ && !reply_;
  if (policy_rules) {
    CheckQuietHours(t);
    CheckDays(t);
    CheckSpacing(t);
    CheckRampUp(t);
    CheckMix(t);
  }
  for (size_t k = 0; k < rules_.caps.size(); ++k) {
    const Cap& cap = rules_.caps[k];
    if (!policy_rules && !cap.preset) continue;
    CheckCap(t, cap, g_.cap_bits_[k], Instant::min(), kNever, cap.preset ? kPreset : kCaps,
             k < kCachedCaps ? static_cast<int>(k) : -1);
  }
  if (!blocked_) return std::nullopt;
  return std::max(next_, t + seconds{1});
}

bool Governor::Search::CheckBlockedSpans(Instant t) {
  for (const auto& span : blocked_spans_) {
    if (span.from <= t && t < span.until) Block(span.until, kBlocked, &span);
  }
  return blocked_;
}

void Governor::Search::CheckBlackouts(Instant t) {
  for (const auto& b : rules_.blackouts) {
    if (b.from > t) break;
    if (t < b.to) Block(b.to, kBlackout, &b);
  }
}

void Governor::Search::CheckQuietHours(Instant t) {
  if (rules_.quiet_hours.empty()) return;
  LocalTime local = Local(t);
  LocalDays day = floor<days>(local);
  int minute = static_cast<int>(duration_cast<minutes>(local - day).count());
  for (const auto& q : rules_.quiet_hours) {
    if (!q.Contains(minute)) continue;
    LocalDays end_day = (q.from_minute >= q.to_minute && minute >= q.from_minute) ? day + days{1} : day;
    Block(WallBound(t, end_day + minutes{q.to_minute}), kQuiet, &q);
  }
}

void Governor::Search::CheckDays(Instant t) {
  if (rules_.days.all()) return;
  const Periods& p = PeriodsAt(t);
  int wd = IsoWeekdayIndex(p.day);
  if (rules_.days.test(wd)) return;
  Block(WallBound(t, p.day + days{1}), kDays, &rules_.days, wd);
}

void Governor::Search::CheckSpacing(Instant t) {
  const Duration s = rules_.min_spacing;
  if (s <= Duration::zero()) return;
  auto v = tl_.posts();
  size_t hi = Find<false>(v, kPostsList, hints_[kSpacingHint], t + s);  // posts < t + s
  if (hi == 0 || v[hi - 1] <= t - s) return;
  Instant nearest = v[hi - 1];
  Block(nearest + s, kSpacing, &rules_.min_spacing, (nearest > t ? 1 : 0) | (nearest.time_since_epoch().count() << 1),
        nearest);
}

void Governor::Search::CheckCap(Instant t, const Cap& cap, int bit, Instant lo, Instant hi, Record::Kind kind, int slot) {
  if (!Carries(bit)) return;
  const bool policy_cap = kind != kPreset && bit < 0;
  auto v = policy_cap ? tl_.posts() : tl_.times(bit);
  const int list = policy_cap ? kPostsList : bit + 1;
  size_t a = 0, b = v.size();
  if (lo != Instant::min()) {
    a = std::lower_bound(v.begin(), v.end(), lo) - v.begin();
    b = std::lower_bound(v.begin(), v.end(), hi) - v.begin();
  }
  const size_t n = static_cast<size_t>(cap.max);
  if (cap.unit == Cap::Unit::kRolling) {
    const Duration w = cap.window;
    size_t scratch[2] = {kNoHint, kNoHint};
    size_t* hint = slot < 0 ? scratch : &hints_[kCapHints + 2 * slot];
    size_t first = std::max(a, Find<true>(v, list, hint[0], t - w));   // posts > t - w
    size_t last = std::min(b, Find<false>(v, list, hint[1], t + w));   // posts < t + w
    if (last < first || last - first < n) return;
    // A window of length w holds t and n existing posts iff some n consecutive
    // posts together with t span less than w. The latest such group start gives
    // the latest bound: the group keeps t' blocked until its first post + w.
    for (size_t i = last - n + 1; i-- > first;) {
      Instant lo_i = std::min(v[i], t), hi_i = std::max(v[i + n - 1], t);
      if (hi_i - lo_i < w) {
        // A ramp-up cap stops binding when ramp-up ends (hi).
        Block(std::min(v[i] + w, hi), kind, &cap, v[i].time_since_epoch().count(), v[i], bit);
        return;
      }
    }
    return;
  }
  const Periods& p = PeriodsAt(t);
  Instant ps = p.day_begin, pe = p.day_end;
  LocalDays start = p.day;
  if (cap.unit == Cap::Unit::kWeek) {
    ps = p.week_begin, pe = p.week_end, start = p.week_start;
  } else if (cap.unit == Cap::Unit::kMonth) {
    ps = p.month_begin, pe = p.month_end, start = p.month_start;
  }
  ps = std::max(ps, lo);
  pe = std::min(pe, hi);
  size_t count;
  if (lo != Instant::min()) {
    count = std::lower_bound(v.begin() + a, v.begin() + b, pe) - std::lower_bound(v.begin() + a, v.begin() + b, ps);
  } else if (slot >= 0 && periods_seen_[slot] == start) {
    // The same period as the last candidate: the timeline has not changed.
    count = period_counts_[slot];
  } else {
    size_t scratch[2] = {kNoHint, kNoHint};
    size_t* hint = slot < 0 ? scratch : &hints_[kCapHints + 2 * slot];
    count = Find<false>(v, list, hint[1], pe) - Find<false>(v, list, hint[0], ps);
    if (slot >= 0) {
      periods_seen_[slot] = start;
      period_counts_[slot] = count;
    }
  }
  if (count < n) return;
  Block(pe, kind, &cap, start.time_since_epoch().count());
}

void Governor::Search::CheckRampUp(Instant t) {
  if (!rules_.ramp_up) return;
  const auto& r = *rules_.ramp_up;
  if (t < r.begin || t >= r.end) return;
  for (const auto& label : r.forbid_labels) {
    if (HasLabel(post_.labels, label)) Block(r.end, kRampLabel, &label);
  }
  for (size_t k = 0; k < r.caps.size(); ++k) CheckCap(t, r.caps[k], g_.ramp_cap_bits_[k], r.begin, r.end, kRampCap);
}

void Governor::Search::CheckMix(Instant t) {
  auto all = tl_.posts();
  for (size_t k = 0; k < rules_.mix.size(); ++k) {
    const auto& m = rules_.mix[k];
    const int bit = g_.mix_bits_[k];
    if (!Carries(bit)) continue;
    auto lab = tl_.times(bit);
    const Duration over = m.over;
    auto exceeds = [&](size_t labelled, size_t total) {
      return static_cast<double>(labelled) > m.max_share * static_cast<double>(total) + 1e-9;
    };
    // Each position below is asked about a time that only moves forward
    // from one candidate to the next, so each keeps its own hint.
    size_t scratch[kMixHintsEach] = {kNoHint, kNoHint, kNoHint, kNoHint, kNoHint};
    size_t* hint = k < kCachedMixes ? &hints_[kMixHints + kMixHintsEach * k] : scratch;
    Instant bound = kNever;
    Instant related = kNoPost;
    // At the new post: posts in (t - over, t], itself included.
    const size_t all_to = Find<true>(all, kPostsList, hint[0], t),
                 all_from = Find<true>(all, kPostsList, hint[1], t - over);
    const size_t lab_to = Find<true>(lab, bit + 1, hint[2], t), lab_from = Find<true>(lab, bit + 1, hint[3], t - over);
    bool violated = exceeds(lab_to - lab_from + 1, all_to - all_from + 1);
    // At later labelled posts q in [t, t + over) whose window now holds t too.
    // Their windows (q - over, q] move forward with q: one more hint each.
    size_t q_all_to = all_to, q_all_from = all_from, q_lab_from = lab_from;
    for (size_t i = Find<false>(lab, bit + 1, hint[4], t); i < lab.size() && lab[i] < t + over; ++i) {
      Instant q = lab[i];
      if (IsUrgentAt(q, bit)) continue;
      q_all_to = Gallop<true>(all, q_all_to, q);
      q_all_from = Gallop<true>(all, q_all_from, q - over);
      q_lab_from = Gallop<true>(lab, q_lab_from, q - over);
      size_t q_lab_to = i + 1;  // posts with the label <= q
      while (q_lab_to < lab.size() && lab[q_lab_to] == q) ++q_lab_to;
      if (exceeds(q_lab_to - q_lab_from + 1, q_all_to - q_all_from + 1)) {
        violated = true;
        related = q;
        if (q == t) bound = t + seconds{1};
      }
    }
    if (!violated) continue;
    // The counts only change when a post enters or leaves the window.
    const size_t after = all_to;
    if (after < all.size()) bound = std::min(bound, all[after]);
    const size_t oldest = all_from;
    if (oldest < after) bound = std::min(bound, all[oldest] + over);
    Block(bound, kMix, &m, related.time_since_epoch().count(), related, bit);
  }
}

}  // namespace herald::scheduler
