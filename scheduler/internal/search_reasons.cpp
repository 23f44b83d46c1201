// The governor's reasons put into words, once per decision: the records the
// search kept (Pending) become the rule names and details people read.
#include "scheduler/internal/describe.h"
#include "scheduler/internal/search.h"

namespace herald::scheduler {

using namespace std::chrono;
using policies::Cap;

std::vector<Reason> Governor::Search::TakeReasons() {
  std::vector<Reason> out;
  out.reserve(pending_.size());
  for (const auto& p : pending_) out.push_back(Describe(p));
  return out;
}

Reason Governor::Search::Describe(const Pending& p) {
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

}  // namespace herald::scheduler
