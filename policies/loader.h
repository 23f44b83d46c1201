// Loading policy files (docs/policy.md): YAML text in, a validated Policy or every error
// out. Pure: the caller reads the file. Every key, type and value is checked;
// errors carry file, line, column and the key path
// ("acme.yaml:14:7: frequency.default.caps[1].per: unknown unit \"hr\"").
// A file with any error yields no policy.
#pragma once

#include <expected>
#include <span>
#include <span>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "policies/policy.h"

namespace herald::policies {

using Errors = std::vector<Status>;

// Parses and validates one policy file. On failure returns all of its errors,
// sorted by line and column. `file` is used in the errors' Where::file.
std::expected<Policy, Errors> LoadPolicy(std::string_view yaml_text, std::string_view file);

// Cross-file checks of a policy directory (one organisation per file, account ids
// unique across files). Returns the errors, empty when the set is consistent.
Errors CheckPolicySet(std::span<const Policy> policies);

}  // namespace herald::policies
