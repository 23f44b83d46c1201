// What every network connector shares, written once: reading its settings and
// secrets with errors that name the account's connector and key, and the
// common reading of a platform's answer to a publish (status classes, rate-limit
// signals, transport failures) into a PublishResult. Platform folders add only
// what is their own: endpoints, bodies, ids and URLs, multi-step flows.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "connectors/connector.h"
#include "connectors/http_client.h"
#include "connectors/rate_limit.h"

namespace herald::connectors {

// A connector's settings (policies::ConnectorConfig) with its secrets resolved.
class ConnectorSettings {
 public:
  // Resolves every secret now: FailedPrecondition naming the key and reference
  // when one cannot be read (unset variable, unreadable file, empty value).
  static Result<ConnectorSettings> Read(std::string connector, const policies::ConnectorConfig& config,
                                        const ConnectorContext& context);

  const std::string& connector() const { return connector_; }
  std::optional<std::string> Get(const std::string& key) const;  // non-secret setting
  // InvalidArgument "connector mastodon: missing setting token" when absent.
  Result<std::string> Require(const std::string& key) const;   // setting or secret
  std::optional<std::string> Secret(const std::string& key) const;
  // base_url without a trailing slash, or `fallback` when not configured.
  std::string BaseUrl(std::string_view fallback) const;

 private:
  std::string connector_;
  std::string base_url_;
  std::map<std::string, std::string> settings_;
  std::map<std::string, std::string> secrets_;
};

// The common reading of an answer to a request that creates a post (or a step
// of it). nullopt for a 2xx: the connector reads the body. Otherwise:
//   429 or a throttle signal (Meta codes, usage at 100 %) -> kRetryLater at the
//       reset, with a hold (a minute from now when no reset is given; LinkedIn
//       callers pass `daily_utc_reset` for the next 00:00 UTC)
//   408, 425, 500, 502, 503, 504 -> kRetryLater (Retry-After when given,
//       else the runtime's backoff); 3xx and other 4xx -> kFailed with the
//       platform's own message (401/403 say to check the credentials)
//   transport kNotSent -> kRetryLater; kNoAnswer -> kUnknown
std::optional<PublishResult> ReadFailure(std::string_view platform, const HttpResult& result, Instant now,
                                         bool daily_utc_reset = false);

// The common reading of an answer to a read of a post's engagement. nullopt
// for a 2xx: the connector reads the body. Otherwise 404 and 410 -> kGone (the
// post was deleted); what ReadFailure would retry (429, throttles, 408, 5xx,
// any transport failure: a read is safe to repeat) -> kRetryLater, at the
// platform's reset or Retry-After when it gave one; the rest -> kFailed.
std::optional<EngagementResult> ReadEngagementFailure(std::string_view platform, const HttpResult& result, Instant now);

// On a 2xx to a read: until when reads should leave the account alone,
// because the answer reports that less than a tenth of its window (or
// nothing) remains before a reset. Reads share the budget with publishing
// and must never be what makes a publish hit the limit.
std::optional<Instant> ReadsHoldAfterSuccess(const HttpResponse& response, Instant now);

// A GET of a post's engagement with a bearer token; the answer's body is
// bounded (a hostile platform cannot make herald read without end).
HttpRequest EngagementGet(std::string url, const std::string& bearer);

// The common reading of an answer to an inbox read (Connector::ReadInbox):
// nullopt for a 2xx; what a read may repeat (429, throttles, 408, 5xx, any
// transport failure) -> kRetryLater at the platform's reset or Retry-After,
// with hold_until on a rate limit; the rest -> kFailed with the platform's
// message (401/403 naming the credentials).
std::optional<InboxReadResult> ReadInboxFailure(std::string_view platform, const HttpResult& result, Instant now);
// The same reading of a PublishResult failure already made (ReadFailure, or a
// platform's own reading such as Graph's).
InboxReadResult InboxFailure(const PublishResult& failure);

// A GET of an inbox page with a bearer token (none when empty); the answer's
// body is bounded (a page of a hundred items is a few hundred KB).
HttpRequest InboxGet(std::string url, const std::string& bearer);

// Untrusted text from a platform as an inbox item keeps it: at most
// `max_bytes`, cut at a UTF-8 character boundary, without NUL and other
// control characters than tab and newline.
std::string InboxText(std::string_view text, size_t max_bytes = 20000);

// On a 2xx: the hold to attach when the answer says no request remains
// before a reset (so the same limit is not hit by the next post).
std::optional<RateLimitHold> HoldAfterSuccess(std::string_view platform, const HttpResponse& response, Instant now);

// The platform's error text from a JSON body: "error" (string),
// "error.message", "detail", "title", "message", "description",
// "errors[0].message"; else the body's first 200 bytes.
std::string PlatformMessage(const HttpResponse& response);

// "HTTP 422: Validation failed: Text character limit of 500 exceeded"
std::string DescribeAnswer(std::string_view platform, const HttpResponse& response);

}  // namespace herald::connectors
