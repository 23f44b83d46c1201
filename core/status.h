// Status and Result: how every herald function reports failure.
//
// A Status is a canonical code, a message a person can act on, and optional
// context (where in a file or document the problem is). Callers decide whether
// to retry by switching on the code, never on the message. Value type; safe to
// copy between threads.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace herald {

enum class Code {
  kOk,
  // The caller's input is wrong; retrying the same input fails again.
  kInvalidArgument,
  // The named thing does not exist (or is not visible to the caller).
  kNotFound,
  // The thing to create exists already.
  kAlreadyExists,
  // The system is not in the state the operation needs; do not retry as is.
  kFailedPrecondition,
  kPermissionDenied,
  kUnauthenticated,
  // A quota or rate limit is exhausted; retry at `retry_at` when it is set.
  kResourceExhausted,
  // Transient: back off and retry.
  kUnavailable,
  kDeadlineExceeded,
  // A bug or broken invariant.
  kInternal,
};

std::string_view CodeName(Code code);

// Where a problem is: a file position, a JSON pointer, a field name. Any part may
// be empty; `line` and `column` are 1-based, 0 when unknown.
struct Where {
  std::string file;
  int line = 0;
  int column = 0;
  std::string path;  // "frequency.default.caps[1].per", "/labels/0", "text"
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string message, Where where = {})
      : code_(code), message_(std::move(message)), where_(std::move(where)) {}

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const Where& where() const { return where_; }
  const std::optional<std::chrono::sys_seconds>& retry_at() const { return retry_at_; }

  Status&& WithRetryAt(std::chrono::sys_seconds at) && {
    retry_at_ = at;
    return std::move(*this);
  }

  // "FILE:LINE:COL: PATH: message", leaving out the parts that are unknown.
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  Where where_;
  std::optional<std::chrono::sys_seconds> retry_at_;
};

template <class T>
using Result = std::expected<T, Status>;

inline std::unexpected<Status> Error(Code code, std::string message, Where where = {}) {
  return std::unexpected<Status>(Status(code, std::move(message), std::move(where)));
}
inline std::unexpected<Status> InvalidArgument(std::string message, Where where = {}) {
  return Error(Code::kInvalidArgument, std::move(message), std::move(where));
}
inline std::unexpected<Status> NotFound(std::string message, Where where = {}) {
  return Error(Code::kNotFound, std::move(message), std::move(where));
}

}  // namespace herald
