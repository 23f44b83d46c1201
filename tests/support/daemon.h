// A real `herald serve` process for end-to-end tests: started with a config in a
// temporary folder, its port read from its "listening on HOST:PORT" line, stopped
// with SIGTERM or killed with SIGKILL. Its stderr (the log) goes to a file in the
// folder. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace herald::testing {

class Daemon {
 public:
  // Runs `binary serve --config <config> [extra...]` in `working_dir`. Throws
  // std::runtime_error when it does not report a port within `timeout_ms`.
  Daemon(const std::string& binary, const std::string& config, const std::string& working_dir,
         const std::string& log_file, std::vector<std::string> extra = {}, int timeout_ms = 10000);
  ~Daemon();  // kills it if still running

  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Sends SIGTERM and waits; returns the exit status (128 + signal when killed).
  int Terminate(int timeout_ms = 15000);
  // SIGKILL, no questions asked; waits for it to die.
  void Kill();
  // Sends a signal without waiting.
  void Signal(int sig);

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int out_fd_ = -1;
};

// A fresh folder under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& text);
std::string ReadFileOr(const std::string& path, const std::string& fallback = "");

}  // namespace herald::testing
