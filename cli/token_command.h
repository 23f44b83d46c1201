// `herald token add`: makes an API token, prints it once, and appends its
// SHA-256 to the tokens file (docs/api.md). Writes only to the streams it is given.
#pragma once

#include <iosfwd>
#include <string>

namespace herald::cli {

struct TokenAddOptions {
  std::string organization;              // --org
  std::string role;                      // --role viewer|editor|manager|admin
  std::string name;                      // --name, unique in the organisation
  std::string tokens = "examples/tokens.json";  // --tokens FILE (created when missing)
};

// Prints the token alone on one line on `out` (nothing else goes to `out`) and
// a note on `err`. Exit 0; 1 when the name is taken in the organisation or the
// file is not a valid tokens file; 2 for a usage error (bad role, empty or
// malformed name or organisation) or a file that cannot be read or written.
int RunTokenAdd(const TokenAddOptions& options, std::ostream& out, std::ostream& err);

}  // namespace herald::cli
