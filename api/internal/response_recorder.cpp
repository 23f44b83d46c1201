#include "api/internal/response_recorder.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace herald::api::internal {

std::unique_ptr<ResponseRecorder> ResponseRecorder::FromEnvironment() {
  const char* folder = std::getenv("HERALD_TEST_RECORD_RESPONSES");
  if (folder == nullptr || *folder == '\0') return nullptr;
  // One file per server: processes and servers in one process never interleave lines.
  static std::atomic<int> sequence{0};
  std::string path = std::string(folder) + "/responses-" + std::to_string(::getpid()) + "-" +
                     std::to_string(sequence.fetch_add(1)) + ".jsonl";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return nullptr;
  return std::unique_ptr<ResponseRecorder>(new ResponseRecorder(fd));
}

ResponseRecorder::~ResponseRecorder() { ::close(fd_); }

void ResponseRecorder::Record(std::string_view method, std::string_view route, std::string_view path, int status,
                              std::string_view content_type, std::string_view body) {
  nlohmann::json line = {{"method", method}, {"route", route},     {"path", path},
                         {"status", status}, {"content_type", content_type}, {"body", body}};
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  // One write per line, at once: a test may kill the daemon at any moment,
  // and then at most the last line is cut short.
  std::lock_guard lock(mu_);
  std::string_view rest = text;
  while (!rest.empty()) {
    ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n <= 0) return;
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace herald::api::internal
