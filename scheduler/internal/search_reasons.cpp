// The governor's reasons put into words: the records the search kept
// (ReasonRecord) become the rule names and details people read, once per
// decision and only when read (Reasons::words).
#include "scheduler/internal/describe.h"
#include "scheduler/internal/search.h"

namespace herald::scheduler {

using namespace std::chrono;
using policies::Cap;

void Governor::Search::CaptureRelated(std::vector<Reason>& spans) {
  for (auto& p : pending_) {
    if (p.kind == kBlocked) {
      const BlockedSpan& span = *std::get<const BlockedSpan*>(p.what);
      p.key = static_cast<int64_t>(spans.size());
      p.what = Rule{};
      spans.push_back({span.rule, span.detail, {}});
      continue;
    }
    if (p.related == kNoPost) continue;
    const TimelineEntry* other = EntryAt(p.related, p.bit);
    if (other == nullptr) continue;
    p.has_related = true;
    p.holder = other->holder;
    p.id = other->id;
  }
}

std::vector<Reason> Governor::Search::TakeReasons() {
  std::vector<Reason> spans;
  CaptureRelated(spans);
  std::vector<Reason> out;
  out.reserve(pending_.size());
  for (const auto& p : pending_) out.push_back(internal::Word(p, rules_, spans));
  pending_.clear();
  return out;
}

Reasons Governor::Search::TakeUnworded() {
  if (pending_.empty()) return {};
  auto unworded = std::make_shared<internal::UnwordedReasons>();
  CaptureRelated(unworded->spans);
  unworded->rules = g_.rules_;
  unworded->records = std::move(pending_);
  pending_.clear();
  return Reasons(std::move(unworded));
}

namespace internal {

const std::vector<Reason>& UnwordedReasons::Words() const {
  std::call_once(once, [&] {
    words.reserve(records.size());
    for (const auto& r : records) words.push_back(Word(r, *rules, spans));
  });
  return words;
}

// Each reason is one string built in place: a deferred post has several, so
// no temporaries.
Reason Word(const ReasonRecord& p, const policies::AccountRules& rules, const std::vector<Reason>& spans) {
  auto related = [&](std::string& detail) {  // appends "post 812" and returns the posts named
    if (!p.has_related) {
      detail += "a post";
      return std::vector<std::string>();
    }
    detail += Mention(p.holder, p.id);
    return p.holder == Holder::kPost ? std::vector<std::string>{p.id} : std::vector<std::string>();
  };
  auto related_posts = [&] {
    return p.has_related && p.holder == Holder::kPost ? std::vector<std::string>{p.id} : std::vector<std::string>();
  };
  switch (p.kind) {
    case ReasonRecord::kBlocked:
      return spans.at(static_cast<size_t>(p.key));
    case ReasonRecord::kBlackout:
      return {"blackout", DescribeBlackout(*std::get<const policies::AccountRules::BlackoutSpan*>(p.what), rules.zone), {}};
    case ReasonRecord::kQuiet:
      return {"quiet_hours", DescribeClockRange(*std::get<const policies::ClockRange*>(p.what)), {}};
    case ReasonRecord::kDays:
      return {"days", DescribeDays(rules.days, static_cast<int>(p.key & 7)), {}};
    case ReasonRecord::kSpacing: {
      std::string detail;
      detail.reserve(40);
      detail += FormatDuration(rules.min_spacing);
      detail += (p.key & 1) ? " before " : " after ";
      auto posts = related(detail);
      return {"min_spacing", std::move(detail), std::move(posts)};
    }
    case ReasonRecord::kCaps:
    case ReasonRecord::kPreset:
    case ReasonRecord::kRampCap: {
      const Cap& cap = *std::get<const Cap*>(p.what);
      const char* rule = p.kind == ReasonRecord::kCaps ? "caps" : p.kind == ReasonRecord::kPreset ? "preset" : "ramp_up";
      std::string detail = DescribeCap(cap);
      std::vector<std::string> posts;
      if (cap.unit == Cap::Unit::kRolling) {
        detail += " reached with ";
        posts = related(detail);
      } else {
        detail += " full on ";
        detail += DescribePeriod(cap.unit, LocalDays{days{p.key}});
        // A calendar cap names no post (its key is the period), as before.
        if (p.related != Instant::min()) posts = related_posts();
      }
      return {rule, std::move(detail), std::move(posts)};
    }
    case ReasonRecord::kRampLabel:
      return {"ramp_up", "label " + *std::get<const std::string*>(p.what) + " not allowed until " +
                             DescribeLocal(rules.ramp_up->end, rules.zone), {}};
    case ReasonRecord::kMix:
      return {"mix", DescribeMix(*std::get<const policies::Mix*>(p.what)), related_posts()};
    case ReasonRecord::kMaxDelay:
      return {"max_delay", "no slot within " + FormatDuration(rules.max_delay) + " of the requested time", {}};
  }
  return {};
}

}  // namespace internal
}  // namespace herald::scheduler
