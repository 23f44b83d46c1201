// Readers for the `frequency:`, `content:` and `approval:` sections of a policy
// file. Each reports every problem to the Diagnostics and returns what it could
// read. Internal to policies/.
#pragma once

#include <optional>
#include <vector>

#include "policies/internal/yaml_reader.h"
#include "policies/policy.h"

namespace herald::policies::internal {

// Where one cap was written, for checks that need the cap's position later.
struct CapSite {
  std::string path;   // "frequency.default.caps[0]"
  YAML::Mark max_mark;
};

struct RuleSetRead {
  RuleSet rules;
  std::vector<CapSite> cap_sites;  // parallel to rules.caps, when set
};

// `origin_prefix` names the caps in Cap::origin (defaults to the key path).
std::optional<Cap> ReadCap(const Located& at, Diagnostics& diag, const std::string& origin);
RuleSetRead ReadRuleSet(const Located& at, Diagnostics& diag);
std::optional<RampUp> ReadRampUp(const Located& at, Diagnostics& diag);
std::vector<Mix> ReadMix(const Located& at, Diagnostics& diag);
ContentRules ReadContent(const Located& at, Diagnostics& diag);
Approval ReadApproval(const Located& at, Diagnostics& diag);

}  // namespace herald::policies::internal
