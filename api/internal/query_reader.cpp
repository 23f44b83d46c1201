#include "api/internal/query_reader.h"

#include <algorithm>
#include <charconv>

#include "api/internal/crypto.h"
#include "api/internal/problem.h"

namespace herald::api::internal {

std::optional<int64_t> ParsePositive(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  if (v <= 0) return std::nullopt;
  return v;
}

std::string EncodeCursor(int64_t last_id) { return Base64UrlEncode(std::to_string(last_id)); }

std::optional<int64_t> DecodeCursor(std::string_view cursor) {
  auto raw = Base64UrlDecode(cursor);
  if (!raw) return std::nullopt;
  return ParsePositive(*raw);
}

QueryReader::QueryReader(const httplib::Request& request, std::initializer_list<std::string_view> known)
    : request_(request) {
  for (const auto& [name, value] : request.params) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      Fail(name, "unknown query parameter \"" + name + "\"" + (list.empty() ? "" : "; this endpoint takes " + list));
    }
  }
}

std::optional<std::string> QueryReader::Get(const std::string& name) {
  if (!request_.has_param(name.c_str())) return std::nullopt;
  return request_.get_param_value(name.c_str());
}

int QueryReader::Int(const std::string& name, int min, int max, int fallback) {
  auto s = Get(name);
  if (!s) return fallback;
  auto v = ParsePositive(*s);
  if (!v || *v < min || *v > max) {
    Fail(name, name + " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                   ", got \"" + *s + "\"");
    return fallback;
  }
  return static_cast<int>(*v);
}

std::optional<Instant> QueryReader::Time(const std::string& name) {
  auto s = Get(name);
  if (!s) return std::nullopt;
  auto t = ParseRfc3339(*s);
  if (!t) {
    std::string hint = s->find(' ') != std::string::npos ? " (a '+' in a URL means a space: write %2B)" : "";
    Fail(name, name + " \"" + *s + "\" is not an RFC 3339 time with an offset, e.g. 2026-03-10T09:00:00Z" + hint);
  }
  return t ? std::optional<Instant>(*t) : std::nullopt;
}

int64_t QueryReader::Cursor() {
  auto s = Get("cursor");
  if (!s) return 0;
  auto id = DecodeCursor(*s);
  if (!id) {
    Fail("cursor", "cursor \"" + *s + "\" is not one this server gave out; pass next_cursor from the last page");
    return 0;
  }
  return *id;
}

void QueryReader::Fail(const std::string& name, std::string detail) {
  errors_.push_back({{"parameter", name}, {"detail", detail}});
  if (detail_.empty()) detail_ = std::move(detail);
}

std::optional<ApiResponse> QueryReader::Problems() const {
  if (errors_.empty()) return std::nullopt;
  Problem p = MakeProblem(400, "invalid-query", detail_);
  p.extensions["errors"] = errors_;
  return ProblemResponse(p);
}

}  // namespace herald::api::internal
