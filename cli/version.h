// What this `herald` binary is: the project version (CMake's project version)
// and the git commit it was built from, captured at build time by
// cli/version_info.cmake. Thread-safe (constants).
#pragma once

#include <string_view>

namespace herald::cli {

// The release, e.g. "0.1.0".
std::string_view Version();
// 12 hex digits of the commit, with "-dirty" when tracked files had uncommitted
// changes; "unknown" when built outside a git work tree.
std::string_view Commit();

}  // namespace herald::cli
