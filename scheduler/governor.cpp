#include "scheduler/governor.h"

#include <algorithm>
#include <array>
#include <limits>
#include <variant>

#include "policies/content.h"
#include "scheduler/internal/describe.h"

namespace herald::scheduler {
namespace {

using namespace std::chrono;
using policies::Cap;

constexpr Instant kNever = Instant::max();

bool HasLabel(const std::vector<std::string>& labels, const std::string& label) {
  return std::find(labels.begin(), labels.end(), label) != labels.end();
}

}  // namespace

// One placement (or one re-check) of one post: the candidate loop and every rule's
// "when could I hold next" answer. Lives for one call. Caches the zone offset, the
// calendar periods of the current local day and each timeline's position of the
// candidate, since successive candidates only move forward. Reasons are kept as
// small records and put into words once, at the end.
class Governor::Search {
 public:
  Search(const Governor& g, const Timeline& tl, const PostRequest& post, std::span<const BlockedSpan> blocked = {})
      : g_(g), rules_(g.rules_), tl_(tl), post_(post), blocked_spans_(blocked),
        bits_(post.kind == PostKind::kReply ? 0 : g.LabelBits(post.labels)), urgent_(post.priority == Priority::kUrgent),
        reply_(post.kind == PostKind::kReply) {
    hints_.fill(kNoHint);
    anchors_.fill(kNoHint);
    periods_seen_.fill(LocalDays::min());
  }

  // The latest lower bound on a feasible instant among the rules that block `t`,
  // or nullopt when every rule holds at `t`.
  std::optional<Instant> Check(Instant t) {
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
      CheckCap(t, cap, CapBit(cap), Instant::min(), kNever, cap.preset ? kPreset : kCaps,
               k < kCachedCaps ? static_cast<int>(k) : -1);
    }
    if (!blocked_) return std::nullopt;
    return std::max(next_, t + seconds{1});
  }

  std::vector<Reason> TakeReasons() {
    std::vector<Reason> out;
    out.reserve(pending_.size());
    for (const auto& p : pending_) out.push_back(Describe(p));
    return out;
  }

 private:
  enum Kind : uint8_t { kBlocked, kBlackout, kQuiet, kDays, kSpacing, kCaps, kPreset, kRampCap, kRampLabel, kMix };
  // The rule that blocked, by kind: kBlocked a BlockedSpan, kBlackout a
  // BlackoutSpan, kQuiet a ClockRange, kDays the WeekdaySet, kSpacing the
  // min_spacing, the caps a Cap, kRampLabel the label, kMix a Mix.
  using Rule = std::variant<const BlockedSpan*, const policies::AccountRules::BlackoutSpan*, const policies::ClockRange*,
                            const policies::WeekdaySet*, const Duration*, const Cap*, const std::string*,
                            const policies::Mix*>;
  // A blocking rule, in as few words as possible: `what` is the rule, `key`
  // tells apart details of one rule (a period, a post), `related` is the post
  // it relates to (Instant::min() when none).
  struct Pending {
    Kind kind;
    Rule what;
    int64_t key;
    Instant related;
    int bit;
  };

  static constexpr Instant kNoPost = Instant::min();
  // The list number (see Find) of Timeline::posts(): the policy's own rules
  // do not count replies; the presets (list 0 and the labels') do.
  static constexpr int kPostsList = Timeline::kMaxLabels + 1;
  static constexpr size_t kNoHint = std::numeric_limits<size_t>::max();

  int CapBit(const Cap& cap) const { return cap.label.empty() ? -1 : g_.BitOf(cap.label); }
  bool Carries(int bit) const { return bit < 0 || ((bits_ >> bit) & 1u); }

  void Block(Instant next, Kind kind, Rule what, int64_t key = 0, Instant related = kNoPost, int bit = -1) {
    blocked_ = true;
    next_ = std::max(next_, next);
    for (const auto& p : pending_)
      if (p.kind == kind && p.what == what && p.key == key) return;
    pending_.push_back({kind, what, key, related, bit});
  }

  // Timeline::EntryAt, galloping from where the requested time lies: the
  // related posts are near it, so this stays within a few cache lines.
  const TimelineEntry* EntryAt(Instant at, int bit) {
    auto v = tl_.times();
    size_t i = AnchorOf(v, 0);
    for (i = Gallop<false>(v, i, at); i < v.size() && v[i] == at; ++i) {
      if (bit < 0 || (tl_.entry(i).label_bits >> bit) & 1u) return &tl_.entry(i);
    }
    return nullptr;
  }

  Reason Describe(const Pending& p) {
    const TimelineEntry* other = p.related == kNoPost ? nullptr : EntryAt(p.related, p.bit);
    std::string id = other ? Mention(*other) : std::string("a post");
    std::vector<std::string> posts;
    if (other && other->holder == Holder::kPost) posts.push_back(other->id);
    switch (p.kind) {
      case kBlocked: {
        const BlockedSpan& span = *std::get<const BlockedSpan*>(p.what);
        return {span.rule, span.detail, {}};
      }
      case kBlackout:
        return {"blackout", internal::DescribeBlackout(*std::get<const policies::AccountRules::BlackoutSpan*>(p.what), rules_.zone), {}};
      case kQuiet:
        return {"quiet_hours", internal::DescribeClockRange(*std::get<const policies::ClockRange*>(p.what)), {}};
      case kDays:
        return {"days", internal::DescribeDays(rules_.days, static_cast<int>(p.key & 7)), {}};
      case kSpacing:
        return {"min_spacing", FormatDuration(rules_.min_spacing) + ((p.key & 1) ? " before " : " after ") + id, posts};
      case kCaps:
      case kPreset:
      case kRampCap: {
        const Cap& cap = *std::get<const Cap*>(p.what);
        const char* rule = p.kind == kCaps ? "caps" : p.kind == kPreset ? "preset" : "ramp_up";
        std::string detail = internal::DescribeCap(cap);
        if (cap.unit == Cap::Unit::kRolling) {
          detail += " reached with " + id;
        } else {
          detail += " full on " + internal::DescribePeriod(cap.unit, LocalDays{days{p.key}});
        }
        return {rule, detail, posts};
      }
      case kRampLabel:
        return {"ramp_up", "label " + *std::get<const std::string*>(p.what) + " not allowed until " +
                               internal::DescribeLocal(rules_.ramp_up->end, rules_.zone), {}};
      case kMix:
        return {"mix", internal::DescribeMix(*std::get<const policies::Mix*>(p.what)), posts};
    }
    return {};
  }

  LocalTime Local(Instant t) {
    if (!span_valid_ || t < span_.begin || t >= span_.end) {
      span_ = rules_.zone.OffsetAt(t);
      span_valid_ = true;
    }
    return LocalTime{(t + span_.offset).time_since_epoch()};
  }

  // Zone::ToInstant, answered from the cached offset span when the answer lies
  // more than a day inside it: no transition is near, so the local time exists
  // exactly once and the cached offset is the one in force there.
  Instant ToInstant(LocalTime local) {
    if (span_valid_) {
      Instant guess{local.time_since_epoch() - span_.offset};
      if (guess - span_.begin >= days{1} && span_.end - guess > days{1}) return guess;
    }
    return rules_.zone.ToInstant(local);
  }

  // The instant of a local wall time reached after `t`, no later than the next
  // offset change after `t` (where wall-time rules must be asked again).
  Instant WallBound(Instant t, LocalTime wall) {
    Local(t);
    Instant at = ToInstant(wall);
    if (span_.end > t) at = std::min(at, span_.end);
    return at;
  }

  // Instants of the local day, ISO week and month that hold `t`.
  struct Periods {
    LocalDays day{};
    Instant day_begin, day_end, week_begin, week_end, month_begin, month_end;
    LocalDays week_start{}, month_start{};
  };
  const Periods& PeriodsAt(Instant t) {
    LocalDays day = floor<days>(Local(t));
    if (periods_valid_ && periods_.day == day) return periods_;
    Periods p;
    p.day = day;
    p.day_begin = ToInstant(day);
    p.day_end = ToInstant(day + days{1});
    p.week_start = StartOfIsoWeek(day);
    p.week_begin = p.week_start == day ? p.day_begin : ToInstant(p.week_start);
    p.week_end = ToInstant(p.week_start + days{7});
    p.month_start = StartOfMonth(day);
    p.month_begin = p.month_start == day ? p.day_begin : ToInstant(p.month_start);
    p.month_end = ToInstant(StartOfNextMonth(day));
    periods_ = p;
    periods_valid_ = true;
    return periods_;
  }

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

  size_t AnchorOf(std::span<const Instant> v, int list) {
    size_t& a = anchors_[static_cast<size_t>(list)];
    if (a == kNoHint) a = std::lower_bound(v.begin(), v.end(), post_.requested_at) - v.begin();
    return a;
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

  bool CheckBlockedSpans(Instant t) {
    for (const auto& span : blocked_spans_) {
      if (span.from <= t && t < span.until) Block(span.until, kBlocked, &span);
    }
    return blocked_;
  }

  void CheckBlackouts(Instant t) {
    for (const auto& b : rules_.blackouts) {
      if (b.from > t) break;
      if (t < b.to) Block(b.to, kBlackout, &b);
    }
  }

  void CheckQuietHours(Instant t) {
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

  void CheckDays(Instant t) {
    if (rules_.days.all()) return;
    const Periods& p = PeriodsAt(t);
    int wd = IsoWeekdayIndex(p.day);
    if (rules_.days.test(wd)) return;
    Block(WallBound(t, p.day + days{1}), kDays, &rules_.days, wd);
  }

  void CheckSpacing(Instant t) {
    const Duration s = rules_.min_spacing;
    if (s <= Duration::zero()) return;
    auto v = tl_.posts();
    size_t hi = Find<false>(v, kPostsList, hints_[kSpacingHint], t + s);  // posts < t + s
    if (hi == 0 || v[hi - 1] <= t - s) return;
    Instant nearest = v[hi - 1];
    Block(nearest + s, kSpacing, &rules_.min_spacing, (nearest > t ? 1 : 0) | (nearest.time_since_epoch().count() << 1),
          nearest);
  }

  // A cap over the posts (with `bit`, -1 all) restricted to [lo, hi) in time.
  // `slot` (< kCachedCaps, -1 none) names the cap's own hints and counts.
  void CheckCap(Instant t, const Cap& cap, int bit, Instant lo, Instant hi, Kind kind, int slot = -1) {
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

  void CheckRampUp(Instant t) {
    if (!rules_.ramp_up) return;
    const auto& r = *rules_.ramp_up;
    if (t < r.begin || t >= r.end) return;
    for (const auto& label : r.forbid_labels) {
      if (HasLabel(post_.labels, label)) Block(r.end, kRampLabel, &label);
    }
    for (const auto& cap : r.caps) CheckCap(t, cap, CapBit(cap), r.begin, r.end, kRampCap);
  }

  void CheckMix(Instant t) {
    auto all = tl_.posts();
    for (size_t k = 0; k < rules_.mix.size(); ++k) {
      const auto& m = rules_.mix[k];
      int bit = g_.BitOf(m.label);
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

  // Whether the first post with label `bit` at `at` is urgent.
  bool IsUrgentAt(Instant at, int bit) const {
    auto v = tl_.times();
    for (size_t i = std::lower_bound(v.begin(), v.end(), at) - v.begin(); i < v.size() && v[i] == at; ++i) {
      const auto& e = tl_.entry(i);
      if ((e.label_bits >> bit) & 1u) return e.urgent;
    }
    return false;
  }

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
  // Hints for Find, one per question: [kSpacingHint] the spacing's, then two
  // per cap (its window's or period's start and end), then kMixHintsEach per
  // mix rule. Caps and mixes beyond the cached ones search without a hint.
  static constexpr size_t kCachedCaps = 16, kCachedMixes = 4, kMixHintsEach = 5;
  static constexpr size_t kSpacingHint = 0, kCapHints = 1, kMixHints = kCapHints + 2 * kCachedCaps;
  std::array<size_t, kMixHints + kMixHintsEach * kCachedMixes> hints_;
  std::array<size_t, kPostsList + 1> anchors_;  // see AnchorOf
  // Per cached calendar cap: the start of the period last counted, and its count.
  std::array<LocalDays, kCachedCaps> periods_seen_;
  std::array<size_t, kCachedCaps> period_counts_{};
  Instant next_{};
  bool blocked_ = false;
  std::vector<Pending> pending_;
};

Governor::Governor(policies::AccountRules rules)
    : rules_(std::move(rules)), content_(rules_.content, rules_.length) {
  auto add = [&](const std::string& label) {
    if (label.empty() || BitOf(label) >= 0) return;
    if (label_names_.size() < static_cast<size_t>(Timeline::kMaxLabels)) label_names_.push_back(label);
  };
  for (const auto& c : rules_.caps) add(c.label);
  if (rules_.ramp_up) {
    for (const auto& c : rules_.ramp_up->caps) add(c.label);
  }
  for (const auto& m : rules_.mix) add(m.label);
}

int Governor::BitOf(const std::string& label) const {
  for (size_t i = 0; i < label_names_.size(); ++i)
    if (label_names_[i] == label) return static_cast<int>(i);
  return -1;
}

uint32_t Governor::LabelBits(const std::vector<std::string>& labels) const {
  uint32_t bits = 0;
  for (const auto& l : labels) {
    int b = BitOf(l);
    if (b >= 0) bits |= 1u << b;
  }
  return bits;
}

TimelineEntry Governor::EntryFor(const PostRequest& post, Instant at) const {
  const bool reply = post.kind == PostKind::kReply;
  return TimelineEntry{post.id,
                       at,
                       reply ? 0u : LabelBits(post.labels),
                       post.priority == Priority::kUrgent,
                       post.holder,
                       rules_.content.duplicate_window && !reply ? TextHash(post.text) : 0,
                       reply};
}

std::vector<Reason> Governor::CheckContent(const Timeline& timeline, const PostRequest& post) const {
  std::vector<Reason> out;
  for (auto& f : content_.Check(post.text)) {
    out.push_back({std::move(f.rule), std::move(f.detail), {}});
  }
  if (rules_.needs_media && post.media_count == 0) {
    out.push_back({"content.media", rules_.platform + " posts need an image; add media", {}});
  }
  if (rules_.content.duplicate_window && out.empty() && post.kind != PostKind::kReply) {
    const Duration w = *rules_.content.duplicate_window;
    for (Instant at : timeline.with_text(TextHash(post.text))) {
      if (at > post.requested_at - w && at < post.requested_at + w) {
        const TimelineEntry* other = timeline.EntryAt(at);
        std::vector<std::string> posts;
        if (other && other->holder == Holder::kPost) posts.push_back(other->id);
        out.push_back({"content.duplicate",
                       "same text as " + (other ? Mention(*other) : std::string("a post")) + " within " +
                           FormatDuration(w),
                       std::move(posts)});
        break;
      }
    }
  }
  return out;
}

Decision Governor::Place(const Timeline& timeline, const PostRequest& post,
                         std::span<const BlockedSpan> blocked) const {
  auto refusals = CheckContent(timeline, post);
  if (refusals.empty()) return Schedule(timeline, post, blocked);
  Decision d;
  d.requested_at = post.requested_at;
  d.outcome = Decision::Outcome::kRefused;
  d.content_refusal = true;
  d.reasons = std::move(refusals);
  return d;
}

Decision Governor::Schedule(const Timeline& timeline, const PostRequest& post,
                            std::span<const BlockedSpan> blocked) const {
  Decision d;
  d.requested_at = post.requested_at;
  Search search(*this, timeline, post, blocked);
  Instant postponed_to = post.requested_at;
  for (const auto& span : blocked) {
    if (span.from <= postponed_to && postponed_to < span.until) postponed_to = span.until;
  }
  const Instant limit = postponed_to + rules_.max_delay;
  Instant t = post.requested_at;
  while (true) {
    auto next = search.Check(t);
    if (!next) {
      d.planned_at = t;
      break;
    }
    if (*next > limit) {
      d.outcome = Decision::Outcome::kRefused;
      break;
    }
    t = *next;
  }
  d.reasons = search.TakeReasons();
  if (!d.placed()) {
    d.reasons.push_back({"max_delay", "no slot within " + FormatDuration(rules_.max_delay) + " of the requested time", {}});
  }
  return d;
}

std::vector<Reason> Governor::Violations(const Timeline& timeline, const PostRequest& post, Instant at) const {
  Search search(*this, timeline, post);
  search.Check(at);
  return search.TakeReasons();
}

}  // namespace herald::scheduler
