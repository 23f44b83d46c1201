// Reading a directory of policy files for the daemon: which files there are,
// their texts, and a cheap signature to notice changes. I/O lives here, in the
// composition layer; validation stays in policies/.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "policies/policy.h"
#include "policies/server_config.h"

namespace herald::cli {

struct PolicyDirectory {
  std::vector<policies::Policy> valid;
  // Errors by file, as FILE:LINE:COL: PATH: message lines.
  std::map<std::string, std::vector<std::string>> errors;
};

// Loads every *.yaml / *.yml file of `dir` (sorted), checks each, the set
// (unique organisations and accounts) and the operator's ceilings. A file with
// any error is left out of `valid`.
PolicyDirectory LoadPolicyDirectory(const std::string& dir, const policies::ServerConfig& config);

// Names, sizes and modification times of the policy files: equal signatures mean
// nothing to reload.
std::string DirectorySignature(const std::string& dir);
// The same for one file (size, mtime, inode): changes when it is rewritten or replaced.
std::string FileSignature(const std::string& path);

}  // namespace herald::cli
