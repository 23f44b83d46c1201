// Resolution of one account's effective rules: default < platform < account,
// field by field, plus ramp-up, mix and the platform preset. The result is what
// the governor enforces. Pure; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "policies/policy.h"
#include "policies/presets.h"

namespace herald::policies {

struct AccountRules {
  std::string account;
  std::string platform;
  Zone zone = Zone::Utc();

  // The account's own caps after overrides, followed by the preset caps
  // (Cap::preset = true).
  std::vector<Cap> caps;
  Duration min_spacing{0};
  std::vector<ClockRange> quiet_hours;
  WeekdaySet days = WeekdaySet{}.set();

  struct BlackoutSpan {
    Instant from;  // converted from local time by the rule in core/time.h
    Instant to;
    std::string reason;
  };
  std::vector<BlackoutSpan> blackouts;  // sorted by `from`

  struct RampUpWindow {
    Instant begin;  // local midnight of `opened`
    Instant end;    // begin + period
    std::vector<Cap> caps;
    std::vector<std::string> forbid_labels;
  };
  std::optional<RampUpWindow> ramp_up;

  std::vector<Mix> mix;
  Duration max_delay{0};
  Duration missed_after{0};

  ContentRules content;
  std::vector<LengthRule> length;  // the preset's, adjusted by connector settings
  bool needs_media = false;
};

// The effective rules of every account of a validated policy, by account id.
std::map<std::string, AccountRules> ResolveAll(const Policy& policy);

}  // namespace herald::policies
