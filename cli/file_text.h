// Reading a whole small file named on the command line (configs, policies).
// I/O for the composition layer; nothing here parses.
#pragma once

#include <string>

#include "core/status.h"

namespace herald::cli {

// The bytes of the file at `path`. kNotFound when there is no such file,
// kFailedPrecondition when it is a directory or cannot be read (the message
// says why, e.g. "permission denied").
Result<std::string> ReadFileText(const std::string& path);

}  // namespace herald::cli
