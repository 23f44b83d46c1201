// Content rules (SPEC §1 `content:`): banned terms, leakage detectors,
// require_any and the platform's text length in the platform's own unit.
// Pure functions over text; thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policies/policy.h"
#include "policies/presets.h"

namespace herald::policies {

// One broken content rule. `rule` is one of content.banned_term, content.email,
// content.phone, content.credit_card, content.secret, content.require_any,
// content.length; `detail` says what matched in words a person can act on
// ("\"RivalCorp\"", "412 graphemes, at most 300"); [begin, end) is the offending
// byte span of the text (empty for require_any, the whole text for length).
struct ContentFinding {
  std::string rule;
  std::string detail;
  size_t begin = 0;
  size_t end = 0;
};

// Every finding for `text` under `rules` and the platform's length rules, in
// text order per rule. Invalid UTF-8 is itself a finding (content.encoding).
std::vector<ContentFinding> CheckContent(const ContentRules& rules, std::span<const LengthRule> length,
                                         std::string_view text);

// Length of `text` in `unit`, each URL counted as `url_weight` when > 0.
size_t CountLength(std::string_view text, LengthUnit unit, int url_weight = 0);

// Name of a detector as written in policy files: "email", "phone", ...
std::string_view DetectorName(Detector d);

}  // namespace herald::policies
