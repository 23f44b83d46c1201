#include "connectors/platform_http.h"

#include <nlohmann/json.hpp>

namespace herald::connectors {
namespace {
using json = nlohmann::json;
using namespace std::chrono;

std::string Reference(const policies::SecretRef& ref) {
  return (ref.kind == policies::SecretRef::Kind::kEnv ? "env:" : "file:") + ref.target;
}
}  // namespace

Result<ConnectorSettings> ConnectorSettings::Read(std::string connector, const policies::ConnectorConfig& config,
                                                  const ConnectorContext& context) {
  ConnectorSettings s;
  s.connector_ = std::move(connector);
  s.base_url_ = config.base_url;
  while (!s.base_url_.empty() && s.base_url_.back() == '/') s.base_url_.pop_back();
  s.settings_ = config.settings;
  for (const auto& [key, ref] : config.secrets) {
    if (!context.resolve_secret) {
      return Error(Code::kFailedPrecondition, "connector " + s.connector_ + ": secret " + key + " (" + Reference(ref) +
                                                  ") cannot be read: no secret resolver configured");
    }
    auto value = context.resolve_secret(ref);
    if (!value) {
      return Error(Code::kFailedPrecondition,
                   "connector " + s.connector_ + ": secret " + key + " (" + Reference(ref) + "): " + value.error().message());
    }
    std::string v = *value;
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' ')) v.pop_back();
    if (v.empty()) {
      return Error(Code::kFailedPrecondition, "connector " + s.connector_ + ": secret " + key + " (" + Reference(ref) + ") is empty");
    }
    s.secrets_[key] = std::move(v);
  }
  return s;
}

std::optional<std::string> ConnectorSettings::Get(const std::string& key) const {
  auto it = settings_.find(key);
  if (it == settings_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> ConnectorSettings::Secret(const std::string& key) const {
  auto it = secrets_.find(key);
  if (it == secrets_.end()) return std::nullopt;
  return it->second;
}

Result<std::string> ConnectorSettings::Require(const std::string& key) const {
  if (auto v = Get(key)) return *v;
  if (auto v = Secret(key)) return *v;
  return Error(Code::kInvalidArgument, "connector " + connector_ + ": missing setting " + key);
}

std::string ConnectorSettings::BaseUrl(std::string_view fallback) const {
  return base_url_.empty() ? std::string(fallback) : base_url_;
}

std::string PlatformMessage(const HttpResponse& response) {
  auto j = json::parse(response.body, nullptr, false);
  if (j.is_object()) {
    if (j.contains("error") && j["error"].is_string()) {
      std::string s = j["error"].get<std::string>();
      if (j.contains("error_description") && j["error_description"].is_string())
        s += ": " + j["error_description"].get<std::string>();
      if (j.contains("message") && j["message"].is_string()) s += ": " + j["message"].get<std::string>();
      return s;
    }
    if (j.contains("error") && j["error"].is_object() && j["error"].contains("message") && j["error"]["message"].is_string()) {
      std::string s = j["error"]["message"].get<std::string>();
      if (j["error"].contains("code") && j["error"]["code"].is_number_integer())
        s += " (code " + std::to_string(j["error"]["code"].get<int64_t>()) + ")";
      return s;
    }
    for (const char* field : {"detail", "title", "message", "description"})
      if (j.contains(field) && j[field].is_string()) return j[field].get<std::string>();
    if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty() && j["errors"][0].is_object() &&
        j["errors"][0].contains("message") && j["errors"][0]["message"].is_string())
      return j["errors"][0]["message"].get<std::string>();
  }
  std::string body = response.body.substr(0, 200);
  for (char& c : body)
    if (c == '\n' || c == '\r') c = ' ';
  return body;
}

std::string DescribeAnswer(std::string_view platform, const HttpResponse& response) {
  std::string s = std::string(platform) + " answered HTTP " + std::to_string(response.status);
  std::string message = PlatformMessage(response);
  if (!message.empty()) s += ": " + message;
  return s;
}

std::optional<PublishResult> ReadFailure(std::string_view platform, const HttpResult& result, Instant now,
                                         bool daily_utc_reset) {
  using Kind = PublishResult::Kind;
  if (!result) {
    const HttpFailure& f = result.error();
    if (f.kind == HttpFailure::Kind::kNotSent) {
      return PublishResult{Kind::kRetryLater, {}, {}, std::nullopt, std::string(platform) + ": " + f.message, {}, 0};
    }
    return PublishResult{Kind::kUnknown, {}, {}, std::nullopt,
                         std::string(platform) + ": sent, then no answer (" + f.message + ")", {}, 0};
  }
  const HttpResponse& r = *result;
  RateLimitSignal signal = ReadRateLimit(r, now);
  // A 2xx is the platform's yes, whatever its usage headers say: never a retry
  // (HoldAfterSuccess turns those headers into a hold).
  if (r.status >= 200 && r.status < 300) return std::nullopt;
  if (signal.limited) {
    Instant until = signal.reset_at ? *signal.reset_at
                    : daily_utc_reset ? NextUtcMidnight(now)
                                      : now + minutes{1};
    std::string why = std::string(platform) + " rate limit: " +
                      (signal.reset_at ? signal.Describe()
                                       : (daily_utc_reset ? "HTTP " + std::to_string(r.status) + ", daily limit resets 00:00 UTC"
                                                          : "HTTP " + std::to_string(r.status) + " without a reset time"));
    return PublishResult{Kind::kRetryLater, {}, {}, until, why, RateLimitHold{until, why}, r.status};
  }
  std::string why = DescribeAnswer(platform, r);
  switch (r.status) {
    case 408: case 425: case 500: case 502: case 503: case 504: {
      std::optional<Instant> at;
      if (auto h = r.Header("Retry-After")) at = ParseRetryAfter(*h, now);
      return PublishResult{Kind::kRetryLater, {}, {}, at, why, {}, r.status};
    }
    case 401: case 403:
      return PublishResult{Kind::kFailed, {}, {}, std::nullopt, why + " (check the account's credentials and permissions)", {}, r.status};
    default:
      return PublishResult{Kind::kFailed, {}, {}, std::nullopt, why, {}, r.status};
  }
}

std::optional<RateLimitHold> HoldAfterSuccess(std::string_view platform, const HttpResponse& response, Instant now) {
  RateLimitSignal signal = ReadRateLimit(response, now);
  if (signal.limited && (!signal.reset_at || *signal.reset_at <= now)) {
    // Throttled from now on (Meta usage at 100 %) without a time: a minute.
    return RateLimitHold{now + minutes{1}, std::string(platform) + " rate limit: usage at 100 %, no reset time given"};
  }
  if (!signal.exhausted || !signal.reset_at || !signal.reset_is_binding || *signal.reset_at <= now) return std::nullopt;
  return RateLimitHold{*signal.reset_at, std::string(platform) + " rate limit: " + signal.Describe()};
}

std::optional<EngagementResult> ReadEngagementFailure(std::string_view platform, const HttpResult& result, Instant now) {
  using Kind = EngagementResult::Kind;
  if (result && (result->status == 404 || result->status == 410)) {
    return EngagementResult{Kind::kGone, {}, std::nullopt, DescribeAnswer(platform, *result) + " (deleted on the platform)",
                            result->status, std::nullopt};
  }
  auto failure = ReadFailure(platform, result, now);
  if (!failure) return std::nullopt;
  switch (failure->kind) {
    case PublishResult::Kind::kRetryLater:
    case PublishResult::Kind::kUnknown:
      return EngagementResult{Kind::kRetryLater, {}, failure->retry_at, failure->why, failure->http_status, std::nullopt};
    default:
      return EngagementResult{Kind::kFailed, {}, std::nullopt, failure->why, failure->http_status, std::nullopt};
  }
}

std::optional<Instant> ReadsHoldAfterSuccess(const HttpResponse& response, Instant now) {
  RateLimitSignal signal = ReadRateLimit(response, now);
  if (!signal.reset_at || *signal.reset_at <= now) return std::nullopt;
  if (signal.limited || signal.exhausted) return signal.reset_at;
  if (signal.remaining && signal.limit && *signal.limit > 0 && *signal.remaining * 10 < *signal.limit) {
    return signal.reset_at;
  }
  return std::nullopt;
}

HttpRequest EngagementGet(std::string url, const std::string& bearer) {
  HttpRequest request{"GET", std::move(url), {{"Authorization", "Bearer " + bearer}}, {}, {}};
  request.max_body = 1024 * 1024;  // one post's view is a few KB
  return request;
}

std::optional<InboxReadResult> ReadInboxFailure(std::string_view platform, const HttpResult& result, Instant now) {
  using Kind = InboxReadResult::Kind;
  if (!result && result.error().kind == HttpFailure::Kind::kTooLarge) {
    InboxReadResult out;
    out.kind = Kind::kFailed;
    out.why = std::string(platform) + ": the inbox answer is larger than herald reads (" + result.error().message + ")";
    return out;
  }
  auto failure = ReadFailure(platform, result, now);
  if (!failure) return std::nullopt;
  return InboxFailure(*failure);
}

InboxReadResult InboxFailure(const PublishResult& failure) {
  using Kind = InboxReadResult::Kind;
  InboxReadResult out;
  out.why = failure.why;
  out.http_status = failure.http_status;
  if (failure.kind == PublishResult::Kind::kRetryLater || failure.kind == PublishResult::Kind::kUnknown) {
    out.kind = Kind::kRetryLater;
    out.retry_at = failure.retry_at;
    if (failure.hold) out.hold_until = failure.hold->until;
  } else {
    out.kind = Kind::kFailed;
  }
  return out;
}

HttpRequest InboxGet(std::string url, const std::string& bearer) {
  HttpRequest request{"GET", std::move(url), {}, {}, {}};
  if (!bearer.empty()) request.headers.emplace_back("Authorization", "Bearer " + bearer);
  request.max_body = 4 * 1024 * 1024;
  return request;
}

std::string InboxText(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) continue;
    out += c;
  }
  if (out.size() > max_bytes) {
    size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

}  // namespace herald::connectors
