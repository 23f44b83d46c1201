#include "scheduler/governor.h"

#include <algorithm>
#include <limits>

#include "policies/content.h"
#include "scheduler/internal/describe.h"

namespace herald::scheduler {
namespace {

using namespace std::chrono;
using policies::Cap;

constexpr Instant kNever = Instant::max();

// Index of the first element > x / >= x in a sorted span.
size_t UpperIndex(std::span<const Instant> v, Instant x) {
  return std::upper_bound(v.begin(), v.end(), x) - v.begin();
}
size_t LowerIndex(std::span<const Instant> v, Instant x) {
  return std::lower_bound(v.begin(), v.end(), x) - v.begin();
}

bool HasLabel(const std::vector<std::string>& labels, const std::string& label) {
  return std::find(labels.begin(), labels.end(), label) != labels.end();
}

}  // namespace

// One placement (or one re-check) of one post: the candidate loop and every rule's
// "when could I hold next" answer. Lives for one call; caches the zone offset.
class Governor::Search {
 public:
  Search(const Governor& g, const Timeline& tl, const PostRequest& post)
      : g_(g), rules_(g.rules_), tl_(tl), post_(post),
        bits_(g.LabelBits(post.labels)), urgent_(post.priority == Priority::kUrgent) {}

  // The latest lower bound on a feasible instant among the rules that block `t`,
  // or nullopt when every rule holds at `t`. Records a reason per blocking rule.
  std::optional<Instant> Check(Instant t) {
    next_ = t;
    blocked_ = false;
    CheckBlackouts(t);
    if (!urgent_) {
      CheckQuietHours(t);
      CheckDays(t);
      CheckSpacing(t);
      CheckRampUp(t);
      CheckMix(t);
    }
    for (size_t i = 0; i < rules_.caps.size(); ++i) {
      const Cap& cap = rules_.caps[i];
      if (urgent_ && !cap.preset) continue;
      CheckCap(t, cap, CapBit(cap), Instant::min(), kNever, cap.preset ? "preset" : "caps");
    }
    if (!blocked_) return std::nullopt;
    return std::max(next_, t + seconds{1});
  }

  std::vector<Reason> TakeReasons() { return std::move(reasons_); }

 private:
  int CapBit(const Cap& cap) const { return cap.label.empty() ? -1 : g_.BitOf(cap.label); }
  bool Carries(int bit) const { return bit < 0 || ((bits_ >> bit) & 1u); }

  void Block(Instant next, std::string rule, std::string detail, std::string related = {}) {
    blocked_ = true;
    next_ = std::max(next_, next);
    for (auto& r : reasons_) {
      if (r.rule == rule && r.detail == detail) {
        if (!related.empty() && std::find(r.posts.begin(), r.posts.end(), related) == r.posts.end())
          r.posts.push_back(std::move(related));
        return;
      }
    }
    Reason r{std::move(rule), std::move(detail), {}};
    if (!related.empty()) r.posts.push_back(std::move(related));
    reasons_.push_back(std::move(r));
  }

  LocalTime Local(Instant t) {
    if (!span_valid_ || t < span_.begin || t >= span_.end) {
      span_ = rules_.zone.OffsetAt(t);
      span_valid_ = true;
    }
    return LocalTime{(t + span_.offset).time_since_epoch()};
  }

  // The instant of a local wall time reached after `t`, no later than the next
  // offset change after `t` (where wall-time rules must be asked again).
  Instant WallBound(Instant t, LocalTime wall) {
    Instant at = rules_.zone.ToInstant(wall);
    Local(t);
    if (span_.end > t) at = std::min(at, span_.end);
    return at;
  }

  void CheckBlackouts(Instant t) {
    for (const auto& b : rules_.blackouts) {
      if (b.from > t) break;
      if (t < b.to) Block(b.to, "blackout", internal::DescribeBlackout(b, rules_.zone));
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
      Block(WallBound(t, end_day + minutes{q.to_minute}), "quiet_hours", internal::DescribeClockRange(q));
    }
  }

  void CheckDays(Instant t) {
    if (rules_.days.all()) return;
    LocalDays day = floor<days>(Local(t));
    int wd = IsoWeekdayIndex(day);
    if (rules_.days.test(wd)) return;
    Block(WallBound(t, day + days{1}), "days", internal::DescribeDays(rules_.days, wd));
  }

  void CheckSpacing(Instant t) {
    const Duration s = rules_.min_spacing;
    if (s <= Duration::zero()) return;
    auto v = tl_.times();
    size_t hi = LowerIndex(v, t + s);  // posts < t + s
    if (hi == 0 || v[hi - 1] <= t - s) return;
    Instant nearest = v[hi - 1];
    std::string id = tl_.IdAt(nearest);
    Block(nearest + s, "min_spacing",
          FormatDuration(s) + (nearest <= t ? " after post " : " before post ") + id, id);
  }

  // A cap over the posts (with `bit`, -1 all) restricted to [lo, hi) in time.
  void CheckCap(Instant t, const Cap& cap, int bit, Instant lo, Instant hi, const char* rule) {
    if (!Carries(bit)) return;
    auto all = tl_.times(bit);
    size_t a = lo == Instant::min() ? 0 : LowerIndex(all, lo);
    size_t b = hi == kNever ? all.size() : LowerIndex(all, hi);
    auto v = all.subspan(a, b - a);
    const size_t n = static_cast<size_t>(cap.max);
    if (cap.unit == Cap::Unit::kRolling) {
      const Duration w = cap.window;
      size_t first = UpperIndex(v, t - w);  // posts > t - w
      size_t last = LowerIndex(v, t + w);   // posts < t + w
      if (last - first < n) return;
      // A window of length w holds t and n existing posts iff some n consecutive
      // posts together with t span less than w. The latest such group start gives
      // the latest bound: the group keeps t' blocked until its first post + w.
      for (size_t i = last - n + 1; i-- > first;) {
        Instant lo_i = std::min(v[i], t), hi_i = std::max(v[i + n - 1], t);
        if (hi_i - lo_i < w) {
          std::string id = tl_.IdAt(v[i], bit);
          Block(v[i] + w, rule, internal::DescribeCap(cap) + " reached with post " + id, id);
          return;
        }
      }
      return;
    }
    LocalDays day = floor<days>(Local(t));
    LocalDays start = day, end = day + days{1};
    if (cap.unit == Cap::Unit::kWeek) {
      start = StartOfIsoWeek(day);
      end = start + days{7};
    } else if (cap.unit == Cap::Unit::kMonth) {
      start = StartOfMonth(day);
      end = StartOfNextMonth(day);
    }
    Instant ps = rules_.zone.ToInstant(start), pe = rules_.zone.ToInstant(end);
    if (LowerIndex(v, pe) - LowerIndex(v, ps) < n) return;
    Block(pe, rule, internal::DescribeCap(cap) + " full on " + internal::DescribePeriod(cap.unit, start));
  }

  void CheckRampUp(Instant t) {
    if (!rules_.ramp_up) return;
    const auto& r = *rules_.ramp_up;
    if (t < r.begin || t >= r.end) return;
    for (const auto& label : r.forbid_labels) {
      if (HasLabel(post_.labels, label)) {
        Block(r.end, "ramp_up", "label " + label + " not allowed until " + internal::DescribeLocal(r.end, rules_.zone));
      }
    }
    for (const auto& cap : r.caps) CheckCap(t, cap, CapBit(cap), r.begin, r.end, "ramp_up");
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
      Instant bound = kNever;
      std::string related;
      // At the new post: posts in (t - over, t], itself included.
      size_t w_all = UpperIndex(all, t) - UpperIndex(all, t - over);
      size_t w_lab = UpperIndex(lab, t) - UpperIndex(lab, t - over);
      bool violated = exceeds(w_lab + 1, w_all + 1);
      // At later labelled posts q in [t, t + over) whose window now holds t too.
      for (size_t i = LowerIndex(lab, t); i < lab.size() && lab[i] < t + over; ++i) {
        Instant q = lab[i];
        std::string qid = tl_.IdAt(q, bit);
        if (IsUrgent(q, bit)) continue;
        size_t q_all = UpperIndex(all, q) - UpperIndex(all, q - over);
        size_t q_lab = UpperIndex(lab, q) - UpperIndex(lab, q - over);
        if (exceeds(q_lab + 1, q_all + 1)) {
          violated = true;
          related = qid;
          if (q == t) bound = t + seconds{1};
        }
      }
      if (!violated) continue;
      // The counts only change when a post enters or leaves the window.
      size_t after = UpperIndex(all, t);
      if (after < all.size()) bound = std::min(bound, all[after]);
      size_t oldest = UpperIndex(all, t - over);
      if (oldest < after) bound = std::min(bound, all[oldest] + over);
      Block(bound, "mix", internal::DescribeMix(m), related);
    }
  }

  bool IsUrgent(Instant at, int bit) const {
    auto v = tl_.times();
    for (size_t i = LowerIndex(v, at); i < v.size() && v[i] == at; ++i) {
      const auto& e = tl_.entry(i);
      if ((e.label_bits >> bit) & 1u) return e.urgent;
    }
    return false;
  }

  const Governor& g_;
  const policies::AccountRules& rules_;
  const Timeline& tl_;
  const PostRequest& post_;
  const uint32_t bits_;
  const bool urgent_;

  Zone::OffsetSpan span_{};
  bool span_valid_ = false;
  Instant next_{};
  bool blocked_ = false;
  std::vector<Reason> reasons_;
};

Governor::Governor(policies::AccountRules rules) : rules_(std::move(rules)) {
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
  return TimelineEntry{post.id, at, LabelBits(post.labels), post.priority == Priority::kUrgent,
                       rules_.content.duplicate_window ? TextHash(post.text) : 0};
}

Decision Governor::Place(const Timeline& timeline, const PostRequest& post) const {
  Decision d;
  d.requested_at = post.requested_at;

  // Content rules refuse at once, never defer.
  for (auto& f : policies::CheckContent(rules_.content, rules_.length, post.text)) {
    d.reasons.push_back({f.rule, f.detail, {}});
  }
  if (rules_.needs_media && post.media_count == 0) {
    d.reasons.push_back({"content.media", rules_.platform + " posts need an image; add media", {}});
  }
  if (rules_.content.duplicate_window && d.reasons.empty()) {
    const Duration w = *rules_.content.duplicate_window;
    uint64_t h = TextHash(post.text);
    for (Instant at : timeline.with_text(h)) {
      if (at > post.requested_at - w && at < post.requested_at + w) {
        std::string id = timeline.IdAt(at);
        d.reasons.push_back({"content.duplicate", "same text as post " + id + " within " + FormatDuration(w), {id}});
        break;
      }
    }
  }
  if (!d.reasons.empty()) {
    d.outcome = Decision::Outcome::kRefused;
    d.content_refusal = true;
    return d;
  }

  Search search(*this, timeline, post);
  const Instant limit = post.requested_at + rules_.max_delay;
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

std::string Decision::Summary() const {
  std::string out;
  if (!placed()) {
    out = "refused";
  } else if (!planned_at || *planned_at == requested_at) {
    out = "on time";
  } else {
    out = "deferred " + FormatDuration(*planned_at - requested_at);
  }
  for (size_t i = 0; i < reasons.size(); ++i) {
    out += i == 0 ? ": " : "; ";
    out += reasons[i].rule;
    if (!reasons[i].detail.empty()) {
      // Content refusals read "content.banned_term: \"RivalCorp\"", deferrals
      // "min_spacing 45m after post 812".
      out += reasons[i].rule.starts_with("content.") ? ": " : " ";
      out += reasons[i].detail;
    }
  }
  return out;
}

}  // namespace herald::scheduler
