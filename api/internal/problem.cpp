#include "api/internal/problem.h"

#include <ctime>

namespace herald::api::internal {

nlohmann::json Problem::ToJson() const {
  nlohmann::json j = extensions.is_object() ? extensions : nlohmann::json::object();
  j["type"] = type;
  j["title"] = title;
  j["status"] = status;
  j["detail"] = detail;
  if (!instance.empty()) j["instance"] = instance;
  if (!errors.empty()) {
    auto& list = j["errors"] = nlohmann::json::array();
    for (const auto& e : errors) list.push_back({{"pointer", e.pointer}, {"detail", e.detail}});
  }
  return j;
}

namespace {

std::string TitleOf(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "Client Error";
  }
}

std::string SlugOf(Code code) {
  switch (code) {
    case Code::kInvalidArgument: return "invalid-argument";
    case Code::kNotFound: return "not-found";
    case Code::kAlreadyExists: return "conflict";
    case Code::kFailedPrecondition: return "wrong-state";
    case Code::kPermissionDenied: return "forbidden";
    case Code::kUnauthenticated: return "unauthenticated";
    case Code::kResourceExhausted: return "rate-limited";
    case Code::kUnavailable: return "unavailable";
    case Code::kDeadlineExceeded: return "unavailable";
    default: return "internal";
  }
}

}  // namespace

Problem MakeProblem(int status, std::string slug, std::string detail) {
  Problem p;
  p.status = status;
  p.type = "urn:herald:problem:" + slug;
  p.title = TitleOf(status);
  p.detail = std::move(detail);
  return p;
}

int HttpStatusOf(Code code) {
  switch (code) {
    case Code::kInvalidArgument: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition: return 409;
    case Code::kResourceExhausted: return 429;
    case Code::kUnavailable:
    case Code::kDeadlineExceeded: return 503;
    default: return 500;
  }
}

Problem ProblemFromStatus(const Status& status) {
  int http = HttpStatusOf(status.code());
  std::string detail = status.message();
  if (http == 500) detail = "herald hit an internal error; the request changed nothing it did not report. "
                            "Retry later and tell the operator if it persists";
  Problem p = MakeProblem(http, SlugOf(status.code()), std::move(detail));
  const std::string& path = status.where().path;
  if (http == 400 && !path.empty()) {
    // Service names fields ("account", "priority"); the API speaks JSON pointers.
    p.errors.push_back({path.front() == '/' ? path : "/" + path, status.message()});
  }
  if (status.retry_at()) p.retry_at = *status.retry_at();
  return p;
}

std::string HttpDate(std::chrono::sys_seconds t) {
  std::time_t tt = t.time_since_epoch().count();
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace herald::api::internal
