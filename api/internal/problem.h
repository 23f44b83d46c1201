// RFC 9457 problem details: the body of every API error, and how a Status
// maps onto an HTTP status. Value types; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace herald::api::internal {

inline constexpr std::string_view kProblemContentType = "application/problem+json";

// One thing wrong in a request body: where (a JSON pointer, "" for the whole
// body) and what to do about it.
struct FieldError {
  std::string pointer;
  std::string detail;
  friend bool operator==(const FieldError&, const FieldError&) = default;
};

struct Problem {
  int status = 500;
  std::string type;    // "urn:herald:problem:<slug>"
  std::string title;   // short, the same for every problem of this type
  std::string detail;  // this occurrence, in words a person can act on
  std::string instance;
  std::vector<FieldError> errors;
  std::optional<std::chrono::sys_seconds> retry_at;  // sent as Retry-After
  nlohmann::json extensions = nlohmann::json::object();  // e.g. "violations"

  nlohmann::json ToJson() const;
};

// A problem with the canonical title for `status`; `slug` names the type.
Problem MakeProblem(int status, std::string slug, std::string detail);

// InvalidArgument→400, Unauthenticated→401, PermissionDenied→403,
// NotFound→404, AlreadyExists/FailedPrecondition→409,
// ResourceExhausted→429 (with retry_at), Unavailable/DeadlineExceeded→503,
// anything else→500 (with a detail that does not leak internals).
int HttpStatusOf(Code code);
Problem ProblemFromStatus(const Status& status);

// "Tue, 10 Mar 2026 14:00:00 GMT" (RFC 9110 IMF-fixdate), for Retry-After.
std::string HttpDate(std::chrono::sys_seconds t);

}  // namespace herald::api::internal
