// Reading the rate-limit signals of every platform herald talks to
// (docs/platforms.md): Retry-After (seconds or HTTP-date), X-RateLimit-*
// with epoch (possibly fractional) or ISO 8601 resets (Mastodon), IETF-draft
// RateLimit-* (Bluesky: epoch seconds; the draft's delta seconds when small),
// X-RateLimit-Reset-After (Discord), X's x-user-limit-24hour-* and
// x-app-limit-24hour-*, Discord's and Telegram's `retry_after` bodies, and
// Meta's usage headers (X-App-Usage, X-Page-Usage, X-Business-Use-Case-Usage
// with estimated_time_to_regain_access in minutes) and rate-limit error codes.
//
// Pure: a response and the current time in, a signal out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "connectors/http_client.h"
#include "core/time.h"

namespace herald::connectors {

struct RateLimitSignal {
  // The platform says this request hit a limit (429, a Meta throttling code or a
  // usage header at 100 %), or says no further request will pass before
  // `reset_at` (remaining 0).
  bool limited = false;
  bool exhausted = false;              // a window reports 0 requests remaining
  std::optional<Instant> reset_at;     // when the limit that binds resets (rounded up to a second)
  std::optional<int64_t> remaining;    // the smallest remaining count reported
  std::optional<int64_t> limit;        // the limit of that window
  std::string source;                  // the header or field reset_at came from
  bool reset_is_binding = false;       // reset_at belongs to an exhausted window

  // "X-RateLimit-Reset 2026-11-23T10:15:00Z (0 of 300 left)"
  std::string Describe() const;
};

RateLimitSignal ReadRateLimit(const HttpResponse& response, Instant now);

// Parses one reset value as the platforms send them: epoch seconds (maybe
// fractional), ISO 8601 / RFC 3339 (maybe with microseconds), or, when
// `small_is_delta` and the number is below 10^9, seconds from now.
std::optional<Instant> ParseResetValue(std::string_view value, Instant now, bool small_is_delta);
// Retry-After: delta seconds or an HTTP-date (IMF-fixdate).
std::optional<Instant> ParseRetryAfter(std::string_view value, Instant now);

// The next 00:00 UTC after `now` (LinkedIn's daily limits reset then).
Instant NextUtcMidnight(Instant now);

}  // namespace herald::connectors
