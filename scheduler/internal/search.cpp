#include "scheduler/internal/search.h"

namespace herald::scheduler {

using namespace std::chrono;
using policies::Cap;

Governor::Search::Search(const Governor& g, const Timeline& tl, const PostRequest& post,
                         std::span<const BlockedSpan> blocked)
    : g_(g), rules_(*g.rules_), tl_(tl), post_(post), blocked_spans_(blocked),
      bits_(post.kind == PostKind::kReply ? 0 : g.LabelBits(post.labels)), urgent_(post.priority == Priority::kUrgent),
      reply_(post.kind == PostKind::kReply) {
  // Only the entries this governor's rules use: filling all of them took
  // about 4 % of a placement.
  const size_t caps = std::min(rules_.caps.size(), kCachedCaps), mixes = std::min(rules_.mix.size(), kCachedMixes);
  std::fill_n(hints_.begin(), kCapHints + 2 * caps, kNoHint);
  std::fill_n(hints_.begin() + kMixHints, kMixHintsEach * mixes, kNoHint);
  std::fill_n(anchors_.begin(), g.label_names_.size() + 1, kNoHint);
  anchors_[kPostsList] = kNoHint;
  std::fill_n(periods_seen_.begin(), caps, LocalDays::min());
  auto needs = [&](const std::vector<Cap>& list) {
    for (const auto& c : list) {
      weeks_ = weeks_ || c.unit == Cap::Unit::kWeek;
      months_ = months_ || c.unit == Cap::Unit::kMonth;
    }
  };
  needs(rules_.caps);
  if (rules_.ramp_up) needs(rules_.ramp_up->caps);
}

void Governor::Search::Block(Instant next, Kind kind, Rule what, int64_t key, Instant related, int bit) {
  blocked_ = true;
  next_ = std::max(next_, next);
  for (const auto& p : pending_)
    if (p.kind == kind && p.what == what && p.key == key) return;
  // A deferred post meets a few rules: one allocation for them, not a growth each.
  if (pending_.empty()) pending_.reserve(8);
  pending_.push_back({kind, what, key, related, bit});
}

// Timeline::EntryAt, galloping from where the requested time lies: the
// related posts are near it, so this stays within a few cache lines.
const TimelineEntry* Governor::Search::EntryAt(Instant at, int bit) {
  auto v = tl_.times();
  size_t i = AnchorOf(v, 0);
  for (i = Gallop<false>(v, i, at); i < v.size() && v[i] == at; ++i) {
    if (bit < 0 || (tl_.entry(i).label_bits >> bit) & 1u) return &tl_.entry(i);
  }
  return nullptr;
}

// Whether the first post with label `bit` at `at` is urgent.
bool Governor::Search::IsUrgentAt(Instant at, int bit) {
  auto v = tl_.times();
  size_t i = AnchorOf(v, 0);
  for (i = Gallop<false>(v, i, at); i < v.size() && v[i] == at; ++i) {
    const auto& e = tl_.entry(i);
    if ((e.label_bits >> bit) & 1u) return e.urgent;
  }
  return false;
}

LocalTime Governor::Search::Local(Instant t) {
  if (!span_valid_ || t < span_.begin || t >= span_.end) {
    span_ = rules_.zone.OffsetAt(t);
    span_valid_ = true;
  }
  return LocalTime{(t + span_.offset).time_since_epoch()};
}

// Zone::ToInstant, answered from the cached offset span when the answer lies
// more than a day inside it: no transition is near, so the local time exists
// exactly once and the cached offset is the one in force there.
Instant Governor::Search::ToInstant(LocalTime local) {
  if (span_valid_) {
    Instant guess{local.time_since_epoch() - span_.offset};
    if (guess - span_.begin >= days{1} && span_.end - guess > days{1}) return guess;
  }
  return rules_.zone.ToInstant(local);
}

// The instant of a local wall time reached after `t`, no later than the next
// offset change after `t` (where wall-time rules must be asked again).
Instant Governor::Search::WallBound(Instant t, LocalTime wall) {
  Local(t);
  Instant at = ToInstant(wall);
  if (span_.end > t) at = std::min(at, span_.end);
  return at;
}

const Governor::Search::Periods& Governor::Search::PeriodsAt(Instant t) {
  LocalDays day = floor<days>(Local(t));
  if (periods_valid_ && periods_.day == day) return periods_;
  Periods p;
  p.day = day;
  p.day_begin = ToInstant(day);
  p.day_end = ToInstant(day + days{1});
  if (weeks_) {
    p.week_start = StartOfIsoWeek(day);
    p.week_begin = p.week_start == day ? p.day_begin : ToInstant(p.week_start);
    p.week_end = ToInstant(p.week_start + days{7});
  }
  if (months_) {
    p.month_start = StartOfMonth(day);
    p.month_begin = p.month_start == day ? p.day_begin : ToInstant(p.month_start);
    p.month_end = ToInstant(StartOfNextMonth(day));
  }
  periods_ = p;
  periods_valid_ = true;
  return periods_;
}

// Where the requested time lies in v (lower bound). Planned posts spread
// roughly evenly over time, so the guess by proportion is near and galloping
// from it touches a few cache lines; a binary search over the whole list
// would touch one per halving. Exact whatever the spread: the gallop finds the
// lower bound from any start.
size_t Governor::Search::AnchorOf(std::span<const Instant> v, int list) {
  size_t& a = anchors_[static_cast<size_t>(list)];
  if (a != kNoHint) return a;
  const Instant x = post_.requested_at;
  size_t guess = 0;
  if (v.size() > 16 && v.front() < x && x < v.back()) {
    const double share = static_cast<double>((x - v.front()).count()) / static_cast<double>((v.back() - v.front()).count());
    guess = std::min(v.size() - 1, static_cast<size_t>(share * static_cast<double>(v.size())));
  } else if (!v.empty() && x >= v.back()) {
    guess = v.size();
  }
  Gallop<false>(v, guess, x);
  a = guess;
  return a;
}

}  // namespace herald::scheduler
