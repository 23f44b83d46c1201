#include "connectors/rate_limit.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <ctime>
#include <string_view>

namespace herald::connectors {
namespace {

using json = nlohmann::json;
using namespace std::chrono;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<double> ParseNumber(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

std::optional<int64_t> ParseInt(std::optional<std::string> s) {
  if (!s) return std::nullopt;
  auto v = ParseNumber(*s);
  // A count past what int64 holds is no count (and converting it is undefined).
  if (!v || *v >= 9e18) return std::nullopt;
  return static_cast<int64_t>(*v);
}

Instant CeilSeconds(double epoch_seconds) { return Instant{seconds{static_cast<int64_t>(std::ceil(epoch_seconds))}}; }

Instant AfterSeconds(Instant now, double delta) {
  return now + seconds{static_cast<int64_t>(std::ceil(std::min(delta, 10.0 * 365 * 86400)))};
}

// ISO 8601 as Mastodon sends it: 2020-09-08T13:25:00.019685Z (fraction rounded up).
std::optional<Instant> ParseIso(std::string_view s) {
  std::string text(Trim(s));
  bool fraction = false;
  auto dot = text.find('.');
  if (dot != std::string::npos) {
    auto end = text.find_first_not_of("0123456789", dot + 1);
    fraction = text.find_first_not_of('0', dot + 1) < (end == std::string::npos ? text.size() : end);
    text.erase(dot, (end == std::string::npos ? text.size() : end) - dot);
  }
  auto t = ParseRfc3339(text);
  if (!t) return std::nullopt;
  return fraction ? *t + seconds{1} : *t;
}

std::optional<Instant> ParseHttpDate(std::string_view s) {
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  std::tm tm{};
  std::string text(Trim(s));
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return Instant{seconds{timegm(&tm)}};
}

void Consider(RateLimitSignal& out, std::optional<Instant> reset, std::optional<int64_t> remaining,
              std::optional<int64_t> limit, std::string source) {
  if (remaining && (!out.remaining || *remaining < *out.remaining)) out.remaining = remaining;
  bool empty = remaining && *remaining <= 0;
  if (empty) out.exhausted = true;
  if (!reset) return;
  // The binding window is an exhausted one; among several, the latest reset.
  bool better = !out.reset_at || (empty && !out.reset_is_binding) ||
                (empty && out.reset_is_binding && *reset > *out.reset_at);
  if (better) {
    out.reset_is_binding = empty;
    out.reset_at = reset;
    out.limit = limit;
    out.source = std::move(source);
  }
}

bool IsMetaThrottleCode(int64_t code) {
  return code == 4 || code == 17 || code == 32 || code == 613 || (code >= 80001 && code <= 80099);
}

// Meta usage headers: JSON percentages; 100 means throttled.
void ReadMetaUsage(const HttpResponse& r, Instant now, RateLimitSignal& out) {
  for (std::string_view name : {"X-App-Usage", "X-Page-Usage", "X-Ad-Account-Usage"}) {
    auto h = r.Header(name);
    if (!h) continue;
    auto j = json::parse(*h, nullptr, false);
    if (!j.is_object()) continue;
    for (const char* field : {"call_count", "total_cputime", "total_time", "acc_id_util_pct"}) {
      if (j.contains(field) && j[field].is_number() && j[field].get<double>() >= 100) {
        out.limited = true;
        if (j.contains("reset_time_duration") && j["reset_time_duration"].is_number()) {
          Consider(out, AfterSeconds(now, j["reset_time_duration"].get<double>()), 0, std::nullopt, std::string(name));
        } else {
          out.exhausted = true;
        }
      }
    }
  }
  if (auto h = r.Header("X-Business-Use-Case-Usage")) {
    auto j = json::parse(*h, nullptr, false);
    if (!j.is_object()) return;
    for (const auto& [object_id, entries] : j.items()) {
      if (!entries.is_array()) continue;
      for (const auto& e : entries) {
        if (!e.is_object()) continue;
        bool full = false;
        for (const char* field : {"call_count", "total_cputime", "total_time"})
          if (e.contains(field) && e[field].is_number() && e[field].get<double>() >= 100) full = true;
        double minutes = e.value("estimated_time_to_regain_access", 0.0);
        if (full || minutes > 0) {
          out.limited = true;
          Consider(out, AfterSeconds(now, minutes * 60), 0, std::nullopt,
                   "X-Business-Use-Case-Usage estimated_time_to_regain_access");
        }
      }
    }
  }
}

void ReadBody(const HttpResponse& r, Instant now, RateLimitSignal& out) {
  if (r.body.empty() || r.body.front() != '{') return;
  auto j = json::parse(r.body, nullptr, false);
  if (!j.is_object()) return;
  // Discord: {"retry_after": 1.5, "global": false}; Telegram: {"parameters": {"retry_after": 5}}.
  if (j.contains("retry_after") && j["retry_after"].is_number()) {
    out.limited = out.limited || r.status == 429;
    Consider(out, AfterSeconds(now, j["retry_after"].get<double>()), 0, std::nullopt, "body retry_after");
  }
  if (j.contains("parameters") && j["parameters"].is_object() && j["parameters"].contains("retry_after") &&
      j["parameters"]["retry_after"].is_number()) {
    out.limited = true;
    Consider(out, AfterSeconds(now, j["parameters"]["retry_after"].get<double>()), 0, std::nullopt,
             "body parameters.retry_after");
  }
  // Meta: {"error": {"code": 613, ...}}
  if (j.contains("error") && j["error"].is_object() && j["error"].contains("code") && j["error"]["code"].is_number_integer()) {
    if (IsMetaThrottleCode(j["error"]["code"].get<int64_t>())) {
      out.limited = true;
      out.exhausted = true;
    }
  }
}

}  // namespace

std::optional<Instant> ParseResetValue(std::string_view value, Instant now, bool small_is_delta) {
  if (auto n = ParseNumber(value)) {
    if (small_is_delta && *n < 1e9) return AfterSeconds(now, *n);
    // An epoch reset is held to the same ten-year bound as a delta: a value
    // past what int64 seconds hold must not be converted (undefined behaviour).
    double bound = static_cast<double>(duration_cast<seconds>(now.time_since_epoch()).count()) + 10.0 * 365 * 86400;
    return CeilSeconds(std::min(*n, bound));
  }
  return ParseIso(value);
}

std::optional<Instant> ParseRetryAfter(std::string_view value, Instant now) {
  if (auto n = ParseNumber(value)) return AfterSeconds(now, *n);
  return ParseHttpDate(value);
}

Instant NextUtcMidnight(Instant now) { return floor<days>(now) + days{1}; }

RateLimitSignal ReadRateLimit(const HttpResponse& r, Instant now) {
  RateLimitSignal out;
  out.limited = r.status == 429;
  if (auto h = r.Header("Retry-After")) {
    Consider(out, ParseRetryAfter(*h, now), r.status == 429 || r.status == 503 ? std::optional<int64_t>(0) : std::nullopt,
             std::nullopt, "Retry-After");
  }
  if (auto h = r.Header("X-RateLimit-Reset-After")) {
    if (auto n = ParseNumber(*h))
      Consider(out, AfterSeconds(now, *n), ParseInt(r.Header("X-RateLimit-Remaining")),
               ParseInt(r.Header("X-RateLimit-Limit")), "X-RateLimit-Reset-After");
  }
  // X-RateLimit-Reset (Mastodon ISO 8601, X and Discord epoch) and the IETF
  // draft's RateLimit-Reset (Bluesky epoch; the draft itself says delta).
  if (auto h = r.Header("X-RateLimit-Reset")) {
    Consider(out, ParseResetValue(*h, now, false), ParseInt(r.Header("X-RateLimit-Remaining")),
             ParseInt(r.Header("X-RateLimit-Limit")), "X-RateLimit-Reset");
  }
  if (auto h = r.Header("x-rate-limit-reset")) {  // X (Twitter): epoch seconds
    Consider(out, ParseResetValue(*h, now, false), ParseInt(r.Header("x-rate-limit-remaining")),
             ParseInt(r.Header("x-rate-limit-limit")), "x-rate-limit-reset");
  }
  if (auto h = r.Header("RateLimit-Reset")) {
    Consider(out, ParseResetValue(*h, now, true), ParseInt(r.Header("RateLimit-Remaining")),
             ParseInt(r.Header("RateLimit-Limit")), "RateLimit-Reset");
  }
  for (std::string_view scope : {"x-user-limit-24hour", "x-app-limit-24hour"}) {
    std::string prefix(scope);
    if (auto h = r.Header(prefix + "-reset")) {
      Consider(out, ParseResetValue(*h, now, false), ParseInt(r.Header(prefix + "-remaining")),
               ParseInt(r.Header(prefix + "-limit")), prefix + "-reset");
    }
  }
  ReadMetaUsage(r, now, out);
  ReadBody(r, now, out);
  if (out.limited && out.reset_at && *out.reset_at <= now) out.reset_at = now + seconds{1};
  return out;
}

std::string RateLimitSignal::Describe() const {
  std::string s = source.empty() ? "rate limited" : source;
  if (reset_at) s += " " + FormatRfc3339(*reset_at);
  if (remaining) {
    s += " (" + std::to_string(*remaining);
    if (limit) s += " of " + std::to_string(*limit);
    s += " left)";
  }
  return s;
}

}  // namespace herald::connectors
