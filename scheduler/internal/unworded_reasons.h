// The records behind Reasons (scheduler/governor.h): what the search keeps for
// each rule that blocked a candidate, and how a record becomes words. A record
// points into the governor's rules, which UnwordedReasons keeps alive; what
// belongs to the caller (the timeline's posts, the blocked spans) is copied
// when the search ends. Internal to scheduler/.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "scheduler/governor.h"

namespace herald::scheduler::internal {

struct ReasonRecord {
  enum Kind : uint8_t {
    kBlocked, kBlackout, kQuiet, kDays, kSpacing, kCaps, kPreset, kRampCap, kRampLabel, kMix, kMaxDelay
  };
  // The rule that blocked, by kind: kBlocked a BlockedSpan (while the search
  // runs; then none, and `key` indexes UnwordedReasons::spans), kBlackout a
  // BlackoutSpan, kQuiet a ClockRange, kDays the WeekdaySet, kSpacing the
  // min_spacing, the caps a Cap, kRampLabel the label, kMix a Mix, kMaxDelay none.
  using Rule = std::variant<const BlockedSpan*, const policies::AccountRules::BlackoutSpan*,
                            const policies::ClockRange*, const policies::WeekdaySet*, const Duration*,
                            const policies::Cap*, const std::string*, const policies::Mix*>;

  Kind kind;
  Rule what;
  int64_t key;       // tells apart details of one rule: a period, a post, a weekday
  Instant related;   // the post it relates to; Instant::min() when none
  int bit;           // the label list `related` was found in (-1: all posts)
  // Set when the search ends: the related post as reasons name it.
  bool has_related = false;
  Holder holder = Holder::kPost;
  std::string id;
};

// The records of one decision and the rules they point into. Immutable once
// built but for the words, made once under `once`.
struct UnwordedReasons {
  std::shared_ptr<const policies::AccountRules> rules;
  std::vector<ReasonRecord> records;
  std::vector<Reason> spans;  // the blocked spans' reasons, copied from the caller's spans

  const std::vector<Reason>& Words() const;

  mutable std::once_flag once;
  mutable std::vector<Reason> words;
};

// One record in words. REQUIRES: the related post captured (has_related set
// where there is one), kBlocked records indexing `spans`.
Reason Word(const ReasonRecord& record, const policies::AccountRules& rules, const std::vector<Reason>& spans);

}  // namespace herald::scheduler::internal
