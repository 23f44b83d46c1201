// libFuzzer target: every rate-limit signal herald reads from a platform's
// answer. The input is an answer: a status byte, then "Name: value" lines
// (headers), then a blank line and the body. Each header value is also given
// to the single-value readers (Retry-After, reset values).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "connectors/platform_http.h"
#include "connectors/rate_limit.h"
#include "core/time.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace herald;
  using namespace herald::connectors;
  if (size == 0) return 0;
  static constexpr int kStatuses[] = {200, 201, 400, 403, 429, 500, 503, 420};
  HttpResponse response;
  response.status = kStatuses[data[0] % std::size(kStatuses)];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  while (!rest.empty()) {
    auto eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    if (line.empty()) {
      response.body = std::string(rest);
      break;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  const Instant now = Instant{std::chrono::seconds{1'795'000'000}};
  RateLimitSignal signal = ReadRateLimit(response, now);
  (void)signal.Describe();
  for (auto platform : {"mastodon", "bluesky", "x", "discord", "facebook_page", "telegram", "slack", "linkedin"}) {
    (void)HoldAfterSuccess(platform, response, now);
    (void)ReadFailure(platform, HttpResult(response), now, true);
  }
  for (const auto& [name, value] : response.headers) {
    (void)ParseRetryAfter(value, now);
    (void)ParseResetValue(value, now, true);
    (void)ParseResetValue(value, now, false);
  }
  return 0;
}
