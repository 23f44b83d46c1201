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
        bits_(g.LabelBits(post.labels)), urgent_(post.priority == Priority::kUrgent) {
    hints_.fill(0);
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
    if (!urgent_) {
      CheckQuietHours(t);
      CheckDays(t);
      CheckSpacing(t);
      CheckRampUp(t);
      CheckMix(t);
    }
    for (const Cap& cap : rules_.caps) {
      if (urgent_ && !cap.preset) continue;
      CheckCap(t, cap, CapBit(cap), Instant::min(), kNever, cap.preset ? kPreset : kCaps);
    }
    if (!blocked_) return std::nullopt;
    return std::max(next_, t + seconds{1});
  }

  std::vector<Reason> TakeReasons() const {
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

  int CapBit(const Cap& cap) const { return cap.label.empty() ? -1 : g_.BitOf(cap.label); }
  bool Carries(int bit) const { return bit < 0 || ((bits_ >> bit) & 1u); }

  void Block(Instant next, Kind kind, Rule what, int64_t key = 0, Instant related = kNoPost, int bit = -1) {
    blocked_ = true;
    next_ = std::max(next_, next);
    for (const auto& p : pending_)
      if (p.kind == kind && p.what == what && p.key == key) return;
    pending_.push_back({kind, what, key, related, bit});
  }

  Reason Describe(const Pending& p) const {
    const TimelineEntry* other = p.related == kNoPost ? nullptr : tl_.EntryAt(p.related, p.bit);
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
  // galloping out from the previous answer for the same timeline: candidates
  // move forward in small steps, so this is a few comparisons, not log n.
  template <bool kUpper>
  size_t Find(std::span<const Instant> v, int bit, Instant x) {
    size_t& hint = hints_[bit + 1];
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
    auto v = tl_.times();
    size_t hi = Find<false>(v, -1, t + s);  // posts < t + s
    if (hi == 0 || v[hi - 1] <= t - s) return;
    Instant nearest = v[hi - 1];
    Block(nearest + s, kSpacing, &rules_.min_spacing, (nearest > t ? 1 : 0) | (nearest.time_since_epoch().count() << 1),
          nearest);
  }

  // A cap over the posts (with `bit`, -1 all) restricted to [lo, hi) in time.
  void CheckCap(Instant t, const Cap& cap, int bit, Instant lo, Instant hi, Kind kind) {
    if (!Carries(bit)) return;
    auto v = tl_.times(bit);
    size_t a = 0, b = v.size();
    if (lo != Instant::min()) {
      a = std::lower_bound(v.begin(), v.end(), lo) - v.begin();
      b = std::lower_bound(v.begin(), v.end(), hi) - v.begin();
    }
    const size_t n = static_cast<size_t>(cap.max);
    if (cap.unit == Cap::Unit::kRolling) {
      const Duration w = cap.window;
      size_t first = std::max(a, Find<true>(v, bit, t - w));   // posts > t - w
      size_t last = std::min(b, Find<false>(v, bit, t + w));   // posts < t + w
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
    size_t count = (lo == Instant::min())
                       ? Find<false>(v, bit, pe) - Find<false>(v, bit, ps)
                       : (std::lower_bound(v.begin() + a, v.begin() + b, pe) - std::lower_bound(v.begin() + a, v.begin() + b, ps));
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
    auto all = tl_.times();
    for (const auto& m : rules_.mix) {
      int bit = g_.BitOf(m.label);
      if (!Carries(bit)) continue;
      auto lab = tl_.times(bit);
      const Duration over = m.over;
      auto exceeds = [&](size_t labelled, size_t total) {
        return static_cast<double>(labelled) > m.max_share * static_cast<double>(total) + 1e-9;
      };
      auto count_in = [](std::span<const Instant> v, Instant from_excl, Instant to_incl) {
        return static_cast<size_t>(std::upper_bound(v.begin(), v.end(), to_incl) -
                                   std::upper_bound(v.begin(), v.end(), from_excl));
      };
      Instant bound = kNever;
      Instant related = kNoPost;
      // At the new post: posts in (t - over, t], itself included.
      bool violated = exceeds(count_in(lab, t - over, t) + 1, count_in(all, t - over, t) + 1);
      // At later labelled posts q in [t, t + over) whose window now holds t too.
      for (size_t i = std::lower_bound(lab.begin(), lab.end(), t) - lab.begin(); i < lab.size() && lab[i] < t + over;
           ++i) {
        Instant q = lab[i];
        if (IsUrgent(q, bit)) continue;
        if (exceeds(count_in(lab, q - over, q) + 1, count_in(all, q - over, q) + 1)) {
          violated = true;
          related = q;
          if (q == t) bound = t + seconds{1};
        }
      }
      if (!violated) continue;
      // The counts only change when a post enters or leaves the window.
      size_t after = std::upper_bound(all.begin(), all.end(), t) - all.begin();
      if (after < all.size()) bound = std::min(bound, all[after]);
      size_t oldest = std::upper_bound(all.begin(), all.end(), t - over) - all.begin();
      if (oldest < after) bound = std::min(bound, all[oldest] + over);
      Block(bound, kMix, &m, related.time_since_epoch().count(), related, bit);
    }
  }

  bool IsUrgent(Instant at, int bit) const {
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

  Zone::OffsetSpan span_{};
  bool span_valid_ = false;
  Periods periods_{};
  bool periods_valid_ = false;
  std::array<size_t, Timeline::kMaxLabels + 1> hints_;  // [0]: all posts, [b + 1]: label bit b
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
  return TimelineEntry{post.id, at, LabelBits(post.labels), post.priority == Priority::kUrgent, post.holder,
                       rules_.content.duplicate_window ? TextHash(post.text) : 0};
}

std::vector<Reason> Governor::CheckContent(const Timeline& timeline, const PostRequest& post) const {
  std::vector<Reason> out;
  for (auto& f : content_.Check(post.text)) {
    out.push_back({std::move(f.rule), std::move(f.detail), {}});
  }
  if (rules_.needs_media && post.media_count == 0) {
    out.push_back({"content.media", rules_.platform + " posts need an image; add media", {}});
  }
  if (rules_.content.duplicate_window && out.empty()) {
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
