// Runs a program and captures what it wrote, for end-to-end tests. No shell is
// involved: the arguments reach the program as given. Blocking; thread-safe
// with respect to other calls (each call owns its pipes).
#pragma once

#include <string>
#include <vector>

namespace herald::testing {

struct ProcessResult {
  int exit_code = -1;  // the exit status, or 128 + signal number when killed
  std::string out;
  std::string err;
};

// Runs `argv[0]` (a path, not searched in PATH) with `argv`, in `working_dir`
// when it is not empty, with stdin at /dev/null. Throws std::runtime_error when
// the program cannot be started.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& working_dir = "");

}  // namespace herald::testing
