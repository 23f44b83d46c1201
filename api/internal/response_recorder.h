// A test aid: when HERALD_TEST_RECORD_RESPONSES names a folder, every API
// answer this process gives is appended there as a JSON line (method, route,
// path, status, content type, body), so a test run can check each answer
// against docs/openapi.json (tests/openapi/). Off unless the variable is set;
// bodies hold post text, so it is not for production. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace herald::api::internal {

class ResponseRecorder {
 public:
  // Null unless HERALD_TEST_RECORD_RESPONSES is set and its file can be opened.
  static std::unique_ptr<ResponseRecorder> FromEnvironment();
  ~ResponseRecorder();

  void Record(std::string_view method, std::string_view route, std::string_view path, int status,
              std::string_view content_type, std::string_view body);

 private:
  explicit ResponseRecorder(int fd) : fd_(fd) {}
  std::mutex mu_;
  const int fd_;
};

}  // namespace herald::api::internal
