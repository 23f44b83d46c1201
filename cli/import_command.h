// `herald import FILE`: sends a file of posts (CSV, or JSON lines as `herald
// simulate` reads them) to a running daemon's POST /v1/posts/batch and prints
// one result per line. The token comes from the environment, never the
// command line (where `ps` would show it).
#pragma once

#include <iosfwd>
#include <string>

namespace herald::cli {

struct ImportOptions {
  std::string file;
  std::string url = "http://127.0.0.1:8080";  // the daemon
  std::string token_env = "HERALD_TOKEN";     // the variable holding the API token
  std::string format;                         // csv | jsonl; empty: from the file's extension
  bool atomic = false;
};

// Exit 0 when every line was created (or replayed), 1 when some line was not,
// 2 when the file, the token or the daemon cannot be reached or read. The
// Idempotency-Key is derived from the file's content, so running the same
// import again creates nothing twice.
int RunImport(const ImportOptions& options, std::ostream& out, std::ostream& err);

}  // namespace herald::cli
