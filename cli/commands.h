// The `herald` subcommands, as functions the composition root (cli/main.cpp) and
// the tests call. Each returns the process exit code and writes only to the
// streams it is given. Not thread-safe with respect to the streams.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace herald::cli {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;  // the input was read and is wrong
inline constexpr int kExitUsage = 2;    // the command line is wrong, or a file cannot be read

// `herald policy check FILE|DIR...`: one summary line per valid file on `out`;
// one "FILE:LINE:COL: PATH: message" line per error on `err`. Directories are
// read for *.yaml and *.yml (not recursively), and also checked as a set
// (organisations and account ids unique across files).
int RunPolicyCheck(const std::vector<std::string>& paths, std::ostream& out, std::ostream& err);

// `herald config check FILE`: "FILE: ok: ..." on `out` when the daemon config is
// valid; otherwise one "FILE:LINE:COL: PATH: message" line per error on `err`.
// Exit 0 valid, 1 invalid, 2 when the file cannot be read.
int RunConfigCheck(const std::string& path, std::ostream& out, std::ostream& err);

struct SimulateOptions {
  std::string policy;          // a policy file
  std::string posts;           // JSON lines
  std::string format = "text"; // text | json
};

// `herald simulate`: plans the posts without publishing; one result per input
// line, in input order.
int RunSimulate(const SimulateOptions& options, std::ostream& out, std::ostream& err);

struct ServeOptions {
  std::string config = "examples/herald.yaml";
  // Overrides of the config file (tests start daemons on free ports and temp dirs).
  std::optional<std::string> listen;
  std::optional<std::string> storage;
  std::optional<std::string> outbox;
};

// `herald serve`: runs the daemon until SIGTERM/SIGINT; prints
// "listening on HOST:PORT" on `out` once it accepts requests.
int RunServe(const ServeOptions& options, std::ostream& out, std::ostream& err);

}  // namespace herald::cli
