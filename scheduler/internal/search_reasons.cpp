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

// Each reason is one string built in place: the words are asked for once per
// decision, but a deferred post has several, so no temporaries.
Reason Governor::Search::Describe(const Pending& p) {
  const TimelineEntry* other = nullptr;
  auto related = [&](std::string& detail) {  // appends "post 812" and returns the posts named
    other = p.related == kNoPost ? nullptr : EntryAt(p.related, p.bit);
    if (other == nullptr) {
      detail += "a post";
      return std::vector<std::string>();
    }
    detail += Mention(*other);
    return other->holder == Holder::kPost ? std::vector<std::string>{other->id} : std::vector<std::string>();
  };
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
    case kSpacing: {
      std::string detail;
      detail.reserve(40);
      detail += FormatDuration(rules_.min_spacing);
      detail += (p.key & 1) ? " before " : " after ";
      auto posts = related(detail);
      return {"min_spacing", std::move(detail), std::move(posts)};
    }
    case kCaps:
    case kPreset:
    case kRampCap: {
      const Cap& cap = *std::get<const Cap*>(p.what);
      const char* rule = p.kind == kCaps ? "caps" : p.kind == kPreset ? "preset" : "ramp_up";
      std::string detail = internal::DescribeCap(cap);
      std::vector<std::string> posts;
      if (cap.unit == Cap::Unit::kRolling) {
        detail += " reached with ";
        posts = related(detail);
      } else {
        detail += " full on ";
        detail += internal::DescribePeriod(cap.unit, LocalDays{days{p.key}});
        // A calendar cap names no post (its key is the period), as before.
        if (p.related != kNoPost) {
          std::string unused;
          posts = related(unused);
        }
      }
      return {rule, std::move(detail), std::move(posts)};
    }
    case kRampLabel:
      return {"ramp_up", "label " + *std::get<const std::string*>(p.what) + " not allowed until " +
                             internal::DescribeLocal(rules_.ramp_up->end, rules_.zone), {}};
    case kMix: {
      std::string unused;
      auto posts = related(unused);
      return {"mix", internal::DescribeMix(*std::get<const policies::Mix*>(p.what)), std::move(posts)};
    }
  }
  return {};
}

}  // namespace herald::scheduler
