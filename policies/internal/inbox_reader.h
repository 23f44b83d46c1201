// Reader for the `inbox:` section of a policy file: its departments, their
// routing rules, answer targets, approval and access, and the default
// department. Reports every problem to the Diagnostics with its position and
// returns what it could read. Internal to policies/.
#pragma once

#include <vector>

#include "policies/internal/yaml_reader.h"
#include "policies/policy.h"

namespace herald::policies::internal {

// `accounts` are the policy's accounts, which `accounts:` rules must name.
InboxRouting ReadInbox(const Located& at, const std::vector<Account>& accounts, Diagnostics& diag);

}  // namespace herald::policies::internal
